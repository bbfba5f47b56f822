"""The confirmation screen and drafts over HTTP (issue 10 findings 7, 8, 12; INS-1, AUTH-1).

- Showing the confirmation screen again asks the same card cells until they are answered or
  expire (a reload must not let someone redraw cells until they are ones they know).
- A customer discards an unconfirmed instruction (page and API); drafts past their deadline
  are voided when the list is read; funds and limits are checked before the confirmation.
- Confirming redirects to the result (POST → 303 → GET): reloading shows the result again.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from kinko import clock
from kinko.auth import cards
from kinko.auth import repository as auth_repo
from kinko.config import Settings
from kinko.db import Database
from kinko.instructions.models import Instruction, InstructionStatus
from kinko.ledger.models import Account
from kinko.web import demo_users as du
from kinko.web.app import create_app
from kinko.web.auth import SESSION_COOKIE
from tests.e2e.support import T0, build_demo
from tests.web.conftest import Customer

HTML = {"Accept": "text/html"}


def _csrf(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page)
    assert match, "no CSRF field on the page"
    return match.group(1)


@pytest.fixture
def browser(customer: Customer) -> Customer:
    del customer.client.headers["Authorization"]
    customer.client.headers.update(HTML)
    customer.client.cookies.set(SESSION_COOKIE, customer.token)
    return customer


def _enter(client: TestClient, from_account: int, payee: tuple[str, str], amount: str,
           **extra: str) -> tuple[int | None, str]:
    """Submit the transfer form; the instruction id of the confirmation page (or None) and
    the page reached."""
    form = client.get("/banking/transfer").text
    key = re.search(r'name="key" value="([0-9a-f]+)"', form)
    assert key
    response = client.post("/banking/transfer", data={
        "csrf_token": _csrf(form), "key": key.group(1), "from_account_id": str(from_account),
        "bank_code": "0999", "branch_code": payee[0], "account_type": "ordinary",
        "number": payee[1], "amount": amount, **extra})
    found = re.search(r"/banking/transfer/(\d+)/confirm", str(response.url))
    return (int(found.group(1)) if found else None), response.text


def _statuses(db: Database) -> dict[int, tuple[InstructionStatus, str | None]]:
    with db.transaction() as s:
        return {i.id: (i.status, i.reason_code)
                for i in s.query(Instruction).all()}


# --- finding 7: the same card cells until answered or expired --------------------------------

@dataclass
class CardCustomer:
    client: TestClient
    grid: list[list[str]]
    account_id: int
    payee: tuple[str, str]

    def answer(self, cell: str) -> str:
        return self.grid[int(cell[1:]) - 1][ord(cell[0]) - ord("A")]


@pytest.fixture
def card_customer(db: Database) -> Iterator[CardCustomer]:
    clock.set_now(T0)
    demo = build_demo(db)
    yamada = demo.user(du.YAMADA_MEMBER_NUMBER).user_id
    with db.transaction() as s:
        card = auth_repo.active_card(s, yamada)
        assert card is not None
        grid = cards._grid(card)
        sato = s.get(Account, demo.ids["sato_ordinary"])
        assert sato is not None
        payee = (sato.branch_code, sato.number)
    with TestClient(create_app(db, Settings()), headers=HTML) as client:
        logged_in = client.post("/api/v1/auth/login/retail-001", json={
            "member_number": du.YAMADA_MEMBER_NUMBER, "password": du.YAMADA_PASSWORD},
            headers={"Accept": "application/json"})
        assert logged_in.status_code == 200, logged_in.text
        client.cookies.set(SESSION_COOKIE, logged_in.json()["session_token"])
        yield CardCustomer(client, grid, demo.ids["yamada_ordinary"], payee)


def _cells(page: str) -> tuple[str, str]:
    challenge = re.search(r'name="card_challenge_id" value="([^"]+)"', page)
    cells = re.search(r'name="card_cells" value="([^"]+)"', page)
    assert challenge and cells, page
    return challenge.group(1), cells.group(1)


@pytest.mark.req("AUTH-1")
def test_reloading_the_confirmation_asks_the_same_card_cells(card_customer: CardCustomer
                                                             ) -> None:
    c = card_customer
    instruction_id, page = _enter(c.client, c.account_id, c.payee, "1000")
    assert instruction_id is not None, page
    url = f"/banking/transfer/{instruction_id}/confirm"
    first = _cells(page)
    for _ in range(3):
        assert _cells(c.client.get(url).text) == first
    # A wrong answer uses the cells up: the next screen asks new ones, asked again on reload.
    wrong = c.client.post(url, data={"csrf_token": _csrf(page), "card_challenge_id": first[0],
                                     "card_cells": first[1], "card_answer_1": "0000",
                                     "card_answer_2": "0000"})
    assert 'role="alert"' in wrong.text
    second = _cells(wrong.text)
    assert second[0] != first[0] and _cells(c.client.get(url).text) == second
    # Once they expire, new cells are drawn.
    clock.set_now(T0 + timedelta(minutes=6))
    assert _cells(c.client.get(url).text)[0] != second[0]


@pytest.mark.req("AUTH-1")
def test_card_journey_confirms_and_a_reload_shows_the_result(card_customer: CardCustomer
                                                             ) -> None:
    c = card_customer
    instruction_id, page = _enter(c.client, c.account_id, c.payee, "2000")
    assert instruction_id is not None
    challenge, cells = _cells(page)
    a, b = cells.split(",")
    url = f"/banking/transfer/{instruction_id}/confirm"
    done = c.client.post(url, follow_redirects=False, data={
        "csrf_token": _csrf(page), "card_challenge_id": challenge, "card_cells": cells,
        "card_answer_1": c.answer(a), "card_answer_2": c.answer(b)})
    assert done.status_code == 303  # POST → redirect → GET: a reload sends nothing again
    assert done.headers["location"] == f"/banking/instructions/{instruction_id}"
    c.client.cookies.set(SESSION_COOKIE, done.cookies[SESSION_COOKIE])
    for _ in range(2):  # the result, and a reload of it
        result = c.client.get(done.headers["location"])
        assert result.status_code == 200 and "実行しました" in result.text
    # Back to the confirmation screen of a finished transfer: its result, not an error.
    back = c.client.get(url)
    assert back.status_code == 200 and str(back.url).endswith(done.headers["location"])


# --- finding 8: drafts ----------------------------------------------------------------------

@pytest.mark.req("INS-1")
def test_a_draft_is_discarded_from_the_confirmation_page(browser: Customer, db: Database
                                                         ) -> None:
    instruction_id, page = _enter(browser.client, browser.account_id, browser.payee, "1000")
    assert instruction_id is not None
    listed = browser.client.post(f"/banking/instructions/{instruction_id}/discard",
                                 data={"csrf_token": _csrf(page)})
    assert listed.status_code == 200 and "お客さまが破棄しました" in listed.text
    assert _statuses(db)[instruction_id] == (InstructionStatus.VOID, "DISCARDED")
    # Discarded, it cannot be confirmed any more: the confirmation page shows the result.
    again = browser.client.get(f"/banking/transfer/{instruction_id}/confirm")
    assert "無効" in again.text and 'name="otp_code"' not in again.text


@pytest.mark.req("INS-1")
def test_the_api_discards_a_draft_but_not_a_confirmed_instruction(customer: Customer,
                                                                  db: Database) -> None:
    def enter() -> int:
        r = customer.client.post("/api/v1/transfers", headers={"Idempotency-Key": uuid.uuid4().hex},
                                 json={"from_account_id": customer.account_id, "amount": 1000,
                                       "bank_code": "0999", "branch_code": customer.payee[0],
                                       "account_type": "ordinary", "number": customer.payee[1]})
        assert r.status_code == 201, r.text
        return int(r.json()["id"])

    draft, confirmed = enter(), enter()
    gone = customer.client.post(f"/api/v1/instructions/{draft}/discard")
    assert gone.status_code == 200 and gone.json()["status"] == "void"
    assert gone.json()["reason_code"] == "DISCARDED"
    ok = customer.client.post(f"/api/v1/transfers/{confirmed}/confirm",
                              headers={"Idempotency-Key": uuid.uuid4().hex},
                              json={"otp_code": customer.otp(db)})
    assert ok.status_code == 200, ok.text
    customer.client.headers["Authorization"] = f"Bearer {ok.json()['session_token']}"
    refused = customer.client.post(f"/api/v1/instructions/{confirmed}/discard")
    assert refused.status_code == 409 and refused.json()["code"] == "INSTRUCTION_NOT_OPEN"
    assert customer.client.post("/api/v1/instructions/999999/discard").status_code == 404


@pytest.mark.req("INS-1")
def test_stale_drafts_are_voided_when_the_list_is_read(browser: Customer, db: Database
                                                       ) -> None:
    instruction_id, _ = _enter(browser.client, browser.account_id, browser.payee, "1000")
    assert instruction_id is not None
    assert "未確定" in browser.client.get("/banking/instructions").text
    clock.set_now(clock.now() + timedelta(minutes=11))   # past the 10-minute deadline
    page = browser.client.get("/banking/instructions").text
    assert "未確定" not in page and "確認期限を過ぎました" in page
    assert _statuses(db)[instruction_id] == (InstructionStatus.VOID, "DEADLINE_PASSED")
    listed = browser.client.get("/api/v1/instructions", headers={"Accept": "application/json"})
    assert [i["status"] for i in listed.json()["instructions"]] == ["void"]


@pytest.mark.req("INS-1")
def test_short_funds_are_told_before_the_confirmation_screen(browser: Customer, db: Database
                                                            ) -> None:
    """Same day, more than the withdrawable amount: the form says so, and no draft is left."""
    instruction_id, page = _enter(browser.client, browser.account_id, browser.payee, "100001")
    assert instruction_id is None
    assert "お引出し可能額が不足しています" in page and 'name="amount"' in page
    assert _statuses(db) == {}
    # A future-dated one may be funded by its value date: it goes to the confirmation.
    later, _ = _enter(browser.client, browser.account_id, browser.payee, "100001",
                      value_date="2026-11-24")
    assert later is not None


@pytest.mark.req("XFER-6")
def test_the_days_limit_left_is_told_before_the_confirmation_screen(browser: Customer,
                                                                    db: Database) -> None:
    from kinko.transfers import repository as transfer_repo

    daily = browser.client.get("/api/v1/limits", headers={"Accept": "application/json"}
                               ).json()["daily"]
    with db.transaction() as s:  # most of today's limit already used
        transfer_repo.take(s, f"user:{browser.user_id}", clock.today(), daily - 1000, daily)
    instruction_id, page = _enter(browser.client, browser.account_id, browser.payee, "5000")
    assert instruction_id is None and "限度額" in page, page
    assert _statuses(db) == {}


@pytest.mark.req("CRED-6")
def test_the_loss_report_offers_only_what_the_customer_holds(card_customer: CardCustomer,
                                                            browser: Customer) -> None:
    """retail-001 holds a card (no token); retail-003 a token (no card)."""
    def offered(client: TestClient) -> set[str]:
        page = client.get("/security/report").text
        return set(re.findall(r'name="credential" value="(\w+)"', page))

    assert offered(card_customer.client) == {"password", "card", "other"}
    assert offered(browser.client) == {"password", "token", "other"}
    page = browser.client.get("/security/report").text
    refused = browser.client.post("/security/report", data={
        "csrf_token": _csrf(page), "credential": "card", "understood": "yes"})
    assert refused.status_code == 422


def test_the_transfer_notice_names_the_account_type_in_words(browser: Customer,
                                                             db: Database) -> None:
    """Finding 4: the e-mail said "ordinary"; it says 普通, as the customer reads it."""
    from kinko.outbox.models import OutboxMessage

    instruction_id, page = _enter(browser.client, browser.account_id, browser.payee, "1000")
    assert instruction_id is not None
    browser.client.post(f"/banking/transfer/{instruction_id}/confirm",
                        data={"csrf_token": _csrf(page), "otp_code": browser.otp(db)})
    with db.transaction() as s:
        payloads = [m.payload for m in s.query(OutboxMessage).all() if "payee" in m.payload]
    assert payloads
    for payload in payloads:
        assert "ordinary" not in payload and "普通" in payload


@pytest.mark.req("XFER-2")
@pytest.mark.req("AUTH-3")
def test_the_api_registers_a_payee_only_with_step_up(customer: Customer, db: Database) -> None:
    payee = {"bank_code": "0999", "branch_code": customer.payee[0],
             "account_type": "ordinary", "number": customer.payee[1], "nickname": "佐藤さん"}
    shown = customer.client.post("/api/v1/payees/registration", json=payee)
    assert shown.status_code == 200 and shown.json()["holder_kana"] == "ｻﾄｳ ﾊﾅｺ"
    assert shown.json()["step_up"]["factors"] == ["otp"]
    refused = customer.client.post("/api/v1/payees", json=payee)
    assert refused.status_code in (401, 403), refused.text
    wrong = customer.client.post("/api/v1/payees", json={**payee, "otp_code": "000000"})
    assert wrong.status_code == 401
    assert customer.client.get("/api/v1/payees").json()["payees"] == []
    done = customer.client.post("/api/v1/payees", json={**payee, "otp_code": customer.otp(db)})
    assert done.status_code == 201, done.text
    customer.client.headers["Authorization"] = f"Bearer {done.json()['session_token']}"
    [listed] = customer.client.get("/api/v1/payees").json()["payees"]
    assert listed["nickname"] == "佐藤さん"
    # The step-up was for that payee: another one needs its own.
    other = customer.client.post("/api/v1/payees", json={**payee, "nickname": "別名"})
    assert other.status_code in (401, 403)


@pytest.mark.req("INS-1")
def test_the_batch_voids_drafts_nobody_reads(customer: Customer, db: Database) -> None:
    from kinko.batch.service import run_due

    r = customer.client.post("/api/v1/transfers", headers={"Idempotency-Key": uuid.uuid4().hex},
                             json={"from_account_id": customer.account_id, "amount": 1000,
                                   "bank_code": "0999", "branch_code": customer.payee[0],
                                   "account_type": "ordinary", "number": customer.payee[1]})
    assert r.status_code == 201
    assert run_due(db).voided == 0                       # still within its deadline
    report = run_due(db, at=clock.now() + timedelta(minutes=11))
    assert report.voided == 1
    assert _statuses(db)[int(r.json()["id"])] == (InstructionStatus.VOID, "DEADLINE_PASSED")
