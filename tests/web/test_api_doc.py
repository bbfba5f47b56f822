"""docs/api.md's walkthrough, executed against a live server, so that it stays true.

Every ``curl`` of the document's shell blocks is sent, in order, to the demo bank served by
uvicorn (real HTTP): the documented answers' literal values (ids, amounts, fees, names,
states) must be in the real answers. What the reader copies from an earlier answer (the
session token, the card challenge and its cells) is taken from the real answers, as the
reader would; the card cells are answered from the demo card's grid.
"""

from __future__ import annotations

import json
import re
import shlex
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from kinko import clock
from kinko.auth import cards
from kinko.auth import repository as auth_repo
from kinko.config import Settings
from kinko.db import Database
from kinko.db.migrate import upgrade
from kinko.web import demo_users as du
from kinko.web.app import create_app
from tests.e2e.support import T0, build_demo, running

DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"


@dataclass
class Step:
    command: str
    expected: str   # the "# {...}" lines after it, joined


def steps(text: str) -> list[Step]:
    """The curl commands of the ```sh blocks, each with the answer documented under it."""
    found: list[Step] = []
    for block in re.findall(r"```sh\n(.*?)```", text, re.S):
        joined = re.sub(r"\\\n\s*", " ", block)
        lines: list[str] = []
        for line in joined.splitlines():  # a quoted body may go on over the next line
            if lines and lines[-1].count("'") % 2:
                lines[-1] += " " + line.strip()
            else:
                lines.append(line)
        for line in lines:
            stripped = line.strip()
            if stripped.startswith("curl "):
                found.append(Step(stripped.split("  #")[0], ""))
            elif stripped.startswith("#") and found and not found[-1].command.startswith("#"):
                found[-1].expected += stripped.lstrip("#").strip() + " "
    return found


def literals(expected: str) -> list[tuple[str, Any]]:
    """The ``"key": value`` pairs of a documented answer whose value is literal (no …)."""
    pairs = re.findall(r'"(\w+)":\s*("[^"…]*"|-?\d+|true|false|null)(?=\s*[,}\]])', expected)
    return [(key, json.loads(value)) for key, value in pairs]


def has_pair(answer: Any, key: str, value: Any) -> bool:
    if isinstance(answer, dict):
        return (answer.get(key) == value and key in answer) or any(
            has_pair(v, key, value) for v in answer.values())
    if isinstance(answer, list):
        return any(has_pair(v, key, value) for v in answer)
    return False


@dataclass
class Reader:
    """What someone following the document carries from one answer to the next."""

    base: str
    grid: list[list[str]]
    token: str = ""
    cells: list[str] = field(default_factory=list)
    challenge_id: str = ""

    def request(self, command: str) -> httpx.Response:
        words = shlex.split(command.replace("$(uuidgen)", uuid.uuid4().hex)
                            .replace("$BASE", self.base)
                            .replace("$AUTH", f"Authorization: Bearer {self.token}"))
        method, url, headers, body = "GET", "", {}, None
        i = 1
        while i < len(words):
            word = words[i]
            if word == "-X":
                method, i = words[i + 1], i + 1
            elif word == "-H":
                name, _, value = words[i + 1].partition(":")
                headers[name.strip()] = value.strip()
                i += 1
            elif word == "-d":
                body, i = self.answered(json.loads(words[i + 1])), i + 1
                method = "POST" if method == "GET" else method
            elif word == "-o":
                i += 1
            elif word.startswith("http"):
                url = word
            i += 1
        return httpx.request(method, url, headers=headers, json=body, timeout=30)

    def answered(self, body: dict[str, Any]) -> dict[str, Any]:
        """The reader puts in the challenge they were given and their card's digits."""
        if "card_challenge_id" in body:
            body["card_challenge_id"] = self.challenge_id
            body["card_answers"] = {
                cell: self.grid[int(cell[1:]) - 1][ord(cell[0]) - ord("A")]
                for cell in self.cells}
        return body

    def remember(self, answer: Any) -> None:
        if not isinstance(answer, dict):
            return
        if answer.get("session_token"):
            self.token = answer["session_token"]
        step_up = answer.get("step_up") or {}
        if step_up.get("card"):
            self.challenge_id = step_up["card"]["challenge_id"]
            self.cells = step_up["card"]["cells"]


def test_the_documented_walkthrough_is_true(tmp_path: Path) -> None:
    """On a fresh database, as ``kinko demo`` makes one: the document's ids are its ids."""
    url = f"sqlite:///{tmp_path / 'kinko.sqlite3'}"
    upgrade(url)
    db = Database(url)
    clock.set_now(T0)
    demo = build_demo(db)
    with db.transaction() as s:
        card = auth_repo.active_card(s, demo.user(du.YAMADA_MEMBER_NUMBER).user_id)
        assert card is not None
        grid = cards._grid(card)
    documented = steps(DOC.read_text(encoding="utf-8"))
    assert len(documented) >= 10, "the walkthrough lost its commands"
    with running(create_app(db, Settings(demo=True))) as base:
        reader = Reader(base, grid)
        for step in documented:
            response = reader.request(step.command)
            assert response.status_code < 400, (step.command, response.text)
            answer = (response.json() if response.headers.get("content-type", "")
                      .startswith("application/json") else response.text)
            for key, value in literals(step.expected):
                assert has_pair(answer, key, value), (step.command, key, value, answer)
            reader.remember(answer)
    clock.set_now(None)
    db.dispose()


@pytest.mark.parametrize("expected,pairs", [
    ('{"id": 12, "status": "entered", "x": "a…"}', [("id", 12), ("status", "entered")]),
    ('{"accounts": [{"account_id": 8, "balance": 579890}]}', [("account_id", 8),
                                                              ("balance", 579890)]),
])
def test_literal_values_are_read_from_the_documented_answers(
        expected: str, pairs: list[tuple[str, Any]]) -> None:
    assert literals(expected) == pairs
