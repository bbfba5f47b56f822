"""The customer and operator journeys in a real browser (UI-1): one full login per product —
including the one-time password, the confirmation code and the forced first change — on a
desktop and on a phone, then a retail transfer with step-up, and the operators' four eyes."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from kinko.auth.policy import overridden
from kinko.web import demo_users as du
from tests.e2e.conftest import Site
from tests.e2e.support import operator_totp, sato_code


def login_page(page: Any, site: Site, product: str = "retail-001") -> None:
    page.goto(f"{site.url}/login")
    if product != "retail-001":
        page.click(f"#product-{product}")     # the product switch is plain links
    page.wait_for_selector("#login-form")


def no_problems(site: Site) -> None:
    assert not site.problems, site.problems     # CSP violations and script errors


def card_answer(grid_text: str, cell: str) -> str:
    """The digits of ``cell`` (e.g. B3 = column B, row 3) on the printed demo card."""
    rows = {int(r.split(":")[0]): r.split(":")[1].split() for r in grid_text.split(" / ")}
    return rows[int(cell[1:])][ord(cell[0]) - ord("A")]


@pytest.mark.req("UI-1")
@pytest.mark.req("AUTH-3")
@pytest.mark.req("AUTH-13")
@pytest.mark.req("INS-1")
@pytest.mark.req("XFER-2")
def test_retail_001_login_then_payee_transfer_with_step_up_and_statement(
        page: Any, site: Site) -> None:
    yamada = site.demo.user(du.YAMADA_MEMBER_NUMBER)
    login_page(page, site)
    page.fill("input[name=login_id]", du.YAMADA_MEMBER_NUMBER)
    page.fill("input[name=password]", du.YAMADA_PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(f"{site.url}/banking")
    assert "前回ログイン" in page.inner_text("#last-login")
    assert page.locator(".account").count() >= 1

    page.click("nav.tabs >> text=振込先")
    page.fill("input[name=branch_code]", "002")
    page.fill("input[name=number]", "2345678")
    page.fill("input[name=nickname]", "佐藤さん")
    page.click("form[action='/banking/payees'] button[type=submit]")
    page.wait_for_selector(".payee-name")                    # the holder's name, then step-up
    assert "ｻﾄｳ ﾊﾅｺ" in page.inner_text(".payee-name")
    cells = page.input_value("input[name=card_cells]").split(",")
    for i, cell in enumerate(cells, start=1):
        page.fill(f"input[name=card_answer_{i}]", card_answer(yamada.extra["card_grid"], cell))
    page.click("form[action='/banking/payees/confirm'] button[type=submit]")
    page.wait_for_selector("table.payees >> text=佐藤さん")
    site.tick(1)

    page.click("nav.tabs >> text=振込・振替")
    payee = page.locator("select[name=payee_id] option", has_text="佐藤さん")
    page.select_option("select[name=payee_id]", value=payee.get_attribute("value"))
    page.fill("input[name=amount]", "12000")
    page.click("form[action='/banking/transfer'] button[type=submit]")
    page.wait_for_selector(".payee-name")
    assert "ｻﾄｳ ﾊﾅｺ" in page.inner_text(".payee-name")       # shown before confirming
    assert "12,000円" in page.inner_text(".amount")
    cells = page.input_value("input[name=card_cells]").split(",")
    for i, cell in enumerate(cells, start=1):
        page.fill(f"input[name=card_answer_{i}]", card_answer(yamada.extra["card_grid"], cell))
    page.click("form[action*='/confirm'] button[type=submit]")
    page.wait_for_selector("h1.done")
    assert "実行しました" in page.inner_text("h1.done")

    page.click("nav.tabs >> text=残高")
    page.click(f"#account-{site.demo.ids['yamada_ordinary']} h2 a")
    page.wait_for_selector("table")
    latest = page.locator("table tbody tr").first
    assert "ｻﾄｳ ﾊﾅｺ" in latest.inner_text()
    assert latest.locator("td.debit").inner_text() == "12,000円"   # the amount, and apart
    assert latest.locator("td.fee").inner_text() == "110円"        # the fee

    page.click("nav.tabs button:has-text('ログアウト')")
    page.wait_for_url(re.compile(r"/login\?notice=logged_out"))
    no_problems(site)


@pytest.mark.req("UI-1")
@pytest.mark.req("AUTH-7")
@pytest.mark.req("AUTH-1")
def test_retail_003_first_login_with_otp_and_forced_change_on_a_phone(
        phone: Any, site: Site) -> None:
    login_page(phone, site, "retail-003")
    image = phone.locator("#confirmation-code-image")
    assert image.evaluate("img => img.complete && img.naturalWidth > 100")
    phone.fill("input[name=login_id]", du.SATO_USER_ID)
    phone.fill("input[name=password]", du.SATO_PASSWORD)
    phone.fill("input[name=otp_code]", sato_code())
    code = site.codes.by_challenge[phone.input_value("input[name=challenge_id]")]
    phone.fill("input[name=confirmation_code]", code)
    phone.click("#login-form button[type=submit]")
    phone.wait_for_url(f"{site.url}/login/change")
    phone.fill("input[name=new_login_id]", "hanako01")
    phone.fill("input[name=current_password]", du.SATO_PASSWORD)
    phone.fill("input[name=new_password]", "Sakura8Hana")
    phone.fill("input[name=new_password_again]", "Sakura8Hana")
    phone.click("#change-form button[type=submit]")
    phone.wait_for_url(f"{site.url}/banking")
    assert phone.locator(f"#account-{site.demo.ids['sato_ordinary']}").is_visible()
    # Phone-friendly: nothing is wider than the screen.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    # The statement keeps every column on a phone: each row is a card of labelled cells.
    phone.click(f"#account-{site.demo.ids['sato_ordinary']} h2 a")
    phone.wait_for_selector("table.stack tbody tr")
    salary = phone.locator("table.stack tbody tr", has_text="ｷﾕｳﾖ").first
    description = salary.locator("td[data-label='摘要']")
    assert description.is_visible() and "ｷﾕｳﾖ" in description.inner_text()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    no_problems(site)


@pytest.mark.req("UI-1")
@pytest.mark.req("AUTH-1")
def test_corporate_login_with_the_secret_phrase(page: Any, site: Site) -> None:
    login_page(page, site, "corporate-002")
    page.fill("input[name=login_id]", du.SHOJI_LOGIN_ID)
    page.fill("input[name=password]", du.SHOJI_PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(f"{site.url}/login/second-step")
    page.fill("input[name=secret_phrase]", du.SHOJI_PHRASE)
    page.click("#second-step-form button[type=submit]")
    # A business net user lands on its own portal, not the retail menu.
    page.wait_for_url(f"{site.url}/corporate")
    assert page.locator("#me").is_visible()
    page.goto(f"{site.url}/security/sessions?lang=en")
    assert "(this device)" in page.inner_text("#sessions")
    no_problems(site)


@pytest.mark.req("UI-1")
@pytest.mark.req("OPS-1")
@pytest.mark.req("AUTH-6")
def test_operators_release_a_locked_user_with_four_eyes(browser: Any, site: Site) -> None:
    # The per-ID throttle would hold the 5th attempt for a window; this test is about release.
    with overridden(throttle_failures_per_id=100), httpx.Client(base_url=site.url) as http:
        for _ in range(5):
            http.post("/api/v1/auth/login/corporate",
                      json={"login_id": du.KEIRI_LOGIN_ID, "password": "Wrong1Pass"})
        locked = http.post("/api/v1/auth/login/corporate", json={
            "login_id": du.KEIRI_LOGIN_ID, "password": du.KEIRI_TEMPORARY_PASSWORD})
    assert locked.json()["code"] == "AUTH_LOCKED_OUT"
    keiri = site.demo.user(du.KEIRI_LOGIN_ID).user_id

    teller = browser.new_context(locale="ja-JP").new_page()
    operator_login(teller, site, "T001")
    row = teller.locator(f"#user-{keiri}")
    row.locator("input[name=reason]").fill("電話で本人確認済み")
    row.locator("button[type=submit]").click()
    teller.wait_for_selector("#operator-done")
    pending = teller.locator("#pending-requests tbody tr").first
    assert pending.locator("button:has-text('取下げ')").is_visible()   # not approvable by me

    security = browser.new_context(locale="ja-JP").new_page()
    operator_login(security, site, "S001")
    security.locator("#pending-requests tbody tr").first.locator(
        "button:has-text('承認')").click()
    security.wait_for_selector("#operator-done")
    assert security.locator(f"#user-{keiri}").count() == 0
    teller.context.close()
    security.context.close()
    with overridden(throttle_failures_per_id=100), httpx.Client(base_url=site.url) as http:
        again = http.post("/api/v1/auth/login/corporate", json={
            "login_id": du.KEIRI_LOGIN_ID, "password": du.KEIRI_TEMPORARY_PASSWORD})
    assert again.json()["status"] == "change_required"


def operator_login(page: Any, site: Site, code: str) -> None:
    page.goto(f"{site.url}/operator/login")
    page.fill("input[name=code]", code)
    page.fill("input[name=password]", site.demo.user(code).password)
    page.fill("input[name=otp]", operator_totp(code))
    page.click("#operator-login button[type=submit]")
    page.wait_for_url(f"{site.url}/operator")


def test_api_docs_render_offline_and_list_the_operations(page: Any, site: Site) -> None:
    """Swagger UI from the app's own assets: the browser is refused anything from
    another origin (the closed network of a bank), and the viewers still list the operations."""
    outside: list[str] = []
    page.route(re.compile(r"^(?!" + re.escape(site.url) + ").*"),
               lambda route: (outside.append(route.request.url), route.abort()))
    page.goto(f"{site.url}/docs")
    page.wait_for_selector(".opblock-summary-path", timeout=30_000)
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert any("/api/v1/transfers" in p for p in paths), paths
    page.goto(f"{site.url}/redoc")
    assert page.url == f"{site.url}/docs"
    assert not outside, outside
    no_problems(site)
