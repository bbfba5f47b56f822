"""LED-4, SUSP-1, CTR-2, OPS-1: account states set by the bank. A payment stop is immediate; a
seizure, a closure and every release need a second operator. The internet services of an
unusable account stop at once and come back when it is usable; the bank restricts a contract
with its reason."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from kinko.auth import repository as auth_repo
from kinko.auth import sessions
from kinko.auth.errors import AuthError
from kinko.auth.models import AuthContract, AuthUser, ContractState, UserState
from kinko.auth.policy import rules_for
from kinko.backoffice import approvals
from kinko.backoffice.errors import FourEyesViolation
from kinko.config import get_settings
from kinko.db import Database
from kinko.errors import ValidationFailed
from kinko.instructions.service import Actor
from kinko.ledger.books import book
from kinko.ledger.errors import AccountNotUsable
from kinko.ledger.models import Account, AccountState
from kinko.ledger.rules import Leg
from kinko.ledger.service import EntryRequest, post
from kinko.onboarding import products, restrictions, states
from kinko.onboarding.errors import AccountStateRefused, OnboardingRefused, ServiceRestricted
from kinko.parties.residency import check_allowed
from kinko.transfers import service as transfers
from tests.onboarding.conftest import Bank
from tests.onboarding.helpers import person


def _customer(db: Database, balance: int = 100_000) -> tuple[Actor, int, int]:
    cid, account = person(db, balance=balance)
    enrolled = db.run(lambda s: products.enrol_retail_003(s, customer_id=cid, actor="op"))
    _, payee = person(db)
    return Actor(enrolled.user_id, enrolled.contract_id, cid), account, payee


def _enter(db: Database, actor: Actor, account: int, payee: int) -> object:
    def run(s: Session) -> object:
        target = s.get(Account, payee)
        return transfers.enter(s, actor, key=uuid.uuid4().hex, from_account_id=account,
                               amount="1000", bank_code=get_settings().bank_code,
                               branch_code=target.branch_code, account_type="ordinary",
                               number=target.number)
    return db.run(run)


def _state(db: Database, account: int) -> AccountState:
    return db.run(lambda s: s.get(Account, account).state)


def _ask(db: Database, bank: Bank, account: int, state: str) -> int:
    return db.run(lambda s: approvals.request(
        s, action=states.ACCOUNT_STATE_ACTION, subject_type="account", subject_id=account,
        payload={"account_id": account, "state": state, "reason": "test"}, reason="test",
        requested_by=bank.teller).id)


@pytest.mark.req("LED-4")
@pytest.mark.req("SUSP-1")
def test_payment_stop_stops_transfers_at_once_and_release_resumes_them(
        db: Database, bank: Bank) -> None:
    actor, account, payee = _customer(db)
    _enter(db, actor, account, payee)                       # usable
    db.run(lambda s: states.set_account_state(s, account_id=account, state="payment_stopped",
                                              reason="キャッシュカード紛失の届出",
                                              actor=f"operator:{bank.teller}"))
    with pytest.raises(AccountNotUsable) as refused:
        _enter(db, actor, account, payee)
    assert "payment_stopped" in (refused.value.detail or "")
    # Money still comes in (LED-4: a payment stop takes credits).
    db.run(lambda s: post(s, EntryRequest(kind="deposit", legs=[
        Leg(book(s, "cash"), -500), Leg(account, 500)]), actor="test"))
    # The release is four eyes: one operator cannot do it alone.
    with pytest.raises(AccountStateRefused):
        db.run(lambda s: states.set_account_state(s, account_id=account, state="active",
                                                  reason="カード発見", actor="operator:1"))
    request = _ask(db, bank, account, "active")
    with pytest.raises(FourEyesViolation):
        db.run(approvals.approve, request_id=request, approver_id=bank.teller)
    assert _state(db, account) is AccountState.PAYMENT_STOPPED
    db.run(approvals.approve, request_id=request, approver_id=bank.security)
    assert _state(db, account) is AccountState.ACTIVE
    _enter(db, actor, account, payee)                       # usable again at once


@pytest.mark.req("LED-4")
@pytest.mark.req("OPS-1")
def test_seizure_is_four_eyes_and_takes_credits_but_no_debits(db: Database,
                                                              bank: Bank) -> None:
    actor, account, payee = _customer(db)
    with pytest.raises(AccountStateRefused):
        db.run(lambda s: states.set_account_state(s, account_id=account, state="seized",
                                                  reason="差押命令", actor="operator:1"))
    db.run(approvals.approve, request_id=_ask(db, bank, account, "seized"),
           approver_id=bank.security)
    assert _state(db, account) is AccountState.SEIZED
    with pytest.raises(AccountNotUsable):
        _enter(db, actor, account, payee)
    # A seizure is not overwritten by a lesser stop.
    with pytest.raises(AccountStateRefused):
        db.run(lambda s: states.set_account_state(s, account_id=account,
                                                  state="payment_stopped", reason="x",
                                                  actor="operator:1"))


@pytest.mark.req("LED-4")
def test_deposit_stop_refuses_credits_and_closure_needs_a_zero_balance(db: Database,
                                                                       bank: Bank) -> None:
    _actor, account, _payee = _customer(db, balance=3_000)
    db.run(lambda s: states.set_account_state(s, account_id=account, state="deposit_stopped",
                                              reason="取引停止の依頼", actor="operator:1"))
    with pytest.raises(AccountNotUsable):
        db.run(lambda s: post(s, EntryRequest(kind="deposit", legs=[
            Leg(book(s, "cash"), -500), Leg(account, 500)]), actor="test"))
    with pytest.raises(AccountStateRefused):      # from deposit-stopped, only release/seize
        db.run(lambda s: states.set_account_state(s, account_id=account, state="closed",
                                                  reason="解約", actor="x", approved=True))
    db.run(approvals.approve, request_id=_ask(db, bank, account, "active"),
           approver_id=bank.security)
    request = _ask(db, bank, account, "closed")
    with pytest.raises(AccountStateRefused):      # 3,000 yen still in it: nothing changes
        db.run(approvals.approve, request_id=request, approver_id=bank.security)
    assert _state(db, account) is AccountState.ACTIVE
    db.run(lambda s: post(s, EntryRequest(kind="withdrawal", legs=[
        Leg(account, -3_000), Leg(book(s, "cash"), 3_000)]), actor="test"))
    db.run(approvals.approve, request_id=_ask(db, bank, account, "closed"),
           approver_id=bank.security)
    closed = db.run(lambda s: s.get(Account, account))
    assert closed.state is AccountState.CLOSED and closed.closed_on is not None


@pytest.mark.req("LED-4")
def test_bad_state_changes_change_nothing(db: Database, bank: Bank) -> None:
    _, account, _ = _customer(db)
    for state, reason in (("frozen", "x"), ("payment_stopped", ""), ("payment_stopped",
                                                                    "x" * 201)):
        with pytest.raises((ValidationFailed, OnboardingRefused)):
            db.run(lambda s, st=state, r=reason: states.set_account_state(
                s, account_id=account, state=st, reason=r, actor="operator:1"))
    with pytest.raises(AccountStateRefused):    # the bank's own books are not touched here
        db.run(lambda s: states.set_account_state(s, account_id=book(s, "cash"),
                                                  state="payment_stopped", reason="x",
                                                  actor="operator:1"))
    with pytest.raises(ValidationFailed):        # an unknown state is refused when asked
        db.run(lambda s: approvals.request(
            s, action=states.ACCOUNT_STATE_ACTION, subject_type="account", subject_id=account,
            payload={"account_id": account, "state": "frozen"}, reason="x",
            requested_by=bank.teller))
    assert _state(db, account) is AccountState.ACTIVE


@pytest.mark.req("SUSP-1")
@pytest.mark.req("CTR-2")
def test_a_bank_restriction_stops_the_service_at_once_and_lifting_it_is_four_eyes(
        db: Database, bank: Bank) -> None:
    actor, _, _ = _customer(db)

    def open_session(s: Session) -> str:
        user = s.get(AuthUser, actor.user_id)
        return sessions.start(s, user, rules_for(user.product))[0]
    token = db.run(open_session)
    with pytest.raises(ValidationFailed):
        db.run(lambda s: restrictions.restrict_service(s, contract_id=actor.contract_id,
                                                       reason="whim", note="x",
                                                       actor="operator:1"))
    db.run(lambda s: restrictions.restrict_service(s, contract_id=actor.contract_id,
                                                   reason="authority_request",
                                                   note="警察署からの照会 第123号",
                                                   actor=f"operator:{bank.teller}"))
    contract = db.run(lambda s: s.get(AuthContract, actor.contract_id))
    assert contract.state is ContractState.SUSPENDED
    assert restrictions.restriction_text(contract.state_reason, "en") is not None
    assert "照会" not in (restrictions.restriction_text(contract.state_reason, "ja") or "")
    with pytest.raises(AuthError):              # the open session ended at once
        db.run(lambda s: sessions.authenticate(s, token))
    # Fund movements started without a session (a scheduled transfer run by the batch) are
    # refused too, by the one check every fund movement runs.
    with pytest.raises(ServiceRestricted):
        db.run(check_allowed, actor.customer_id, "transfer")
    request = db.run(lambda s: approvals.request(
        s, action=restrictions.LIFT_RESTRICTION_ACTION, subject_type="auth_contract",
        subject_id=actor.contract_id, payload={"contract_id": actor.contract_id},
        reason="要請の解除", requested_by=bank.teller).id)
    with pytest.raises(FourEyesViolation):
        db.run(approvals.approve, request_id=request, approver_id=bank.teller)
    db.run(approvals.approve, request_id=request, approver_id=bank.security)
    assert db.run(lambda s: s.get(AuthContract, actor.contract_id).state) is \
        ContractState.ACTIVE
    assert db.run(lambda s: auth_repo.user(s, actor.user_id).state) is UserState.ACTIVE
    db.run(check_allowed, actor.customer_id, "transfer")
    assert db.run(lambda s: s.execute(select(AuthContract.state_reason)).scalar_one()) is None
