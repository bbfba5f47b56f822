"""Validation with precise errors (ZEN-1): record number, byte columns, field, reason; and a
refused file never yields records."""

from __future__ import annotations

from datetime import date

import pytest

from kinko.zengin import Options, ZenginFileInvalid, parse, read

from .helpers import OPTIONS, errors_of, join, lines_of, put, records

pytestmark = pytest.mark.req("ZEN-1")


def test_error_line_names_record_bytes_field_and_reason() -> None:
    recs = records("transfer_21.txt")
    recs[2] = put(recs[2], 53, b"\xa6")  # ｦ inside 受取人名 of record 3
    [error] = errors_of(join(recs))
    assert (error.record, error.start, error.end) == (3, 51, 80)
    assert (error.field_ja, error.field_en) == ("受取人名", "payee name")
    assert error.value.startswith("ｶ)ｦ")
    assert error.describe().startswith(
        "record 3, bytes 51-80, 受取人名 (payee name): character 'ｦ' (0xA6) at byte 53 is "
        "not allowed")
    assert "使用できません" in error.describe("ja")


def test_a_refused_file_yields_no_records() -> None:
    recs = records("transfer_21.txt")
    recs[5] = put(recs[5], 81, "00012x4567")
    result = parse(join(recs), OPTIONS)
    assert result.file is None and not result.ok
    with pytest.raises(ZenginFileInvalid) as refused:
        read(join(recs), OPTIONS)
    assert [e.record for e in refused.value.errors] == [6]


def test_every_bad_field_of_a_record_is_reported() -> None:
    recs = records("transfer_21.txt")
    rec = put(recs[1], 2, "00A5")  # bank code
    rec = put(rec, 43, "3")  # account type 3 does not exist in 21
    rec = put(rec, 91, "5")  # new code
    rec = put(rec, 112, "9")  # transfer method
    recs[1] = rec
    errors = errors_of(join(recs))
    assert [(e.record, e.start, e.field_en, e.code) for e in errors] == [
        (2, 2, "beneficiary bank code", "not_digits"),
        (2, 43, "account type", "value"),
        (2, 91, "new code", "value"),
        (2, 112, "transfer method", "value"),
    ]
    # the trailer totals are not checked over records that failed
    assert ("'3' is not one of '1' ordinary, '2' checking, '4' savings, '9' other"
            in errors[1].reason_en)


def test_trailer_count_and_total_that_do_not_match() -> None:
    recs = records("transfer_21.txt")
    recs[3] = put(recs[3], 2, "000003")
    recs[3] = put(recs[3], 8, "000000150001")
    assert lines_of(join(recs)) == [
        "record 4, bytes 2-7, 合計件数 (total count): 3 does not match the number of data "
        "records (2)",
        "record 4, bytes 8-19, 合計金額 (total amount): 150001 does not match the sum of the "
        "data records' amounts (150000)",
    ]


@pytest.mark.parametrize(("order", "expected"), [
    ("1 2 2 8 2 8 9", "record 5, byte 1, データ区分 (record type): a data record outside a "
                      "header…trailer group"),
    ("1 2 2 1 2 8 9", "record 4, byte 1, データ区分 (record type): a header before the trailer "
                      "of the group that began at record 1"),
    ("1 2 2 8 9 9", "record 6, byte 1, データ区分 (record type): a record after the end record"),
    ("1 2 2 8 8 9", "record 5, byte 1, データ区分 (record type): a trailer without a header "
                    "before it"),
    ("1 2 2 9", "record 4, byte 1, データ区分 (record type): the end record comes before the "
                "trailer of the group that began at record 1"),
    ("1 2 2 8", "record 5, データ区分 (record type): the file has no end record (record type 9)"),
    ("1 2 2 8 1 2 8", "record 8, データ区分 (record type): the file has no end record "
                      "(record type 9)"),
])
def test_wrong_record_order(order: str, expected: str) -> None:
    recs = records("transfer_21.txt")
    pick = {"1": recs[0], "2": recs[1], "8": recs[3], "9": recs[7]}
    messages = lines_of(join([pick[kind] for kind in order.split()]))
    assert expected in messages


