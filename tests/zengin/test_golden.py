"""Golden files for every format (ZEN-1, ZEN-2): read them into the expected records, write
the records back byte for byte, and go through JSON without losing a byte."""

from __future__ import annotations

from datetime import date

import pytest

from kinko.zengin import Options, jsonio, parse, read, write
from kinko.zengin import records as r

from .golden_spec import FILES, GOLDEN, build

pytestmark = pytest.mark.req("ZEN-1")
OPTIONS = Options(reference_date=date(2026, 4, 1))


@pytest.mark.parametrize("name", sorted(FILES))
def test_golden_file_matches_its_column_spec(name: str) -> None:
    length, records = FILES[name]
    assert (GOLDEN / name).read_bytes() == build(length, records)


@pytest.mark.parametrize("name", sorted(FILES))
def test_golden_file_reads_and_writes_back_byte_for_byte(name: str) -> None:
    data = (GOLDEN / name).read_bytes()
    result = parse(data, OPTIONS)
    assert result.ok, result.errors
    assert result.notices == []
    assert result.file is not None
    assert write(result.file, OPTIONS) == data


@pytest.mark.parametrize("name", sorted(FILES))
def test_golden_file_survives_json_both_ways(name: str) -> None:
    data = (GOLDEN / name).read_bytes()
    document = jsonio.file_to_dict(read(data, OPTIONS))
    again = jsonio.file_from_dict(document)
    assert write(again, OPTIONS) == data


def test_transfer_21_records() -> None:
    file = read((GOLDEN / "transfer_21.txt").read_bytes(), OPTIONS)
    assert file.type_code == "21" and len(file.groups) == 2
    first = file.groups[0]
    assert first.header == r.TransferHeader(
        originator_code="1234567890", originator_name="ｶ)ｷﾝｺｼﾖｳｼﾞ",
        value_date=date(2026, 4, 3), bank_code="0168", bank_name="ﾁﾕｳｺﾞｸ", branch_code="001",
        branch_name="ﾎﾝﾃﾝ", account_type="1", account_number="1234567")
    assert list(first.records) == [
        r.TransferData(bank_code="0005", bank_name="ﾐﾂﾋﾞｼUFJ", branch_code="123",
                       branch_name="ｼﾝｼﾞﾕｸ", clearing_house="0000", account_type="1",
                       account_number="7654321", payee_name="ﾔﾏﾀﾞ ﾀﾛｳ", amount=10_000,
                       new_code="1", customer_code1="0000012345",
                       customer_code2="0000000000", transfer_method="7"),
        r.TransferData(bank_code="0009", bank_name="ﾐﾂｲｽﾐﾄﾓ", branch_code="456",
                       branch_name="ｵｵｻｶ", account_type="2", account_number="0000001",
                       payee_name="ｶ)ｴﾃﾞｲｼﾖｳｶｲ", amount=140_000, edi_flag=True,
                       edi_info="INV-2026/0001 ｦ"),
    ]
    assert first.trailer == r.TransferTrailer(count=2, total_amount=150_000)
    second = file.groups[1]
    assert second.records[0] == r.TransferData(
        bank_code="0168", bank_name="ﾁﾕｳｺﾞｸ", branch_code="002", branch_name="ｸﾗｼｷ",
        account_type="4", account_number="0012345", payee_name="ｻﾄｳ ﾊﾅｺ(ﾀﾞｲﾋﾖｳ)",
        amount=1_234_567, new_code="2", customer_code1="0000000001",
        customer_code2="0000000002", transfer_method="8")
    assert file.end == r.End()


@pytest.mark.parametrize(("name", "type_code"), [("payroll_11.txt", "11"),
                                                 ("bonus_72.txt", "72")])
def test_payroll_records(name: str, type_code: str) -> None:
    file = read((GOLDEN / name).read_bytes(), OPTIONS)
    group = file.groups[0]
    assert group.header == r.PayrollHeader(
        type_code=type_code, company_code="0000054321", company_name="ｶ)ｷﾝｺｼﾖｳｼﾞ",
        value_date=date(2026, 4, 25), bank_code="0168", bank_name="ﾁﾕｳｺﾞｸ",
        branch_code="001", branch_name="ﾎﾝﾃﾝ", account_type="2", account_number="7654321")
    assert group.records[1] == r.PayrollData(
        bank_code="0168", bank_name="ﾁﾕｳｺﾞｸ", branch_code="001", branch_name="ﾎﾝﾃﾝ",
        account_type="2", account_number="2222222", payee_name="ﾀﾅｶ ｼﾞﾛｳ 2", amount=250_000,
        new_code="1", employee_number="0000001002", department_code="0000000020")
    assert group.trailer == r.TransferTrailer(count=2, total_amount=550_000)


