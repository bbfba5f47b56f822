"""What the command line tells an operator comes from the message catalogue (issue 10):
Japanese and the catalogue's English on one line, or one language with KINKO_LANG."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kinko import catalogue
from kinko.cli import app
from kinko.clihelpers import CLI, CLI_HELP, both, say
from kinko.db import Database

SRC = Path(__file__).resolve().parents[2] / "src" / "kinko"


def test_a_line_is_japanese_then_the_catalogues_english(monkeypatch: pytest.MonkeyPatch
                                                        ) -> None:
    monkeypatch.delenv("KINKO_LANG", raising=False)
    line = say("デモ銀行を作成しました: お客さま 4 人、口座 {accounts} 件（{url}）",
               accounts=9, url="sqlite:///demo.db")
    assert line == ("デモ銀行を作成しました: お客さま 4 人、口座 9 件（sqlite:///demo.db） / "
                    "demo bank created: 4 customers, 9 accounts in sqlite:///demo.db")


def test_the_operator_may_ask_for_one_language(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KINKO_LANG", "en")
    assert say("作成") == "created"
    monkeypatch.setenv("KINKO_LANG", "ja")
    assert say("作成") == "作成"


def test_every_line_the_command_line_says_has_its_english() -> None:
    said = []
    for file in sorted(SRC.rglob("*.py")):
        tree = ast.parse(file.read_text(encoding="utf-8"))
        if file.name != "clihelpers.py" and not any(
                isinstance(n, ast.ImportFrom) and n.module == "kinko.clihelpers"
                and any(a.name == "say" for a in n.names) for n in ast.walk(tree)):
            continue  # another module's own ``say``
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                    and node.func.id == "say" and node.args:
                for text in ([node.args[0]] if not isinstance(node.args[0], ast.IfExp)
                             else [node.args[0].body, node.args[0].orelse]):
                    assert isinstance(text, ast.Constant), f"{file}:{node.lineno}"
                    said.append(str(text.value))
    assert len(said) >= 10
    missing = [s for s in said if catalogue.en(s, CLI) is None]
    assert not missing, missing


_JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def test_help_texts_are_japanese_then_the_catalogues_english() -> None:
    """A command's or option's help (``help=both("メール")``) names its Japanese once; the
    English is the catalogue's ``cli_help`` entry, and no literal ``"日本語 / English"``
    help text is left."""
    named, inline = [], []
    for file in sorted(SRC.rglob("*.py")):
        tree = ast.parse(file.read_text(encoding="utf-8"))
        ours = any(isinstance(n, ast.ImportFrom) and n.module == "kinko.clihelpers"
                   and any(a.name == "both" for a in n.names) for n in ast.walk(tree))
        for node in ast.walk(tree):
            if ours and isinstance(node, ast.Call) and getattr(node.func, "id", "") == "both":
                assert node.args and isinstance(node.args[0], ast.Constant), \
                    f"{file}:{node.lineno}"
                named.append(str(node.args[0].value))
            if isinstance(node, ast.keyword) and node.arg == "help" \
                    and isinstance(node.value, ast.Constant) \
                    and _JAPANESE.search(str(node.value.value)) \
                    and " / " in str(node.value.value):
                inline.append(f"{file.relative_to(SRC)}:{node.value.lineno}")
    assert len(named) >= 20
    assert not [ja for ja in named if catalogue.en(ja, CLI_HELP) is None]
    assert not inline, inline
    assert both("メール") == "メール / e-mail notices"
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0 and "監査ログ / audit log" in result.output


def test_no_command_prints_an_inline_pair() -> None:
    """What a command prints or fails with is ``say(…)``: no ``"日本語 / English"`` literal
    is left in an echo or a failure (help texts are Typer's, not printed lines)."""
    left = []
    for file in sorted(SRC.rglob("*.py")):
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if called not in ("echo", "secho", "fail"):
                continue
            for arg in node.args:
                for part in ast.walk(arg):
                    if isinstance(part, ast.Constant) and isinstance(part.value, str) \
                            and _JAPANESE.search(part.value) and " / " in part.value:
                        left.append(f"{file.relative_to(SRC)}:{node.lineno}")
    assert not left


@pytest.mark.parametrize(("lang", "expected", "other"), [
    ("ja", "監査ログは改ざんされていません", "audit chain intact"),
    ("en", "audit chain intact", "監査ログは改ざんされていません"),
])
def test_batch_and_audit_speak_the_language_asked(db: Database, lang: str, expected: str,
                                                  other: str,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    url = db.url.render_as_string(hide_password=False)
    monkeypatch.setenv("KINKO_LANG", lang)
    runner = CliRunner()
    ran = runner.invoke(app, ["batch", "run", "--database-url", url])
    assert ran.exit_code == 0, ran.output
    assert ran.output.startswith("完了 0、再試行 0、失敗 0" if lang == "ja"
                                 else "done 0, retried 0, failed 0")
    verified = runner.invoke(app, ["audit", "verify", "--database-url", url])
    assert verified.exit_code == 0, verified.output
    assert expected in verified.output and other not in verified.output
    monkeypatch.delenv("KINKO_LANG")
    both = runner.invoke(app, ["audit", "verify", "--database-url", url])
    assert "監査ログは改ざんされていません / audit chain intact" in both.output
