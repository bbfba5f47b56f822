"""Auth test fixtures: a cheap argon2 hasher for speed (production parameters are exercised in
tests/auth/test_crypto.py only), a fixed clock, and builders for each product's users."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest

from kinko import clock
from kinko.auth.crypto import CHEAP_FOR_TESTS, SecretHasher, use_hasher

T0 = datetime(2026, 4, 1, 10, 0, tzinfo=clock.JST)


@pytest.fixture(autouse=True)
def cheap_hasher() -> Iterator[SecretHasher]:
    with use_hasher(SecretHasher(CHEAP_FOR_TESTS)) as h:
        yield h


@pytest.fixture(autouse=True)
def fixed_clock() -> Iterator[datetime]:
    clock.set_now(T0)
    yield T0
    clock.set_now(None)
