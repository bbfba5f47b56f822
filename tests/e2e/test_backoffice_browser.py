"""The back office in a real browser (OPS-1, POL-1): operators sign in with password + TOTP,
a policy administrator proposes a dated change, a second operator approves it, and it takes
effect on its date. A module of its own: the approved change must not reach other tests'
demo bank."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from kinko import clock
from kinko.web import demo_users as du
from tests.e2e.conftest import Site
from tests.e2e.support import operator_totp


def sign_in(page: Any, site: Site, code: str) -> None:
    page.goto(f"{site.url}/operator/login")
    page.fill("input[name=code]", code)
    page.fill("input[name=password]", du.OPERATOR_PASSWORD)
    page.fill("input[name=otp]", operator_totp(code))
    page.click("#operator-login button[type=submit]")
    page.wait_for_url(f"{site.url}/operator")


@pytest.mark.req("UI-1")
@pytest.mark.req("OPS-1")
@pytest.mark.req("POL-1")
def test_a_second_operator_approves_a_policy_change_that_applies_from_its_date(
        browser: Any, site: Site) -> None:
    admin = browser.new_context(locale="ja-JP").new_page()
    # Two factors: the right password with a wrong code does not sign in.
    admin.goto(f"{site.url}/operator/login")
    admin.fill("input[name=code]", "P001")
    admin.fill("input[name=password]", du.OPERATOR_PASSWORD)
    admin.fill("input[name=otp]", "000000" if operator_totp("P001") != "000000" else "111111")
    admin.click("#operator-login button[type=submit]")
    admin.wait_for_selector("p.error")
    sign_in(admin, site, "P001")
    assert admin.locator("#queue-counts li").count() >= 7

    effective = (site.now + timedelta(days=3)).replace(hour=0, minute=0)
    admin.goto(f"{site.url}/operator/policy")
    assert "recall_fee = 880" in admin.inner_text("#policy-in-force")
    admin.fill("input[name=effective_from]", effective.strftime("%Y-%m-%dT%H:%M"))
    admin.fill("textarea[name=overrides]", "[transfers]\nrecall_fee = 990\n")
    admin.fill("textarea[name=notice_ja]", "組戻手数料を990円に改定します。")
    admin.fill("textarea[name=notice_en]", "The recall fee becomes 990 yen.")
    admin.fill("input[name=reason]", "料金改定の決裁済み")
    admin.click("#propose-policy button[type=submit]")
    admin.wait_for_selector("#operator-done")
    row = admin.locator("#pending-policy tbody tr").first
    assert "transfers.recall_fee" in row.inner_text() and "990" in row.inner_text()
    assert row.locator("button:has-text('承認')").count() == 0    # the maker cannot approve

    supervisor = browser.new_context(locale="ja-JP").new_page()
    sign_in(supervisor, site, "V001")
    supervisor.goto(f"{site.url}/operator/policy")
    supervisor.locator("#pending-policy tbody tr").first.locator(
        "button:has-text('承認')").click()
    supervisor.wait_for_selector("#operator-executed")
    supervisor.goto(f"{site.url}/operator/policy")
    assert "990" in supervisor.inner_text("#scheduled-policy")
    assert "recall_fee = 880" in supervisor.inner_text("#policy-in-force")   # not yet

    # The day comes: the change is in force, with nothing restarted.
    site.now = effective + timedelta(hours=9)
    clock.set_now(site.now)
    sign_in(supervisor, site, "V001")          # the old session ended while idle
    supervisor.goto(f"{site.url}/operator/policy")
    assert "recall_fee = 990" in supervisor.inner_text("#policy-in-force")
    admin.context.close()
    supervisor.context.close()
