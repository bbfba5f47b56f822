"""Retail service pages over HTTP (issue 10 findings 10, 11; TD-1, PAY-1, XFER-6, UI-1):
each reached from the menu, with its confirmation screen and the product's step-up."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from kinko import clock
from kinko.db import Database
from kinko.instructions.models import Instruction, InstructionStatus
from kinko.payeasy import service as payeasy
from kinko.web.auth import SESSION_COOKIE
from tests.web.conftest import Customer

HTML = {"Accept": "text/html"}


def _csrf(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page)
    assert match, "no CSRF field on the page"
    return match.group(1)


def _key(page: str) -> str:
    match = re.search(r'name="key" value="([0-9a-f]+)"', page)
    assert match
    return match.group(1)


@pytest.fixture
def browser(customer: Customer) -> Customer:
    del customer.client.headers["Authorization"]
    customer.client.headers.update(HTML)
    customer.client.cookies.set(SESSION_COOKIE, customer.token)
    return customer


def _confirm(browser: Customer, db: Database, page: str) -> str:
    """Answer the confirmation screen with the token's code; the result page."""
    action = re.search(r'action="(/banking/(?:payeasy|time-deposits)/\d+/confirm)"', page)
    assert action, page
    done = browser.client.post(action.group(1), data={"csrf_token": _csrf(page),
                                                      "otp_code": browser.otp(db)})
    assert done.status_code == 200, done.text
    browser.client.cookies.set(SESSION_COOKIE, done.history[0].cookies[SESSION_COOKIE])
    return done.text


@pytest.mark.req("TD-1")
def test_open_a_time_deposit_with_interest_and_tax_shown_first(browser: Customer,
                                                               db: Database) -> None:
    form = browser.client.get("/banking/time-deposits")
    assert form.status_code == 200 and 'name="term_months"' in form.text
    confirm = browser.client.post("/banking/time-deposits", data={
        "csrf_token": _csrf(form.text), "key": _key(form.text),
        "from_account_id": str(browser.account_id), "amount": "５０，０００", "term_months": "12"})
    assert confirm.status_code == 200, confirm.text
    assert re.search(r"/banking/time-deposits/\d+/confirm$", str(confirm.url))
    for shown in ("50,000円", "満期日", "税引後の利息", "国税", "地方税", "%"):
        assert shown in confirm.text, shown
    result = _confirm(browser, db, confirm.text)
    assert "実行しました" in result and "税引後の利息" in result   # the result keeps the details
    listed = browser.client.get("/banking/time-deposits").text
    assert "お預け入れ中" in listed and "50,000円" in listed
    # Early cancellation: the interest at the early rate, the tax and the payout first.
    action = re.search(r'action="(/banking/time-deposits/\d+/cancel)"', listed)
    assert action
    clock.set_now(clock.now() + timedelta(minutes=5))
    cancel = browser.client.post(action.group(1), data={"csrf_token": _csrf(listed)})
    assert cancel.status_code == 200
    assert "期限前解約利率" in cancel.text and "お支払額" in cancel.text
    assert "実行しました" in _confirm(browser, db, cancel.text)
    assert "中途解約済" in browser.client.get("/banking/time-deposits").text


@pytest.mark.req("TD-1")
def test_a_time_deposit_above_the_balance_is_refused_on_the_form(browser: Customer,
                                                                db: Database) -> None:
    form = browser.client.get("/banking/time-deposits").text
    refused = browser.client.post("/banking/time-deposits", data={
        "csrf_token": _csrf(form), "key": _key(form), "from_account_id": str(browser.account_id),
        "amount": "200000", "term_months": "12"})
    assert refused.status_code == 422 and "不足" in refused.text
    with db.transaction() as s:
        assert s.query(Instruction).count() == 0


