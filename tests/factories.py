"""Test data builders: branches, customers and accounts through the real services."""

from __future__ import annotations

import itertools
from typing import Any

from sqlalchemy.orm import Session

from kinko import clock
from kinko.instructions.service import Actor
from kinko.ledger.models import AccountType
from kinko.ledger.rules import Leg
from kinko.ledger.service import EntryRequest, open_account, post
from kinko.parties.models import Branch, Customer, CustomerKind

_numbers = itertools.count(1)


def branch(session: Session, code: str = "001") -> str:
    if session.get(Branch, code) is None:
        session.add(Branch(code=code, name=f"支店{code}", name_kana=f"ｼﾃﾝ{code}"))
        session.flush()
    return code


def customer(session: Session, *, kind: CustomerKind = CustomerKind.INDIVIDUAL,
             name: str = "山田太郎", name_kana: str = "ﾔﾏﾀﾞ ﾀﾛｳ") -> Customer:
    code = branch(session)
    c = Customer(number=f"C{next(_numbers):07d}", kind=kind, name=name, name_kana=name_kana,
                 branch_code=code)
    session.add(c)
    session.flush()
    return c


def account(session: Session, *, balance: int = 0, overdraft: int = 0,
            account_type: AccountType = AccountType.ORDINARY, branch_code: str = "001",
            holder: str = "ﾔﾏﾀﾞ ﾀﾛｳ") -> int:
    """Open an account and fund it from the bank's cash book; returns the account id."""
    branch(session, branch_code)
    acc = open_account(session, branch_code=branch_code, number=f"{next(_numbers):07d}",
                       account_type=account_type, holder_kana=holder, customer_id=None,
                       overdraft_limit=overdraft, actor="test")
    if balance:
        post(session, EntryRequest(kind="deposit", legs=[
            Leg(cash(session), -balance), Leg(acc.id, balance)]), actor="test")
    return acc.id


def cash(session: Session) -> int:
    """The bank's cash book: an internal account that may go as negative as it needs."""
    from kinko.ledger.books import book, ensure_books

    ensure_books(session, actor="test")
    return book(session, "cash")


def retail_actor(session: Session, *, balance: int = 0, branch_code: str = "001",
                 holder: str = "ﾔﾏﾀﾞ ﾀﾛｳ", corporate: bool = False
                 ) -> tuple[Actor, int]:
    """A customer with an internet banking contract, a user and a funded ordinary account."""
    from kinko.auth.models import AuthContract, AuthUser, Course, Product, TokenKind
    from kinko.ledger.models import Account

    kind = CustomerKind.CORPORATE if corporate else CustomerKind.INDIVIDUAL
    product = Product.CORPORATE_002 if corporate else Product.RETAIL_003
    c = customer(session, kind=kind, name_kana=holder)
    c.email = f"{c.number.lower()}@example.jp"
    now = clock.now()
    # A business net contract on the Basic course (transfers included), its master user.
    contract = AuthContract(customer_id=c.id, product=product, created_at=now,
                            course=Course.BASIC if corporate else None,
                            token_kind=TokenKind.HARD if corporate else None)
    session.add(contract)
    session.flush()
    user = AuthUser(contract_id=contract.id, customer_id=c.id, product=product,
                    login_id=f"u{c.id}", created_at=now)
    session.add(user)
    session.flush()
    account_id = account(session, balance=balance, branch_code=branch_code, holder=holder)
    acc = session.get(Account, account_id)
    assert acc is not None
    acc.customer_id = c.id
    if corporate:
        # Basic needs every user's token before transacting (AUTH-11).
        from kinko.auth import tokens
        from kinko.auth.models import TokenIssueReason

        contract.representative_account_id = account_id
        tokens.issue_hard_token(session, contract_id=contract.id, serial=f"HF{user.id:08d}",
                                reason=TokenIssueReason.INITIAL, user_id=user.id,
                                activate=True, fee_accounts=tokens.FeeAccounts(account(session)),
                                actor="test")
    session.flush()
    return Actor(user.id, contract.id, c.id), account_id


def operator_session(session: Session, code: str, roles: list[Any]) -> tuple[int, str]:
    """An operator who has changed their initial password, and a live console session token
    (the ``kinko_operator`` cookie): for page tests that are not about signing in."""
    from kinko.backoffice import operators, sessions

    operator = operators.create_operator(session, code=code, name=f"行員 {code}", roles=roles,
                                         actor="system:test")
    operator.must_change_password = False
    return operator.id, sessions.start(session, operator.id)
