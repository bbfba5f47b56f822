"""The bulk transfer journey in a real browser (BULK-1, APR-1, AUTH-12): a maker uploads a
1,000-payee Zengin file (progress bar, then the request page), the first approver approves on
the PC with step-up, the final approver signs on a phone-sized browser with a WebAuthn
authenticator (Chromium's virtual authenticator: a software key, as a phone's would be), the
batch runs on the value date, and the maker reads the result. Skipped without Chromium."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from kinko import clock
from kinko.auth import otp
from kinko.auth import repository as auth_repo
from kinko.auth.crypto import CHEAP_FOR_TESTS, SecretHasher, use_hasher
from kinko.config import Settings
from kinko.corporate import service as corporate
from kinko.db import Database
from kinko.db.migrate import upgrade
from kinko.web.app import create_app
from kinko.web.auth import SESSION_COOKIE
from tests.corporate import builders
from tests.corporate.bulkkit import FRIDAY, OWN, RUN_AT, own_payees, run_batch, transfer_file
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.e2e.support import running

PAYEES = 1_000


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    if not CHROMIUM.exists() and shutil.which("chromium") is None:
        pytest.skip(f"the browser tests need Debian's chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.mark.req("BULK-1")
@pytest.mark.req("APR-1")
@pytest.mark.req("AUTH-12")
def test_upload_first_approver_final_on_the_phone_value_date_result(
        chromium: Any, tmp_path: Any) -> None:
    url = f"sqlite:///{tmp_path / 'kinko.sqlite3'}"
    upgrade(url)
    db = Database(url)
    clock.set_now(FRIDAY)
    problems: list[str] = []
    with use_hasher(SecretHasher(CHEAP_FOR_TESTS)):
        corp = db.run(lambda s: builders.contract(s, smartphone_auth=True))
        db.run(lambda s: builders.grant(s, corp, "general", "H", [corp.representative]))
        db.run(lambda s: corporate.set_approval_mode(s, corp.actor("master"), kind="bulk",
                                                     mode="double"))
        own = db.run(lambda s: own_payees(s, PAYEES))
        data = transfer_file([(OWN, b, n, h, 1_000 + i) for i, (b, n, h, _) in enumerate(own)])
        with running(create_app(db, Settings())) as base:
            site = base.replace("127.0.0.1", "localhost")   # WebAuthn needs a domain name

            def context(who: str, **kw: Any) -> Any:
                ctx = chromium.new_context(locale="ja-JP", **kw)
                ctx.add_cookies([{"name": SESSION_COOKIE, "value": corp.tokens[who],
                                  "url": site}])
                page = ctx.new_page()
                page.set_default_timeout(60_000)
                page.on("pageerror", lambda e: problems.append(str(e)))
                # A failed load is judged by its response (the browser asks for a favicon).
                page.on("console", lambda m: problems.append(m.text) if m.type == "error"
                        and not m.text.startswith("Failed to load resource") else None)
                page.on("response", lambda r: problems.append(f"{r.status} {r.url}")
                        if r.status >= 500 or (r.status == 404
                                               and not r.url.endswith("/favicon.ico"))
                        else None)
                return ctx, page

            # 1. The maker uploads the file; the page shows its progress, then the request.
            ctx, page = context("general", viewport={"width": 1280, "height": 900})
            page.goto(f"{site}/corporate/bulk/new")
            page.set_input_files("input[name=file]", files=[{
                "name": "sogo-furikomi.txt", "mimeType": "text/plain", "buffer": data}])
            page.click("#upload button[type=submit]")
            page.wait_for_url(re.compile(r"/corporate/bulk/\d+$"))
            request_url = page.url
            assert page.inner_text("#count") == str(PAYEES)
            ctx.close()

            # 2. The first approver approves on the PC with the step-up.
            # A minute later: the token's registration used the current time step (AUTH-5).
            clock.set_now(FRIDAY + timedelta(minutes=1))
            ctx, page = context("admin", viewport={"width": 1280, "height": 900})
            page.goto(request_url)
            page.fill("input[name=confirmation_password]", "Kari4Kaku")

            def code(s: Any) -> str:
                token = auth_repo.active_token(s, corp.users["admin"])
                assert token is not None
                return otp.code_at(token, clock.now())

            page.fill("input[name=otp_code]", db.run(code))
            page.click("#approve button[type=submit]")
            page.wait_for_selector("#approvals >> text=一次承認")
            ctx.close()

            # 3. The final approver registers the phone and signs on it.
            ctx, page = context("master", viewport={"width": 390, "height": 844},
                                is_mobile=True, has_touch=True)
            cdp = ctx.new_cdp_session(page)
            cdp.send("WebAuthn.enable")
            cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
                "protocol": "ctap2", "transport": "internal", "hasResidentKey": True,
                "hasUserVerification": True, "isUserVerified": True}})
            page.goto(f"{site}/corporate/phone/register")
            page.click("#register-button")
            page.wait_for_selector("#register-outcome[data-done=registered]")
            page.goto(f"{site}/corporate/phone")
            card = page.locator(".approval").first
            assert card.locator(".count").inner_text() == str(PAYEES)   # shown on the phone
            card.locator(".approve").click()
            page.wait_for_selector(".approval[data-done=approved]")
            ctx.close()

            # 4. The batch on the value date, then the maker reads the result.
            run_batch(db, RUN_AT)
            db.run(lambda s: builders.login(s, corp, "general"))   # Tuesday: a new session
            ctx, page = context("general", viewport={"width": 1280, "height": 900})
            page.goto(request_url)
            assert "実行済" in page.inner_text("#state")
            assert page.inner_text("#result .result-credited").startswith(f"{PAYEES} /")
            ctx.close()
    clock.set_now(None)
    db.dispose()
    assert not problems, problems