@pytest.mark.req("PAY-1")
def test_pay_easy_lookup_shows_the_bill_then_confirms_with_step_up(browser: Customer,
                                                                   db: Database) -> None:
    with db.transaction() as s:
        payeasy.register_agency(s, code="12345", name="きんこ電力株式会社",
                                name_kana="ｷﾝｺﾃﾞﾝﾘﾖｸ", actor="test")
        payeasy.issue_bill(s, agency_code="12345", customer_number="10000000000000000001",
                           confirmation_number="123456", amount=8_640,
                           due_date=clock.today() + timedelta(days=14),
                           payee_name="きんこ電力株式会社", description="電気料金 11月分")
    form = browser.client.get("/banking/payeasy")
    assert form.status_code == 200
    wrong = browser.client.post("/banking/payeasy", data={
        "csrf_token": _csrf(form.text), "key": _key(form.text),
        "from_account_id": str(browser.account_id), "agency_code": "12345",
        "customer_number": "10000000000000000001", "confirmation_number": "000000"})
    assert wrong.status_code == 422 and 'role="alert"' in wrong.text
    confirm = browser.client.post("/banking/payeasy", data={
        "csrf_token": _csrf(form.text), "key": _key(form.text),
        "from_account_id": str(browser.account_id), "agency_code": "12345",
        "customer_number": "10000000000000000001", "confirmation_number": "123456"})
    assert confirm.status_code == 200, confirm.text
    for shown in ("きんこ電力株式会社", "電気料金 11月分", "8,640円", 'name="otp_code"'):
        assert shown in confirm.text, shown
    assert "実行しました" in _confirm(browser, db, confirm.text)
    with db.transaction() as s:
        [paid] = s.query(Instruction).all()
        assert paid.kind == "payeasy" and paid.status is InstructionStatus.EXECUTED


@pytest.mark.req("XFER-6")
def test_limits_are_lowered_at_once_and_raised_with_step_up(browser: Customer,
                                                            db: Database) -> None:
    page = browser.client.get("/banking/limits")
    assert page.status_code == 200 and "1,000,000円" in page.text
    lowered = browser.client.post("/banking/limits", data={
        "csrf_token": _csrf(page.text), "per_transaction": "１００，０００", "daily": "300000"})
    assert lowered.status_code == 200 and "変更しました" in lowered.text
    assert "100,000円" in lowered.text and 'name="otp_code"' not in lowered.text
    raise_ = browser.client.post("/banking/limits", data={
        "csrf_token": _csrf(lowered.text), "per_transaction": "500000", "daily": "1000000"})
    assert raise_.status_code == 200 and "/banking/limits/confirm" in str(raise_.url)
    assert 'name="otp_code"' in raise_.text and "500,000円" in raise_.text
    # Not raised before the step-up.
    assert "300,000円" in browser.client.get("/banking/limits").text
    done = browser.client.post("/banking/limits/confirm", data={
        "csrf_token": _csrf(raise_.text), "per_transaction": "500000", "daily": "1000000",
        "otp_code": browser.otp(db)})
    assert done.status_code == 200 and "変更しました" in done.text
    assert "500,000円" in done.text
    too_high = browser.client.post("/banking/limits", data={
        "csrf_token": _csrf(done.text), "per_transaction": "5000000", "daily": "5000000"})
    assert too_high.status_code == 422 and 'role="alert"' in too_high.text


@pytest.mark.req("INQ-1")
def test_balances_name_the_account_type_and_explain_an_overdraft_line(browser: Customer,
                                                                      db: Database) -> None:
    from kinko.ledger.models import Account

    page = browser.client.get("/banking").text
    assert "普通預金" in page and "当座貸越" not in page
    with db.transaction() as s:
        account = s.get(Account, browser.account_id)
        assert account is not None
        account.overdraft_limit = 50_000
    page = browser.client.get("/banking").text
    assert "150,000円" in page and "当座貸越" in page and "50,000円" in page
    english = browser.client.get("/banking?lang=en").text
    assert "Ordinary deposit" in english and "overdraft line" in english


@pytest.mark.req("INQ-1")
def test_the_statement_shows_the_amount_and_the_fee_apart(browser: Customer,
                                                         db: Database) -> None:
    from tests import factories

    with db.transaction() as s:  # another branch of this bank: a transfer with a fee
        target_id = factories.account(s, holder="ｽｽﾞｷ ｲﾁﾛｳ", branch_code="002")
        from kinko.ledger.models import Account

        target = s.get(Account, target_id)
        assert target is not None
        payee = (target.branch_code, target.number)
    form = browser.client.get("/banking/transfer").text
    confirm = browser.client.post("/banking/transfer", data={
        "csrf_token": _csrf(form), "key": _key(form), "from_account_id": str(browser.account_id),
        "bank_code": "0999", "branch_code": payee[0], "account_type": "ordinary",
        "number": payee[1], "amount": "10000"})
    fee = re.search(r'class="fee">([\d,]+)円', confirm.text)
    assert fee and fee.group(1) != "0", confirm.text
    action = re.search(r'action="(/banking/transfer/\d+/confirm)"', confirm.text)
    assert action
    done = browser.client.post(action.group(1), data={"csrf_token": _csrf(confirm.text),
                                                      "otp_code": browser.otp(db)})
    assert "実行しました" in done.text
    browser.client.cookies.set(SESSION_COOKIE, done.history[0].cookies[SESSION_COOKIE])
    statement = browser.client.get(f"/banking/accounts/{browser.account_id}").text
    row = re.search(r"<tr>(?:(?!</tr>).)*ﾌﾘｺﾐ ｽｽﾞｷ ｲﾁﾛｳ(?:(?!</tr>).)*</tr>", statement, re.S)
    assert row, statement
    assert re.search(r'class="num debit"[^>]*>10,000円<', row.group(0))
    assert re.search(rf'class="num fee"[^>]*>{fee.group(1)}円<', row.group(0))


