"""The layouts name each field, record and format once, in Japanese; the English is the
message catalogue's (docs/messages.md), and a Japanese name with two meanings has two."""

from __future__ import annotations

import ast
import re
from datetime import date
from pathlib import Path

import pytest

from kinko import catalogue
from kinko.zengin import charset
from kinko.zengin.fields import FIELD, TYPE, Context, encode
from kinko.zengin.jsonio import JSON_TYPE
from kinko.zengin.layouts import ALL_LAYOUTS, FORMAT, FORMATS, RECORD, TRANSFER_HEADER
from kinko.zengin.rules import TOTAL

SRC = Path(charset.__file__).parent


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


def _literals(module: str, call: str, position: int) -> list[str]:
    """The Japanese words a module passes as argument ``position`` of ``call``."""
    tree = ast.parse((SRC / module).read_text(encoding="utf-8"))
    return [node.args[position].value for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id == call and len(node.args) > position
            and isinstance(node.args[position], ast.Constant)
            and isinstance(node.args[position].value, str)]


def test_the_words_of_the_checks_have_their_english_in_the_catalogue() -> None:
    """The type a value must have (writer, JSON reader), what a trailer's total is checked
    against, and the character classes: named in Japanese, English from the catalogue."""
    tree = ast.parse((SRC / "rules.py").read_text(encoding="utf-8"))
    debit_results = [t.elts[3].value for t in ast.walk(tree)
                     if isinstance(t, ast.Tuple) and len(t.elts) == 4
                     and isinstance(t.elts[3], ast.Constant) and isinstance(t.elts[3].value, str)
                     and "結果コード" in t.elts[3].value]
    words = [
        *((TOTAL, w) for w in [*_literals("rules.py", "_compare", 5), *debit_results]),
        *((TYPE, w) for w in _literals("fields.py", "_type_problem", 1)),
        *((JSON_TYPE, w) for w in ("真偽値", "整数", "ISO 形式の日付 (YYYY-MM-DD)", "文字列")),
        *((charset.CONTEXT, c.ja) for c in charset.CLASSES.values()),
    ]
    assert len(words) > 30 and len(debit_results) == 4
    assert [(ctx, w) for ctx, w in words if catalogue.en(w, ctx) is None] == []
    assert charset.NAME.en == "name characters (ｱ-ﾝ ﾞ ﾟ A-Z 0-9 space ( ) - .)"


def test_a_value_of_the_wrong_type_is_named_in_both_languages() -> None:
    payee = ALL_LAYOUTS["transfer_data"].field("payee_name")
    with pytest.raises(ValueError) as refused:
        encode(payee, 12, Context(date(2026, 12, 4)))
    problem = refused.value.args[0]
    assert problem.reason_ja.startswith("文字列でなければなりません")
    assert "a string" in problem.reason_en


def test_a_refused_value_names_what_each_allowed_value_means_in_each_language() -> None:
    """The values a code field takes are listed with their meaning: 普通/当座 in the
    Japanese reason, ordinary/checking in the English one (ZEN-1)."""
    from kinko.zengin import fields

    found = next(f for layout in ALL_LAYOUTS.values() for f in layout.fields
                 if f.labels and "1" in f.labels and f.labels["1"] == "普通")
    ja = fields._values_text(found)
    en = fields._values_text(found, "en")
    assert "'1' 普通" in ja and "'1' ordinary" in en and "普通" not in en
    every = {label for layout in ALL_LAYOUTS.values() for f in layout.fields
             for label in f.labels.values()}
    assert not [x for x in every
                if re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", x)
                and catalogue.en(x, fields.LABEL) is None]