def test_unknown_record_type() -> None:
    recs = records("transfer_21.txt")
    recs[2] = put(recs[2], 1, "5")
    assert ("record 3, byte 1, データ区分 (record type): the record type must be 1 (header), "
            "2 (data), 8 (trailer) or 9 (end)") in lines_of(join(recs))


def test_unknown_type_code() -> None:
    recs = records("transfer_21.txt")
    assert lines_of(join([put(recs[0], 2, "41"), *recs[1:]])) == [
        "record 1, bytes 2-3, 種別コード (type code): '41' is not a format Kinko reads "
        "(21, 11, 12, 71, 72, 91, 01, 03)"]
    # a later group with a type code of another family
    recs[4] = put(recs[4], 2, "03")
    assert lines_of(join(recs)) == [
        "record 5, bytes 2-3, 種別コード (type code): type code '03' cannot share a file with "
        "the first group's 21"]


def test_ebcdic_code_division_is_refused_with_a_reason() -> None:
    recs = records("transfer_21.txt")
    recs[0] = put(recs[0], 4, "1")
    [line] = lines_of(join(recs))
    assert line.startswith("record 1, byte 4, コード区分 (code division): must be '0' "
                           "(code division 1 (EBCDIC) is not supported")


@pytest.mark.parametrize(("mmdd", "reason"), [
    ("0230", "bad date: 02-30 is not a date"),
    ("1301", "bad date: month 13 is not 01-12"),
    ("0400", "bad date: 04-00 is not a date"),
    ("04A1", "not a number"),
])
def test_bad_value_date(mmdd: str, reason: str) -> None:
    recs = records("transfer_21.txt")
    recs[0] = put(recs[0], 55, mmdd)
    [error] = errors_of(join(recs))
    assert (error.record, error.start, error.end, error.field_ja) == (1, 55, 58, "振込指定日")
    assert error.reason_en.startswith(reason)


@pytest.mark.parametrize(("reference", "mmdd", "expected"), [
    (date(2026, 4, 1), "0403", date(2026, 4, 3)),
    (date(2026, 12, 28), "0105", date(2027, 1, 5)),  # a January value date read in December
    (date(2027, 1, 4), "1228", date(2026, 12, 28)),  # a December result read in January
    (date(2028, 2, 20), "0229", date(2028, 2, 29)),
])
def test_value_date_resolves_against_the_reference_date(reference: date, mmdd: str,
                                                        expected: date) -> None:
    recs = records("transfer_21.txt")
    recs[0] = put(recs[0], 55, mmdd)
    recs[4] = put(recs[4], 55, mmdd)
    file = read(join(recs), Options(reference_date=reference))
    assert file.groups[0].header.value_date == expected  # type: ignore[attr-defined]


def test_leap_day_without_a_leap_year_nearby() -> None:
    recs = records("transfer_21.txt")
    recs[0] = put(recs[0], 55, "0229")
    [error] = errors_of(join(recs), Options(reference_date=date(2026, 4, 1)))
    assert error.reason_en == "bad date: 02-29 is not a date"


@pytest.mark.parametrize(("yymmdd", "expected"), [
    ("310430", date(2019, 4, 30)),  # 平成31年4月30日, the last day of 平成
    ("010501", date(2019, 5, 1)),  # 令和元年5月1日
    ("080401", date(2026, 4, 1)),  # 令和8年
    ("300315", date(2018, 3, 15)),  # 平成30年 (令和30年 would be 2048)
])
def test_wareki_dates_across_the_era_change(yymmdd: str, expected: date) -> None:
    """ZEN-2: 和暦 YYMMDD in 01/03, including 平成→令和."""
    recs = records("notice_a_01.txt")
    recs[0] = put(recs[0], 5, yymmdd)
    file = read(join(recs), OPTIONS)
    assert file.groups[0].header.created == expected  # type: ignore[attr-defined]


