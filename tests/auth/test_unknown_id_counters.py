"""The lockout counters of unknown IDs (one upsert on ``auth_login_throttle``) follow the same
state machine as a user's (:func:`kinko.auth.rules.after_failure`), on both databases
(AUTH-6, AUTH-10)."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from kinko import clock
from kinko.auth import repository as repo
from kinko.auth.models import UserState
from kinko.auth.rules import Counters, LockoutLimits, after_failure
from kinko.db import Database
from tests.auth.conftest import T0


@pytest.mark.req("AUTH-6")
@pytest.mark.parametrize(("n", "m", "minutes"), [(1, 1, None), (3, 2, 30), (5, 3, None),
                                                 (5, 3, 30), (2, 4, 5)])
def test_unknown_id_counters_follow_the_user_state_machine(
        db: Database, n: int, m: int, minutes: int | None) -> None:
    limits = LockoutLimits(n, None if minutes is None else timedelta(minutes=minutes), m)
    rnd = random.Random(n * 100 + m)
    fresh = Counters(UserState.ACTIVE, 0, 0, None)
    model = fresh
    now = T0
    key = f"test-{n}-{m}-{minutes}"
    for _ in range(40):   # failures only: an unknown ID never logs in
        now += timedelta(minutes=rnd.choice([0, 0, 1, 10, 31]))
        clock.set_now(now)
        expected = after_failure(model, limits, now)
        first = after_failure(fresh, limits, now)
        assert first is not None
        with db.transaction() as s:
            got = repo.count_unknown_failure(s, key, limits, now, first)
        assert got == expected, (model, now)
        if expected is not None:
            model = expected

