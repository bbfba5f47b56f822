"""A corporate contract with users and live sessions, through the real services."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from kinko.auth import enrolment, sessions, tokens
from kinko.auth.models import AuthUser, Course, TokenIssueReason, TokenKind, UserRole
from kinko.auth.policy import rules_for
from kinko.corporate import service as corporate
from kinko.corporate.rules import Service
from kinko.instructions.service import Actor
from kinko.ledger.models import Account, AccountType
from kinko.parties.models import CustomerKind
from tests import factories

_serials = iter(range(1, 10**6))


@dataclass
class Corp:
    contract_id: int
    customer_id: int
    representative: int
    second: int
    users: dict[str, int] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)

    def actor(self, name: str) -> Actor:
        return Actor(self.users[name], self.contract_id, self.customer_id)


def _own_account(session: Session, customer_id: int, *, balance: int,
                 account_type: AccountType = AccountType.ORDINARY, holder: str) -> int:
    account_id = factories.account(session, balance=balance, account_type=account_type,
                                   holder=holder)
    acc = session.get(Account, account_id)
    assert acc is not None
    acc.customer_id = customer_id
    session.flush()
    return account_id


def give_token(session: Session, corp: Corp, name: str) -> None:
    user = session.get(AuthUser, corp.users[name])
    assert user is not None
    from kinko.auth.models import AuthContract

    contract = session.get(AuthContract, corp.contract_id)
    assert contract is not None
    if contract.token_kind is TokenKind.SOFT:
        from kinko import clock
        from kinko.auth import otp
        from kinko.auth import repository as auth_repo

        prov = tokens.provision_soft_token(session, user_id=user.id)
        token = auth_repo.token_by_serial(session, prov.serial)
        assert token is not None
        tokens.confirm_soft_token(session, user_id=user.id, serial=prov.serial,
                                  code=otp.code_at(token, clock.now()))
        return
    tokens.issue_hard_token(session, contract_id=corp.contract_id, serial=f"HC{next(_serials):07d}",
                            reason=TokenIssueReason.INITIAL, user_id=user.id, activate=True,
                            fee_accounts=tokens.FeeAccounts(factories.account(session)),
                            actor="test")


def login(session: Session, corp: Corp, name: str) -> str:
    user = session.get(AuthUser, corp.users[name])
    assert user is not None
    user.must_change_password = user.must_change_login_id = False
    user.must_change_confirmation_password = False
    token, _ = sessions.start(session, user, rules_for(user.product, None))
    corp.tokens[name] = token
    return token


def contract(session: Session, *, course: Course = Course.COMPREHENSIVE, balance: int = 10_000_000,
             with_tokens: bool = True, smartphone_auth: bool = False,
             holder: str = "ｶ)ｷﾝｺｼﾖｳｼﾞ") -> Corp:
    """A contract with a representative and a second usage account, a master user, an admin
    and a general user with no grants; every user logged in (and holding a token)."""
    c = factories.customer(session, kind=CustomerKind.CORPORATE, name="株式会社きんこ商事",
                           name_kana=holder)
    c.email = "keiri@example.co.jp"
    rep = _own_account(session, c.id, balance=balance, holder=holder)
    second = _own_account(session, c.id, balance=1_000, account_type=AccountType.CHECKING,
                          holder=holder)
    token_kind = TokenKind.SOFT if smartphone_auth else (
        None if course is Course.LIGHT else TokenKind.HARD)
    if course is Course.LIGHT:
        master = enrolment.enrol_corporate(
            session, customer_id=c.id, course=Course.BASIC, representative_account_id=rep,
            temporary_login_password="Kari1Login", temporary_confirmation_password="Kari2Kaku",
            token_kind=TokenKind.HARD, actor="test")
        from kinko.auth.models import AuthContract

        # Light signs up online (signup_light); the same contract row, course Light, no OTP.
        row = session.get(AuthContract, master.contract_id)
        assert row is not None
        row.course, row.token_kind = Course.LIGHT, None
    else:
        master = enrolment.enrol_corporate(
            session, customer_id=c.id, course=course, representative_account_id=rep,
            temporary_login_password="Kari1Login", temporary_confirmation_password="Kari2Kaku",
            token_kind=token_kind, smartphone_auth=smartphone_auth, actor="test")
    master.login_id = f"m{master.id}"
    corp = Corp(master.contract_id, c.id, rep, second, {"master": master.id})
    corporate.register_usage_account(session, contract_id=corp.contract_id, account_id=second,
                                     actor="test")
    for name, role in (("admin", UserRole.ADMIN), ("general", UserRole.GENERAL)):
        view = corporate.create_user(
            session, corp.actor("master"), role=role, login_id=f"{name}{master.id}",
            temporary_login_password="Kari3Login", temporary_confirmation_password="Kari4Kaku")
        corp.users[name] = view.id
    for name in corp.users:
        if with_tokens and course is not Course.LIGHT:
            give_token(session, corp, name)
        login(session, corp, name)
    return corp


def grant(session: Session, corp: Corp, name: str, services: str, accounts: list[int],
          per_transaction: int | None = None, daily: int | None = None) -> None:
    from kinko.corporate.rules import parse_services

    corporate.set_grants(session, corp.actor("master"), corp.users[name],
                         services=parse_services(services), per_transaction=per_transaction,
                         daily=daily, account_ids=accounts)


ALL = frozenset(Service)
