"""The layouts name each field, record and format once, in Japanese; the English is the
message catalogue's (docs/messages.md), and a Japanese name with two meanings has two."""

from __future__ import annotations

from kinko import catalogue
from kinko.zengin.fields import FIELD
from kinko.zengin.layouts import ALL_LAYOUTS, FORMAT, FORMATS, RECORD, TRANSFER_HEADER


def _fields() -> list[tuple[str, str]]:
    return [(f.ctx, f.ja) for lay in ALL_LAYOUTS.values()
            for f in (*lay.fields, *((lay.overlay,) if lay.overlay else ()))]


def test_every_field_record_and_format_has_its_english_in_the_catalogue() -> None:
    named = [*_fields(), *((RECORD, lay.ja) for lay in ALL_LAYOUTS.values()),
             *((FORMAT, f.ja) for f in FORMATS.values())]
    missing = [(ctx, ja) for ctx, ja in named if catalogue.en(ja, ctx) is None]
    assert not missing
    assert len(set(named)) > 140


def test_a_field_speaks_the_catalogues_english() -> None:
    account = ALL_LAYOUTS["transfer_data"].field("account_number")
    assert (account.ja, account.ctx, account.en) == ("口座番号", FIELD, "account number")
    assert ALL_LAYOUTS["transfer_data"].en == "bulk transfer data record"
    assert FORMATS["11"].en == "payroll transfer"


def test_one_japanese_with_two_meanings_has_two_englishes() -> None:
    # 振込依頼人 is the originator of a 21 file but the remitter of an incoming transfer.
    assert TRANSFER_HEADER.field("originator_name").en == "originator name"
    assert ALL_LAYOUTS["notice_data"].field("remitter_name").en == "remitter name"
    assert ALL_LAYOUTS["payroll_data"].field("payee_name").en == "payee name"
    assert ALL_LAYOUTS["debit_data"].field("payer_name").en == "payer name"
