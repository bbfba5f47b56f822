"""The policy book in force for this process: the defaults, the file named in settings, and
the changes approved in the console (installed by :mod:`kinko.policy.changes`).

Loaded once and cached, because rules ask for the policy on every request; a changed file
takes effect on restart (versions are dated ahead of time, so nothing waits on a reload) or
after :func:`reset_policy_cache`.
"""

from __future__ import annotations

import json
import time
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from kinko import clock
from kinko.config import get_settings
from kinko.policy.book import BEGINNING, PolicyBook, PolicyVersion, _effective_from
from kinko.policy.model import Policy


@dataclass(frozen=True)
class Change:
    """A version added in the console: what a ``[[version]]`` table of the file would say."""

    effective_from: datetime
    overrides_json: str     # JSON text, so that a change is hashable (the book is cached)
    note: str = ""

    @classmethod
    def of(cls, effective_from: datetime, overrides: Mapping[str, Any], note: str = ""
           ) -> Change:
        return cls(effective_from, json.dumps(overrides, sort_keys=True, ensure_ascii=False),
                   note)

    def table(self) -> dict[str, Any]:
        overrides = json.loads(self.overrides_json)
        return {**overrides, "effective_from": self.effective_from, "note": self.note}


class _Installed:
    """The console changes this process uses, and when they were last read (monotonic)."""

    changes: tuple[Change, ...] = ()
    at: float = float("-inf")


_installed = _Installed()


@lru_cache(maxsize=8)
def _file_tables(path: Path | None) -> tuple[dict[str, Any], ...]:
    if path is None:
        return ()
    PolicyBook.from_file(path)   # reports every problem of the file itself first
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return tuple(data.get("version", ()))


def build_book(path: Path | None, changes: Iterable[Change]) -> PolicyBook:
    """The file's versions and the console's changes, merged in date order."""
    tables = [*_file_tables(path), *(c.table() for c in changes)]
    if not tables:
        return PolicyBook.defaults()

    def start(table: dict[str, Any]) -> datetime:
        moment, _trouble = _effective_from(table.get("effective_from"))
        return BEGINNING if moment is None else moment   # from_data names a bad one

    tables.sort(key=start)
    return PolicyBook.from_data({"version": tables},
                                source=str(path) if path else "<console changes>")


@lru_cache(maxsize=8)
def _load(path: Path | None, changes: tuple[Change, ...]) -> PolicyBook:
    return build_book(path, changes)


def configured_policy_file() -> Path | None:
    """The override file from ``KINKO_POLICY_FILE``, or ``None`` for the defaults only."""
    path = get_settings().policy_file
    # An empty KINKO_POLICY_FILE arrives as Path("."): it means "no file", not this directory.
    if path is None or str(path) in {"", "."}:
        return None
    return path


def get_policy_book() -> PolicyBook:
    """The book in force; raises ``PolicyFileError`` if the file is invalid."""
    return _load(configured_policy_file(), _installed.changes)


def book_with(extra: Iterable[Change]) -> PolicyBook:
    """The book as it would be with ``extra`` changes too (to check a proposed change)."""
    return build_book(configured_policy_file(), (*_installed.changes, *extra))


def install_changes(changes: tuple[Change, ...]) -> None:
    """Use these console changes from now on (``kinko.policy.changes.refresh``)."""
    if changes != _installed.changes:
        # Fail here, in the refresh, rather than in every later request.
        build_book(configured_policy_file(), changes)
        _installed.changes = changes
    _installed.at = time.monotonic()


def installed_at() -> float:
    return _installed.at


def reset_policy_cache() -> None:
    """Forget loaded books and installed changes (tests, or after editing the policy file)."""
    _load.cache_clear()
    _file_tables.cache_clear()
    _installed.changes = ()
    _installed.at = float("-inf")


def version_at(moment: datetime | None = None) -> PolicyVersion:
    """The policy version in force at ``moment`` (default: now, from :mod:`kinko.clock`)."""
    return get_policy_book().version_at(clock.now() if moment is None else moment)


def policy_at(moment: datetime) -> Policy:
    """The policy in force at ``moment``: pass an instruction's own time to keep its policy."""
    return get_policy_book().policy_at(moment)


def current_policy() -> Policy:
    """The policy in force now."""
    return get_policy_book().policy_at(clock.now())

