"""`kinko bench login`: what a login costs beyond its one argon2id verify (AUTH-10).

A login is one password verify with the production argon2id parameters plus the database work
around it (load the user, lockout bookkeeping, open the session, audit). The reference is the
bare ``argon2.PasswordHasher.verify`` of the same stored hash, measured in the same run with
the same parameters, so the ratio of the medians shows the overhead whatever the machine's
speed. Target: login p50 ≤ 1.5 × bare verify p50.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher

from kinko.auth.crypto import OWASP
from kinko.auth.enrolment import enrol_retail_001
from kinko.auth.login import Client, login_retail_001
from kinko.auth.models import AuthSecret, SecretKind
from kinko.auth.outcomes import LoggedIn
from kinko.db import Database
from kinko.db.migrate import upgrade
from kinko.parties.models import Branch, Customer, CustomerKind

MEMBER = "10000001"
PASSWORD = "Bench7Login"  # noqa: S105 - a throwaway password of a scratch database


def _percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))]


def _prepare(db: Database) -> str:
    def setup(s: Any) -> str:
        s.add(Branch(code="001", name="本店", name_kana="ﾎﾝﾃﾝ"))
        s.flush()
        customer = Customer(number="C0000001", kind=CustomerKind.INDIVIDUAL, name="試験 太郎",
                            name_kana="ｼｹﾝ ﾀﾛｳ", branch_code="001")
        s.add(customer)
        s.flush()
        user = enrol_retail_001(s, customer_id=customer.id, member_number=MEMBER,
                                password=PASSWORD, actor="bench")
        stored: str = s.query(AuthSecret.hash).filter_by(
            user_id=user.id, kind=SecretKind.LOGIN_PASSWORD).scalar()
        return stored

    return db.run(setup)


def run(*, database_url: str | None, logins: int, json_output: bool) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        url = database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        if database_url and not database_url.startswith("sqlite"):
            raise SystemExit("kinko bench login uses a scratch SQLite file unless given a "
                             "sqlite:/// URL (it writes users and sessions)")
        upgrade(url)
        db = Database(url)
        stored = _prepare(db)
        hasher = PasswordHasher(time_cost=OWASP.time_cost, memory_cost=OWASP.memory_cost,
                                parallelism=OWASP.parallelism)
        login_ms: list[float] = []
        bare_ms: list[float] = []
        client = Client(ip="127.0.0.1", place="bench")
        for _ in range(logins):  # interleaved, so machine noise hits both the same way
            start = time.perf_counter()
            hasher.verify(stored, PASSWORD)
            bare_ms.append((time.perf_counter() - start) * 1000)
            start = time.perf_counter()
            result = db.run(lambda s: login_retail_001(s, member_number=MEMBER,
                                                       password=PASSWORD, client=client))
            login_ms.append((time.perf_counter() - start) * 1000)
            if not isinstance(result, LoggedIn):
                raise SystemExit(f"login failed in the benchmark: {result}")
        db.dispose()
    figures: dict[str, Any] = {
        "logins": logins,
        "argon2": {"time_cost": OWASP.time_cost, "memory_kib": OWASP.memory_cost,
                   "parallelism": OWASP.parallelism},
        "login_p50_ms": round(statistics.median(login_ms), 2),
        "login_p99_ms": round(_percentile(login_ms, 0.99), 2),
        "logins_per_s": round(1000 / statistics.mean(login_ms), 1),
        "verify_p50_ms": round(statistics.median(bare_ms), 2),
        "verify_p99_ms": round(_percentile(bare_ms, 0.99), 2),
    }
    figures["ratio"] = round(figures["login_p50_ms"] / figures["verify_p50_ms"], 3)
    figures["target_met"] = figures["ratio"] <= 1.5
    print(f"login (retail-001, production argon2id t={OWASP.time_cost} "
          f"m={OWASP.memory_cost} KiB): p50 {figures['login_p50_ms']} ms, "
          f"p99 {figures['login_p99_ms']} ms, {figures['logins_per_s']} logins/s (one client)")
    print(f"bare argon2id verify, same hash, same run: p50 {figures['verify_p50_ms']} ms, "
          f"p99 {figures['verify_p99_ms']} ms")
    print(f"ratio login p50 / verify p50: {figures['ratio']} (target ≤ 1.5: "
          f"{'met' if figures['target_met'] else 'missed'})")
    if json_output:
        print(json.dumps(figures))
    return figures
