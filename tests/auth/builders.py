"""Builders for authentication test data, through the real enrolment services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from kinko import clock
from kinko.auth import enrolment, tokens
from kinko.auth import repository as repo
from kinko.auth.models import AuthUser, Course, OtpToken, TokenIssueReason, TokenKind
from kinko.auth.otp import code_at
from kinko.ledger.models import AccountType
from kinko.parties.models import Customer, CustomerKind
from tests import factories

PASSWORD = "Kinko8Pass"          # passes every AUTH-9 rule for the customers below
CONFIRM = "Kakunin9Word"
NEW_PASSWORD = "Shinki7Word"


def customer(session: Session, *, kind: CustomerKind = CustomerKind.INDIVIDUAL,
             birth_date: date | None = date(1985, 3, 21), phone: str | None = "090-1234-5678",
             email: str | None = "taro@example.jp") -> Customer:
    c = factories.customer(session, kind=kind)
    c.birth_date, c.phone, c.email = birth_date, phone, email
    session.flush()
    return c


def retail_001(session: Session, *, member_number: str = "12345678",
               password: str = PASSWORD, **kw: object) -> AuthUser:
    c = customer(session, **kw)  # type: ignore[arg-type]
    return enrolment.enrol_retail_001(session, customer_id=c.id, member_number=member_number,
                                      password=password, actor="test")


@dataclass
class Retail003:
    user: AuthUser
    login_id: str
    password: str
    token: OtpToken


def retail_003(session: Session, *, serial: str = "ET0001") -> Retail003:
    c = customer(session)
    creds = enrolment.enrol_retail_003(session, customer_id=c.id, actor="test")
    user = session.get(AuthUser, creds.user_id)
    assert user is not None
    tokens.issue_hard_token(session, contract_id=user.contract_id, serial=serial,
                            reason=TokenIssueReason.INITIAL, user_id=user.id, activate=True,
                            actor="test")
    token = repo.token_by_serial(session, serial)
    assert token is not None
    return Retail003(user, creds.login_id, creds.password, token)


@dataclass
class Corporate:
    master: AuthUser
    account_id: int
    branch_code: str
    account_number: str


def corporate(session: Session, *, course: Course = Course.BASIC,
              token_kind: TokenKind | None = TokenKind.HARD, certificate_login: bool = False,
              smartphone_auth: bool = False, balance: int = 100_000) -> Corporate:
    c = customer(session, kind=CustomerKind.CORPORATE, birth_date=None, phone="03-1234-5678",
                 email="keiri@example.co.jp")
    account_id = factories.account(session, balance=balance, account_type=AccountType.ORDINARY)
    from kinko.ledger.models import Account

    acc = session.get(Account, account_id)
    assert acc is not None
    acc.customer_id = c.id
    session.flush()
    master = enrolment.enrol_corporate(
        session, customer_id=c.id, course=course, representative_account_id=account_id,
        temporary_login_password="Kari1Login", temporary_confirmation_password="Kari2Kaku",
        token_kind=token_kind, certificate_login=certificate_login,
        smartphone_auth=smartphone_auth, actor="test")
    return Corporate(master, account_id, acc.branch_code, acc.number)


def otp_now(token: OtpToken) -> str:
    return code_at(token, clock.now())
