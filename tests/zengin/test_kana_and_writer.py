"""Kana normalisation for writing, and the writer's refusals (ZEN-1)."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from kinko.zengin import (
    FieldTooLong,
    KanaConversionError,
    ZenginFileInvalid,
    build_file,
    build_group,
    kana,
    normalize_record,
    read,
    write,
)
from kinko.zengin import records as r

from .helpers import OPTIONS

pytestmark = pytest.mark.req("ZEN-1")

HEADER = r.TransferHeader(originator_code="1234567890", originator_name="ｶ)ｷﾝｺ",
                          value_date=date(2026, 4, 3), bank_code="0168", branch_code="001",
                          account_type="1", account_number="1234567")
PAYEE = r.TransferData(bank_code="0005", branch_code="123", account_type="1",
                       account_number="7654321", payee_name="ﾔﾏﾀﾞ ﾀﾛｳ", amount=10_000)


@pytest.mark.parametrize(("typed", "written"), [
    ("ヤマダ　タロウ", "ﾔﾏﾀﾞ ﾀﾛｳ"),  # full width, ideographic space
    ("やまだ たろう", "ﾔﾏﾀﾞ ﾀﾛｳ"),  # hiragana
    ("キャッシュ", "ｷﾔﾂｼﾕ"),  # small kana written large
    ("ｷｬｯｼｭ", "ｷﾔﾂｼﾕ"),  # half-width small kana too
    ("セーラー", "ｾ-ﾗ-"),  # ー → "-"
    ("ｾｰﾗｰ", "ｾ-ﾗ-"),
    ("ｶﾌﾞｼｷｶﾞｲｼｬ abc", "ｶﾌﾞｼｷｶﾞｲｼﾔ ABC"),  # lowercase → uppercase
    ("（株）ＡＢＣ１２３", "(ｶ)ABC123".replace("ｶ", "株")),
    ("ヴィヴァルディ", "ｳﾞｲｳﾞｱﾙﾃﾞｲ"),
    ("カ\u3099", "ｶﾞ"),  # a combining voicing mark
    ("ジョン・スミス", "ｼﾞﾖﾝ.ｽﾐｽ"),
])
def test_normalize(typed: str, written: str) -> None:
    if "株" in written:
        with pytest.raises(KanaConversionError):
            kana.normalize(typed)
        return
    assert kana.normalize(typed) == written


def test_kanji_is_refused_with_its_position() -> None:
    with pytest.raises(KanaConversionError) as refused:
        kana.normalize("ヤマダ太郎")
    assert refused.value.index == 3
    assert "kanji '太'" in refused.value.reason_en
    assert "漢字「太」" in refused.value.reason_ja
    with pytest.raises(KanaConversionError) as refused:
        kana.normalize("smile ☺")
    assert "no half-width" in refused.value.reason_en


def test_over_long_names_are_refused_or_cut_without_splitting_a_voiced_kana() -> None:
    with pytest.raises(FieldTooLong):
        kana.fit("ｱｲｳｴｵｶﾞ", 6)
    assert kana.fit("ｱｲｳｴｵｶﾞ", 6, overflow="truncate") == "ｱｲｳｴｵ"
    assert kana.fit("ｱｲｳｴｵｶﾞ", 7, overflow="truncate") == "ｱｲｳｴｵｶﾞ"
    assert kana.fit("ｱｲｳｴ ｶﾞ", 6, overflow="truncate") == "ｱｲｳｴ"
    assert kana.fit("ﾊﾟﾋﾟﾌﾟ", 3, overflow="truncate") == "ﾊﾟ"
    assert kana.to_field("がぎぐげご", 5, overflow="truncate") == "ｶﾞｷﾞ"


def test_writer_normalises_when_asked_and_reports_every_field() -> None:
    payee = dataclasses.replace(PAYEE, payee_name="やまだ　たろう", bank_name="みずほ")
    file = build_file([build_group(HEADER, [payee])])
    with pytest.raises(ZenginFileInvalid) as refused:
        write(file, OPTIONS)
    assert [(e.record, e.field_ja) for e in refused.value.errors] == [(2, "被仕向銀行名"),
                                                                      (2, "受取人名")]
    data = write(file, OPTIONS, normalize=True)
    assert read(data, OPTIONS).groups[0].records[0].payee_name == "ﾔﾏﾀﾞ ﾀﾛｳ"  # type: ignore[attr-defined]
    long_name = dataclasses.replace(PAYEE, payee_name="ｶﾌﾞｼｷｶﾞｲｼﾔ ｷﾝｺｼﾖｳｼﾞ ﾎﾝｼｴｲｷﾞﾖｳﾌﾞﾀﾞｲ")
    file = build_file([build_group(HEADER, [long_name])])
    with pytest.raises(ZenginFileInvalid) as refused:
        write(file, OPTIONS, normalize=True)
    assert refused.value.errors[0].code == "too_long"
    cut = read(write(file, OPTIONS, normalize=True, overflow="truncate"), OPTIONS)
    # byte 30 is the ﾌ of ﾌﾞ: the pair goes, leaving 29 bytes
    assert cut.groups[0].records[0].payee_name == "ｶﾌﾞｼｷｶﾞｲｼﾔ ｷﾝｺｼﾖｳｼﾞ ﾎﾝｼｴｲｷﾞﾖｳ"  # type: ignore[attr-defined]
    kanji = build_file([build_group(HEADER, [dataclasses.replace(PAYEE, payee_name="山田")])])
    with pytest.raises(ZenginFileInvalid) as refused:
        write(kanji, OPTIONS, normalize=True)
    assert refused.value.errors[0].code == "kana"
    assert normalize_record(payee).payee_name == "ﾔﾏﾀﾞ ﾀﾛｳ"  # type: ignore[attr-defined]


def test_writer_refuses_values_that_do_not_fit() -> None:
    bad = [
        dataclasses.replace(PAYEE, amount=10**10),
        dataclasses.replace(PAYEE, amount=-1),
        dataclasses.replace(PAYEE, bank_code="5"),
        dataclasses.replace(PAYEE, edi_info="ABC"),  # EDI情報 without 識別表示 Y
        dataclasses.replace(PAYEE, edi_flag=True, edi_info="ABC", customer_code1="0000000001"),
        dataclasses.replace(PAYEE, amount=1.5),  # type: ignore[arg-type]
    ]
    file = build_file([build_group(HEADER, bad[:2])])
    with pytest.raises(ZenginFileInvalid):
        write(file, OPTIONS)
    for record in bad:
        group = build_group(HEADER, [PAYEE])
        group = dataclasses.replace(group, records=[record])
        with pytest.raises(ZenginFileInvalid) as refused:
            write(build_file([group]), OPTIONS)
        assert refused.value.errors[0].record == 2


def test_writer_checks_the_trailer_it_is_given() -> None:
    group = dataclasses.replace(build_group(HEADER, [PAYEE]),
                                trailer=r.TransferTrailer(count=2, total_amount=10_000))
    with pytest.raises(ZenginFileInvalid) as refused:
        write(build_file([group]), OPTIONS)
    assert refused.value.errors[0].describe().startswith("record 3, bytes 2-7, 合計件数")


def test_value_date_too_far_from_the_reference_for_mmdd() -> None:
    header = dataclasses.replace(HEADER, value_date=date(2027, 1, 10))
    with pytest.raises(ZenginFileInvalid) as refused:
        write(build_file([build_group(header, [PAYEE])]), OPTIONS)
    assert "too far from the reference date" in refused.value.errors[0].reason_en


def test_strict_form_is_crlf_with_an_optional_eof_byte() -> None:
    data = write(build_file([build_group(HEADER, [PAYEE])]), OPTIONS)
    assert len(data) == 4 * 122 and data.count(b"\r\n") == 4 and data.endswith(b"\r\n")
    marked = write(build_file([build_group(HEADER, [PAYEE])]), OPTIONS, eof_marker=True)
    assert marked == data + b"\x1a"
