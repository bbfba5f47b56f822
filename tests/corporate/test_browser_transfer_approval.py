"""A single transfer's double approval in a real browser (APR-1, AUTH-12): the maker's
confirmed transfer waits; the first approver approves on the PC page with the step-up; the
final approver signs on a phone-sized browser with a WebAuthn authenticator (Chromium's
virtual authenticator); the transfer then runs. Skipped without Chromium."""

from __future__ import annotations

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
from kinko.instructions.models import Instruction
from kinko.instructions.service import StepUpProof
from kinko.ledger.models import Account
from kinko.transfers import service as transfers
from kinko.web.app import create_app
from kinko.web.auth import SESSION_COOKIE
from tests import factories
from tests.corporate import builders
from tests.corporate.bulkkit import FRIDAY
from tests.corporate.test_browser_bulk import chromium  # noqa: F401 - the browser fixture
from tests.e2e.support import running


@pytest.mark.req("APR-1")
@pytest.mark.req("AUTH-12")
def test_first_approver_on_the_pc_final_on_the_phone_then_it_runs(
        chromium: Any, tmp_path: Any) -> None:  # noqa: F811 - the fixture
    url = f"sqlite:///{tmp_path / 'kinko.sqlite3'}"
    upgrade(url)
    db = Database(url)
    clock.set_now(FRIDAY)
    problems: list[str] = []
    with use_hasher(SecretHasher(CHEAP_FOR_TESTS)):
        corp = db.run(lambda s: builders.contract(s, smartphone_auth=True))
        db.run(lambda s: builders.grant(s, corp, "general", "D", [corp.representative]))
        db.run(lambda s: corporate.set_approval_mode(s, corp.actor("master"),
                                                     kind="transfer", mode="double"))

        def payee(s: Any) -> tuple[str, str, int]:
            acc = s.get(Account, factories.account(s, holder="ﾄﾘﾋｷｻｷ"))
            return acc.branch_code, acc.number, acc.id
        branch, number, payee_id = db.run(payee)
        maker = corp.actor("general")
        quote = db.run(lambda s: transfers.enter(
            s, maker, key="b1", from_account_id=corp.representative, amount=54_321,
            bank_code="0999", branch_code=branch, account_type="ordinary", number=number))
        tid = quote.instruction.id
        db.run(lambda s: transfers.confirm(s, maker, tid, StepUpProof(
            maker.user_id, quote.instruction.digest, clock.now())))
        with running(create_app(db, Settings())) as base:
            site = base.replace("127.0.0.1", "localhost")   # WebAuthn needs a domain name

            def context(who: str, **kw: Any) -> Any:
                ctx = chromium.new_context(locale="ja-JP", **kw)
                ctx.add_cookies([{"name": SESSION_COOKIE, "value": corp.tokens[who],
                                  "url": site}])
                page = ctx.new_page()
                page.set_default_timeout(60_000)
                page.on("pageerror", lambda e: problems.append(str(e)))
                page.on("console", lambda m: problems.append(m.text) if m.type == "error"
                        and not m.text.startswith("Failed to load resource") else None)
                page.on("response", lambda r: problems.append(f"{r.status} {r.url}")
                        if r.status >= 500 or (r.status == 404
                                               and not r.url.endswith("/favicon.ico"))
                        else None)
                return ctx, page

            # 1. The first approver, on the PC, with the step-up over the details shown.
            clock.set_now(FRIDAY + timedelta(minutes=1))
            ctx, page = context("admin", viewport={"width": 1280, "height": 900})
            page.goto(f"{site}/corporate/transfer-approvals/{tid}")
            assert page.inner_text("#amount") == "54,321円"
            page.fill("input[name=confirmation_password]", "Kari4Kaku")

            def code(s: Any) -> str:
                token = auth_repo.active_token(s, corp.users["admin"])
                assert token is not None
                return otp.code_at(token, clock.now())

            page.fill("input[name=otp_code]", db.run(code))
            page.click("#approve button[type=submit]")
            page.wait_for_selector("#approvals >> text=一次承認")
            ctx.close()

            # 2. The final approver registers the phone and signs the transfer on it.
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
            page.goto(f"{site}/corporate/phone/transfers")
            card = page.locator(".approval").first
            assert card.locator(".amount").inner_text() == "54,321円"   # shown on the phone
            card.locator(".approve").click()
            page.wait_for_selector(".approval[data-done=approved]")
            ctx.close()
    status = db.run(lambda s: s.get(Instruction, tid).status.value)
    credited = db.run(lambda s: s.get(Account, payee_id).balance)
    clock.set_now(None)
    db.dispose()
    assert not problems, problems
    assert (status, credited) == ("executed", 54_321)
