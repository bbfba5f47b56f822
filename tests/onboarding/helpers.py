"""Builders for the onboarding tests, through the real services."""

from __future__ import annotations

import io
from datetime import date

from pypdf import PdfReader
from sqlalchemy.orm import Session

from kinko.db import Database
from kinko.ledger.books import book
from kinko.ledger.rules import Leg
from kinko.ledger.service import EntryRequest, post
from kinko.onboarding import customers

PERSON = {"kind": "individual", "name": "佐藤 花子", "name_kana": "ｻﾄｳ ﾊﾅｺ",
          "branch_code": "001", "postal_code": "100-0001",
          "address": "東京都千代田区千代田1-1", "phone": "03-1234-5678",
          "birth_date": date(1985, 4, 2), "resident": True}
COMPANY = PERSON | {"kind": "corporate", "name": "株式会社 金庫商事", "name_kana": "ｶ)ｷﾝｺｼﾖｳｼﾞ",
                    "birth_date": None}


def person(db: Database, *, balance: int = 0, corporate: bool = False) -> tuple[int, int]:
    """A registered customer with a funded ordinary account: (customer id, account id)."""
    def run(s: Session) -> tuple[int, int]:
        c = customers.register_customer(s, actor="test", **(COMPANY if corporate else PERSON))
        a = customers.open_customer_account(s, customer_id=c.id, account_type="ordinary",
                                            actor="test")
        if balance:
            post(s, EntryRequest(kind="deposit", legs=[Leg(book(s, "cash"), -balance),
                                                       Leg(a.id, balance)]), actor="test")
        return c.id, a.id
    return db.run(run)


def pdf_text(pdf: bytes) -> str:
    assert pdf.startswith(b"%PDF")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
