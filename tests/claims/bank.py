"""A small bank for the claims tests: a customer whose credentials were stolen, the thief's
account at another branch, fraudulent transfers made through the real transfer service, and
two CLAIMS operators (four eyes)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from kinko import clock
from kinko.backoffice import operators
from kinko.backoffice.models import OperatorRole
from kinko.db import Database
from kinko.instructions.service import Actor, StepUpProof, raise_if_void
from kinko.ledger.models import Account
from kinko.transfers import service as transfers
from tests import factories

# The thief's transfers: Friday 20 and Monday 23... 24 November 2026 (business days).
FRAUD_DAY = datetime(2026, 11, 20, 10, 0, tzinfo=clock.JST)
REPORT_DAY = datetime(2026, 11, 25, 9, 30, tzinfo=clock.JST)


@dataclass(frozen=True)
class Bank:
    actor: Actor
    account_id: int
    thief: tuple[str, str]       # branch, number
    own_other: tuple[str, str]   # another account of the same customer
    maker: int                   # CLAIMS operator who asks
    checker: int                 # CLAIMS operator who approves


def make_bank(db: Database, *, balance: int = 1_000_000, corporate: bool = False) -> Bank:
    def build(s):  # type: ignore[no-untyped-def]
        actor, acc = factories.retail_actor(s, balance=balance, corporate=corporate)
        thief_id = factories.account(s, branch_code="002", holder="ﾄｸﾒｲ ﾊﾝｻﾞｲ")
        own_id = factories.account(s, branch_code="002", holder="ﾔﾏﾀﾞ ﾀﾛｳ")
        own = s.get(Account, own_id)
        own.customer_id = actor.customer_id
        thief = s.get(Account, thief_id)
        maker = operators.create_operator(s, code="K901", name="補償 一郎",
                                          roles=[OperatorRole.CLAIMS], actor="system")
        checker = operators.create_operator(s, code="K902", name="補償 二郎",
                                            roles=[OperatorRole.CLAIMS], actor="system")
        return Bank(actor, acc, (thief.branch_code, thief.number),
                    (own.branch_code, own.number), maker.id, checker.id)
    return db.run(build)


def transfer(db: Database, bank: Bank, to: tuple[str, str], amount: int, key: str) -> int:
    """A transfer confirmed with the (stolen) credentials; returns the instruction id."""
    def payee(s):  # type: ignore[no-untyped-def]
        # Registered payees (事前登録), so the ad-hoc payee limit does not apply.
        return transfers.register_payee(s, bank.actor, bank_code="0999", branch_code=to[0],
                                        account_type="ordinary", number=to[1]).id
    payee_id = db.run(payee)
    quote = db.run(lambda s: transfers.enter(
        s, bank.actor, key=key, from_account_id=bank.account_id, amount=amount,
        payee_id=payee_id))
    proof = StepUpProof(bank.actor.user_id, quote.instruction.digest, clock.now())
    done = db.run(lambda s: transfers.confirm(s, bank.actor, quote.instruction.id, proof))
    raise_if_void(done)
    return done.id


def balance(db: Database, account_id: int) -> int:
    with db.transaction() as s:
        return int(s.execute(select(Account.balance).where(Account.id == account_id))
                   .scalar_one())
