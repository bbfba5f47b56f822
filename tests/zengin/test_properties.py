"""Properties (ZEN-1, ZEN-2): any valid record set → write → read → equal; mutated bytes never
crash the reader — it answers with records or with errors."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kinko.zengin import ZenginFile, build_file, build_group, charset, jsonio, parse, write, zedi
from kinko.zengin import records as r
from kinko.zengin.compiled import CompiledLayout, compiled

from .golden_spec import FILES, GOLDEN
from .helpers import OPTIONS

pytestmark = pytest.mark.req("ZEN-1")
REFERENCE = date(2026, 4, 1)
PROPERTY = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def _alphabet(cls: charset.CharClass) -> str:
    return charset.decode(cls.allowed)


def digits(n: int) -> st.SearchStrategy[str]:
    return st.text("0123456789", min_size=n, max_size=n)


def text(cls: charset.CharClass, size: int, *, required: bool = False) -> st.SearchStrategy[str]:
    # The padding is not part of the value: a name never ends in a space once read.
    strategy = st.text(_alphabet(cls), max_size=size).map(lambda s: s.rstrip(" "))
    return strategy.filter(bool) if required else strategy


def amount(n: int) -> st.SearchStrategy[int]:
    return st.integers(0, 10**n - 1)


def one_of(*values: str) -> st.SearchStrategy[str]:
    return st.sampled_from(values)


# MMDD reads back as the same day within half a year of the reference date.
value_dates = st.dates(REFERENCE - timedelta(days=150), REFERENCE + timedelta(days=150))
# 和暦 years repeat every era; these dates are closer to the reference than their twin.
era_dates = st.dates(date(2013, 1, 1), date(2035, 12, 31))


def transfer_data(payroll: bool = False) -> st.SearchStrategy[r.Record]:
    common = {
        "bank_code": digits(4), "bank_name": text(charset.BANK, 15), "branch_code": digits(3),
        "branch_name": text(charset.BANK, 15), "clearing_house": digits(4) | st.just(""),
        "account_number": digits(7), "amount": amount(10), "new_code": one_of("0", "1", "2"),
    }
    if payroll:
        return st.builds(r.PayrollData, account_type=one_of("1", "2"),
                         payee_name=text(charset.PAYROLL, 30, required=True),
                         employee_number=digits(10) | st.just(""),
                         department_code=digits(10) | st.just(""), **common)
    plain = st.builds(r.TransferData, account_type=one_of("1", "2", "4", "9"),
                      payee_name=text(charset.NAME, 30, required=True),
                      customer_code1=digits(10), customer_code2=digits(10),
                      transfer_method=one_of("7", "8", ""), **common)
    with_edi = st.builds(r.TransferData, account_type=one_of("1", "2", "4", "9"),
                         payee_name=text(charset.NAME, 30, required=True), edi_flag=st.just(True),
                         edi_info=text(charset.EDI, 20), transfer_method=one_of("7", "8", ""),
                         **common)
    return plain | with_edi


def transfer_header(cls: type[r.Record],
                    type_codes: tuple[str, ...]) -> st.SearchStrategy[r.Record]:
    names = {
        r.TransferHeader: ("originator_code", "originator_name", "value_date"),
        r.PayrollHeader: ("company_code", "company_name", "value_date"),
        r.DebitHeader: ("originator_code", "originator_name", "debit_date"),
    }[cls]
    return st.builds(cls, type_code=one_of(*type_codes), bank_code=digits(4),
                     bank_name=text(charset.BANK, 15), branch_code=digits(3),
                     branch_name=text(charset.BANK, 15), account_type=one_of("1", "2", "9", ""),
                     account_number=digits(7), **{
                         names[0]: digits(10), names[1]: text(charset.NAME, 40, required=True),
                         names[2]: value_dates})


debit_data = st.builds(
    r.DebitData, bank_code=digits(4), bank_name=text(charset.BANK, 15), branch_code=digits(3),
    branch_name=text(charset.BANK, 15), account_type=one_of("1", "2", "3", "9"),
    account_number=digits(7), payer_name=text(charset.NAME, 30, required=True),
    amount=amount(10), new_code=one_of("0", "1", "2"), customer_number=digits(20),
    result_code=one_of("0", "0", "1", "2", "3", "4", "8", "9"))


@st.composite
def transfer_family_files(draw: st.DrawFn) -> ZenginFile:
    kind = draw(st.sampled_from(["21", "payroll", "91"]))
    groups = []
    for _ in range(draw(st.integers(1, 3))):
        if kind == "21":
            header = draw(transfer_header(r.TransferHeader, ("21",)))
            data = draw(st.lists(transfer_data(), max_size=6))
        elif kind == "payroll":
            header = draw(transfer_header(r.PayrollHeader, ("11", "12", "71", "72")))
            data = draw(st.lists(transfer_data(payroll=True), max_size=6))
        else:
            header = draw(transfer_header(r.DebitHeader, ("91",)))
            data = draw(st.lists(debit_data, max_size=6))
            if draw(st.booleans()):  # a request: no answers yet
                data = [dataclasses.replace(d, result_code="0") for d in data]
        groups.append(build_group(header, data))
    return build_file(groups)


@st.composite
def notice_files(draw: st.DrawFn) -> ZenginFile:
    groups = []
    for _ in range(draw(st.integers(1, 2))):
        start = draw(era_dates)
        stop = start + timedelta(days=draw(st.integers(0, 30)))
        header = r.NoticeHeader(
            created=draw(era_dates), period_from=start, period_to=stop, bank_code=draw(digits(4)),
            bank_name=draw(text(charset.BANK_WO, 15)), branch_code=draw(digits(3)),
            branch_name=draw(text(charset.BANK_WO, 15)), account_type=draw(one_of("1", "2", "4")),
            account_number=draw(digits(7)),
            account_name=draw(text(charset.NAME_WO, 40, required=True)))
        booked = st.dates(start, stop)
        common = {
            "inquiry_number": digits(6), "booking_date": booked, "value_date": era_dates,
            "other_bank_cheques": amount(10), "remitter_code": digits(10) | st.just(""),
            "remitter_name": text(charset.NAME_WO, 48, required=True),
            "sending_bank_name": text(charset.BANK_WO, 15),
            "sending_branch_name": text(charset.BANK_WO, 15), "cancelled": st.booleans(),
            "edi_info": text(charset.EDI, 20),
        }
        a = st.builds(r.NoticeData, amount=amount(10), **common)
        # six records of up to 11 digits keep the 12-digit trailer total representable
        b = st.builds(r.NoticeDataB, amount=st.just(0), amount_2=amount(11),
                      other_bank_cheques_2=amount(12), **common)
        groups.append(build_group(header, draw(st.lists(a | b, max_size=6))))
    return build_file(groups)


@st.composite
def statement_files(draw: st.DrawFn) -> ZenginFile:
    groups = []
    for _ in range(draw(st.integers(1, 2))):
        start = draw(era_dates)
        stop = start + timedelta(days=draw(st.integers(0, 30)))
        account_type = draw(one_of("1", "2", "4", "5", "6", "7"))
        opening = draw(st.integers(-(10**12), 10**12))
        header = r.StatementHeader(
            created=draw(era_dates), period_from=start, period_to=stop, bank_code=draw(digits(4)),
            bank_name=draw(text(charset.BANK_WO, 15)), branch_code=draw(digits(3)),
            branch_name=draw(text(charset.BANK_WO, 15)), account_type=account_type,
            account_number=draw(digits(10)),
            account_name=draw(text(charset.NAME_WO, 40, required=True)),
            opening_sign="2" if opening < 0 else "1", opening_balance=abs(opening),
            passbook_or_certificate=draw(one_of("1", "2")))
        optional_dates = st.none() | era_dates
        common = {
            "booking_date": st.dates(start, stop), "value_date": optional_dates,
            "direction": one_of("1", "2"), "transaction_kind": one_of("10", "11", "14", "19"),
            "amount": amount(9), "other_bank_cheques": amount(12),
            "clearing_date": optional_dates, "dishonour_date": optional_dates,
            "bill_kind": one_of("0", "1", "2", "3"), "bill_number": digits(7) | st.just(""),
            "related_branch": digits(3),
        }
        if account_type in ("5", "6", "7"):
            data = st.builds(
                r.TimeDepositData, identification_number=digits(8),
                original_deposit_date=optional_dates, rate=digits(6),
                maturity_date=optional_dates, term=digits(7), term_interest=amount(11),
                total_interest=amount(11), tax_amount=amount(10), net_interest=amount(11),
                description=text(charset.NAME_WO, 20), **common)
        else:
            data = st.builds(
                r.StatementData, inquiry_number=digits(8),
                remitter_code=digits(10) | st.just(""),
                remitter_name=text(charset.NAME_WO, 48), description=text(charset.NAME_WO, 20),
                edi_info=text(charset.EDI, 20), **common)
        groups.append(build_group(header, draw(st.lists(data, max_size=6))))
    return build_file(groups)


@PROPERTY
@given(transfer_family_files() | notice_files() | statement_files())
def test_any_valid_record_set_round_trips(file: ZenginFile) -> None:
    data = write(file, OPTIONS)
    result = parse(data, OPTIONS)
    assert result.ok, result.errors[:3]
    assert result.file == file
    # and through JSON
    assert write(jsonio.file_from_dict(jsonio.file_to_dict(result.file)), OPTIONS) == data
    # and without line breaks
    flat = data.replace(b"\r\n", b"")
    assert parse(flat, OPTIONS).file == file


def _mutations() -> st.SearchStrategy[tuple[str, list[tuple[str, int, int]]]]:
    edit = st.tuples(st.sampled_from(["set", "insert", "delete", "truncate"]),
                     st.integers(0, 10_000), st.integers(0, 255))
    return st.tuples(st.sampled_from(sorted(FILES)), st.lists(edit, min_size=1, max_size=4))


def _mutate(data: bytes, edits: list[tuple[str, int, int]]) -> bytes:
    buf = bytearray(data)
    for op, position, byte in edits:
        at = position % (len(buf) + 1)
        if op == "set" and buf:
            buf[min(at, len(buf) - 1)] = byte
        elif op == "insert":
            buf.insert(at, byte)
        elif op == "delete" and buf:
            del buf[min(at, len(buf) - 1)]
        elif op == "truncate":
            del buf[at:]
    return bytes(buf)


@settings(max_examples=1000, deadline=None)
@given(_mutations())
def test_mutated_bytes_never_crash_the_reader(case: tuple[str, list[tuple[str, int, int]]]
                                              ) -> None:
    name, edits = case
    data = _mutate((GOLDEN / name).read_bytes(), edits)
    result = parse(data, OPTIONS)
    if result.file is None:
        assert result.errors and all(e.describe() for e in result.errors)
    else:
        assert result.errors == []
        # everything the reader vouched for decodes and writes back
        jsonio.file_to_dict(result.file)
        write(result.file, OPTIONS)


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=600))
def test_random_bytes_never_crash_any_reader(data: bytes) -> None:
    for candidate in (data, b"1" + data, b"121" + data, b"<" + data):
        result = parse(candidate, OPTIONS)
        assert (result.file is None) == bool(result.errors)
        try:
            zedi.read_xml(candidate, OPTIONS)
        except Exception as exc:
            assert type(exc).__name__ == "ZenginFileInvalid", exc
        try:
            jsonio.loads(candidate)
        except Exception as exc:
            assert type(exc).__name__ == "ZenginFileInvalid", exc


@contextmanager
def _exact_checks_only() -> Iterator[None]:
    """Turn off the column test so that every record takes the exact per-record path."""
    original = CompiledLayout._column_plan
    compiled.cache_clear()
    CompiledLayout._column_plan = lambda self: None  # type: ignore[method-assign]
    try:
        yield
    finally:
        CompiledLayout._column_plan = original  # type: ignore[method-assign]
        compiled.cache_clear()


INTERESTING = b"0 9AZaz()-./\\,Y\xa6\xa7\xb0\xb1\xdd\xde\xdf\r\n\x00\xff\x81"


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["transfer_21.txt", "payroll_11.txt", "bonus_72.txt",
                        "debit_request_91.txt", "debit_result_91.txt"]),
       st.lists(st.tuples(st.integers(0, 10_000), st.sampled_from(list(INTERESTING))),
                min_size=1, max_size=3),
       st.sampled_from([b"\r\n", b"\n", b""]))
def test_column_check_agrees_with_the_exact_check(name: str, edits: list[tuple[int, int]],
                                                  separator: bytes) -> None:
    """The vectorised test of whole blocks is only a shortcut: on any bytes, the verdict and
    every error must be those of the record-by-record path."""
    recs = (GOLDEN / name).read_bytes().split(b"\r\n")[:-1]
    # Edit the data records only (headers and trailers never take the column test), keeping
    # their length so the records stay framed.
    data_rows = [i for i, rec in enumerate(recs) if rec[:1] == b"2"]
    for position, byte in edits:
        row = data_rows[position % len(data_rows)]
        column = position % 119 + 1
        recs[row] = recs[row][:column] + bytes([byte]) + recs[row][column + 1:]
    data = b"".join(rec + separator for rec in recs)
    fast = parse(data, OPTIONS)
    with _exact_checks_only():
        exact = parse(data, OPTIONS)
    assert fast.errors == exact.errors
    assert (fast.file is None) == (exact.file is None)
    if fast.file is not None:
        assert fast.file == exact.file
