"""The demo bank's collection agencies and bills (fictional names and numbers)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from kinko import clock
from kinko.payeasy.models import BillState
from kinko.payeasy.service import agency_cancel, issue_bill, register_agency

ACTOR = "system:demo"

AGENCIES = (
    ("12345", "きんこ電力株式会社", "ｷﾝｺﾃﾞﾝﾘﾖｸ"),
    ("23456", "みらいガス株式会社", "ﾐﾗｲｶﾞｽ"),
    ("34567", "さくら通信株式会社", "ｻｸﾗﾂｳｼﾝ"),
    ("45678", "きんこ市役所", "ｷﾝｺｼﾔｸｼﾖ"),
)

# key, agency, お客様番号, 確認番号, amount, due in days, payee, description, state
BILLS = (
    ("bill_electricity", "12345", "10000000000000000001", "123456", 8_640, 14,
     "きんこ電力株式会社", "電気料金 2026年11月分", BillState.UNPAID),
    ("bill_gas", "23456", "2000000002", "2468", 4_321, 10,
     "みらいガス株式会社", "ガス料金 11月分", BillState.UNPAID),
    ("bill_phone", "34567", "300000000003", "1357", 12_100, 20,
     "さくら通信株式会社", "携帯電話料金 11月分", BillState.UNPAID),
    ("bill_city_tax", "45678", "4000000004", "888888", 52_300, 30,
     "きんこ市役所", "市県民税 第3期", BillState.UNPAID),
    ("bill_overdue", "12345", "10000000000000000002", "654321", 7_980, -3,
     "きんこ電力株式会社", "電気料金 2026年10月分", BillState.UNPAID),
    ("bill_withdrawn", "23456", "2000000009", "9999", 3_300, 7,
     "みらいガス株式会社", "ガス料金 10月分（請求取消）", BillState.CANCELLED),
)


def seed_demo(session: Session, ids: dict[str, int]) -> None:
    """Register the demo agencies and issue their bills; adds each bill's id to ``ids``.

    The numbers to type are in :data:`BILLS` (and docs/retail-services.md).
    """
    for code, name, kana in AGENCIES:
        register_agency(session, code=code, name=name, name_kana=kana, actor=ACTOR)
    today = clock.today()
    for key, agency, number, confirmation, amount, due, payee, text, state in BILLS:
        bill = issue_bill(session, agency_code=agency, customer_number=number,
                          confirmation_number=confirmation, amount=amount,
                          due_date=today + timedelta(days=due), payee_name=payee,
                          description=text, actor=ACTOR)
        if state is BillState.CANCELLED:
            agency_cancel(session, agency_code=agency, customer_number=number,
                          reason="請求内容の訂正 / bill corrected", actor=ACTOR)
        ids[key] = bill.id