def test_wareki_date_that_exists_in_neither_era() -> None:
    """010105: 平成元年 began on 1989-01-08 and 令和元年 on 2019-05-01."""
    recs = records("notice_a_01.txt")
    recs[0] = put(recs[0], 5, "010105")
    [error] = errors_of(join(recs))
    assert (error.record, error.start, error.end, error.field_ja) == (1, 5, 10, "作成日")
    assert error.reason_en == ("bad date: 010105 is neither a 平成 (Heisei, to 2019-04-30) nor "
                               "a 令和 (Reiwa, from 2019-05-01) date")
    recs[0] = put(recs[0], 5, "000401")
    [error] = errors_of(join(recs))
    assert error.reason_en == "bad date: era year 00 does not exist"
    recs = records("notice_a_01.txt")
    recs[1] = put(recs[1], 8, "010430")  # 令和元年4月30日: before 令和; 平成元年4月30日 = 1989
    messages = lines_of(join(recs))
    assert any("outside the header's period" in m for m in messages)


def test_booking_date_outside_the_period_and_bad_date() -> None:
    recs = records("notice_a_01.txt")
    recs[1] = put(recs[1], 14, "080231")
    [error] = errors_of(join(recs))
    assert (error.record, error.start, error.field_ja) == (2, 14, "起算日")
    assert error.reason_en == "bad date: 02-31 is not a date"


def test_optional_statement_dates_may_be_zero_but_not_garbage() -> None:
    recs = records("statement_03.txt")
    recs[1] = put(recs[1], 49, "081301")
    [error] = errors_of(join(recs))
    assert (error.record, error.start, error.end, error.field_ja) == (2, 49, 54, "交換呈示日")


def test_edi_overlay() -> None:
    recs = records("transfer_21.txt")
    # With 識別表示 Y the 20 columns take EDI characters…
    assert parse(join(recs), OPTIONS).ok
    # …and without it they are two N(10) customer codes.
    recs[2] = put(recs[2], 113, " ")
    errors = errors_of(join(recs))
    assert [(e.record, e.start, e.field_en) for e in errors] == [(3, 92, "customer code 1"),
                                                                 (3, 102, "customer code 2")]
    # EDI information takes ｦ and its eight symbols but never a comma.
    recs = records("transfer_21.txt")
    recs[2] = put(recs[2], 92, "A,B")
    [error] = errors_of(join(recs))
    assert (error.start, error.end, error.field_ja) == (92, 111, "EDI情報")
    assert "',' (0x2C) at byte 93" in error.reason_en


def test_character_classes_of_jba_appendix_1() -> None:
    """JBA 付録1 注1-注3."""
    # 付録1 puts the payroll 預金者名 under 注1 (names): letters and ( ) - . are valid ...
    recs = records("payroll_11.txt")
    recs[1] = put(recs[1], 51, "TARO YAMADA")
    assert parse(join(recs), OPTIONS).ok
    # ... lowercase and other symbols are not.
    recs[1] = put(recs[1], 51, "taro/yamada")
    [error] = errors_of(join(recs))
    assert error.field_ja == "預金者名" and "'t' (0x74) at byte 51" in error.reason_en
    # 注1: bank and branch names do not take parentheses; small kana are never allowed.
    recs = records("transfer_21.txt")
    recs[1] = put(recs[1], 24, "(ｼﾝｼﾞﾕｸ)")
    recs[5] = put(recs[5], 51, b"\xbb\xc4\xb3 \xca\xaf")  # ｻﾄｳ ﾊｯ: a small ｯ
    errors = errors_of(join(recs))
    assert [(e.record, e.field_ja) for e in errors] == [(2, "被仕向支店名"), (6, "受取人名")]
    assert "(0xAF)" in errors[1].reason_en
    # lowercase, control bytes and double-byte text are refused in a name
    for raw in (b"abc", b"\x09", "山田".encode("cp932")):
        recs = records("transfer_21.txt")
        recs[1] = put(recs[1], 51, raw)
        [error] = errors_of(join(recs))
        assert error.field_ja == "受取人名"


def test_wo_in_names_follows_the_chosen_reading() -> None:
    recs = records("transfer_21.txt")
    recs[1] = put(recs[1], 51, b"\xa6\xc0\xde")  # ｦﾀﾞ
    data = join(recs)
    assert not parse(data, OPTIONS).ok
    assert parse(data, Options(reference_date=date(2026, 4, 1), wo_in_names=True)).ok
    # 01 admits it by default (revised 付録1), and can be made strict
    notice = (join(records("notice_a_01.txt")))
    assert parse(notice, OPTIONS).ok
    assert not parse(notice, Options(reference_date=date(2026, 4, 1), wo_in_names=False)).ok


