"""Use from abroad (OVS-1): recorded, refused for fund movements by default, otherwise
treated as made in Japan."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from kinko import clock
from kinko.audit.models import AuditEvent
from kinko.db import Database
from kinko.parties import access
from kinko.parties.errors import InvalidCountryCode, UseFromAbroadRefused
from kinko.policy.store import Change, install_changes

pytestmark = pytest.mark.req("OVS-1")


def _events(db: Database) -> list[AuditEvent]:
    with db.transaction() as s:
        return list(s.execute(select(AuditEvent).where(
            AuditEvent.action.like("access.%")).order_by(AuditEvent.id)).scalars())


def test_use_from_japan_is_allowed_and_not_recorded_here(db: Database) -> None:
    decision = db.run(lambda s: access.record_access_country(s, 1, "JP", "transfer"))
    assert decision.allowed and decision.deemed_country == "JP"
    decision.raise_if_refused()
    assert _events(db) == []


def test_inquiry_from_abroad_is_recorded_and_treated_as_made_in_japan(db: Database) -> None:
    decision = db.run(lambda s: access.record_access_country(s, 42, "CN", "inquiry"))
    assert decision.allowed and decision.deemed_country == "JP" and decision.country == "CN"
    [event] = _events(db)
    assert (event.action, event.actor, event.subject_id) == ("access.abroad", "user:42", "42")
    assert '"country":"CN"' in event.data and '"deemed":"JP"' in event.data


@pytest.mark.parametrize("function", ["transfer", "payeasy", "time_deposit", "fx"])
def test_fund_movements_from_abroad_are_refused_and_the_attempt_is_kept(
        db: Database, function: str) -> None:
    decision = db.run(lambda s: access.record_access_country(s, 42, "US", function))
    assert not decision.allowed
    with pytest.raises(UseFromAbroadRefused) as caught:
        decision.raise_if_refused()
    assert caught.value.code == "ACCESS_FROM_ABROAD_REFUSED"
    [event] = _events(db)  # committed before the refusal is raised
    assert event.action == "access.abroad.refused" and function in event.data


def test_the_bank_can_change_the_setting(db: Database) -> None:
    # A policy version from 2000 on (as the policy file or an approved console change adds).
    install_changes((Change.of(datetime(2000, 1, 1, tzinfo=clock.JST),
                               {"access": {"refused_from_abroad": ["fx"]}}),))
    assert db.run(lambda s: access.record_access_country(s, 1, "US", "transfer")).allowed
    assert not db.run(lambda s: access.record_access_country(s, 1, "US", "fx")).allowed


@pytest.mark.parametrize("code", ["jp", "JPN", "", "J1", "日本"])
def test_a_bad_country_code_is_refused_and_nothing_recorded(db: Database, code: str) -> None:
    with pytest.raises(InvalidCountryCode):
        db.run(lambda s: access.record_access_country(s, 1, code, "inquiry"))
    assert _events(db) == []
