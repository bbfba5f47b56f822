"""Claims in a real browser (UI-1, OPS-1): the customer reports on the page, two CLAIMS
operators decide and pay on the case view, with the evidence and the trail side by side."""

from __future__ import annotations

from typing import Any

import pytest

from kinko.auth import sessions
from kinko.auth.models import AuthUser
from kinko.auth.policy import rules_for
from kinko.web.auth import SESSION_COOKIE
from tests.claims.bank import Bank, make_bank, transfer
from tests.claims.conftest import sign_in_operator
from tests.e2e.conftest import (  # noqa: F401 - the browser fixtures
    Site,
    _site_clock,
    _watched,
    browser,
    site,
)


def _customer(demo_site: Site) -> tuple[Bank, int]:
    db = demo_site.db
    bank = make_bank(db)   # its own customer, thief account and two CLAIMS operators
    tx = transfer(db, bank, bank.thief, 120_000, "browser-f1")
    return bank, tx


@pytest.mark.req("UI-1")
@pytest.mark.req("OPS-1")
def test_report_decide_and_pay_in_the_browser(browser: Any, site: Site) -> None:  # noqa: F811
    bank, tx = _customer(site)

    def start(s):  # type: ignore[no-untyped-def]
        user = s.get(AuthUser, bank.actor.user_id)
        return sessions.start(s, user, rules_for(user.product))[0]
    token = site.db.run(start)
    customer = browser.new_context(locale="ja-JP")
    customer.add_cookies([{"name": SESSION_COOKIE, "value": token, "url": site.url}])
    page = _watched(customer.new_page(), site)
    page.goto(f"{site.url}/banking/claims/new")
    page.check(f"input[name=transaction_ids][value='{tx}']")
    page.fill("input[name=noticed_on]", site.now.date().isoformat())
    page.fill("input[name=police_report_ref]", "第555号")
    page.click("form.stack button[type=submit]")
    claim_id = page.locator(".claim-id").inner_text()
    assert "ご利用を直ちに停止しました" in page.content()
    customer.close()

    maker = browser.new_context(locale="ja-JP", viewport={"width": 1280, "height": 900})
    sign_in_operator((maker, site.url), site.db, bank.maker)
    m = _watched(maker.new_page(), site)
    m.goto(f"{site.url}/operator/claims")
    m.click(f"#claim-{claim_id} a")
    m.click("#start-investigation")
    evidence, engine = m.locator("#evidence").bounding_box(), m.locator("#engine").bounding_box()
    assert engine["x"] > evidence["x"] + evidence["width"] / 2   # side by side on a desk
    m.fill("#findings textarea[name=note]", "電話で聴取")
    m.click("#record-findings")
    m.fill("input[name=reason]", "全額補てん")
    m.click("#ask-decision")

    checker = browser.new_context(locale="ja-JP")
    sign_in_operator((checker, site.url), site.db, bank.checker)
    c = _watched(checker.new_page(), site)
    c.goto(f"{site.url}/operator/claims/{claim_id}")
    c.click("button:has-text('承認')")
    c.wait_for_selector("#approved-decision")
    m.goto(f"{site.url}/operator/claims/{claim_id}")
    m.fill("input[name=reason]", "支払")
    m.click("#ask-payment")
    c.goto(f"{site.url}/operator/claims/{claim_id}")
    c.click("button:has-text('承認')")
    assert c.locator("#claim-state").inner_text() == "お支払い済"
    assert "120,110" in c.locator("#approved-decision").inner_text()
    assert not site.problems, site.problems
    maker.close()
    checker.close()

