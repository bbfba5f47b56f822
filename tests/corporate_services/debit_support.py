"""Building a direct-debit world: the company, its agreement, payers and a 91 request file."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from kinko.config import get_settings
from kinko.corporate_services import debits
from kinko.corporate_services.models import AgreementKind
from kinko.instructions.service import Actor
from kinko.ledger.models import Account
from kinko.zengin import records as r
from kinko.zengin.reader import Options
from kinko.zengin.writer import build_file, build_group, write
from tests import factories
from tests.corporate_services.helpers import corporate

ORIGINATOR = "1234567890"


@dataclass
class World:
    actor: Actor
    company_account: int
    agreement_id: int
    payers: list[tuple[int, str, str]]   # account id, branch, number


def world(s: Session, *, balances: list[int], kind: AgreementKind = AgreementKind.DIRECT_DEBIT,
          mandates: bool = True, originator: str = ORIGINATOR) -> World:
    actor, company = corporate(s, balance=10_000)
    agreement = debits.create_agreement(
        s, contract_id=actor.contract_id, kind=kind, originator_code=originator,
        originator_name="ｶ)ｷﾝｺｼﾖｳｼﾞ", settlement_account_id=company, actor="test")
    payers = []
    for balance in balances:
        account_id = factories.account(s, balance=balance, holder="ﾔﾏﾀﾞ ﾀﾛｳ")
        acc = s.get(Account, account_id)
        assert acc is not None
        payers.append((account_id, acc.branch_code, acc.number))
    if mandates:
        debits.register_mandates(s, agreement.id, [(b, n) for _, b, n in payers], actor="test")
    return World(actor, company, agreement.id, payers)


def request_file(lines: list[tuple[str, str, str, int]], *, debit_date: date,
                 today: date, originator: str = ORIGINATOR) -> bytes:
    """A 91 request: one record per (bank, branch, number, amount)."""
    header = r.DebitHeader(originator_code=originator, originator_name="ｶ)ｷﾝｺｼﾖｳｼﾞ",
                           debit_date=debit_date, bank_code=get_settings().bank_code,
                           branch_code="001", account_type="1", account_number="0000001")
    records = [r.DebitData(bank_code=bank, branch_code=branch, account_type="1",
                           account_number=number, payer_name="ﾔﾏﾀﾞ ﾀﾛｳ", amount=amount,
                           customer_number=f"{i:020d}")
               for i, (bank, branch, number, amount) in enumerate(lines, start=1)]
    return write(build_file([build_group(header, records, debit_result=False)]),
                 Options(reference_date=today))
