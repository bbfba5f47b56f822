"""Residency (PRD-5, 003 第三条2): a change is recorded with its date and audited;
non-residents get the bank's subset of functions."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import select

from kinko import clock
from kinko.audit.models import AuditEvent
from kinko.db import Database
from kinko.parties import rules
from kinko.parties.errors import (
    CustomerNotFound,
    InvalidResidencyChange,
    NotAllowedForNonResident,
)
from kinko.parties.models import Customer
from kinko.parties.residency import (
    change_residency,
    check_allowed,
    history,
    is_allowed,
    residency_of,
    resident_on,
)
from tests import factories

pytestmark = pytest.mark.req("PRD-5")


@pytest.fixture(autouse=True)
def _today() -> None:
    clock.set_now(datetime(2026, 11, 20, 10, 0, tzinfo=clock.JST))


def _customer(db: Database) -> int:
    with db.transaction() as s:
        return factories.customer(s).id


def test_a_change_is_recorded_with_its_date_and_audited(db: Database) -> None:
    cid = _customer(db)
    db.run(lambda s: change_residency(s, cid, False, date(2026, 10, 1), actor="operator:7"))
    with db.transaction() as s:
        customer = s.get(Customer, cid)
        assert customer is not None
        assert (customer.resident, customer.residency_changed_on) == (False, date(2026, 10, 1))
        assert [(h.resident, h.effective_on, h.recorded_by) for h in history(s, cid)] == [
            (False, date(2026, 10, 1), "operator:7")]
        event = s.execute(select(AuditEvent).where(
            AuditEvent.action == "customer.residency")).scalar_one()
        assert event.actor == "operator:7" and event.subject_id == str(cid)
        assert '"effective":"2026-10-01"' in event.data and '"to":"non_resident"' in event.data


def test_status_on_a_date_follows_the_history(db: Database) -> None:
    cid = _customer(db)
    db.run(lambda s: change_residency(s, cid, False, date(2025, 4, 1), actor="op"))
    db.run(lambda s: change_residency(s, cid, True, date(2026, 4, 1), actor="op"))
    with db.transaction() as s:
        assert resident_on(s, cid, date(2025, 3, 31)) is True
        assert resident_on(s, cid, date(2025, 4, 1)) is False
        assert resident_on(s, cid, date(2026, 3, 31)) is False
        assert resident_on(s, cid, date(2026, 11, 1)) is True
        assert residency_of(s, cid).resident is True


@pytest.mark.parametrize(("resident", "effective"), [
    (True, date(2026, 10, 1)),     # no change: already resident
    (False, date(2026, 11, 21)),   # a future date
])
def test_bad_changes_are_refused_and_nothing_is_recorded(
        db: Database, resident: bool, effective: date) -> None:
    cid = _customer(db)
    with pytest.raises(InvalidResidencyChange):
        db.run(lambda s: change_residency(s, cid, resident, effective, actor="op"))
    with db.transaction() as s:
        assert history(s, cid) == [] and s.get(Customer, cid).resident is True  # type: ignore[union-attr]


def test_a_change_before_the_last_one_is_refused(db: Database) -> None:
    cid = _customer(db)
    db.run(lambda s: change_residency(s, cid, False, date(2026, 6, 1), actor="op"))
    with pytest.raises(InvalidResidencyChange):
        db.run(lambda s: change_residency(s, cid, True, date(2026, 5, 31), actor="op"))
    with pytest.raises(CustomerNotFound):
        db.run(lambda s: change_residency(s, 999_999, True, date(2026, 5, 31), actor="op"))


def test_non_residents_are_refused_the_functions_the_table_refuses(db: Database) -> None:
    cid = _customer(db)
    with db.transaction() as s:
        for function in rules.FUNCTIONS:  # a resident may use everything
            check_allowed(s, cid, function)
    db.run(lambda s: change_residency(s, cid, False, date(2026, 11, 20), actor="op"))
    with db.transaction() as s:
        for function in ("payeasy", "time_deposit", "debit_card", "fx", "global_service"):
            with pytest.raises(NotAllowedForNonResident) as caught:
                check_allowed(s, cid, function)
            assert caught.value.code == "NON_RESIDENT_NOT_ALLOWED"
            assert caught.value.message_ja and caught.value.message_en
        for function in ("inquiry", "settings", "transfer", "time_deposit_cancel",
                         "debit_card_cancel"):
            assert is_allowed(s, cid, function)


def test_the_rule_is_pure_and_takes_the_banks_own_table() -> None:
    assert rules.allowed_for(resident=False, function="transfer")
    stricter = {**rules.NON_RESIDENT_TABLE, "transfer": False}
    assert not rules.allowed_for(resident=False, function="transfer", table=stricter)
    assert rules.allowed_for(resident=True, function="transfer", table=stricter)
    assert set(rules.NON_RESIDENT_TABLE) == rules.FUNCTIONS
    with pytest.raises(ValueError, match="unknown function"):
        rules.allowed_for(resident=True, function="tranfser")
