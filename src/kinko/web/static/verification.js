// ご利用者さま確認: take the front photo and the head-turn frames from the phone's camera and
// send them with the page's own form. Without a camera (or without script) the form's file
// inputs are the fallback. No library, nothing loaded from elsewhere.
(function () {
  "use strict";
  var form = document.getElementById("capture-form");
  if (!form) { return; }
  var camera = document.getElementById("camera");
  var video = document.getElementById("preview");
  var prompt = document.getElementById("prompt");
  var start = document.getElementById("start");
  var frameCount = parseInt(form.dataset.frames, 10) || 8;
  var stream = null;

  function sleep(ms) { return new Promise(function (r) { setTimeout(r, ms); }); }

  function grab() {
    var canvas = document.createElement("canvas");
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    canvas.getContext("2d").drawImage(video, 0, 0);
    return new Promise(function (resolve) { canvas.toBlob(resolve, "image/jpeg", 0.9); });
  }

  function files(blobs, name) {
    var dt = new DataTransfer();
    blobs.forEach(function (blob, i) {
      dt.items.add(new File([blob], name + i + ".jpg", { type: "image/jpeg" }));
    });
    return dt.files;
  }

  async function take() {
    start.disabled = true;
    prompt.textContent = form.dataset.msgFront;
    await sleep(1200);
    var selfie = await grab();
    prompt.textContent = form.dataset.msgTurn;
    var frames = [];
    for (var i = 0; i < frameCount; i++) {
      await sleep(300);
      frames.push(await grab());
    }
    prompt.textContent = form.dataset.msgSending;
    form.elements.selfie.files = files([selfie], "selfie");
    form.elements.frames.files = files(frames, "frame");
    stream.getTracks().forEach(function (t) { t.stop(); });
    form.submit();
  }

  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) { return; }
  navigator.mediaDevices.getUserMedia({
    video: { facingMode: "user", width: { ideal: 640 }, height: { ideal: 480 } }, audio: false
  }).then(function (s) {
    stream = s;
    video.srcObject = s;
    camera.hidden = false;
    form.elements.selfie.required = false;
    start.addEventListener("click", take);
  }).catch(function () {
    var note = document.createElement("p");
    note.className = "error";
    note.textContent = form.dataset.msgNocamera;
    form.insertBefore(note, form.firstChild);
  });
})();