def test_direct_debit_request_and_result() -> None:
    request = read((GOLDEN / "debit_request_91.txt").read_bytes(), OPTIONS)
    assert request.groups[0].header == r.DebitHeader(
        originator_code="0000098765", originator_name="ｶ)ｷﾝｺｶﾞｽ", debit_date=date(2026, 4, 27),
        bank_code="0168", bank_name="ﾁﾕｳｺﾞｸ", branch_code="001", branch_name="ﾎﾝﾃﾝ",
        account_type="1", account_number="3333333")
    assert request.groups[0].records[1] == r.DebitData(
        bank_code="0168", bank_name="ﾁﾕｳｺﾞｸ", branch_code="011", branch_name="ｸﾗｼｷ",
        account_type="3", account_number="5555555", payer_name="ｲﾄｳ ﾏｷ", amount=12_000,
        customer_number="00000000000000000002")
    assert request.groups[0].trailer == r.DebitTrailer(count=2, total_amount=16_800)
    result = read((GOLDEN / "debit_result_91.txt").read_bytes(), OPTIONS)
    assert [rec.result_code for rec in result.groups[0].records] == ["0", "1"]  # type: ignore[attr-defined]
    assert result.groups[0].trailer == r.DebitTrailer(
        count=2, total_amount=16_800, collected_count=1, collected_amount=4_800,
        failed_count=1, failed_amount=12_000)


def test_incoming_transfer_notice_formats_a_and_b() -> None:
    """ZEN-2: 和暦 dates (令和8年 = 2026), ｦ admitted in 01 names, A and B detected."""
    a = read((GOLDEN / "notice_a_01.txt").read_bytes(), OPTIONS)
    header = a.groups[0].header
    assert header == r.NoticeHeader(
        created=date(2026, 4, 1), period_from=date(2026, 3, 31), period_to=date(2026, 4, 1),
        bank_code="0168", bank_name="ﾁﾕｳｺﾞｸ", branch_code="001", branch_name="ﾎﾝﾃﾝ",
        account_type="1", account_number="1234567", account_name="ｶ)ｷﾝｺｼﾖｳｼﾞ")
    assert list(a.groups[0].records) == [
        r.NoticeData(inquiry_number="000101", booking_date=date(2026, 3, 31),
                     value_date=date(2026, 3, 31), amount=50_000, remitter_name="ｶ)ｦﾀﾞｼﾖｳｼﾞ",
                     sending_bank_name="ﾐｽﾞﾎ", sending_branch_name="ｼﾝﾊﾞｼ",
                     edi_info="ｾｲｷﾕｳ 2026-03"),
        r.NoticeData(inquiry_number="000102", booking_date=date(2026, 4, 1),
                     value_date=date(2026, 4, 1), amount=3_000, remitter_name="ﾔﾏﾀﾞ ﾀﾛｳ",
                     sending_bank_name="ﾘｿﾅ", sending_branch_name="ｳﾒﾀﾞ", cancelled=True),
    ]
    assert a.groups[0].trailer == r.NoticeTrailer(count=2, total_amount=53_000,
                                                   cancel_count=1, cancel_amount=3_000)
    b = read((GOLDEN / "notice_b_01.txt").read_bytes(), OPTIONS)
    record = b.groups[0].records[0]
    assert isinstance(record, r.NoticeDataB)
    assert record.amount == 0 and record.amount_2 == 1_234_567_890
    assert record.effective_amount == 1_234_567_890 and record.edi_info == "ｹｲﾔｸ 1"


def test_statement_demand_and_time_deposit() -> None:
    """ZEN-2: 入出金取引明細, both data layouts chosen by the header's 預金種目."""
    demand = read((GOLDEN / "statement_03.txt").read_bytes(), OPTIONS)
    group = demand.groups[0]
    assert isinstance(group.header, r.StatementHeader)
    assert group.header.signed_opening_balance == 1_000_000
    assert group.records[0] == r.StatementData(
        inquiry_number="00000001", booking_date=date(2026, 3, 25),
        value_date=date(2026, 3, 25), direction="1", transaction_kind="11", amount=200_000,
        remitter_name="ｶ)ﾄﾘﾋｷｻｷ", sending_bank_name="ﾐｽﾞﾎ", sending_branch_name="ﾎﾝﾃﾝ",
        description="ﾌﾘｺﾐ", edi_info="ｾｲｷﾕｳ 1")
    assert group.trailer == r.StatementTrailer(
        deposit_count=1, deposit_total=200_000, withdrawal_count=1, withdrawal_total=50_000,
        closing_balance=1_150_000, record_count=2)
    assert demand.end == r.StatementEnd(total_records=4, account_count=1)
    time_deposit = read((GOLDEN / "time_deposit_03.txt").read_bytes(), OPTIONS)
    record = time_deposit.groups[0].records[0]
    assert isinstance(record, r.TimeDepositData)
    assert record.original_deposit_date == date(2023, 3, 28)
    assert record.maturity_date == date(2027, 3, 28)
    assert (record.rate, record.total_interest, record.tax_amount, record.net_interest) == (
        "002500", 3_000, 609, 2_391)
    assert record.clearing_date is None and record.description == "ｹｲｿﾞｸ"


def test_a_json_document_without_a_group_is_refused_naming_it() -> None:
    """Found by the fuzzer: an empty group list is a clear error, not a crash later."""
    from kinko.zengin.errors import ZenginFileInvalid

    text = '{"format": "72", "line_ending": "crlf", "groups": [], "end": {"record": "end"}}'
    with pytest.raises(ZenginFileInvalid) as refused:
        jsonio.loads(text)
    assert [e.field_en for e in refused.value.errors] == ["$.groups"]
