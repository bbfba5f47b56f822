"""How long enrolling a retail-003 customer and printing the letter take, on a fresh SQLite
file with the production argon2 cost (the initial password is hashed at enrolment).

    PYTHONPATH=src KINKO_SECRET_KEY=… python scripts/letters-timing.py [N]
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import date

from sqlalchemy.orm import Session

from kinko.db import Database
from kinko.db.migrate import upgrade
from kinko.ledger.books import ensure_books
from kinko.onboarding import customers, mail, products
from kinko.parties.models import Branch

PERSON = {"kind": "individual", "name": "佐藤 花子", "name_kana": "ｻﾄｳ ﾊﾅｺ",
          "branch_code": "001", "postal_code": "100-0001",
          "address": "東京都千代田区千代田1-1", "phone": "03-1234-5678",
          "birth_date": date(1985, 4, 2), "resident": True}


def setup(s: Session) -> None:
    s.add(Branch(code="001", name="本店", name_kana="ﾎﾝﾃﾝ"))
    s.flush()
    ensure_books(s)


def enrol(s: Session) -> int:
    customer = customers.register_customer(s, actor="timing", **PERSON)  # type: ignore[arg-type]
    return products.enrol_retail_003(s, customer_id=customer.id, actor="timing").shipments[0]


def main(n: int) -> None:
    url = f"sqlite:///{tempfile.mkdtemp()}/kinko.sqlite3"
    upgrade(url)
    db = Database(url)
    db.run(setup)
    started = time.perf_counter()
    letters = [db.run(enrol) for _ in range(n)]
    enrolled = time.perf_counter()
    sizes = [len(db.run(mail.print_pdf, shipment_id=i, actor="timing")) for i in letters]
    printed = time.perf_counter()
    print(f"enrol retail-003 (customer, contract, letter, token): "
          f"{(enrolled - started) / n * 1000:.0f} ms each over {n}")
    print(f"print a letter (PDF + mark printed): {(printed - enrolled) / n * 1000:.0f} ms each, "
          f"{sum(sizes) // n} bytes")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50)
