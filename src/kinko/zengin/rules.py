"""Rules that span records: trailer counts and totals, periods, balances, the end record.

Pure functions over decoded headers and trailers and a :class:`GroupRecords` (the data
records, with a fast column sum where the layout allows it). They return :class:`Finding`s
naming the record and attribute; the reader turns them into byte-exact errors. The same
arithmetic builds trailers and end records for the writer, so what Kinko writes always
passes what Kinko reads.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from kinko import catalogue
from kinko.catalogue import reason
from kinko.zengin import records as r
from kinko.zengin.layouts import TIME_DEPOSIT_TYPES, Format

TOTAL = "zengin_total"  # the catalogue context of what the trailer's totals are checked against

Where = Literal["header", "data", "trailer", "end"]


@dataclass(frozen=True)
class Finding:
    where: Where
    attr: str
    reason_ja: str
    reason_en: str
    value: str = ""
    index: int = 0  # the data record's position in its group, for ``where == "data"``


class GroupRecords(Protocol):
    def __len__(self) -> int: ...

    def __iter__(self) -> Iterator[r.Record]: ...

    def sum(self, attr: str) -> int: ...


class ListRecords:
    """:class:`GroupRecords` over records in memory (the writer's side)."""

    def __init__(self, records: Sequence[r.Record]) -> None:
        self._records = records

    def __len__(self) -> int:
        return len(self._records)

    def __iter__(self) -> Iterator[r.Record]:
        return iter(self._records)

    def sum(self, attr: str) -> int:
        return sum(getattr(rec, attr) for rec in self._records)


def _mismatch(attr: str, ja: str, stated: int, actual: int, what_ja: str) -> Finding:
    """The trailer's ``ja`` states ``stated``; the records make ``what_ja`` ``actual`` (the
    words' English is the catalogue's, under TOTAL)."""
    return Finding("trailer", attr,
                   *reason("{ja} {stated} が{what_ja} {actual} と一致しません",
                           ja=ja, stated=stated, what_ja=what_ja, actual=actual,
                           what_en=catalogue.en(what_ja, TOTAL) or what_ja), str(stated))


def _compare(findings: list[Finding], trailer: r.Record, attr: str, ja: str, actual: int,
             what_ja: str) -> None:
    stated = getattr(trailer, attr)
    if stated != actual:
        findings.append(_mismatch(attr, ja, stated, actual, what_ja))


def check_group(fmt: Format, header: r.Record, data: GroupRecords,
                trailer: r.Record) -> list[Finding]:
    family = fmt.family
    if family == "transfer":
        return _check_transfer(data, trailer)
    if family == "debit":
        return _check_debit(data, trailer)
    if family == "notice":
        return _check_notice(header, data, trailer)
    return _check_statement(header, data, trailer)


def _check_transfer(data: GroupRecords, trailer: r.Record) -> list[Finding]:
    found: list[Finding] = []
    _compare(found, trailer, "count", "合計件数", len(data), "データ・レコード数")
    _compare(found, trailer, "total_amount", "合計金額", data.sum("amount"),
             "振込金額の合計")
    return found


def debit_totals(records: Iterable[r.Record]) -> tuple[int, int, int, int]:
    collected = collected_amount = failed = failed_amount = 0
    for rec in records:
        assert isinstance(rec, r.DebitData)
        if rec.result_code == "0":
            collected += 1
            collected_amount += rec.amount
        else:
            failed += 1
            failed_amount += rec.amount
    return collected, collected_amount, failed, failed_amount


def _check_debit(data: GroupRecords, trailer: r.Record) -> list[Finding]:
    assert isinstance(trailer, r.DebitTrailer)
    found: list[Finding] = []
    _compare(found, trailer, "count", "合計件数", len(data), "データ・レコード数")
    _compare(found, trailer, "total_amount", "合計金額", data.sum("amount"),
             "引落金額の合計")
    results = (trailer.collected_count, trailer.collected_amount, trailer.failed_count,
               trailer.failed_amount)
    if results == (0, 0, 0, 0):
        # A request: the bank has not answered yet, so no record may carry an answer.
        for index, rec in enumerate(data):
            assert isinstance(rec, r.DebitData)
            if rec.result_code != "0":
                found.append(Finding(
                    "data", "result_code",
                    *reason(
                        "依頼データ（トレーラの振替結果がすべて 0）では 0 でなければなりません"),
                    rec.result_code, index))
        return found
    actual = debit_totals(data)
    for attr, ja, value, what_ja in (
        ("collected_count", "振替済件数", actual[0], "結果コード 0 の件数"),
        ("collected_amount", "振替済金額", actual[1], "結果コード 0 の金額合計"),
        ("failed_count", "振替不能件数", actual[2], "結果コード 0 以外の件数"),
        ("failed_amount", "振替不能金額", actual[3], "結果コード 0 以外の金額合計"),
    ):
        _compare(found, trailer, attr, ja, value, what_ja)
    return found


Period = r.NoticeHeader | r.StatementHeader


def _check_period(found: list[Finding], header: Period) -> None:
    start, stop = header.period_from, header.period_to
    if start > stop:
        found.append(Finding("header", "period_to",
                             "勘定日（至）が勘定日（自）より前です",
                             "the period ends before it starts (勘定日（至） < 勘定日（自）)",
                             str(stop)))


def _check_booking(found: list[Finding], header: Period, index: int,
                   rec: r.Record) -> None:
    assert isinstance(rec, r.NoticeData | r.NoticeDataB | r.StatementData
                      | r.TimeDepositData)
    start, stop, booked = header.period_from, header.period_to, rec.booking_date
    if not start <= booked <= stop:
        found.append(Finding("data", "booking_date",
                             *reason("勘定日 {booked} がヘッダーの期間 {start}〜{stop} の外です",
                                     booked=booked, start=start, stop=stop), str(booked), index))


def notice_totals(records: Iterable[r.Record]) -> tuple[int, int, int, int]:
    count = total = cancels = cancel_amount = 0
    for rec in records:
        assert isinstance(rec, r.NoticeData | r.NoticeDataB)
        count += 1
        total += rec.effective_amount
        if rec.cancelled:
            cancels += 1
            cancel_amount += rec.effective_amount
    return count, total, cancels, cancel_amount


def _check_notice(header: r.Record, data: GroupRecords, trailer: r.Record) -> list[Finding]:
    assert isinstance(header, r.NoticeHeader)
    found: list[Finding] = []
    _check_period(found, header)
    for index, rec in enumerate(data):
        _check_booking(found, header, index, rec)
        if isinstance(rec, r.NoticeDataB) and rec.amount_2 and rec.amount:
            found.append(Finding("data", "amount",
                                 "金額(2) を使うときは金額(1) は 0 でなければなりません",
                                 "must be zero when 金額(2) (amount 2) is used",
                                 str(rec.amount), index))
    # 振込合計 counts every data record and 取消合計 the cancellations among them (KOT, and
    # the same trailer in MN and DIVA).
    count, total, cancels, cancel_amount = notice_totals(data)
    _compare(found, trailer, "count", "振込合計件数", count, "データ・レコード数")
    _compare(found, trailer, "total_amount", "振込合計金額", total, "金額の合計")
    _compare(found, trailer, "cancel_count", "取消合計件数", cancels, "取消区分 1 の件数")
    _compare(found, trailer, "cancel_amount", "取消合計金額", cancel_amount,
             "取消区分 1 の金額合計")
    return found


def statement_totals(records: Iterable[r.Record]) -> tuple[int, int, int, int, int]:
    deposits = deposit_total = withdrawals = withdrawal_total = count = 0
    for rec in records:
        assert isinstance(rec, r.StatementData | r.TimeDepositData)
        count += 1
        if rec.direction == "1":
            deposits += 1
            deposit_total += rec.amount
        else:
            withdrawals += 1
            withdrawal_total += rec.amount
    return deposits, deposit_total, withdrawals, withdrawal_total, count


def _check_statement(header: r.Record, data: GroupRecords, trailer: r.Record) -> list[Finding]:
    assert isinstance(header, r.StatementHeader)
    assert isinstance(trailer, r.StatementTrailer)
    found: list[Finding] = []
    _check_period(found, header)
    for index, rec in enumerate(data):
        _check_booking(found, header, index, rec)
    deposits, deposit_total, withdrawals, withdrawal_total, count = statement_totals(data)
    _compare(found, trailer, "deposit_count", "入金件数", deposits, "入払区分 1 の件数")
    _compare(found, trailer, "deposit_total", "入金額合計", deposit_total, "入金額の合計")
    _compare(found, trailer, "withdrawal_count", "出金件数", withdrawals, "入払区分 2 の件数")
    _compare(found, trailer, "withdrawal_total", "出金額合計", withdrawal_total,
             "出金額の合計")
    _compare(found, trailer, "record_count", "データ・レコード件数", count,
             "データ・レコード数")
    # Time-deposit movements (interest, renewals) do not add up to a balance the same way, so
    # only demand accounts are held to opening + deposits - withdrawals = closing.
    if header.account_type not in TIME_DEPOSIT_TYPES:
        expected = header.signed_opening_balance + deposit_total - withdrawal_total
        if trailer.signed_closing_balance != expected:
            found.append(Finding(
                "trailer", "closing_balance",
                *reason(
                    "取引後残高 {signed_closing_balance} が 取引前残高 + 入金 - 出金 = {expected}"
                    " と一致しません",
                    signed_closing_balance=trailer.signed_closing_balance,
                    expected=expected), str(trailer.closing_balance)))
    return found


def check_end(fmt: Format, end: r.Record, group_sizes: Sequence[int]) -> list[Finding]:
    """``group_sizes``: the number of data records in each group."""
    if not isinstance(end, r.StatementEnd):
        return []
    found: list[Finding] = []
    before_end = sum(size + 2 for size in group_sizes)
    # The sources do not say whether the end record counts itself: accept both readings.
    if end.total_records not in (before_end, before_end + 1):
        found.append(Finding(
            "end", "total_records",
            *reason(
                "レコード総件数 {total_records} がレコード数 {before_end}（エンドを含めて "
                "{with_end}）と一致しません",
                total_records=end.total_records, before_end=before_end,
                with_end=before_end + 1), str(end.total_records)))
    if end.account_count != len(group_sizes):
        found.append(Finding("end", "account_count",
                             *reason(
                                 "口座数 {account_count} がグループ数 {len_group_sizes} と一致し"
                                 "ません",
                                 account_count=end.account_count,
                                 len_group_sizes=len(group_sizes)), str(end.account_count)))
    return found


# --- building trailers and end records (the writer) -----------------------------------------


def make_trailer(fmt: Format, header: r.Record, records: Sequence[r.Record], *,
                 debit_result: bool | None = None) -> r.Record:
    data = ListRecords(records)
    family = fmt.family
    if family == "transfer":
        return r.TransferTrailer(count=len(data), total_amount=data.sum("amount"))
    if family == "debit":
        collected, collected_amount, failed, failed_amount = debit_totals(records)
        result = failed > 0 if debit_result is None else debit_result
        if not result:
            return r.DebitTrailer(count=len(data), total_amount=data.sum("amount"))
        return r.DebitTrailer(count=len(data), total_amount=data.sum("amount"),
                              collected_count=collected, collected_amount=collected_amount,
                              failed_count=failed, failed_amount=failed_amount)
    if family == "notice":
        count, total, cancels, cancel_amount = notice_totals(records)
        return r.NoticeTrailer(count=count, total_amount=total, cancel_count=cancels,
                               cancel_amount=cancel_amount)
    assert isinstance(header, r.StatementHeader)
    deposits, deposit_total, withdrawals, withdrawal_total, count = statement_totals(records)
    closing = header.signed_opening_balance + deposit_total - withdrawal_total
    return r.StatementTrailer(
        deposit_count=deposits, deposit_total=deposit_total, withdrawal_count=withdrawals,
        withdrawal_total=withdrawal_total, closing_sign="2" if closing < 0 else "1",
        closing_balance=abs(closing), record_count=count)


def make_end(fmt: Format, group_sizes: Sequence[int]) -> r.Record:
    if fmt.type_code == "03":
        return r.StatementEnd(total_records=sum(size + 2 for size in group_sizes),
                              account_count=len(group_sizes))
    return r.End()
