"""The retail pages over HTTP with the session cookie and CSRF (UI-1, INS-1, AUTH-3, AUTH-13)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from httpx import Response

from kinko.db import Database
from kinko.transfers import repository as transfer_repo
from kinko.web.auth import SESSION_COOKIE, csrf_token
from tests.web.conftest import Customer

HTML = {"Accept": "text/html"}


@pytest.fixture
def browser(customer: Customer) -> Customer:
    del customer.client.headers["Authorization"]
    customer.client.headers.update(HTML)
    customer.client.cookies.set(SESSION_COOKIE, customer.token)
    return customer


def _csrf(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page)
    assert match, "no CSRF field on the page"
    return match.group(1)


def _enter_transfer(browser: Customer, amount: str) -> Response:
    """Fill the transfer form to the fixture's payee and submit it (step 1)."""
    form = browser.client.get("/banking/transfer").text
    key = re.search(r'name="key" value="([0-9a-f]+)"', form)
    assert key
    return browser.client.post("/banking/transfer", data={
        "csrf_token": _csrf(form), "key": key.group(1), "from_account_id": str(browser.account_id),
        "bank_code": "0999", "branch_code": browser.payee[0], "account_type": "ordinary",
        "number": browser.payee[1], "amount": amount})


def test_without_a_session_pages_redirect_to_login(customer: Customer) -> None:
    del customer.client.headers["Authorization"]
    response = customer.client.get("/banking", headers=HTML, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


@pytest.mark.req("AUTH-13")
@pytest.mark.req("INQ-1")
def test_balance_page_shows_balances_and_last_login(browser: Customer) -> None:
    page = browser.client.get("/banking")
    assert page.status_code == 200
    assert "100,000円" in page.text and 'id="last-login"' in page.text
    statement = browser.client.get(f"/banking/accounts/{browser.account_id}")
    assert statement.status_code == 200 and "100,000円" in statement.text


def test_forms_without_the_csrf_token_are_refused(browser: Customer) -> None:
    response = browser.client.post("/banking/transfer", data={"key": "x", "amount": "1000"})
    assert response.status_code == 403
    assert "この操作は" in response.text or "有効期限" in response.text
    assert browser.client.get("/api/v1/instructions",
                              headers={"Accept": "application/json"}
                              ).json()["instructions"] == []


@pytest.mark.req("INS-1")
@pytest.mark.req("AUTH-3")
@pytest.mark.req("XFER-2")
def test_transfer_journey_with_step_up(browser: Customer, db: Database) -> None:
    confirm = _enter_transfer(browser, "１２，０００")  # as a Japanese keyboard types it
    assert confirm.status_code == 200, confirm.text
    assert "ｻﾄｳ ﾊﾅｺ" in confirm.text and "12,000円" in confirm.text  # shown before confirming
    action = re.search(r'action="(/banking/transfer/\d+/confirm)"', confirm.text)
    assert action
    wrong = browser.client.post(action.group(1), data={"csrf_token": _csrf(confirm.text),
                                                       "otp_code": "000000"})
    assert wrong.status_code == 422 and 'role="alert"' in wrong.text
    done = browser.client.post(action.group(1), data={"csrf_token": _csrf(wrong.text),
                                                      "otp_code": browser.otp(db)})
    assert done.status_code == 200, done.text
    assert "実行しました" in done.text
    new_token = done.history[0].cookies.get(SESSION_COOKIE)
    assert new_token and new_token != browser.token  # rotated at step-up
    assert _csrf(done.text) == csrf_token(new_token)
    browser.client.cookies.set(SESSION_COOKIE, new_token)
    assert "88,000円" in browser.client.get("/banking").text
    assert "実行済" in browser.client.get("/banking/instructions").text


def test_bad_transfer_form_shows_the_message_next_to_the_form(browser: Customer) -> None:
    form = browser.client.get("/banking/transfer").text
    response = browser.client.post("/banking/transfer", data={
        "csrf_token": _csrf(form), "key": "k-bad", "from_account_id": str(browser.account_id),
        "bank_code": "0999", "branch_code": browser.payee[0], "number": browser.payee[1],
        "amount": "-5"})
    assert response.status_code == 422 and 'role="alert"' in response.text
    assert "金額" in response.text


@pytest.mark.req("XFER-2")
def test_register_payee_page(browser: Customer, db: Database) -> None:
    """Looked up, shown with the bank, branch and holder names, then registered with the
    product's step-up (a settings change, AUTH-3)."""
    page = browser.client.get("/banking/payees").text
    confirm = browser.client.post("/banking/payees", data={
        "csrf_token": _csrf(page), "bank_code": "0999", "branch_code": browser.payee[0],
        "account_type": "ordinary", "number": browser.payee[1], "nickname": "佐藤さん"})
    assert confirm.status_code == 200 and "/banking/payees/confirm" in str(confirm.url)
    assert "ｻﾄｳ ﾊﾅｺ" in confirm.text and 'name="otp_code"' in confirm.text
    with db.transaction() as s:
        assert transfer_repo.payees(s, _contract(s, browser)) == []  # nothing yet
    form = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', confirm.text))
    wrong = browser.client.post("/banking/payees/confirm", data={**form, "otp_code": "000000"})
    assert wrong.status_code == 422 and 'role="alert"' in wrong.text
    done = browser.client.post("/banking/payees/confirm",
                               data={**form, "csrf_token": _csrf(wrong.text),
                                     "otp_code": browser.otp(db)})
    assert done.status_code == 200 and "登録しました" in done.text
    assert "佐藤さん" in done.text and "ｻﾄｳ ﾊﾅｺ" in done.text
    assert "本店" in done.text or "支店" in done.text  # the branch's name, not only its code
    bad = browser.client.post("/banking/payees", data={
        "csrf_token": _csrf(done.text), "bank_code": "0999", "branch_code": "001",
        "account_type": "ordinary", "number": "9999999"})
    assert bad.status_code == 422 and "口座が確認できません" in bad.text


def _contract(s: Any, browser: Customer) -> int:
    from kinko.auth.models import AuthUser

    user = s.get(AuthUser, browser.user_id)
    assert user is not None
    return int(user.contract_id)


def test_page_messages_carry_no_internal_detail(browser: Customer, db: Database) -> None:
    """A refused transfer tells the customer why, without the internal account id the API's
    problem detail carries."""
    confirm = _enter_transfer(browser, "100001")  # one yen over the balance
    action = re.search(r'action="(/banking/transfer/\d+/confirm)"', confirm.text)
    if action is None:  # refused at entry already: the same rule applies to that message
        refused = confirm
    else:
        refused = browser.client.post(action.group(1), data={
            "csrf_token": _csrf(confirm.text), "otp_code": browser.otp(db)})
    assert refused.status_code in (409, 422), refused.text
    alert = re.search(r'role="alert"[^>]*>(.*?)<', refused.text, re.S)
    assert alert and "不足" in alert.group(1), refused.text
    assert not re.search(r"\(account \d+\)|account_id|\bid=\d", alert.group(1))
