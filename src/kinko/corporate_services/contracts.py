"""Contract lifecycle (CTR-1, CTR-2; 002 第15条, 第18条).

- Term: one year from the contract day, renewed for a year at a time unless the customer or
  the bank objects before it ends (policy: contract.term_years, auto_renew).
- Termination: by the customer (their written notice, recorded by the bank) or by the bank;
  closing the representative account ends the contract (第18条4); closing a usage account
  ends the service for that account only (第18条3: it leaves the contract's accounts).
- Review (the daily run): contracts unused for a year, whose e-mail has bounced for three
  months, or with unpaid fees are queued for an operator (``contract_termination_candidates``)
  — the bank *may* terminate on these grounds, so a person decides.

Ending a contract: its state becomes terminated (logins and services stop), its direct debit
agreements end, and its documents fall back to paper (EDOC-1).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from kinko import clock
from kinko.audit.service import record
from kinko.auth.models import AuthContract, AuthUser, ContractState, Product
from kinko.corporate_services import access
from kinko.corporate_services.dates import add_months
from kinko.corporate_services.errors import CandidateNotFound, NotCorporate
from kinko.corporate_services.models import (
    AgreementState,
    CandidateReason,
    CandidateState,
    ChargeState,
    ContractTerm,
    DebitAgreement,
    FeeCharge,
    TerminationCandidate,
)
from kinko.instructions.service import Actor
from kinko.ledger.models import Account, AccountState
from kinko.notifications.models import EmailBounce
from kinko.notifications.service import normal_address
from kinko.parties.models import Customer
from kinko.policy import policy_at


def _years(day: date, years: int) -> date:
    return add_months(day, 12 * years)


def term_of(session: Session, contract: AuthContract) -> ContractTerm:
    """The contract's term, started on its contract day when first asked for."""
    term = session.get(ContractTerm, contract.id)
    if term is None:
        started = clock.to_jst(contract.created_at).date()
        years = policy_at(clock.now()).contract.term_years
        # One year from the contract day: its last day is the day before the anniversary.
        term = ContractTerm(contract_id=contract.id, started_on=started,
                            term_end=_years(started, years) - timedelta(days=1), renewals=0)
        session.add(term)
        session.flush()
    return term


def object_to_renewal(session: Session, actor: Actor) -> ContractTerm:
    """The customer objects to the next renewal: the contract ends with its term."""
    contract = access.contract_of(session, actor)
    term = term_of(session, contract)
    term.no_renewal_by, term.no_renewal_at = "customer", clock.now()
    record(session, actor=f"user:{actor.user_id}", action="contract.no_renewal",
           subject_type="contract", subject_id=contract.id,
           data={"term_end": term.term_end.isoformat()})
    session.flush()
    return term


def terminate(session: Session, contract_id: int, *, reason: str, actor: str) -> bool:
    """End the contract now (customer's notice, the bank's decision, or the representative
    account closed). False when it had already ended."""
    contract = session.get(AuthContract, contract_id)
    if contract is None or contract.product is not Product.CORPORATE_002:
        raise NotCorporate(detail=f"contract {contract_id}")
    now = clock.now()
    done = session.execute(update(AuthContract).where(
        AuthContract.id == contract_id, AuthContract.state != ContractState.TERMINATED
    ).values(state=ContractState.TERMINATED, state_reason=reason[:200],
             state_changed_at=now)).rowcount  # type: ignore[attr-defined]
    if not done:
        return False
    term = term_of(session, contract)
    term.ended_on, term.end_reason = now.date(), reason[:40]
    session.execute(update(DebitAgreement).where(DebitAgreement.contract_id == contract_id)
                    .values(state=AgreementState.ENDED))
    session.execute(update(TerminationCandidate).where(
        TerminationCandidate.contract_id == contract_id,
        TerminationCandidate.state == CandidateState.OPEN
    ).values(state=CandidateState.TERMINATED, decided_by=actor[:40], decided_at=now))
    record(session, actor=actor, action="contract.terminate", subject_type="contract",
           subject_id=contract_id, data={"reason": reason})
    session.expire(contract)
    return True


@dataclass(frozen=True)
class Review:
    renewed: int
    ended: int
    queued: int


def _active_corporate(session: Session) -> list[AuthContract]:
    return list(session.execute(select(AuthContract).where(
        AuthContract.product == Product.CORPORATE_002,
        AuthContract.state != ContractState.TERMINATED).order_by(AuthContract.id)).scalars())


def _queue(session: Session, contract_id: int, reason: CandidateReason, detail: str) -> bool:
    exists = session.execute(select(TerminationCandidate.id).where(
        TerminationCandidate.contract_id == contract_id,
        TerminationCandidate.reason == reason,
        TerminationCandidate.state == CandidateState.OPEN)).first()
    if exists:
        return False
    session.add(TerminationCandidate(contract_id=contract_id, reason=reason, detail=detail,
                                     found_on=clock.today()))
    record(session, actor="system:batch", action="contract.candidate",
           subject_type="contract", subject_id=contract_id,
           data={"reason": reason.value, "detail": detail})
    return True


