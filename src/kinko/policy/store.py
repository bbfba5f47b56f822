"""The policy book in force for this process: the defaults plus the file named in settings.

Loaded once and cached, because rules ask for the policy on every request; a changed file
takes effect on restart (versions are dated ahead of time, so nothing waits on a reload) or
after :func:`reset_policy_cache`.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from pathlib import Path

from kinko import clock
from kinko.config import get_settings
from kinko.policy.book import PolicyBook, PolicyVersion
from kinko.policy.model import Policy


@lru_cache(maxsize=8)
def _load(path: Path | None) -> PolicyBook:
    if path is None:
        return PolicyBook.defaults()
    return PolicyBook.from_file(path)


def configured_policy_file() -> Path | None:
    """The override file from ``KINKO_POLICY_FILE``, or ``None`` for the defaults only."""
    path = get_settings().policy_file
    # An empty KINKO_POLICY_FILE arrives as Path("."): it means "no file", not this directory.
    if path is None or str(path) in {"", "."}:
        return None
    return path


def get_policy_book() -> PolicyBook:
    """The book for the configured file; raises ``PolicyFileError`` if the file is invalid."""
    return _load(configured_policy_file())


def reset_policy_cache() -> None:
    """Forget loaded books (tests, or after editing the policy file)."""
    _load.cache_clear()


def version_at(moment: datetime | None = None) -> PolicyVersion:
    """The policy version in force at ``moment`` (default: now, from :mod:`kinko.clock`)."""
    return get_policy_book().version_at(clock.now() if moment is None else moment)


def policy_at(moment: datetime) -> Policy:
    """The policy in force at ``moment``: pass an instruction's own time to keep its policy."""
    return get_policy_book().policy_at(moment)


def current_policy() -> Policy:
    """The policy in force now."""
    return get_policy_book().policy_at(clock.now())