@pytest.mark.req("NOTIF-1")
def test_the_email_address_is_changed_with_step_up_and_both_addresses_told(
        browser: Customer, db: Database) -> None:
    from kinko.outbox.models import OutboxMessage

    page = browser.client.get("/banking/email")
    assert page.status_code == 200 and "@example.jp" in page.text
    old = re.search(r'id="email-address">([^<]+)<', page.text)
    assert old
    bad = browser.client.post("/banking/email", data={"csrf_token": _csrf(page.text),
                                                      "address": "not-an-address"})
    assert bad.status_code == 422 and 'role="alert"' in bad.text
    confirm = browser.client.post("/banking/email", data={"csrf_token": _csrf(page.text),
                                                          "address": "new@example.jp"})
    assert confirm.status_code == 200 and 'name="otp_code"' in confirm.text
    assert "new@example.jp" in confirm.text
    assert old.group(1) in browser.client.get("/banking/email").text  # not changed yet
    done = browser.client.post("/banking/email/confirm", data={
        "csrf_token": _csrf(confirm.text), "address": "new@example.jp",
        "otp_code": browser.otp(db)})
    assert done.status_code == 200 and "変更しました" in done.text
    assert 'id="email-address">new@example.jp<' in done.text
    with db.transaction() as s:
        told = {m.payload for m in s.query(OutboxMessage).all() if "settings_changed" in m.payload}
    assert any(old.group(1) in p for p in told) and any("new@example.jp" in p for p in told)


@pytest.mark.req("DEB-1")
def test_a_debit_card_is_registered_with_step_up_listed_masked_and_cancelled(
        browser: Customer, db: Database) -> None:
    number = "4111 1111 1111 1111"
    page = browser.client.get("/banking/debit-cards")
    assert page.status_code == 200 and 'name="card_number"' in page.text
    bad = browser.client.post("/banking/debit-cards", data={
        "csrf_token": _csrf(page.text), "account_id": str(browser.account_id),
        "card_number": "4111 1111 1111 1112"})
    assert bad.status_code == 422 and 'role="alert"' in bad.text
    confirm = browser.client.post("/banking/debit-cards", data={
        "csrf_token": _csrf(page.text), "account_id": str(browser.account_id),
        "card_number": number})
    assert confirm.status_code == 200 and "**** **** **** 1111" in confirm.text
    assert 'name="otp_code"' in confirm.text
    assert "ご登録はありません" in browser.client.get("/banking/debit-cards").text
    done = browser.client.post("/banking/debit-cards/confirm", data={
        "csrf_token": _csrf(confirm.text), "application": _application(confirm.text),
        "otp_code": browser.otp(db)})
    assert done.status_code == 200 and "登録しました" in done.text
    assert "**** **** **** 1111" in done.text and "4111111111111111" not in done.text
    browser.client.cookies.set(SESSION_COOKIE, done.history[0].cookies[SESSION_COOKIE])
    cancel = re.search(r'action="(/banking/debit-cards/\d+/cancel)"', done.text)
    assert cancel
    listed = browser.client.post(cancel.group(1), data={"csrf_token": _csrf(done.text)})
    assert listed.status_code == 200 and "解除済" in listed.text


def _application(page: str) -> str:
    match = re.search(r'name="application" value="([^"]+)"', page)
    assert match, page
    return match.group(1)


