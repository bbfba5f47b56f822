"""Validator refusal reasons through the message catalogue (issue 10, step 3).

A rule writes its reason once, in Japanese, with ``{name}`` for a parameter
(``reason("預金種目は {types} のいずれかです", types=…)``); the English is the catalogue's
``msgctxt "reason"`` entry. The customer sees the reason on the upload page in the page's
language; the API answer keeps both.
"""

from __future__ import annotations

import ast
import string
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from kinko import catalogue, clock
from kinko.bulk import rules
from kinko.bulk.models import BulkRequest
from kinko.config import Settings
from kinko.db import Database
from kinko.web.app import create_app
from kinko.web.auth import SESSION_COOKIE, csrf_token
from tests.corporate import builders
from tests.corporate.bulkkit import FRIDAY, OWN, transfer_file

SRC = Path(__file__).resolve().parents[2] / "src" / "kinko"


def _reasons() -> list[tuple[str, str, str, set[str]]]:
    """(where, context, Japanese, parameters given) of every ``reason("…")`` a rule names."""
    found = []
    for file in sorted(SRC.rglob("*.py")):
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                    and node.func.id == "reason":
                first = node.args[0] if node.args else None
                where = f"{file.relative_to(SRC)}:{node.lineno}"
                assert isinstance(first, ast.Constant) and isinstance(first.value, str), where
                given = {k.arg for k in node.keywords if k.arg and k.arg != "ctx"}
                ctx = next((k.value for k in node.keywords if k.arg == "ctx"), None)
                context = ctx.value if isinstance(ctx, ast.Constant) else catalogue.REASON
                found.append((where, str(context), first.value, given))
    return found


