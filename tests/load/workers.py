"""Client processes for the concurrency tests: each opens its own Database and reports an
:class:`Outcome` through a queue."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from multiprocessing.synchronize import Barrier
from typing import Any

from sqlalchemy.exc import DBAPIError

from kinko.db import Database
from kinko.errors import DomainError
from kinko.ledger.errors import InsufficientFunds
from kinko.ledger.service import transfer


@dataclass
class Outcome:
    """What one client saw: acknowledged transfers, refusals, and anything unexpected."""

    acknowledged: list[tuple[str, int, int, int, int]] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)          # keys refused for funds
    unexpected: list[str] = field(default_factory=list)       # any other error, as text


def random_transfers(url: str, index: int, count: int, accounts: list[int], hot: list[int],
                     max_amount: int, barrier: Barrier, results: Any) -> None:
    """Send ``count`` random transfers, each its own transaction with a unique key."""
    rng = random.Random(1_000 + index)  # seeded: a failure can be replayed
    outcome = Outcome()
    db = Database(url, pool_size=1)
    try:
        barrier.wait(timeout=120)  # everyone starts together, so the transfers really collide
        for n in range(count):
            debit = rng.choice(hot) if rng.random() < 0.5 else rng.choice(accounts)
            credit = rng.choice(hot) if rng.random() < 0.5 else rng.choice(accounts)
            while credit == debit:
                credit = rng.choice(accounts)
            amount = rng.randint(1, max_amount)
            key = f"load-{index}-{n}"
            try:
                posted = db.run(transfer, debit_account_id=debit, credit_account_id=credit,
                                amount=amount, idempotency_key=key, actor=f"client:{index}")
            except InsufficientFunds:
                outcome.refused.append(key)
            except (DomainError, DBAPIError) as exc:
                # A deadlock or serialization failure surfacing here would mean Database.run
                # did not absorb it; the test fails on any entry in this list.
                outcome.unexpected.append(f"{key}: {type(exc).__name__}: {exc}")
            else:
                outcome.acknowledged.append((key, posted.entry_id, debit, credit, amount))
    except Exception as exc:  # the parent asserts on this instead of hanging
        outcome.unexpected.append(f"client {index}: {type(exc).__name__}: {exc}")
    finally:
        db.dispose()
    results.put(outcome)


def same_key_transfers(url: str, index: int, keys: list[str], debit: int, credit: int,
                       amount: int, barrier: Barrier, results: Any) -> None:
    """Send the same keyed transfers as every other client, each round started together."""
    outcome = Outcome()
    db = Database(url, pool_size=1)
    try:
        for key in keys:
            barrier.wait(timeout=120)
            try:
                posted = db.run(transfer, debit_account_id=debit, credit_account_id=credit,
                                amount=amount, idempotency_key=key, actor=f"client:{index}")
            except (DomainError, DBAPIError) as exc:
                outcome.unexpected.append(f"{key}: {type(exc).__name__}: {exc}")
            else:
                outcome.acknowledged.append((key, posted.entry_id, debit, credit, amount))
    except Exception as exc:  # the parent asserts on this instead of hanging
        outcome.unexpected.append(f"client {index}: {type(exc).__name__}: {exc}")
    finally:
        db.dispose()
    results.put(outcome)