@pytest.mark.req("DEB-1")
def test_reloading_a_debit_card_confirmation_shows_the_result(browser: Customer,
                                                               db: Database) -> None:
    """The confirmation screen is reached by a redirect (POST → 303 → GET), as a transfer's
    is: reloading it, or coming Back to it once the card is registered, shows the result and
    registers nothing again. The card number is sealed in the URL, never in clear."""
    page = browser.client.get("/banking/debit-cards")
    entered = browser.client.post("/banking/debit-cards", follow_redirects=False, data={
        "csrf_token": _csrf(page.text), "account_id": str(browser.account_id),
        "card_number": "4111 1111 1111 1111"})
    assert entered.status_code == 303, entered.text
    url = entered.headers["location"]
    assert url.startswith("/banking/debit-cards/confirm?application=")
    assert "4111" not in url and "1111" not in url
    shown = [browser.client.get(url) for _ in range(2)]  # the screen, and a reload of it
    assert all(r.status_code == 200 and "**** **** **** 1111" in r.text for r in shown)
    assert _application(shown[0].text) == _application(shown[1].text)
    done = browser.client.post("/banking/debit-cards/confirm", follow_redirects=False, data={
        "csrf_token": _csrf(shown[1].text), "application": _application(shown[1].text),
        "otp_code": browser.otp(db)})
    assert done.status_code == 303 and done.headers["location"] == (
        "/banking/debit-cards?registered=true")
    browser.client.cookies.set(SESSION_COOKIE, done.cookies[SESSION_COOKIE])
    for _ in range(2):  # the result, and a reload of it
        result = browser.client.get(done.headers["location"])
        assert result.status_code == 200 and "登録しました" in result.text
    back = browser.client.get(url)  # Back to the confirmation screen, once registered
    assert back.status_code == 200 and "登録しました" in back.text
    assert str(back.url).endswith("/banking/debit-cards?registered=true")
    assert 'name="application"' not in back.text
    assert back.text.count("**** **** **** 1111") == 1  # one card, registered once
    # A sealed application that was altered is refused as expired, registering nothing.
    bad = browser.client.get(url[:-4] + ("AAAA" if not url.endswith("AAAA") else "BBBB"))
    assert bad.status_code == 409 and 'role="alert"' in bad.text



@pytest.mark.req("OVS-1")
def test_service_pages_from_abroad_are_refused_like_the_api(browser: Customer,
                                                           db: Database) -> None:
    """The pages' fund movements are the same functions as the API's (by path)."""
    from kinko.web.auth import _function_of

    class Asked:
        def __init__(self, path: str) -> None:
            self.method = "POST"
            self.url = type("U", (), {"path": path})()

    for path, function in (("/banking/payeasy", "payeasy"),
                           ("/banking/payeasy/5/confirm", "payeasy"),
                           ("/banking/time-deposits", "time_deposit"),
                           ("/banking/time-deposits/5/confirm", "time_deposit"),
                           ("/banking/time-deposits/5/cancel", "time_deposit"),
                           ("/banking/debit-cards/confirm", "debit_card"),
                           ("/banking/transfer/5/confirm", "transfer")):
        assert _function_of(Asked(path)) == function, path  # type: ignore[arg-type]
    form = browser.client.get("/banking/time-deposits").text
    refused = browser.client.post("/banking/time-deposits", headers={"X-Client-Country": "US"},
                                  data={"csrf_token": _csrf(form), "key": _key(form),
                                        "from_account_id": str(browser.account_id),
                                        "amount": "10000", "term_months": "12"})
    assert 400 <= refused.status_code < 500
    with db.transaction() as s:
        assert s.query(Instruction).count() == 0


@pytest.mark.req("DEB-1")
def test_a_refused_debit_card_step_up_returns_to_the_same_screen(browser: Customer) -> None:
    page = browser.client.get("/banking/debit-cards")
    shown = browser.client.post("/banking/debit-cards", data={
        "csrf_token": _csrf(page.text), "account_id": str(browser.account_id),
        "card_number": "4111 1111 1111 1111"})
    wrong = browser.client.post("/banking/debit-cards/confirm", data={
        "csrf_token": _csrf(shown.text), "application": _application(shown.text),
        "otp_code": "000000"})
    assert wrong.status_code == 422 and 'role="alert"' in wrong.text
    assert "/banking/debit-cards/confirm?application=" in str(wrong.url)
    assert "**** **** **** 1111" in wrong.text and 'name="otp_code"' in wrong.text
    assert "ご登録はありません" in browser.client.get("/banking/debit-cards").text
