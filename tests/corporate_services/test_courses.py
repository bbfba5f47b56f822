"""The corporate services follow the contract's course (PRD-2): local tax, direct debit,
collection and Zengin statements (J–M) are Comprehensive services; Light and Basic get 403."""

from __future__ import annotations

from datetime import date

import pytest

from kinko.auth.models import AuthContract, Course
from kinko.corporate.errors import ServiceNotInContract
from kinko.corporate_services import localtax, statements
from kinko.db import Database
from tests.corporate_services.helpers import corporate


@pytest.mark.req("PRD-2")
@pytest.mark.parametrize("course", [Course.LIGHT, Course.BASIC])
def test_courses_without_the_service_are_refused(db: Database, course: Course) -> None:
    with db.transaction() as s:
        actor, account_id = corporate(s)
        contract = s.get(AuthContract, actor.contract_id)
        assert contract is not None
        contract.course = course
    with db.transaction() as s, pytest.raises(ServiceNotInContract):
        statements.download(s, actor, kind=statements.Kind.STATEMENT,
                            form=statements.Form.ZENGIN, date_from=date(2026, 11, 1),
                            date_to=date(2026, 11, 30), account_id=account_id)
    with db.transaction() as s, pytest.raises(ServiceNotInContract):
        localtax.request(s, actor, year=2026, month=12, lines=[])


@pytest.mark.req("PRD-2")
def test_the_comprehensive_course_has_them(db: Database) -> None:
    with db.transaction() as s:
        actor, account_id = corporate(s)
    with db.transaction() as s:
        got = statements.download(s, actor, kind=statements.Kind.STATEMENT,
                                  form=statements.Form.ZENGIN, date_from=date(2026, 11, 1),
                                  date_to=date(2026, 11, 30), account_id=account_id)
    assert got.filename.endswith(".txt")