def _names(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_reason_a_rule_names_has_its_english_and_its_parameters() -> None:
    reasons = _reasons()
    assert len(reasons) >= 100
    for where, ctx, ja, given in reasons:
        en = catalogue.en(ja, ctx)
        assert en is not None and en != ja, f"{where}: {ja!r} has no English in messages.po"
        # Each text may use any parameter the rule gives (a field's name in Japanese for one,
        # its English name for the other), and no other.
        assert _names(ja) <= given and _names(en) <= given, where


def test_a_reason_with_parameters_is_formatted_in_both_languages() -> None:
    problems = rules.check_payee(7, rules.Payee("0001", "001", "9", "1234567", "ﾀﾛｳ", 1),
                                 payroll=True)
    assert [(p.line, p.field) for p in problems] == [(7, "account_type")]
    types = "/".join(rules.PAYROLL_ACCOUNT_TYPES)
    assert problems[0].reason_ja == f"預金種目は {types} のいずれかです"
    assert problems[0].reason_en == f"the account type is one of {types}"


@pytest.fixture
def app(db: Database) -> Iterator[TestClient]:
    clock.set_now(FRIDAY)
    with TestClient(create_app(db, Settings())) as client:
        yield client


def test_the_upload_page_shows_the_reason_in_the_page_language(db: Database,
                                                               app: TestClient) -> None:
    corp = db.run(builders.contract)
    db.run(lambda s: builders.grant(s, corp, "general", "ABH", [corp.representative]))
    app.cookies.set(SESSION_COOKIE, corp.tokens["general"])
    csrf = csrf_token(corp.tokens["general"])
    html = {"Accept": "text/html"}
    bad = transfer_file([("0002", "001", "1234567", "ﾀﾛｳ", 1_000)])  # no such bank
    ja = app.post("/corporate/bulk/new", headers=html, data={"csrf_token": csrf},
                  files={"file": ("f.txt", bad, "text/plain")})
    assert ja.status_code == 422 and "全銀協の金融機関・支店コードにありません" in ja.text
    en = app.post("/corporate/bulk/new?lang=en", headers=html, data={"csrf_token": csrf},
                  files={"file": ("f.txt", bad, "text/plain")})
    assert en.status_code == 422 and "not a bank/branch code in the national list" in en.text
    assert "全銀協の金融機関・支店コードにありません" not in en.text
    # The field is named in the page's language, not by its code.
    assert "<td>銀行番号</td>" in ja.text
    assert "<td>Bank code</td>" in en.text and "bank_code" not in en.text
    # The API answer carries both, as before.
    app.cookies.clear()
    api = app.post("/api/v1/corporate/bulk/files",
                   headers={"Authorization": f"Bearer {corp.tokens['general']}",
                            "Accept-Language": "en"},
                   files={"file": ("f.txt", bad, "text/plain")})
    assert api.status_code == 422, api.text
    problem = api.json()["problems"][0]
    assert problem["reason_ja"] == "全銀協の金融機関・支店コードにありません"
    assert problem["reason_en"] == "not a bank/branch code in the national list"


@pytest.mark.req("ZEN-1")
@pytest.mark.parametrize(("type_code", "good", "bad", "ja", "en"), [
    ("21", b"7654321", b"76543X1", "口座番号", "account number"),
    ("11", b"0000001000", b"00000X1000", "振込金額", "amount"),
])
def test_a_refused_zengin_file_names_the_field_in_the_page_language(
        db: Database, app: TestClient, type_code: str, good: bytes, bad: bytes, ja: str,
        en: str) -> None:
    """A bad 総合振込 or 給与 file is refused with its record, the field (its Japanese on a
    Japanese page, the catalogue's English on an English one) and the reason; nothing kept."""
    corp = db.run(builders.contract)
    db.run(lambda s: builders.grant(s, corp, "general", "ABH", [corp.representative]))
    app.cookies.set(SESSION_COOKIE, corp.tokens["general"])
    csrf = csrf_token(corp.tokens["general"])
    html = {"Accept": "text/html"}
    made = transfer_file([(OWN, "001", "7654321", "ﾀﾛｳ", 1_000)],
                         type_code=type_code)
    assert good in made
    broken = made.replace(good, bad, 1)  # the data record's, before the trailer's total
    ja_page = app.post("/corporate/bulk/new", headers=html, data={"csrf_token": csrf},
                       files={"file": ("f.txt", broken, "text/plain")})
    en_page = app.post("/corporate/bulk/new?lang=en", headers=html,
                       data={"csrf_token": csrf}, files={"file": ("f.txt", broken, "text/plain")})
    assert ja_page.status_code == en_page.status_code == 422
    assert f"<tr><td>2</td><td>{ja}</td>" in ja_page.text
    assert f"<tr><td>2</td><td>{en}</td>" in en_page.text
    assert f"<td>{ja}</td>" not in en_page.text
    app.cookies.clear()
    api = app.post("/api/v1/corporate/bulk/files",
                   headers={"Authorization": f"Bearer {corp.tokens['general']}"},
                   files={"file": ("f.txt", broken, "text/plain")})
    assert api.status_code == 422, api.text
    problem = api.json()["problems"][0]
    assert (problem["line"], problem["field"], problem["field_en"]) == (2, ja, en)
    assert db.run(lambda s: s.scalar(select(func.count()).select_from(BulkRequest))) == 0


def test_a_csv_upload_with_a_malformed_value_date_is_told_in_the_page_language(
        db: Database, app: TestClient) -> None:
    """The value date of a CSV upload is typed on the form: a malformed one is answered on
    the page, in its language, and no request is kept."""
    corp = db.run(builders.contract)
    db.run(lambda s: builders.grant(s, corp, "general", "ABH", [corp.representative]))
    app.cookies.set(SESSION_COOKIE, corp.tokens["general"])
    csrf = csrf_token(corp.tokens["general"])
    html = {"Accept": "text/html"}
    form = {"csrf_token": csrf, "kind": "bulk", "value_date": "2026/12/07"}
    csv = ("f.csv", b"0001,001,1,1234567,\xef\xbe\x80\xef\xbe\x9b\xef\xbd\xb3,1000\n", "text/csv")
    ja = app.post("/corporate/bulk/new", headers=html, data=form, files={"file": csv})
    en = app.post("/corporate/bulk/new?lang=en", headers=html, data=form, files={"file": csv})
    assert ja.status_code == en.status_code == 422
    assert "振込指定日をYYYY-MM-DDで入力してください" in ja.text
    assert "Give the value date as YYYY-MM-DD." in en.text
    assert "振込指定日をYYYY-MM-DDで入力してください" not in en.text
    assert db.run(lambda s: s.scalar(select(func.count()).select_from(BulkRequest))) == 0
