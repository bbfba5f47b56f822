"""Pure rules: guessable passwords (AUTH-9), lockout arithmetic (AUTH-6), token fees (CRED-1),
TOTP windows (AUTH-5), operation digests (AUTH-12)."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kinko import clock
from kinko.auth.models import TokenIssueReason, UserState
from kinko.auth.rules import (
    Counters,
    LockoutLimits,
    PasswordPolicy,
    PasswordProblem,
    PersonalFacts,
    after_failure,
    after_success,
    birth_date_forms,
    candidate_steps,
    common_passwords,
    effectively_active,
    login_id_problems,
    operation_digest,
    password_expired,
    password_problems,
    token_fee,
    wareki,
)

POLICY = PasswordPolicy()
FACTS = PersonalFacts(login_id="yamada01", birth_date=date(1985, 3, 21), phone="090-1234-5678")
T0 = datetime(2026, 4, 1, 10, 0, tzinfo=clock.JST)


def problems(pw: str, facts: PersonalFacts = FACTS) -> list[PasswordProblem]:
    return password_problems(pw, POLICY, facts)


def test_a_good_password_passes() -> None:
    assert problems("Kinko8Pass") == []


@pytest.mark.req("AUTH-9")
@pytest.mark.parametrize(("pw", "problem"), [
    ("Ab1", PasswordProblem.TOO_SHORT),
    ("Ab1" * 11, PasswordProblem.TOO_LONG),
    ("Kinko8Pass!", PasswordProblem.BAD_CHARACTERS),
    ("Kinko８Pass", PasswordProblem.BAD_CHARACTERS),       # full-width digit
    ("KinkoPassword", PasswordProblem.NEEDS_LETTER_AND_DIGIT),
    ("81726354", PasswordProblem.NEEDS_LETTER_AND_DIGIT),
])
def test_length_and_charset(pw: str, problem: PasswordProblem) -> None:
    assert problem in problems(pw)


@pytest.mark.req("AUTH-9")
@pytest.mark.parametrize("pw", [
    "Kinko19850321", "Kinko850321", "Kinko0321x", "Kinko2103x", "Kinko03211985",
    "KinkoS600321", "Kinko600321", "kinkos600321",      # 和暦: 昭和60年3月21日
])
def test_birth_date_forms_are_refused(pw: str) -> None:
    assert PasswordProblem.BIRTH_DATE in problems(pw)


@pytest.mark.req("AUTH-9")
def test_wareki_eras_and_gannen() -> None:
    assert wareki(date(1985, 3, 21)) == ("s", 60)
    assert wareki(date(1989, 1, 7)) == ("s", 64)
    assert wareki(date(1989, 1, 8)) == ("h", 1)          # 平成元年
    assert wareki(date(2019, 5, 1)) == ("r", 1)          # 令和元年
    digits, lettered = birth_date_forms(date(1990, 1, 15))   # 平成2年
    assert {"19900115", "900115", "0115", "020115", "20115"} <= digits
    assert "h020115" in lettered


@pytest.mark.req("AUTH-9")
@pytest.mark.parametrize("pw", ["Kinko09012345678", "Kinko12345678x", "Kinko5678a"])
def test_phone_number_and_its_tails_are_refused(pw: str) -> None:
    assert PasswordProblem.PHONE_NUMBER in problems(pw)


@pytest.mark.req("AUTH-9")
@pytest.mark.parametrize(("pw", "problem"), [
    ("Kinko1111a", PasswordProblem.REPEATED),
    ("aaaaKinko7", PasswordProblem.REPEATED),
    ("Kinko2345x", PasswordProblem.SEQUENTIAL),
    ("Kinko9876x", PasswordProblem.SEQUENTIAL),
    ("abcdKinko7", PasswordProblem.SEQUENTIAL),
    ("xYamada01z", PasswordProblem.CONTAINS_LOGIN_ID),
    ("x10adamaYz", PasswordProblem.CONTAINS_LOGIN_ID),
])
def test_repeats_sequences_and_login_id(pw: str, problem: PasswordProblem) -> None:
    assert problem in problems(pw)


@pytest.mark.req("AUTH-9")
@pytest.mark.parametrize("pw", ["password1", "Sakura2020", "tanaka1985", "qwer1234",
                                "1qaz2wsx", "P4ssw0rd1", "doraemon123"])
def test_common_passwords_are_refused(pw: str) -> None:
    assert PasswordProblem.COMMON in problems(pw, PersonalFacts())


@pytest.mark.req("AUTH-9")
def test_common_list_is_large_and_reproducible(tmp_path: Path) -> None:
    """The bundled list has ≥ 10,000 distinct entries and the script regenerates it exactly."""
    listed = common_passwords()
    assert len(listed) >= 10_000
    shipped = Path(__file__).parents[2] / "src/kinko/auth/data/common_passwords.txt"
    script = shipped.with_name("make_common_passwords.py")
    copy = tmp_path / "make_common_passwords.py"
    copy.write_text(script.read_text())
    subprocess.run([sys.executable, str(copy)], check=True, capture_output=True)
    assert (tmp_path / "common_passwords.txt").read_bytes() == shipped.read_bytes()


def test_login_id_rules() -> None:
    ok = login_id_problems("yamada01", min_length=6, max_length=12)
    assert ok == []
    assert login_id_problems("12345678", min_length=6, max_length=12)   # needs a letter
    assert login_id_problems("abc", min_length=6, max_length=12)
    assert login_id_problems("yamada01", min_length=6, max_length=12, password="YAMADA01")


@pytest.mark.req("AUTH-8")
def test_password_expiry() -> None:
    assert not password_expired(T0, T0 + timedelta(days=89), timedelta(days=90))
    assert password_expired(T0, T0 + timedelta(days=90), timedelta(days=90))
    assert password_expired(None, T0, timedelta(days=90))


# --- lockout arithmetic ---------------------------------------------------------------------

events = st.lists(st.tuples(st.booleans(), st.integers(0, 90)), max_size=60)


@pytest.mark.req("AUTH-6")
@given(events, st.integers(1, 6), st.integers(1, 4), st.sampled_from([None, 30]))
def test_lockout_state_machine(seq: list[tuple[bool, int]], n: int, m: int,
                               minutes: int | None) -> None:
    """Failures never exceed N−1 while active; the N-th consecutive failure locks; the M-th
    consecutive lockout blocks; a block or an open-ended lockout never ends by itself; a
    success while active resets both counters."""
    limits = LockoutLimits(n, None if minutes is None else timedelta(minutes=minutes), m)
    c = Counters(UserState.ACTIVE, 0, 0, None)
    now = T0
    run = 0          # consecutive failures counted since the last reset or lockout
    for wrong, wait in seq:
        now += timedelta(minutes=wait)
        before = c
        nxt = after_failure(c, limits, now) if wrong else after_success(c, now)
        if not effectively_active(before, now):
            assert nxt is None
            assert before.state is not UserState.BLOCKED or not effectively_active(before, now)
            continue
        assert nxt is not None
        if not wrong:
            assert nxt == Counters(UserState.ACTIVE, 0, 0, None)
            run = 0
        else:
            run += 1
            if run == n:
                assert nxt.failures == 0
                assert nxt.lockouts == before.lockouts + 1
                assert nxt.state is (UserState.BLOCKED if nxt.lockouts >= m
                                     else UserState.LOCKED)
                run = 0
            else:
                assert nxt == Counters(UserState.ACTIVE, run, before.lockouts, None)
        assert 0 <= nxt.failures < n
        assert nxt.lockouts <= m
        c = nxt


@pytest.mark.req("AUTH-6")
def test_open_ended_lockout_needs_release() -> None:
    limits = LockoutLimits(1, None, 3)
    locked = after_failure(Counters(UserState.ACTIVE, 0, 0, None), limits, T0)
    assert locked == Counters(UserState.LOCKED, 0, 1, None)
    assert not effectively_active(locked, T0 + timedelta(days=365))


# --- fees, TOTP, digests --------------------------------------------------------------------


@pytest.mark.req("CRED-1")
@pytest.mark.parametrize(("reason", "before", "fee"), [
    (TokenIssueReason.INITIAL, 0, 0),       # one free per contract
    (TokenIssueReason.INITIAL, 1, 2200),    # a second "initial" token is an extra one
    (TokenIssueReason.EXTRA, 0, 2200),
    (TokenIssueReason.EXPIRY, 3, 0),        # replacement at expiry: free
    (TokenIssueReason.DEFECT, 3, 0),        # defect / dead battery: free
    (TokenIssueReason.LOST, 3, 1650),       # loss, theft or damage: reissue fee
])
def test_token_fee(reason: TokenIssueReason, before: int, fee: int) -> None:
    assert token_fee(reason, contract_tokens_before=before, extra_issue_fee=2200,
                     reissue_fee=1650) == fee


@pytest.mark.req("AUTH-5")
@given(st.integers(0, 2_000_000_000), st.integers(0, 3))
def test_candidate_steps_cover_the_window_newest_first(ts: int, window: int) -> None:
    moment = datetime.fromtimestamp(ts, clock.JST)
    steps = candidate_steps(moment, 30, window)
    assert steps == sorted(steps, reverse=True)
    assert len(steps) == 2 * window + 1
    assert ts // 30 in steps


@pytest.mark.req("AUTH-12")
def test_operation_digest_binds_the_exact_details() -> None:
    a = operation_digest("transfer", {"payee": "001-1234567", "amount": 50_000})
    assert a == operation_digest("transfer", {"amount": 50_000, "payee": "001-1234567"})
    assert a != operation_digest("transfer", {"payee": "001-1234567", "amount": 50_001})
    assert a != operation_digest("pay_easy", {"payee": "001-1234567", "amount": 50_000})