def _addresses(session: Session, contract: AuthContract) -> set[str]:
    customer = session.get(Customer, contract.customer_id)
    emails = {customer.email} if customer is not None and customer.email else set()
    emails |= {e for e in session.execute(select(AuthUser.email).where(
        AuthUser.contract_id == contract.id)).scalars() if e}
    return {normal_address(e) for e in emails if e}


def _grounds(session: Session, contract: AuthContract, today: date
             ) -> list[tuple[CandidateReason, str]]:
    policy = policy_at(clock.now()).contract
    found = []
    since = _years(today, -policy.inactivity_termination_years)
    last = session.execute(select(func.max(AuthUser.last_login_at)).where(
        AuthUser.contract_id == contract.id)).scalar_one_or_none()
    last_use = clock.to_jst(last).date() if last else clock.to_jst(contract.created_at).date()
    if last_use <= since:
        found.append((CandidateReason.INACTIVE, f"no use since {last_use}"))
    bounce_since = add_months(today, -policy.email_bounce_termination_months)
    addresses = _addresses(session, contract)
    if addresses:
        bouncing = session.execute(select(EmailBounce.address, EmailBounce.first_bounced_at)
                                   .where(EmailBounce.address.in_(addresses),
                                          EmailBounce.cleared_at.is_(None))).all()
        # Every address of the contract undeliverable, the longest run ≥ the policy's months.
        if bouncing and len(bouncing) == len(addresses) and all(
                clock.to_jst(b.first_bounced_at).date() <= bounce_since for b in bouncing):
            found.append((CandidateReason.EMAIL_BOUNCING,
                          f"bouncing since {min(b.first_bounced_at for b in bouncing):%Y-%m-%d}"))
    unpaid = session.execute(select(func.count(), func.coalesce(func.sum(FeeCharge.amount), 0))
                             .where(FeeCharge.contract_id == contract.id,
                                    FeeCharge.state == ChargeState.UNPAID)).one()
    if unpaid[0]:
        found.append((CandidateReason.UNPAID_FEES, f"{unpaid[0]} months, {unpaid[1]} yen"))
    return found


def review(session: Session, *, actor: str = "system:batch") -> Review:
    """Renew or end terms, end contracts whose representative account closed, queue the
    grounds for an operator."""
    today = clock.today()
    policy = policy_at(clock.now()).contract
    renewed = ended = queued = 0
    for contract in _active_corporate(session):
        rep = (session.get(Account, contract.representative_account_id)
               if contract.representative_account_id else None)
        if rep is not None and rep.state is AccountState.CLOSED:
            ended += terminate(session, contract.id, reason="representative_account_closed",
                               actor=actor)
            continue
        term = term_of(session, contract)
        while term.term_end < today:
            if term.no_renewal_by is not None or not policy.auto_renew:
                ended += terminate(session, contract.id, reason="term_ended", actor=actor)
                break
            term.term_end = _years(term.term_end + timedelta(days=1),
                                   policy.term_years) - timedelta(days=1)
            term.renewals += 1
            renewed += 1
            record(session, actor=actor, action="contract.renew", subject_type="contract",
                   subject_id=contract.id, data={"term_end": term.term_end.isoformat()})
        else:
            for reason, detail in _grounds(session, contract, today):
                queued += _queue(session, contract.id, reason, detail)
    # A closed usage account leaves the contract (第18条3): agreements paying into it end.
    closed = select(Account.id).where(Account.state == AccountState.CLOSED)
    session.execute(update(DebitAgreement).where(
        DebitAgreement.state == AgreementState.ACTIVE,
        DebitAgreement.settlement_account_id.in_(closed)).values(state=AgreementState.ENDED))
    session.flush()
    return Review(renewed, ended, queued)


def candidates(session: Session, state: CandidateState = CandidateState.OPEN
               ) -> list[tuple[TerminationCandidate, AuthContract, Customer | None]]:
    """The back office's queue, oldest first."""
    rows = session.execute(select(TerminationCandidate, AuthContract).join(
        AuthContract, AuthContract.id == TerminationCandidate.contract_id).where(
        TerminationCandidate.state == state).order_by(TerminationCandidate.found_on,
                                                      TerminationCandidate.id)).all()
    return [(c, k, session.get(Customer, k.customer_id)) for c, k in rows]


def decide(session: Session, candidate_id: int, *, terminate_contract: bool,
           operator: str) -> TerminationCandidate:
    candidate = session.get(TerminationCandidate, candidate_id)
    if candidate is None or candidate.state is not CandidateState.OPEN:
        raise CandidateNotFound(detail=f"candidate {candidate_id}")
    if terminate_contract:
        terminate(session, candidate.contract_id, reason=f"bank:{candidate.reason.value}",
                  actor=operator)
        session.refresh(candidate)
    else:
        candidate.state, candidate.decided_by = CandidateState.DISMISSED, operator[:40]
        candidate.decided_at = clock.now()
        record(session, actor=operator, action="contract.candidate.dismiss",
               subject_type="contract", subject_id=candidate.contract_id,
               data={"reason": candidate.reason.value})
    session.flush()
    return candidate
