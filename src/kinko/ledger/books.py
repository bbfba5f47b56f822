"""The bank's own books: internal accounts found by role.

Asset-like books (cash, clearing, Pay-easy settlement) carry the largest overdraft line so they
can go negative — seen from the deposit ledger, money the bank holds elsewhere. Income and
liability books (fees, interest, withheld tax) cannot.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from kinko.errors import DomainError
from kinko.ledger.models import AccountType, BankBook
from kinko.ledger.repository import find_account
from kinko.money import MAX_AMOUNT
from kinko.parties.models import Branch

HEAD_OFFICE = "999"
# role → (account number, holder name, may go negative)
BOOKS: dict[str, tuple[str, str, bool]] = {
    "cash": ("9000001", "ｹﾞﾝｷﾝ", True),
    "clearing": ("9000002", "ｾｲｻﾝ", True),
    "fee_income": ("9000003", "ﾃｽｳﾘﾖｳｼﾕｳﾆﾕｳ", False),
    "interest_expense": ("9000004", "ｼﾊﾗｲﾘｿｸ", True),
    "tax_withheld": ("9000005", "ｹﾞﾝｾﾝｿﾞｲ", False),
    "payeasy_settlement": ("9000006", "ｼﾕｳﾉｳｷｶﾝ ｾｲｻﾝ", True),
    "suspense": ("9000007", "ｶﾘｳｹｷﾝ", True),
    # Compensation for unauthorized transfers and the bank's processing errors (補てん, CLM-9,
    # CLM-10): an expense, so it grows negative as the bank pays.
    "compensation_expense": ("9000014", "ﾎﾃﾝﾋﾖｳ", True),
}


class BookMissing(DomainError):
    code = "LEDGER_BOOK_MISSING"
    status = 500
    message_ja = "当行勘定が設定されていません。"


def ensure_books(session: Session, *, actor: str = "system") -> dict[str, int]:
    """Create any missing book (idempotent); return account ids by role."""
    from kinko.ledger.service import open_account

    if session.get(Branch, HEAD_OFFICE) is None:
        session.add(Branch(code=HEAD_OFFICE, name="本部勘定", name_kana="ﾎﾝﾌﾞ"))
        session.flush()
    ids: dict[str, int] = {
        row.role: row.account_id
        for row in session.execute(select(BankBook.role, BankBook.account_id))
    }
    for role, (number, kana, negative) in BOOKS.items():
        if role in ids:
            continue
        existing = find_account(session, HEAD_OFFICE, number)
        account_id = existing.id if existing else open_account(
            session, branch_code=HEAD_OFFICE, number=number, account_type=AccountType.INTERNAL,
            holder_kana=kana, customer_id=None, overdraft_limit=MAX_AMOUNT if negative else 0,
            actor=actor).id
        session.add(BankBook(role=role, account_id=account_id))
        ids[role] = account_id
    session.flush()
    return ids


def book(session: Session, role: str) -> int:
    """The account id of the bank's ``role`` book."""
    account_id = session.execute(
        select(BankBook.account_id).where(BankBook.role == role)
    ).scalar_one_or_none()
    if account_id is None:
        raise BookMissing(detail=role)
    return account_id
