"""What the command line tells an operator comes from the message catalogue (issue 10):
Japanese and the catalogue's English on one line, or one language with KINKO_LANG."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from kinko import catalogue
from kinko.clihelpers import CLI, say

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
