"""Onboarding in a real browser (AUTH-7, PRD-1, CRED-5): an operator registers a customer,
opens an account, enrols them in retail-003 and prints the letter; the PDF, read back, shows
the user ID and the initial password; the customer signs in with them and is made to change
both before anything else."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from kinko import clock
from kinko.auth import repository as auth_repo
from kinko.auth.models import AuthUser
from kinko.auth.otp import code_at
from kinko.onboarding.models import Shipment, ShipmentKind, ShipmentState
from kinko.parties.models import Customer
from tests.e2e.conftest import Site
from tests.onboarding.conftest import operator_login
from tests.onboarding.helpers import pdf_text


@pytest.mark.req("AUTH-7")
@pytest.mark.req("PRD-1")
@pytest.mark.req("UI-1")
def test_operator_onboards_retail_003_prints_the_letter_and_the_customer_changes_both(
        browser: Any, site: Site, tmp_path: Path) -> None:
    context = browser.new_context(locale="ja-JP", accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    operator_login(page, "T001", base_url=site.url, db=site.db)
    page.goto(f"{site.url}/operator/customers")
    form = page.locator("#register-customer")
    form.locator("select[name=kind]").select_option("individual")
    form.locator("input[name=name]").fill("高橋 美咲")
    form.locator("input[name=name_kana]").fill("タカハシ ミサキ")
    form.locator("input[name=branch_code]").fill("001")
    form.locator("input[name=postal_code]").fill("160-0022")
    form.locator("input[name=address]").fill("東京都新宿区新宿3-1-1")
    form.locator("input[name=phone]").fill("090-2222-3333")
    form.locator("input[name=birth_date]").fill("1992-03-04")
    form.locator("button[type=submit]").click()
    page.wait_for_selector("#customer-name")
    assert "高橋 美咲" in page.inner_text("#customer-name")
    page.click("#open-account button[type=submit]")
    page.wait_for_selector("#operator-done")
    page.click("#enrol-003 button[type=submit]")
    page.wait_for_selector("#operator-done >> text=enrolled-retail-003")

    def letter_row() -> Shipment:
        with site.db.transaction() as s:
            customer = s.execute(select(Customer).where(
                Customer.name == "高橋 美咲")).scalar_one()
            return s.execute(select(Shipment).where(
                Shipment.customer_id == customer.id,
                Shipment.kind == ShipmentKind.INITIAL_CREDENTIALS)).scalar_one()

    letter = letter_row()
    page.click("nav.tabs >> text=郵送（印刷キュー）")
    page.wait_for_selector(f"#shipment-{letter.id}")
    with page.expect_download() as downloaded:
        page.click(f"#shipment-{letter.id} button.print")
    saved = tmp_path / "letter.pdf"
    downloaded.value.save_as(saved)
    text = pdf_text(saved.read_bytes())
    assert letter.reference in text                      # the user ID
    password = re.search(r"Initial password\s*(\S+)", text)
    assert password, text
    page.goto(f"{site.url}/operator/mail")
    page.click(f"#shipment-{letter.id} button.sent")
    page.wait_for_selector("#operator-done")
    assert letter_row().state is ShipmentState.SENT
    context.close()

    # The customer, with the letter and the token from the post.
    with site.db.transaction() as s:
        user = s.get(AuthUser, letter.user_id)
        assert user is not None
        token = auth_repo.active_token(s, user.id)
        assert token is not None
        otp = code_at(token, clock.now())
    customer = browser.new_context(locale="ja-JP")
    phone = customer.new_page()
    phone.set_default_timeout(15_000)
    phone.goto(f"{site.url}/login")
    phone.click("#product-retail-003")
    phone.wait_for_selector("#login-form")
    phone.fill("input[name=login_id]", letter.reference)
    phone.fill("input[name=password]", password.group(1))
    phone.fill("input[name=otp_code]", otp)
    code = site.codes.by_challenge[phone.input_value("input[name=challenge_id]")]
    phone.fill("input[name=confirmation_code]", code)
    phone.click("#login-form button[type=submit]")
    phone.wait_for_url(f"{site.url}/login/change")
    # Both issued credentials must change: the form asks for a new ID and a new password.
    assert phone.locator("input[name=new_login_id]").is_visible()
    assert phone.locator("input[name=new_password]").is_visible()
    phone.goto(f"{site.url}/banking")                    # nothing else opens meanwhile
    assert phone.locator(".account").count() == 0
    phone.goto(f"{site.url}/login/change")
    phone.fill("input[name=new_login_id]", "misaki2026")
    phone.fill("input[name=current_password]", password.group(1))
    phone.fill("input[name=new_password]", "Misaki7Pass")
    phone.fill("input[name=new_password_again]", "Misaki7Pass")
    phone.click("#change-form button[type=submit]")
    phone.wait_for_url(f"{site.url}/banking")
    with site.db.transaction() as s:
        changed = s.get(AuthUser, letter.user_id)
        assert changed is not None
        assert changed.login_id == "misaki2026"
        assert not changed.must_change_password and not changed.must_change_login_id
    customer.close()
    assert not site.problems, site.problems
