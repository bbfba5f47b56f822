"""The demo bank: branches, the bank's own books, individual and corporate customers with
accounts and a few weeks of history — all created through the ledger's services, so the demo
obeys the same rules as production data."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy.orm import Session

from kinko import clock
from kinko.db.engine import Database
from kinko.ledger.books import ensure_books
from kinko.ledger.models import AccountState, AccountType
from kinko.ledger.rules import Leg
from kinko.ledger.service import EntryRequest, change_state, open_account, post
from kinko.parties.models import Branch, Customer, CustomerKind
from kinko.tables import metadata

ACTOR = "system:demo"

BRANCHES = [("001", "本店", "ﾎﾝﾃﾝ"), ("002", "渋谷支店", "ｼﾌﾞﾔ")]


def wipe(db: Database) -> None:
    """Delete every row (children first), keeping the schema."""
    with db.engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            if table.name != "alembic_version":
                conn.execute(table.delete())


def _customer(s: Session, number: str, kind: CustomerKind, name: str, kana: str, branch: str,
              **extra: object) -> Customer:
    c = Customer(number=number, kind=kind, name=name, name_kana=kana, branch_code=branch,
                 **extra)
    s.add(c)
    s.flush()
    return c


def create(s: Session, *, today: date | None = None) -> dict[str, int]:
    """Create the demo bank; return account ids by a short name (for tests and docs)."""
    today = today or clock.today()
    for code, name, kana in BRANCHES:
        s.add(Branch(code=code, name=name, name_kana=kana))
    s.flush()
    ids = ensure_books(s, actor=ACTOR)

    yamada = _customer(s, "C000001", CustomerKind.INDIVIDUAL, "山田 太郎", "ﾔﾏﾀﾞ ﾀﾛｳ", "001",
                       birth_date=date(1985, 4, 12), phone="09012345678",
                       email="taro.yamada@example.jp")
    sato = _customer(s, "C000002", CustomerKind.INDIVIDUAL, "佐藤 花子", "ｻﾄｳ ﾊﾅｺ", "002",
                     birth_date=date(1992, 11, 3), phone="08098765432",
                     email="hanako.sato@example.jp")
    wang = _customer(s, "C000003", CustomerKind.INDIVIDUAL, "王 小明", "ｵｳ ｼﾖｳﾒｲ", "001",
                     birth_date=date(1990, 1, 20), phone="07011112222",
                     email="wang@example.cn", resident=False, residency_changed_on=date(2024, 4, 1))
    kinko_shoji = _customer(s, "C000004", CustomerKind.CORPORATE, "株式会社きんこ商事",
                            "ｶ)ｷﾝｺｼﾖｳｼﾞ", "001", phone="0312345678",
                            email="keiri@kinko-shoji.example.jp")

    def account(key: str, c: Customer, branch: str, number: str, kind: AccountType,
                overdraft: int = 0) -> None:
        ids[key] = open_account(s, branch_code=branch, number=number, account_type=kind,
                                holder_kana=c.name_kana, customer_id=c.id,
                                overdraft_limit=overdraft, actor=ACTOR).id

    account("yamada_ordinary", yamada, "001", "1234567", AccountType.ORDINARY)
    account("sato_ordinary", sato, "002", "2345678", AccountType.ORDINARY)
    account("wang_ordinary", wang, "001", "3456789", AccountType.ORDINARY)
    account("shoji_checking", kinko_shoji, "001", "0100001", AccountType.CHECKING, 5_000_000)
    account("shoji_ordinary", kinko_shoji, "001", "1100001", AccountType.ORDINARY)

    def at(days_ago: int, hour: int = 10) -> datetime:
        return datetime.combine(today - timedelta(days=days_ago), time(hour), clock.JST)

    def book(days_ago: int, kind: str, legs: list[Leg], memo: str = "") -> None:
        with clock.frozen(at(days_ago)):
            post(s, EntryRequest(kind=kind, legs=legs, memo=memo,
                                 value_date=at(days_ago).date()), actor=ACTOR)

    cash, clearing, fees = ids["cash"], ids["clearing"], ids["fee_income"]
    book(40, "deposit", [Leg(cash, -300_000), Leg(ids["yamada_ordinary"], 300_000, "ｹﾞﾝｷﾝ")])
    book(40, "deposit", [Leg(cash, -120_000), Leg(ids["sato_ordinary"], 120_000, "ｹﾞﾝｷﾝ")])
    book(40, "deposit", [Leg(cash, -50_000), Leg(ids["wang_ordinary"], 50_000, "ｹﾞﾝｷﾝ")])
    book(40, "deposit", [Leg(clearing, -8_000_000),
                         Leg(ids["shoji_checking"], 8_000_000, "ｳﾘｱｹﾞｷﾝ ﾆﾕｳｷﾝ")])
    book(30, "payroll", [
        Leg(ids["shoji_checking"], -560_000, "ｷﾕｳﾖ ｿｳｷﾝ"),
        Leg(ids["yamada_ordinary"], 310_000, "ｷﾕｳﾖ ｶ)ｷﾝｺｼﾖｳｼﾞ"),
        Leg(ids["sato_ordinary"], 250_000, "ｷﾕｳﾖ ｶ)ｷﾝｺｼﾖｳｼﾞ"),
    ], memo="給与振込")
    book(21, "transfer", [Leg(ids["yamada_ordinary"], -30_110, "ﾌﾘｺﾐ ｻﾄｳ ﾊﾅｺ"),
                          Leg(ids["sato_ordinary"], 30_000, "ﾌﾘｺﾐ ﾔﾏﾀﾞ ﾀﾛｳ"),
                          Leg(fees, 110, "ﾌﾘｺﾐﾃｽｳﾘﾖｳ")], memo="他店宛振込 (手数料110円)")
    book(14, "withdrawal", [Leg(ids["sato_ordinary"], -20_000, "ATM"), Leg(cash, 20_000)])
    book(10, "transfer_out", [Leg(ids["shoji_checking"], -1_200_440, "ﾌﾘｺﾐ ｼｲﾚｻｷ"),
                              Leg(clearing, 1_200_000), Leg(fees, 440)], memo="他行宛振込")
    book(3, "incoming", [Leg(clearing, -45_000),
                         Leg(ids["wang_ordinary"], 45_000, "ﾌﾘｺﾐ ｵｳ ﾀｲｶﾞｲ")])
    book(1, "sweep", [Leg(ids["shoji_checking"], -2_000_000, "ﾌﾘｶｴ"),
                      Leg(ids["shoji_ordinary"], 2_000_000, "ﾌﾘｶｴ")])
    from kinko.clearing.network import seed_network

    seed_network(s)  # accounts at other banks, for transfers out and in (XFER-8)
    from kinko.payeasy.seed import seed_demo as seed_payeasy

    seed_payeasy(s, ids)  # collection agencies and bills to pay (PAY-1)
    # The identity documents' faces checked at opening (KYC-3): public-domain portraits.
    from kinko.verification.portraits import portrait
    from kinko.verification.service import register_document_face

    with clock.frozen(at(40)):
        for customer, name in ((yamada, "obama"), (sato, "biden")):
            register_document_face(s, customer_id=customer.id, photo=portrait(name),
                                   actor=ACTOR, source="demo")
    # One account in a stopped state, so the pages show what that looks like (LED-4).
    with clock.frozen(at(2)):
        change_state(s, ids["wang_ordinary"], AccountState.PAYMENT_STOPPED, actor=ACTOR,
                     reason="キャッシュカード紛失届 / lost cash card reported")
    return ids


def rebuild(db: Database) -> tuple[dict[str, int], str]:
    """(Re)create the demo bank in ``db``: wipe the data, create it anew in one transaction.
    Returns the account ids by name and the demo credentials as printable text."""
    from kinko.audit.service import seal_all
    from kinko.web.demo_users import describe, seed_demo_users

    def build(s: Session) -> tuple[dict[str, int], str]:
        ids = create(s)
        return ids, describe(seed_demo_users(s, ids))

    wipe(db)
    ids, credentials = db.run(build)
    db.run(seal_all)
    return ids, credentials
