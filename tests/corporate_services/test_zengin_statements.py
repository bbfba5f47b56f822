"""ZEN-2: Zengin statements built from the ledger, read back with kinko.zengin."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from kinko import clock
from kinko.clearing.models import DepositType, IncomingState, IncomingTransfer
from kinko.corporate_services import statements
from kinko.corporate_services.errors import BadPeriod, NotCorporate
from kinko.db import Database
from kinko.instructions.service import Actor
from kinko.ledger.models import Account
from kinko.ledger.rules import Leg
from kinko.ledger.service import EntryRequest, post
from kinko.zengin import read
from kinko.zengin import records as r
from kinko.zengin.reader import Options
from kinko.zengin.zedi import from_camt052, from_camt054
from tests import factories
from tests.corporate_services.helpers import corporate

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=clock.JST)


def _movements(db: Database) -> tuple[Actor, int]:
    clock.set_now(datetime(2026, 11, 2, 10, 0, tzinfo=clock.JST))
    with db.transaction() as s:
        actor, account_id = corporate(s, balance=500_000)
        other = factories.account(s, balance=200_000, holder="ﾔﾏﾀﾞ ﾀﾛｳ")
    clock.set_now(datetime(2026, 11, 10, 10, 0, tzinfo=clock.JST))
    with db.transaction() as s:
        # A transfer from another customer at this bank, then one from another bank (EDI).
        post(s, EntryRequest(kind="transfer", legs=[
            Leg(other, -30_000, "ｶ)ｷﾝｺｼﾖｳｼﾞ"), Leg(account_id, 30_000, "ﾔﾏﾀﾞ ﾀﾛｳ")]),
            actor="test")
        clearing = factories.cash(s)
        entry = post(s, EntryRequest(kind="incoming_transfer", legs=[
            Leg(clearing, -45_000), Leg(account_id, 45_000, "ｻﾄｳ ｼﾖｳｼﾞ")]), actor="test")
        acc = s.get(Account, account_id)
        assert acc is not None
        s.add(IncomingTransfer(
            reference="NET-1", received_at=clock.now(), value_date=clock.today(),
            amount=45_000, remitter_kana="ｻﾄｳ ｼﾖｳｼﾞ", remitter_bank_code="0005",
            remitter_branch_code="001", edi="INV2026110001", to_branch=acc.branch_code,
            to_account_type=DepositType.ORDINARY, to_number=acc.number,
            state=IncomingState.CREDITED, account_id=account_id, entry_id=entry.entry_id))
        post(s, EntryRequest(kind="transfer", legs=[
            Leg(account_id, -12_345, "ﾀﾅｶ ｼﾖｳﾃﾝ"), Leg(other, 12_345, "ｶ)ｷﾝｺｼﾖｳｼﾞ")]),
            actor="test")
    clock.set_now(NOW)
    return actor, account_id


@pytest.mark.req("ZEN-2")
def test_statement_03_totals_match_the_ledger(db: Database) -> None:
    actor, account_id = _movements(db)
    with db.transaction() as s:
        got = statements.download(s, actor, kind=statements.Kind.STATEMENT,
                                  form=statements.Form.ZENGIN, date_from=date(2026, 11, 5),
                                  date_to=date(2026, 11, 20), with_edi=True)
        balance = s.get(Account, account_id).balance  # type: ignore[union-attr]
    file = read(got.content, Options(reference_date=NOW.date()))
    assert file.type_code == "03"
    group = file.groups[0]
    header, trailer = group.header, group.trailer
    assert isinstance(header, r.StatementHeader) and isinstance(trailer, r.StatementTrailer)
    assert header.signed_opening_balance == 500_000  # before the period
    assert trailer.deposit_total == 75_000 and trailer.deposit_count == 2
    assert trailer.withdrawal_total == 12_345 and trailer.withdrawal_count == 1
    assert trailer.signed_closing_balance == balance == 500_000 + 75_000 - 12_345
    data = [x for x in group.records if isinstance(x, r.StatementData)]
    assert [d.transaction_kind for d in data] == ["11", "11", "11"]
    assert data[1].edi_info == "INV2026110001" and data[1].remitter_name == "ｻﾄｳ ｼﾖｳｼﾞ"
    # The camt.052 form reads back as the same statement.
    with db.transaction() as s:
        xml = statements.download(s, actor, kind=statements.Kind.STATEMENT,
                                  form=statements.Form.CAMT, date_from=date(2026, 11, 5),
                                  date_to=date(2026, 11, 20), with_edi=True)
    back = from_camt052(xml.content, Options(reference_date=NOW.date()))
    assert back.groups[0].trailer == trailer
    assert [x.edi_info for x in back.groups[0].records] == [d.edi_info for d in data]  # type: ignore[attr-defined]


@pytest.mark.req("ZEN-2")
def test_incoming_notice_01_lists_the_transfers_in(db: Database) -> None:
    actor, _ = _movements(db)
    with db.transaction() as s:
        plain = statements.download(s, actor, kind=statements.Kind.INCOMING,
                                    form=statements.Form.ZENGIN, date_from=date(2026, 11, 1),
                                    date_to=date(2026, 11, 20))
        edi = statements.download(s, actor, kind=statements.Kind.INCOMING,
                                  form=statements.Form.ZENGIN, date_from=date(2026, 11, 1),
                                  date_to=date(2026, 11, 20), with_edi=True)
        xml = statements.download(s, actor, kind=statements.Kind.INCOMING,
                                  form=statements.Form.CAMT, date_from=date(2026, 11, 1),
                                  date_to=date(2026, 11, 20), with_edi=True)
    file = read(plain.content, Options(reference_date=NOW.date()))
    trailer = file.groups[0].trailer
    assert isinstance(trailer, r.NoticeTrailer)
    assert (trailer.count, trailer.total_amount) == (2, 75_000)
    notices = list(file.groups[0].records)
    assert {n.remitter_name for n in notices} == {"ﾔﾏﾀﾞ ﾀﾛｳ", "ｻﾄｳ ｼﾖｳｼﾞ"}  # type: ignore[attr-defined]
    assert all(n.edi_info == "" for n in notices)  # type: ignore[attr-defined]
    with_edi = read(edi.content, Options(reference_date=NOW.date()))
    assert "INV2026110001" in {n.edi_info for n in with_edi.groups[0].records}  # type: ignore[attr-defined]
    back = from_camt054(xml.content, Options(reference_date=NOW.date()))
    assert back.groups[0].trailer == with_edi.groups[0].trailer


def test_bad_period_and_retail_refused(db: Database) -> None:
    actor, _ = _movements(db)
    with db.transaction() as s, pytest.raises(BadPeriod):
        statements.download(s, actor, kind=statements.Kind.STATEMENT,
                            form=statements.Form.ZENGIN, date_from=date(2026, 11, 20),
                            date_to=date(2026, 11, 1))
    with db.transaction() as s:
        retail, _ = factories.retail_actor(s, balance=1)
    with db.transaction() as s, pytest.raises(NotCorporate):
        statements.download(s, retail, kind=statements.Kind.STATEMENT,
                            form=statements.Form.ZENGIN, date_from=date(2026, 11, 1),
                            date_to=date(2026, 11, 20))
