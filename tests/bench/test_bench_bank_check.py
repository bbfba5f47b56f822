"""The checker of `kinko bench bank` catches what it is there to catch.

A few transfers go through the real app in-process (the bench's own client, the bench's own
seeding), the checker finds nothing; then one anomaly at a time is planted in the database (or
in what a client was told) and the checker must name it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, replace

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text, update

from kinko import clock
from kinko.bench.api import bench_moment
from kinko.bench.bank import Client, Tally, prepare
from kinko.bench.bank_check import FAILED, OK, Baseline, CheckReport, TransferRecord, check
from kinko.config import Settings
from kinko.db import Database
from kinko.web.app import create_app


@dataclass
class Run:
    db: Database
    base: Baseline
    transfers: list[TransferRecord]

    def check(self, transfers: list[TransferRecord] | None = None) -> CheckReport:
        return check(self.db, self.base, self.transfers if transfers is None else transfers)

    def acknowledged(self) -> TransferRecord:
        return next(t for t in self.transfers if t.outcome == OK)


def kinds(report: CheckReport) -> set[str]:
    return {a.kind for a in report.anomalies}


@pytest.fixture
def run(db: Database) -> Iterator[Run]:
    moment = bench_moment(clock.now())
    url = db.url.render_as_string(hide_password=False)
    customers, base = prepare(url, clients=3, moment=moment, seed=7)
    tally = Tally()
    with clock.frozen(moment), TestClient(create_app(db, Settings())) as http:
        far = time.monotonic() + 60
        for customer in customers:
            client = Client(customer, http, tally, stop_at=far, give_up_at=far, seed=1)
            for _ in range(3):
                client.transfer()
        client.read()
        yield Run(db, base, tally.transfers)


def test_a_clean_run_has_no_anomaly(run: Run) -> None:
    assert sum(t.outcome == OK for t in run.transfers) >= 3, run.transfers
    report = run.check()
    assert report.anomalies == []
    assert report.books_ok and report.total_after == report.total_before
    assert report.executed == report.entries_booked == sum(t.outcome == OK
                                                           for t in run.transfers)
    assert report.audit_checked > 0 and report.audit_unsealed == 0


def test_a_transfer_booked_twice_is_caught(run: Run) -> None:
    from kinko.instructions.models import Instruction
    from kinko.ledger.models import Posting
    from kinko.ledger.rules import Leg
    from kinko.ledger.service import EntryRequest, post

    t = run.acknowledged()
    # The same legs once more, as a bug in a retry would book them: balanced, so the totals
    # and the trial balance still agree; only the bookings per instruction tell.
    with run.db.transaction() as s:
        entry_id = s.scalar(select(Instruction.entry_id).where(
            Instruction.id == t.instruction_id))
        legs = [Leg(p.account_id, p.amount) for p in s.scalars(
            select(Posting).where(Posting.entry_id == entry_id))]
        post(s, EntryRequest(kind="furikae", legs=legs, memo=f"instruction {t.instruction_id}"),
             actor="bug")
    found = kinds(run.check())
    assert "booked_twice" in found
    assert "balance_not_instructions" in found  # the accounts moved twice
    assert "total_not_conserved" not in found


def test_an_entry_of_no_instruction_is_caught(run: Run) -> None:
    from kinko.ledger.rules import Leg
    from kinko.ledger.service import EntryRequest, post

    t = run.acknowledged()
    with run.db.transaction() as s:
        post(s, EntryRequest(kind="furikae", memo="stray",
                             legs=[Leg(t.from_account, -1), Leg(t.to_account, 1)]), actor="bug")
    found = kinds(run.check())
    assert {"unexplained_entry", "balance_not_instructions"} <= found


def test_a_balance_changed_in_the_database_is_caught(run: Run) -> None:
    from kinko.ledger.models import Account

    t = run.acknowledged()
    with run.db.transaction() as s:
        s.execute(update(Account).where(Account.id == t.to_account)
                  .values(balance=Account.balance + 1))
    report = run.check()
    assert {"total_not_conserved", "balance_not_postings", "balance_not_instructions",
            "customer_money_not_conserved"} <= kinds(report)
    assert report.total_after == report.total_before + 1


def test_a_refusal_that_was_booked_is_caught(run: Run) -> None:
    told = [replace(t, outcome=FAILED, answer="409 INSUFFICIENT_FUNDS at confirm")
            if t is run.acknowledged() else t for t in run.transfers]
    assert "refused_but_booked" in kinds(run.check(told))


def test_an_acknowledged_transfer_missing_from_the_books_is_caught(run: Run) -> None:
    ghost = replace(run.acknowledged(), enter_key="never-sent", instruction_id=None)
    assert "acknowledged_not_booked" in kinds(run.check([*run.transfers, ghost]))


def test_a_booking_no_client_asked_for_is_caught(run: Run) -> None:
    t = run.acknowledged()
    found = kinds(run.check([x for x in run.transfers if x is not t]))
    assert "booked_without_request" in found


def test_a_balance_past_its_overdraft_line_is_caught(run: Run) -> None:
    from kinko.ledger.models import Account

    if not run.db.is_sqlite:
        pytest.skip("plants past the CHECK constraint with SQLite's ignore_check_constraints")
    t = run.acknowledged()
    with run.db.transaction() as s:
        s.execute(text("PRAGMA ignore_check_constraints = ON"))
        s.execute(update(Account).where(Account.id == t.from_account)
                  .values(overdraft_limit=0, balance=-5))
        s.execute(text("PRAGMA ignore_check_constraints = OFF"))
    assert "past_overdraft" in kinds(run.check())


def test_an_edited_audit_event_is_caught(run: Run) -> None:
    from kinko.audit.models import AuditEvent

    run.check()  # seals everything
    with run.db.transaction() as s:
        first = s.scalar(select(AuditEvent.id).order_by(AuditEvent.id).limit(1))
        s.execute(update(AuditEvent).where(AuditEvent.id == first).values(data='{"x":1}'))
    assert "audit_chain" in kinds(run.check())


def test_a_client_whose_token_died_logs_in_again_and_carries_on(db: Database) -> None:
    """A confirm whose answer was lost rotated the token unseen: the next request is a 401,
    and the client logs in with its member number and password, then retries."""
    moment = bench_moment(clock.now())
    customers, _base = prepare(db.url.render_as_string(hide_password=False), clients=2,
                               moment=moment, seed=3)
    tally = Tally()
    with clock.frozen(moment), TestClient(create_app(db, Settings())) as http:
        far = time.monotonic() + 60
        client = Client(customers[0], http, tally, stop_at=far, give_up_at=far, seed=1)
        client.token = "a-token-the-server-never-issued"
        client.read()
        record = client.transfer()
    assert tally.relogins == 1 and tally.reads["ok"] == 1, tally
    assert record.outcome in (OK, FAILED) and record.instruction_id is not None


def test_a_confirm_whose_answer_was_lost_is_booked_once(db: Database) -> None:
    """The confirm committed and rotated the token, but its answer never arrived: the client
    sends it again under the same key with the dead token, logs in on the 401, and gets the
    stored answer; the checker finds the transfer booked exactly once."""
    moment = bench_moment(clock.now())
    customers, base = prepare(db.url.render_as_string(hide_password=False), clients=2,
                              moment=moment, seed=5)
    customer = customers[0]
    payee_id, target = customer.payees[0]
    tally = Tally()
    with clock.frozen(moment), TestClient(create_app(db, Settings())) as http:
        far = time.monotonic() + 60
        client = Client(customer, http, tally, stop_at=far, give_up_at=far, seed=1)
        quote = client.definite("POST", "/api/v1/transfers", route="enter", key="enter-1",
                                body={"from_account_id": customer.accounts[0], "amount": 100,
                                      "payee_id": payee_id})
        assert quote is not None and quote.status == 201, quote
        card = quote.body["step_up"]["card"]
        confirm = {"card_challenge_id": card["challenge_id"],
                   "card_answers": {cell: customer.card[cell] for cell in card["cells"]}}
        path = f"/api/v1/transfers/{quote.body['id']}/confirm"
        first = client.definite("POST", path, route="confirm", key="confirm-1", body=confirm)
        assert first is not None and first.status == 200, first
        # The answer is "lost": the client still holds the token the confirm rotated away.
        again = client.definite("POST", path, route="confirm", key="confirm-1", body=confirm)
    assert again is not None and again.status == 200, again
    assert again.body["replayed"] is True and tally.relogins == 1
    record = TransferRecord(client=0, user_id=customer.user_id, enter_key="enter-1",
                            confirm_key="confirm-1", from_account=customer.accounts[0],
                            to_account=target, amount=100, instruction_id=quote.body["id"],
                            outcome=OK, answer="200 executed")
    report = check(db, base, [record])
    assert report.anomalies == [] and report.entries_booked == 1
