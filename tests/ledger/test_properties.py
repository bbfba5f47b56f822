"""Properties of ``post`` over random sequences of valid and invalid postings (LED-2, LED-3, LED-4).

Each example opens its own accounts — random states, overdraft lines and holds — and posts a
random sequence of entries among them: balanced or not, zero or oversized amounts, unknown
accounts, directions a state forbids, debits beyond the withdrawable amount. Before each post,
the expected outcome is worked out from the accounts' current figures; afterwards the test
checks that a refused entry changed nothing at all and an accepted one moved exactly its legs.
At the end of the example the books must still balance and every balance must equal the sum of
its postings.

The ``db`` fixture empties the tables after the whole test, not after each example, so every
comparison here is relative to the state at the example's (or the post's) start.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from kinko.audit.models import AuditEvent
from kinko.db import Database
from kinko.errors import DomainError
from kinko.ledger.errors import AccountNotFound, AccountNotUsable, InsufficientFunds, InvalidEntry
from kinko.ledger.models import Account, AccountState, AccountType, Hold, JournalEntry, Posting
from kinko.ledger.rules import Leg
from kinko.ledger.service import EntryRequest, change_state, check_books, place_hold, post
from kinko.money import MAX_AMOUNT
from tests import factories

UNKNOWN = -1   # a leg index that stands for an account id that does not exist

DEBITABLE = {AccountState.ACTIVE, AccountState.DEPOSIT_STOPPED}
CREDITABLE = {AccountState.ACTIVE, AccountState.PAYMENT_STOPPED, AccountState.SEIZED}


@dataclass(frozen=True)
class AccountSpec:
    balance: int
    overdraft: int
    hold: int
    state: AccountState


@st.composite
def account_specs(draw: st.DrawFn) -> AccountSpec:
    checking = draw(st.booleans())
    # Overdraft lines exist only on checking (当座) accounts (PRD-1).
    overdraft = draw(st.sampled_from([0, 1_000, 50_000])) if checking else 0
    balance = draw(st.integers(0, 100_000))
    hold = draw(st.one_of(st.just(0), st.integers(1, balance + overdraft))) if (
        balance + overdraft) else 0
    # Mostly active, so that enough entries pass to move money; every state still appears.
    state = draw(st.one_of(st.just(AccountState.ACTIVE), st.sampled_from(list(AccountState))))
    return AccountSpec(balance, overdraft, hold, state)


FAULTS = ["unbalanced", "zero", "oversized", "unknown", "duplicate", "one leg"]


@st.composite
def entries(draw: st.DrawFn, accounts: int) -> list[tuple[int, int]]:
    """Legs as (account index or UNKNOWN, amount): a well-formed entry, or one with a fault.

    Well-formed entries still fail on the accounts' states and figures (LED-3, LED-4); the
    faults cover LED-2's structural refusals.
    """
    picks = draw(st.permutations(range(accounts)))[:draw(st.integers(2, min(3, accounts)))]
    amount = draw(st.integers(2, 60_000))
    if len(picks) == 2:
        legs = [(picks[0], -amount), (picks[1], amount)]
    else:
        part = draw(st.integers(1, amount - 1))
        legs = [(picks[0], -amount), (picks[1], part), (picks[2], amount - part)]
    legs = draw(st.permutations(legs))   # the ledger, not the caller, orders the legs
    fault = draw(st.one_of(st.none(), st.none(), st.sampled_from(FAULTS)))
    match fault:
        case "unbalanced":
            legs[0] = (legs[0][0], legs[0][1] + draw(st.sampled_from([-1, 1])))
        case "zero":
            legs.append((draw(st.sampled_from([UNKNOWN, *range(accounts)])), 0))
        case "oversized":
            legs = [(legs[0][0], -(MAX_AMOUNT + 1)), (legs[1][0], MAX_AMOUNT + 1)]
        case "unknown":
            legs[draw(st.integers(0, len(legs) - 1))] = (UNKNOWN, legs[0][1])
            legs[-1] = (legs[-1][0], legs[-1][1] - sum(a for _, a in legs))
        case "duplicate":
            legs.append((legs[0][0], 0 - legs[0][1]))
            legs[0] = (legs[0][0], legs[0][1] * 2)
        case "one leg":
            legs = legs[:1]
    return legs


@dataclass(frozen=True)
class Figures:
    balance: int
    held: int
    overdraft: int
    state: AccountState


def _figures(db: Database) -> dict[int, Figures]:
    """Every account in the database, not only this example's: nothing else may move either."""
    with db.transaction() as s:
        rows = s.execute(select(Account.id, Account.balance, Account.held,
                                Account.overdraft_limit, Account.state)).all()
    return {r.id: Figures(r.balance, r.held, r.overdraft_limit, r.state) for r in rows}


