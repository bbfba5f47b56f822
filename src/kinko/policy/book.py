"""Policy versions with effective dates, and the TOML file that adds them (POL-1).

A change of policy is announced and applies from its date (002 第19条, 004 第6条), and past
instructions keep the policy of their time: so nothing is ever edited in place, a new version
is appended, and callers ask for the version in force at the moment that matters to them.
"""

from __future__ import annotations

import tomllib
from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from kinko.clock import parse_moment, to_jst
from kinko.errors import DomainError
from kinko.policy.model import Policy

BEGINNING = datetime.min.replace(tzinfo=UTC)
"""When the built-in defaults take effect: before any moment Kinko will ever see."""

_VERSION_KEYS = frozenset({"effective_from", "note"})


@dataclass(frozen=True, slots=True)
class PolicyVersion:
    effective_from: datetime
    policy: Policy
    note: str = ""

    @property
    def is_baseline(self) -> bool:
        """True for the version in force since the beginning (the defaults or their override)."""
        return self.effective_from == BEGINNING


class PolicyFileError(DomainError):
    code = "POLICY_FILE_INVALID"
    status = 422
    message_ja = "ポリシーファイルに誤りがあります。"

    def __init__(self, source: str, problems: Sequence[str]) -> None:
        self.source = source
        self.problems = tuple(problems)
        more = len(self.problems) - 1
        # One line for logs and other commands; `kinko policy validate` lists every problem.
        suffix = f" (and {more} more: run `kinko policy validate {source}`)" if more else ""
        super().__init__(f"{source}: {self.problems[0]}{suffix}" if self.problems else source)


class PolicyBook:
    """Every policy version, oldest first; immutable once built."""

    __slots__ = ("_starts", "_versions")

    def __init__(self, versions: Iterable[PolicyVersion]) -> None:
        ordered = tuple(versions)
        if not ordered or ordered[0].effective_from != BEGINNING:
            raise ValueError("the first policy version must be in force from the beginning")
        for earlier, later in pairwise(ordered):
            if later.effective_from <= earlier.effective_from:
                raise ValueError("policy versions must have strictly increasing effective_from")
        self._versions = ordered
        self._starts = tuple(v.effective_from for v in ordered)

    @classmethod
    def defaults(cls) -> PolicyBook:
        return cls([PolicyVersion(BEGINNING, Policy(), "built-in defaults (SPEC §13)")])

    @classmethod
    def from_file(cls, path: Path) -> PolicyBook:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise PolicyFileError(str(path), [f"cannot read the file: {exc}"]) from None
        return cls.from_toml(text, source=str(path))

    @classmethod
    def from_toml(cls, text: str, *, source: str = "<policy>") -> PolicyBook:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise PolicyFileError(source, [f"not valid TOML: {exc}"]) from None
        return cls.from_data(data, source=source)

    @classmethod
    def from_data(cls, data: Mapping[str, Any], *, source: str = "<policy>") -> PolicyBook:
        """Build the defaults plus the ``version`` tables of a parsed policy file.

        Each version holds only what changes; it is merged deep onto the version before it.
        """
        versions, problems = _read_versions(data)
        if problems:
            raise PolicyFileError(source, problems)
        return cls(versions)

    @property
    def versions(self) -> tuple[PolicyVersion, ...]:
        return self._versions

    def version_at(self, moment: datetime) -> PolicyVersion:
        """The version in force at ``moment``: the latest whose effective_from ≤ moment.

        A naive ``moment`` is taken to be Japan time, as everywhere in Kinko.
        """
        index = bisect_right(self._starts, to_jst(moment)) - 1
        return self._versions[max(index, 0)]

    def policy_at(self, moment: datetime) -> Policy:
        return self.version_at(moment).policy


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """``override`` laid over ``base``: tables merge key by key, anything else (lists too)
    replaces the previous value, so a fee table or closing-day list is always stated whole."""
    merged = dict(base)
    for key, value in override.items():
        previous = merged.get(key)
        if isinstance(value, Mapping) and isinstance(previous, Mapping):
            merged[key] = deep_merge(previous, value)
        else:
            merged[key] = value
    return merged


def _read_versions(data: Mapping[str, Any]) -> tuple[list[PolicyVersion], list[str]]:
    problems = [f"unknown key {key!r} at the top level (only [[version]] tables)"
                for key in data if key != "version"]
    tables = data.get("version")
    if not isinstance(tables, list) or not tables:
        problems.append("no [[version]] table (write each version as [[version]])")
        return [], problems

    versions = [PolicyVersion(BEGINNING, Policy(), "built-in defaults (SPEC §13)")]
    # Order is checked against the previous version as written, even one refused for its
    # values, so one mistake does not hide another.
    last_start: datetime | None = None
    for number, table in enumerate(tables, start=1):
        where = f"version {number}"
        if not isinstance(table, dict):
            problems.append(f"{where}: must be a table")
            continue
        start, trouble = _effective_from(table.get("effective_from"))
        if start is None:
            problems.append(f"{where}: effective_from {trouble}")
            continue
        where = f"version {number} (effective_from {start.isoformat()})"
        note = table.get("note", "")
        if not isinstance(note, str):
            problems.append(f"{where}: note must be a string")
            continue
        if start < BEGINNING:
            problems.append(f"{where}: effective_from is before the beginning of time")
            continue
        if last_start is not None and start <= last_start:
            problems.append(f"{where}: effective_from must be after the previous version's")
            continue
        last_start = start
        previous = versions[-1]
        overrides = {k: v for k, v in table.items() if k not in _VERSION_KEYS}
        try:
            policy = Policy.model_validate(deep_merge(previous.policy.model_dump(), overrides))
        except ValidationError as exc:
            problems.extend(f"{where}: {_describe(error)}" for error in exc.errors())
            continue
        if start == BEGINNING:
            # A version from the beginning restates the bank's own baseline: it replaces the
            # built-in defaults instead of following them.
            versions[0] = PolicyVersion(start, policy, note)
        else:
            versions.append(PolicyVersion(start, policy, note))
    return versions, problems


def _effective_from(value: Any) -> tuple[datetime | None, str]:
    if value is None:
        return None, "is missing"
    if isinstance(value, str):
        try:
            value = parse_moment(value)
        except ValueError:
            return None, f"{value!r} is not a date or date-time"
    if isinstance(value, datetime):
        # Keep the beginning in UTC: in year 1 the Tokyo zone is local mean time (+09:18:59).
        return (BEGINNING if value == BEGINNING else to_jst(value)), ""
    if isinstance(value, date):
        return parse_moment(value.isoformat()), ""
    return None, f"must be a date or date-time, not {type(value).__name__}"


def _describe(error: ErrorDetails) -> str:
    path = ""
    for part in error["loc"]:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    if error["type"] == "extra_forbidden":
        return f"{path}: unknown key"
    message = str(error["msg"]).removeprefix("Value error, ")
    value = error.get("input")
    if error["type"] == "missing" or isinstance(value, Mapping | list | tuple):
        return f"{path}: {message}"
    shown = repr(value)
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    return f"{path}: {message} (got {shown})"
