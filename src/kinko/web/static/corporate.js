// Kinko business net: the bulk upload's progress bar, the smartphone approval screen and the
// phone's WebAuthn registration. Same-origin only (CSP script-src 'self'); no library.
"use strict";

(function () {
  const b64url = (buf) => btoa(String.fromCharCode(...new Uint8Array(buf)))
    .replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  const unb64url = (text) => {
    const s = text.replace(/-/g, "+").replace(/_/g, "/");
    const raw = atob(s + "=".repeat((4 - (s.length % 4)) % 4));
    return Uint8Array.from(raw, (c) => c.charCodeAt(0)).buffer;
  };
  const api = async (csrf, method, url, body) => {
    const r = await fetch(url, {
      method, credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = await r.json().catch(() => ({}));
    if (!r.ok) { throw new Error(data.title || data.message_en || ("HTTP " + r.status)); }
    return data;
  };

  // --- the bulk upload with a progress bar --------------------------------------------------
  const upload = document.getElementById("upload");
  if (upload) {
    upload.addEventListener("submit", (event) => {
      event.preventDefault();
      const bar = document.getElementById("progress");
      const text = document.getElementById("progress-text");
      const form = new FormData(upload);
      form.delete("csrf_token");
      const xhr = new XMLHttpRequest();
      xhr.open("POST", "/api/v1/corporate/bulk/files");
      xhr.setRequestHeader("X-CSRF-Token", upload.dataset.csrf);
      xhr.setRequestHeader("Accept", "application/json");
      bar.hidden = false;
      xhr.upload.onprogress = (e) => {
        if (e.lengthComputable) { bar.value = Math.round((e.loaded / e.total) * 90); }
        text.textContent = bar.value + "%";
      };
      xhr.upload.onload = () => { text.textContent = "検証中… / validating…"; };
      xhr.onload = () => {
        let data = {};
        try { data = JSON.parse(xhr.responseText); } catch (e) { data = {}; }
        if (xhr.status === 201) {
          bar.value = 100;
          text.textContent = "100%";
          window.location.assign("/corporate/bulk/" + data.id);
          return;
        }
        bar.hidden = true;
        text.textContent = data.title || ("HTTP " + xhr.status);
        const old = document.getElementById("problems");
        if (old) { old.remove(); }
        if (data.problems) {
          const table = document.createElement("table");
          table.id = "problems";
          for (const p of data.problems.slice(0, 200)) {
            const row = table.insertRow();
            for (const v of [p.line, p.field, p.reason_ja + " / " + p.reason_en]) {
              row.insertCell().textContent = String(v);
            }
          }
          upload.before(table);
        }
      };
      xhr.send(form);
    });
  }

  // --- the smartphone: sign exactly the details shown ----------------------------------------
  const pending = document.getElementById("phone-approvals");
  if (pending) {
    const csrf = pending.dataset.csrf;
    const decide = async (card, approve) => {
      const out = card.querySelector(".outcome");
      const id = card.dataset.request;
      // A card names its request's API (a bulk request by default, or a single transfer).
      const base = card.dataset.base || ("/api/v1/corporate/bulk/" + id);
      try {
        const opened = await api(csrf, "POST", base + "/phone-approval");
        const list = await api(csrf, "GET", "/api/v1/corporate/phone/approvals");
        const item = list.approvals.find((a) => a.approval_id === opened.phone_approval_id);
        const options = JSON.parse(item.options);
        options.challenge = unb64url(options.challenge);
        options.allowCredentials = (options.allowCredentials || []).map(
          (c) => ({ ...c, id: unb64url(c.id) }));
        const cred = await navigator.credentials.get({ publicKey: options });
        const credential = {
          id: cred.id, rawId: b64url(cred.rawId), type: cred.type,
          response: {
            clientDataJSON: b64url(cred.response.clientDataJSON),
            authenticatorData: b64url(cred.response.authenticatorData),
            signature: b64url(cred.response.signature),
            userHandle: cred.response.userHandle ? b64url(cred.response.userHandle) : null,
          },
        };
        await api(csrf, "POST", "/api/v1/corporate/phone/approvals/" + item.approval_id,
          { credential, approve });
        if (approve) {
          const done = await api(csrf, "POST", base + "/approve",
            { digest: card.dataset.digest, phone_approval_id: item.approval_id });
          out.textContent = "承認しました / approved (" + done.state + ")";
        } else {
          await api(csrf, "POST", base + "/reject", { reason: "phone" });
          out.textContent = "否認しました / rejected";
        }
        card.dataset.done = approve ? "approved" : "rejected";
      } catch (e) {
        out.textContent = "エラー / error: " + e.message;
      }
    };
    for (const card of pending.querySelectorAll(".approval")) {
      card.querySelector(".approve").addEventListener("click", () => decide(card, true));
      card.querySelector(".reject").addEventListener("click", () => decide(card, false));
    }
  }

  // --- registering the phone (WebAuthn) ------------------------------------------------------
  const register = document.getElementById("register");
  if (register) {
    const csrf = register.dataset.csrf;
    const out = document.getElementById("register-outcome");
    document.getElementById("register-button").addEventListener("click", async () => {
      try {
        const start = await api(csrf, "POST", "/api/v1/corporate/phone/register/begin");
        const options = JSON.parse(start.options);
        options.challenge = unb64url(options.challenge);
        options.user.id = unb64url(options.user.id);
        options.excludeCredentials = (options.excludeCredentials || []).map(
          (c) => ({ ...c, id: unb64url(c.id) }));
        const cred = await navigator.credentials.create({ publicKey: options });
        const credential = {
          id: cred.id, rawId: b64url(cred.rawId), type: cred.type,
          response: {
            clientDataJSON: b64url(cred.response.clientDataJSON),
            attestationObject: b64url(cred.response.attestationObject),
          },
        };
        await api(csrf, "POST", "/api/v1/corporate/phone/register/finish", {
          challenge_id: start.challenge_id, credential,
          label: document.getElementById("device-label").value,
        });
        out.textContent = "登録しました / registered";
        out.dataset.done = "registered";
      } catch (e) {
        out.textContent = "エラー / error: " + e.message;
      }
    });
    const remove = document.getElementById("deregister-button");
    if (remove) {
      remove.addEventListener("click", async () => {
        await api(csrf, "POST", "/api/v1/corporate/phone/deregister");
        window.location.reload();
      });
    }
  }
}());
