"""Enrol a customer in an internet banking product (PRD-2, PRD-3, AUTH-7), with what the bank
mails: retail-001 a confirmation-number card, retail-003 the user ID / initial password letter
and a ready token, a business-net course its lent tokens. Reuses :mod:`kinko.auth.enrolment`.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from kinko import clock
from kinko.audit.service import record
from kinko.auth import enrolment
from kinko.auth import repository as auth_repo
from kinko.auth.models import AuthUser, Course, Product, TokenIssueReason, TokenKind
from kinko.auth.outcomes import Rejected
from kinko.ledger.models import Account, AccountState, AccountType
from kinko.onboarding import mail
from kinko.onboarding.errors import OnboardingRefused
from kinko.onboarding.models import ContractAccount, Shipment
from kinko.parties.models import CustomerKind
from kinko.parties.residency import get_customer


@dataclass(frozen=True)
class Enrolled:
    user_id: int
    contract_id: int
    login_id: str | None
    shipments: Sequence[int] = field(default_factory=tuple)


def _individual(session: Session, customer_id: int) -> None:
    if get_customer(session, customer_id).kind is not CustomerKind.INDIVIDUAL:
        raise OnboardingRefused(detail="the retail products are for individual customers")


def _member_number(session: Session) -> str:
    while True:
        number = "".join(secrets.choice("0123456789") for _ in range(10))
        if number[0] != "0" and auth_repo.user_by_login_id(session, Product.RETAIL_001,
                                                            number) is None:
            return number


def enrol_retail_001(session: Session, *, customer_id: int, password: str, actor: str
                     ) -> Enrolled:
    """The member number is the bank's; the login password is the one the customer filed on
    the application (001 2(1)); the confirmation-number card is mailed."""
    _individual(session, customer_id)
    user = enrolment.enrol_retail_001(session, customer_id=customer_id,
                                      member_number=_member_number(session), password=password,
                                      actor=actor)
    letter = mail.issue_card_by_post(session, user, actor=actor)
    return Enrolled(user.id, user.contract_id, user.login_id, (letter.id,))


def enrol_retail_003(session: Session, *, customer_id: int, actor: str) -> Enrolled:
    """The bank draws a user ID and initial password and mails them with a ready token
    (003 第二条, 第四条1(1)); the first login forces changing both."""
    _individual(session, customer_id)
    issued = enrolment.enrol_retail_003(session, customer_id=customer_id, actor=actor)
    user = session.get(AuthUser, issued.user_id)
    assert user is not None
    letter = mail.queue_initial_credentials(session, user, password=issued.password,
                                            actor=actor)
    token = mail.lend_token_by_post(session, contract_id=user.contract_id, user_id=user.id,
                                    reason=TokenIssueReason.INITIAL, activate=True, actor=actor)
    return Enrolled(user.id, user.contract_id, issued.login_id, (letter.id, token.id))


def _usage_accounts(session: Session, customer_id: int, representative_account_id: int,
                    usage_account_ids: Sequence[int], course: Course) -> list[Account]:
    """PRD-3: every usage account in the contractor's name at this bank, usable, the
    representative one among them; the Light course's is an ordinary account."""
    wanted = list(dict.fromkeys([representative_account_id, *usage_account_ids]))
    accounts = session.execute(select(Account).where(Account.id.in_(wanted))).scalars().all()
    found = {a.id: a for a in accounts}
    for account_id in wanted:
        account = found.get(account_id)
        if account is None or account.customer_id != customer_id:
            raise OnboardingRefused(detail=f"account {account_id} is not in the contractor's "
                                           "name", fields=["usage_account_ids"])
        if account.type not in (AccountType.ORDINARY, AccountType.CHECKING):
            raise OnboardingRefused(detail=f"account {account_id}: usage accounts are "
                                           "ordinary or checking", fields=["usage_account_ids"])
        if account.state is AccountState.CLOSED:
            raise OnboardingRefused(detail=f"account {account_id} is closed",
                                    fields=["usage_account_ids"])
    if course is Course.LIGHT and found[representative_account_id].type is not \
            AccountType.ORDINARY:
        raise OnboardingRefused(detail="the Light course needs an ordinary account",
                                fields=["representative_account_id"])
    return [found[i] for i in wanted]


def _link_accounts(session: Session, contract_id: int, accounts: Sequence[Account],
                   representative_id: int, actor: str) -> None:
    now = clock.now()
    for account in accounts:
        session.add(ContractAccount(contract_id=contract_id, account_id=account.id,
                                    representative=account.id == representative_id,
                                    added_at=now))
    session.flush()
    record(session, actor=actor, action="contract.usage_accounts", subject_type="auth_contract",
           subject_id=contract_id, data={"accounts": [a.id for a in accounts],
                                         "representative": representative_id})


