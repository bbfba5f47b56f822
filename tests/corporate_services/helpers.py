"""A corporate-002 customer with accounts, for the corporate services' tests."""

from __future__ import annotations

from sqlalchemy.orm import Session

from kinko.auth.models import AuthContract, Course
from kinko.instructions.service import Actor
from kinko.ledger.models import Account
from tests import factories


def corporate(session: Session, *, balance: int = 1_000_000, holder: str = "ｶ)ｷﾝｺｼﾖｳｼﾞ",
              course: Course = Course.COMPREHENSIVE) -> tuple[Actor, int]:
    """A corporate customer with a contract on ``course`` (Comprehensive: every service of
    002) whose representative account holds ``balance``; returns the actor and the representative
    account id."""
    actor, account_id = factories.retail_actor(session, balance=balance, holder=holder,
                                               corporate=True)
    contract = session.get(AuthContract, actor.contract_id)
    assert contract is not None
    contract.course = course
    contract.representative_account_id = account_id
    session.flush()
    return actor, account_id


def second_account(session: Session, actor: Actor, *, balance: int = 0) -> int:
    account_id = factories.account(session, balance=balance, holder="ｶ)ｷﾝｺｼﾖｳｼﾞ")
    acc = session.get(Account, account_id)
    assert acc is not None
    acc.customer_id = actor.customer_id
    session.flush()
    return account_id
