"""The verification restriction answered with the request's authentication (KYC-4, SUSP-1).

The authentication's one SELECT also says whether a registered restriction may refuse the
customer; a customer it cannot refuse then passes the fund movements' check without a
statement, and a restricted one is still refused, also when the restriction comes within the
same transaction after the authentication.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from kinko import clock
from kinko.auth import sessions
from kinko.auth.models import AuthUser
from kinko.auth.policy import rules_for
from kinko.db import Database
from kinko.parties.residency import check_allowed
from kinko.verification.errors import VerificationRestricted
from kinko.verification.models import CaseState, VerificationCase
from tests.querycount import counting
from tests.verification.conftest import Individual


def _token(db: Database, person: Individual) -> str:
    with db.transaction() as s:
        user = s.get(AuthUser, person.user_id)
        assert user is not None
        token, _ = sessions.start(s, user, rules_for(user.product))
        return token


def _case(person: Individual, *, restricted: bool, state: CaseState = CaseState.FAILED
          ) -> VerificationCase:
    now = clock.now()
    return VerificationCase(customer_id=person.customer_id, state=state, due_at=now,
                            deadline_at=now + timedelta(days=30), attempts=1,
                            restricted=restricted, created_at=now)


@pytest.mark.req("KYC-4")
def test_an_unrestricted_customer_passes_without_a_statement(db: Database,
                                                             person: Individual) -> None:
    token = _token(db, person)
    with db.transaction() as s:
        s.add(_case(person, restricted=False))   # an open case that does not restrict
    with db.transaction() as s:
        sessions.authenticate(s, token)
        with counting(db.engine) as found:
            check_allowed(s, person.customer_id, "transfer")
        assert found.count == 0, found


@pytest.mark.req("KYC-4")
@pytest.mark.parametrize("state", [CaseState.FAILED, CaseState.OVERDUE, CaseState.RESUBMITTED])
def test_a_restricted_customer_is_refused_after_authentication(
        db: Database, person: Individual, state: CaseState) -> None:
    token = _token(db, person)
    with db.transaction() as s:
        s.add(_case(person, restricted=True, state=state))
    with db.transaction() as s:
        sessions.authenticate(s, token)
        with pytest.raises(VerificationRestricted):
            check_allowed(s, person.customer_id, "transfer")


@pytest.mark.req("KYC-4")
def test_a_closed_case_no_longer_restricts(db: Database, person: Individual) -> None:
    token = _token(db, person)
    with db.transaction() as s:
        s.add(_case(person, restricted=True, state=CaseState.PASSED))
    with db.transaction() as s:
        sessions.authenticate(s, token)
        check_allowed(s, person.customer_id, "transfer")


@pytest.mark.req("KYC-4")
def test_a_restriction_made_after_the_authentication_still_refuses(
        db: Database, person: Individual) -> None:
    token = _token(db, person)
    with db.transaction() as s:
        sessions.authenticate(s, token)           # unrestricted when authenticated
        s.add(_case(person, restricted=True))
        s.flush()                                 # ... and restricted since, in this transaction
        with pytest.raises(VerificationRestricted):
            check_allowed(s, person.customer_id, "transfer")


@pytest.mark.req("SUSP-1")
def test_the_banks_restriction_of_another_contract_refuses_too(
        db: Database, person: Individual) -> None:
    """The one restriction service answers for every restriction: the bank's restriction of
    the customer's other contract refuses a fund movement made through an active one, though
    the authentication's statement selects that active contract beside the flag."""
    from kinko.auth.models import AuthContract, ContractState, Product
    from kinko.onboarding.errors import ServiceRestricted

    token = _token(db, person)
    with db.transaction() as s:
        mine = s.get(AuthContract, s.get(AuthUser, person.user_id).contract_id)  # type: ignore[union-attr]
        assert mine is not None and mine.state is ContractState.ACTIVE
        other = next(p for p in Product if p is not mine.product)
        s.add(AuthContract(customer_id=person.customer_id, product=other,
                           state=ContractState.SUSPENDED, state_reason="bank:aml_concern",
                           created_at=clock.now()))
    with db.transaction() as s:
        sessions.authenticate(s, token)
        with pytest.raises(ServiceRestricted):
            check_allowed(s, person.customer_id, "transfer")
