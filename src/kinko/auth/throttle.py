"""Login throttling, in the database so that it holds across worker processes and machines.

Every login and first-use attempt names a client address and a target (the typed ID, or the
representative account at first use). Failed attempts are counted per fixed window of the
bank's policy (``throttle_window_minutes``):

- per **address**: ``throttle_failures_per_address`` failures (default 100 per 15 minutes),
  so spraying one password over many IDs from one address slows to that pace, while customers
  sharing an address (a company's NAT) are unaffected: successful logins never count, and the
  limit is far above what people mistyping produce;
- per **target**, from any address: ``throttle_failures_per_id`` failures (default 4, below
  ``max_failed_attempts``), so that nobody can push an ID into lockout (for retail-001: until
  the bank releases it) in less than one window, however many addresses they use.

Over a limit, the attempt is answered 429 with ``Retry-After`` *before* anything is checked or
counted: no password is verified and the lockout counter does not move. The target is the
typed ID whether or not it exists, so throttling tells nothing about which IDs exist.

Cost per attempt: one SELECT of the (at most two) rows before the attempt, and after a failed
attempt one upsert of both rows; a successful login adds only the SELECT. The check and the
count are not one atomic step (holding the address row locked through a slow argon2
verification would queue every login behind one NAT), so requests that run at the very same
moment may each pass the check: the overshoot is bounded by the number of requests in flight.
The exact limit on guessing stays the lockout's (AUTH-6), which is one conditional UPDATE.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from sqlalchemy.orm import Session

from kinko import clock
from kinko.auth import repository as repo
from kinko.auth.crypto import keyed_digest
from kinko.auth.errors import TooManyAttempts
from kinko.auth.models import Product, ThrottleKind
from kinko.auth.outcomes import Rejected
from kinko.auth.policy import AuthRules, rules_for

R = TypeVar("R")

_PURPOSE = "login-throttle"
# Unknown-ID counters are kept this long after their last failure (a lockout "until
# released" of an ID that does not exist is then forgotten; see docs/security-throttling.md).
UNKNOWN_ID_RETENTION = timedelta(days=90)


def key_of(kind: ThrottleKind, *parts: str) -> str:
    """The row key: a keyed digest, so neither addresses nor typed IDs are stored in clear."""
    return keyed_digest(_PURPOSE, "\x00".join((kind.value, *parts)))


@dataclass(frozen=True)
class Gate:
    """The throttle rows one attempt is counted on."""

    keys: tuple[tuple[str, ThrottleKind], ...]

    @classmethod
    def of(cls, address: str | None, scope: str, typed_id: str) -> Gate:
        keys = [(key_of(ThrottleKind.TARGET, scope, typed_id.strip()), ThrottleKind.TARGET)]
        if address:
            keys.append((key_of(ThrottleKind.ADDRESS, address), ThrottleKind.ADDRESS))
        return cls(tuple(keys))


def limit_of(kind: ThrottleKind, rules: AuthRules) -> int:
    return (rules.throttle_failures_per_address if kind is ThrottleKind.ADDRESS
            else rules.throttle_failures_per_id)


def retry_after(gate: Gate, rows: list[repo.ThrottleRow], rules: AuthRules, now: datetime
                ) -> int | None:
    """Seconds until every row of ``gate`` is under its limit again; None if all are now."""
    kinds = dict(gate.keys)
    waits = [
        (row.window_start + rules.throttle_window - now).total_seconds()
        for row in rows
        if row.key in kinds and row.window_start + rules.throttle_window > now
        and row.failures >= limit_of(kinds[row.key], rules)
    ]
    return math.ceil(max(waits)) if waits else None


def check(session: Session, gate: Gate, rules: AuthRules, now: datetime, *,
          also: tuple[str, ...] = ()) -> Rejected | None:
    """429 (with the seconds to wait) if the attempt is over a limit; one SELECT, which also
    reads the rows ``also`` names for the attempt (an unknown ID's lockout counters), so that
    the attempt finds them without a statement of its own."""
    rows = repo.throttle_rows(session, [k for k, _ in gate.keys] + list(also))
    wait = retry_after(gate, rows, rules, now)
    if wait is None:
        return None
    return Rejected(error=TooManyAttempts(retry_after=max(1, wait)))


def count_failure(session: Session, gate: Gate, rules: AuthRules, now: datetime) -> None:
    repo.count_throttled_failure(session, gate.keys, rules.throttle_window, now)


def guarded(session: Session, *, address: str | None, product: Product, scope: str,
            typed_id: str, attempt: Callable[[], R]) -> R | Rejected:
    """Run a login (or first-use) ``attempt`` unless throttled; count it if it failed.

    ``scope`` names the kind of ID typed (a product code, or ``first-use``), ``typed_id`` the
    ID as typed. Every :class:`Rejected` answer counts as a failure, whatever its reason, so
    that a known ID's answers (wrong, locked, blocked) and an unknown one's count alike.
    """
    rules = rules_for(product)
    now = clock.now()
    gate = Gate.of(address, scope, typed_id)
    # The typed ID's unknown-ID counters are read with the throttle rows, whether or not the
    # ID exists, for a login as for first use (the representative account as typed): the
    # known and the unknown ID then cost the same statements (AUTH-10). First use once read
    # them in a statement of their own on the unknown path only, a difference the timing
    # test could measure (0.1 ms in 5).
    also = (key_of(ThrottleKind.UNKNOWN_ID, scope, typed_id.strip()),)
    refused = check(session, gate, rules, now, also=also)
    if refused is not None:
        return refused
    result = attempt()
    if isinstance(result, Rejected):
        count_failure(session, gate, rules, now)
    return result


def prune(session: Session, now: datetime | None = None) -> int:
    """Forget ended windows and long-idle unknown-ID counters (the daily batch calls it)."""
    moment = clock.now() if now is None else now
    longest = max(rules_for(p).throttle_window for p in Product)
    return repo.prune_throttle(session, windows_before=moment - longest,
                               unknown_ids_before=moment - UNKNOWN_ID_RETENTION)