@pytest.mark.req("ZEN-1")
def test_blank_customer_codes_are_read_and_written_back_byte_exact() -> None:
    """顧客コード1/2 left blank by common generators are accepted and kept as blanks."""
    from kinko.zengin.writer import write

    recs = records("transfer_21.txt")
    recs[1] = put(recs[1], 92, " " * 20)
    data = join(recs)
    file = read(data, OPTIONS)
    first = file.groups[0].records[0]
    assert (first.customer_code1, first.customer_code2) == ("", "")  # type: ignore[attr-defined]
    assert write(file, OPTIONS) == data
    recs[1] = put(recs[1], 92, "12 45     " + " " * 10)
    [error] = errors_of(join(recs))
    assert error.field_ja == "顧客コード1"


def test_blank_numeric_fields_are_all_blank_or_all_digits() -> None:
    recs = records("transfer_21.txt")
    recs[1] = put(recs[1], 39, "    ")  # 手形交換所番号 left blank (KM, MO, KY)
    file = read(join(recs), OPTIONS)
    assert file.groups[0].records[0].clearing_house == ""  # type: ignore[attr-defined]
    recs[1] = put(recs[1], 39, "0 0 ")
    [error] = errors_of(join(recs))
    assert error.field_ja == "手形交換所番号" and error.code == "not_digits"


def test_payee_name_must_not_be_blank() -> None:
    recs = records("transfer_21.txt")
    recs[1] = put(recs[1], 51, " " * 30)
    [error] = errors_of(join(recs))
    assert (error.field_ja, error.code) == ("受取人名", "required")


def test_direct_debit_rules() -> None:
    # A request (result totals zero) whose record carries a bank answer.
    recs = records("debit_request_91.txt")
    recs[2] = put(recs[2], 112, "1")
    assert lines_of(join(recs)) == [
        "record 3, byte 112, 振替結果コード (result code): must be 0 in a request (the "
        "trailer's result totals are all zero)"]
    # A result whose totals do not match the result codes.
    recs = records("debit_result_91.txt")
    recs[2] = put(recs[2], 112, "0")
    messages = lines_of(join(recs))
    assert messages[0] == ("record 4, bytes 20-25, 振替済件数 (collected count): 1 does not "
                           "match the records with result code 0 (2)")
    assert len(messages) == 4
    recs = records("debit_result_91.txt")
    recs[2] = put(recs[2], 112, "5")
    assert "'5' is not one of" in lines_of(join(recs))[0]


def test_notice_totals_and_format_b_amounts() -> None:
    recs = records("notice_a_01.txt")
    recs[3] = put(recs[3], 20, "000000")
    assert lines_of(join(recs)) == [
        "record 4, bytes 20-25, 取消合計件数 (cancellation count): 0 does not match the "
        "records marked cancelled (1)"]
    recs = records("notice_b_01.txt")
    recs[1] = put(recs[1], 20, "0000000001")
    messages = lines_of(join(recs))
    assert messages[0].startswith("record 2, bytes 20-29, 金額 (amount): must be zero when")


def test_statement_balance_and_counts() -> None:
    recs = records("statement_03.txt")
    recs[3] = put(recs[3], 41, "00000001150001")
    assert lines_of(join(recs)) == [
        "record 4, bytes 41-54, 取引後残高 (closing balance): closing balance 1150001 is not "
        "opening balance + deposits - withdrawals = 1150000"]
    recs = records("statement_03.txt")
    recs[4] = put(recs[4], 2, "0000000005")  # the end record counting itself is accepted
    assert parse(join(recs), OPTIONS).ok
    recs[4] = put(recs[4], 2, "0000000007")
    recs[4] = put(recs[4], 12, "00002")
    messages = lines_of(join(recs))
    assert [m.split(":")[0] for m in messages] == [
        "record 5, bytes 2-11, レコード総件数 (total record count)",
        "record 5, bytes 12-16, 口座数 (account count)"]


def test_max_errors_stops_the_search() -> None:
    recs = records("transfer_21.txt")
    recs = [recs[0]] + [put(recs[1], 2, "XXXX")] * 50 + recs[3:]
    result = parse(join(recs), Options(reference_date=date(2026, 4, 1), max_errors=10))
    assert len(result.errors) == 10 and result.truncated and result.file is None