def open_corporate_contract(session: Session, *, customer_id: int, course: str,
                            representative_account_id: int,
                            usage_account_ids: Sequence[int],
                            temporary_login_password: str,
                            temporary_confirmation_password: str, token_kind: str | None,
                            certificate_login: bool = False, smartphone_auth: bool = False,
                            tokens: int = 1, actor: str) -> Enrolled:
    """A Basic or Comprehensive business-net contract from its paper application (002 第2条2):
    the temporary passwords filed on it, the usage and representative accounts, and the hard
    tokens lent (the first free, further ones at the extra-issue fee, CRED-1)."""
    if get_customer(session, customer_id).kind is not CustomerKind.CORPORATE:
        raise OnboardingRefused(detail="the business net is for corporate customers")
    if course not in {c.value for c in Course}:
        raise OnboardingRefused(detail="the course is light, basic or comprehensive",
                                fields=["course"])
    chosen = Course(course)
    if chosen is Course.LIGHT:
        raise OnboardingRefused(detail="the Light course signs up online at /signup/light",
                                fields=["course"])
    if token_kind not in (None, *(k.value for k in TokenKind)):
        raise OnboardingRefused(detail="the token is hard or soft", fields=["token_kind"])
    if not 0 <= tokens <= 20:
        raise OnboardingRefused(detail="0 to 20 tokens", fields=["tokens"])
    kind = None if token_kind is None else TokenKind(token_kind)
    accounts = _usage_accounts(session, customer_id, representative_account_id,
                               usage_account_ids, chosen)
    master = enrolment.enrol_corporate(
        session, customer_id=customer_id, course=chosen,
        representative_account_id=representative_account_id,
        temporary_login_password=temporary_login_password,
        temporary_confirmation_password=temporary_confirmation_password, token_kind=kind,
        certificate_login=certificate_login, smartphone_auth=smartphone_auth, actor=actor)
    _link_accounts(session, master.contract_id, accounts, representative_account_id, actor)
    shipments: list[Shipment] = []
    if kind is TokenKind.HARD:
        from kinko.auth.tokens import FeeAccounts
        from kinko.ledger.books import book

        fees = FeeAccounts(book(session, "fee_income"), representative_account_id)
        for _ in range(tokens):
            # Lent to the contract; each user registers one with its first code.
            shipments.append(mail.lend_token_by_post(
                session, contract_id=master.contract_id, user_id=None,
                reason=TokenIssueReason.INITIAL, fee_accounts=fees, actor=actor))
    return Enrolled(master.id, master.contract_id, None, tuple(s.id for s in shipments))


def signup_light(session: Session, *, branch_code: str, account_number: str, pin: str | None,
                 passbook_last4: str | None, login_id: str, login_password: str,
                 confirmation_password: str, email: str | None = None
                 ) -> Rejected | AuthUser:
    """The public Light sign-up (AUTH-7) with its representative account recorded (PRD-3)."""
    result = enrolment.signup_light(session, branch_code=branch_code,
                                    account_number=account_number, pin=pin,
                                    passbook_last4=passbook_last4, login_id=login_id,
                                    login_password=login_password,
                                    confirmation_password=confirmation_password, email=email)
    if isinstance(result, Rejected):
        return result
    contract = auth_repo.contract(session, result.contract_id)
    assert contract is not None and contract.representative_account_id is not None
    account = session.get(Account, contract.representative_account_id)
    assert account is not None
    _link_accounts(session, contract.id, [account], account.id, f"user:{result.id}")
    return result


def lend_extra_token(session: Session, *, contract_id: int, actor: str) -> Shipment:
    """A further hard token for the contract, at the extra-issue fee (CRED-1)."""
    from kinko.auth.tokens import FeeAccounts
    from kinko.ledger.books import book

    contract = auth_repo.contract(session, contract_id)
    if contract is None:
        raise OnboardingRefused(detail=f"no contract {contract_id}", fields=["contract_id"])
    paying = contract.representative_account_id or session.execute(
        select(Account.id).where(Account.customer_id == contract.customer_id,
                                 Account.type == AccountType.ORDINARY)
        .order_by(Account.id).limit(1)).scalar_one_or_none()
    return mail.lend_token_by_post(
        session, contract_id=contract_id, user_id=None, reason=TokenIssueReason.EXTRA,
        fee_accounts=FeeAccounts(book(session, "fee_income"), paying), actor=actor)


def usage_accounts(session: Session, contract_id: int) -> Sequence[ContractAccount]:
    return session.execute(select(ContractAccount).where(
        ContractAccount.contract_id == contract_id)).scalars().all()