def _counts(db: Database) -> tuple[int, ...]:
    """Entries, postings, audit events and holds."""
    with db.transaction() as s:
        return tuple(
            s.scalar(select(func.count()).select_from(model)) or 0
            for model in (JournalEntry, Posting, AuditEvent, Hold)
        )


def _expected_error(legs: list[Leg], figures: dict[int, Figures]) -> type[DomainError] | None:
    """What the ledger must answer, worked out independently from LED-2/3/4."""
    ids = [leg.account_id for leg in legs]
    if (len(legs) < 2 or len(set(ids)) != len(ids)
            or any(leg.amount == 0 or abs(leg.amount) > MAX_AMOUNT for leg in legs)
            or sum(leg.amount for leg in legs) != 0):
        return InvalidEntry
    # The first failing leg in account-id order (the lock order) names the error.
    for leg in sorted(legs, key=lambda g: g.account_id):
        account = figures.get(leg.account_id)
        if account is None:
            return AccountNotFound
        if leg.amount < 0:
            if account.state not in DEBITABLE:
                return AccountNotUsable
            if account.balance - account.held + account.overdraft + leg.amount < 0:
                return InsufficientFunds
        elif account.state not in CREDITABLE:
            return AccountNotUsable
    return None


def _open(db: Database, spec: AccountSpec) -> int:
    with db.transaction() as s:
        account = factories.account(
            s, balance=spec.balance, overdraft=spec.overdraft,
            account_type=AccountType.CHECKING if spec.overdraft else AccountType.ORDINARY)
        if spec.hold:
            place_hold(s, account_id=account, amount=spec.hold, reason="property", actor="t")
        if spec.state is not AccountState.ACTIVE:
            change_state(s, account, spec.state, actor="t", reason="property")
    return account


@pytest.mark.req("LED-2")
@pytest.mark.req("LED-3")
@pytest.mark.req("LED-4")
@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_any_sequence_of_postings_keeps_the_books(db: Database, data: st.DataObject) -> None:
    specs = data.draw(st.lists(account_specs(), min_size=2, max_size=4), label="accounts")
    accounts = [_open(db, spec) for spec in specs]
    unknown = max(_figures(db)) + 1_000
    sequence = data.draw(st.lists(entries(len(accounts)), min_size=1, max_size=8),
                         label="entries")

    for raw in sequence:
        legs = [Leg(unknown if i == UNKNOWN else accounts[i], amount) for i, amount in raw]
        before, counts = _figures(db), _counts(db)
        expected = _expected_error(legs, before)
        try:
            db.run(lambda s, legs=legs: post(s, EntryRequest(kind="property", legs=legs),
                                             actor="t"))
        except DomainError as exc:
            event(type(exc).__name__)   # --hypothesis-show-statistics: every refusal occurs
            assert type(exc) is expected, f"{legs}: expected {expected}, got {exc!r}"
            # A refused entry leaves no trace: no entry, posting, audit event or hold, and
            # every balance (of every account in the database) exactly as it was.
            assert _counts(db) == counts
            assert _figures(db) == before
            continue
        event("posted")
        assert expected is None, f"{legs}: posted, but {expected.__name__} was due"
        after = _figures(db)
        moved = {leg.account_id: leg.amount for leg in legs}
        assert {k: a.balance - before[k].balance for k, a in after.items()} == {
            k: moved.get(k, 0) for k in after}
        assert {k: (a.held, a.state) for k, a in after.items()} == {
            k: (b.held, b.state) for k, b in before.items()}
        entries_, postings, audit, holds = counts
        assert _counts(db) == (entries_ + 1, postings + len(legs), audit + 1, holds)

    with db.transaction() as s:
        books = check_books(s)
    assert books.debits == books.credits                    # Σ debits = Σ credits
    assert books.mismatched == {}                           # balance = Σ its postings
    assert all(a.balance >= -a.overdraft for a in _figures(db).values())
