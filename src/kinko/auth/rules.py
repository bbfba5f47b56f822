"""Pure authentication rules: no I/O, no clock. Services pass in every fact and moment.

- password and login-ID acceptability (AUTH-8, AUTH-9);
- the lockout state machine (AUTH-6), the model that the conditional UPDATE in
  :mod:`kinko.auth.lockout` implements in SQL (a property test holds them equal);
- hard-token fees (CRED-1); TOTP time steps (AUTH-5); session timeouts; card cells (AUTH-1).
"""

from __future__ import annotations

import enum
import hashlib
import itertools
import json
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from importlib import resources
from typing import Any

from kinko.auth.models import TokenIssueReason, UserState

# --- passwords ------------------------------------------------------------------------------


class PasswordProblem(enum.StrEnum):
    TOO_SHORT = "too_short"
    TOO_LONG = "too_long"
    BAD_CHARACTERS = "bad_characters"
    NEEDS_LETTER_AND_DIGIT = "needs_letter_and_digit"
    BIRTH_DATE = "birth_date"
    PHONE_NUMBER = "phone_number"
    REPEATED = "repeated"
    SEQUENTIAL = "sequential"
    CONTAINS_LOGIN_ID = "contains_login_id"
    COMMON = "common"
    REUSED = "reused"
    SAME_AS_OTHER_SECRET = "same_as_other_secret"  # noqa: S105 - a reason code


PROBLEM_MESSAGES: dict[PasswordProblem, tuple[str, str]] = {
    PasswordProblem.TOO_SHORT: ("文字数が足りません。", "Too short."),
    PasswordProblem.TOO_LONG: ("文字数が多すぎます。", "Too long."),
    PasswordProblem.BAD_CHARACTERS: ("使用できない文字が含まれています。",
                                     "Contains characters that cannot be used."),
    PasswordProblem.NEEDS_LETTER_AND_DIGIT: ("英字と数字を両方含めてください。",
                                             "Use both letters and digits."),
    PasswordProblem.BIRTH_DATE: ("生年月日は使用できません。", "Do not use your birth date."),
    PasswordProblem.PHONE_NUMBER: ("電話番号は使用できません。",
                                   "Do not use your phone number."),
    PasswordProblem.REPEATED: ("同じ文字の繰り返しは使用できません。",
                               "Do not repeat the same character."),
    PasswordProblem.SEQUENTIAL: ("連続した数字・文字は使用できません。",
                                 "Do not use sequences such as 1234 or abcd."),
    PasswordProblem.CONTAINS_LOGIN_ID: ("IDを含むパスワードは使用できません。",
                                        "Do not include your ID."),
    PasswordProblem.COMMON: ("推測されやすいパスワードです。",
                             "This password is too easy to guess."),
    PasswordProblem.REUSED: ("過去に使用したパスワードは使用できません。",
                             "You used this password recently."),
    PasswordProblem.SAME_AS_OTHER_SECRET: ("他のパスワードと同じものは使用できません。",
                                           "Must differ from your other password."),
}


@dataclass(frozen=True)
class PasswordPolicy:
    min_length: int = 8
    max_length: int = 32
    needs_letter_and_digit: bool = True


@dataclass(frozen=True)
class PersonalFacts:
    """What a guesser may know about the customer (AUTH-9)."""

    login_id: str | None = None
    birth_date: date | None = None
    phone: str | None = None


_ALLOWED = re.compile(r"[A-Za-z0-9]+")
_DIGIT_RUNS = re.compile(r"[0-9]+")
_LEET = str.maketrans({"4": "a", "@": "a", "3": "e", "1": "i", "!": "i", "0": "o",
                       "5": "s", "$": "s", "7": "t"})
_RUN_LIMIT = 4   # four equal or consecutive characters make a run


# 和暦: (era letter, first Gregorian year). The era year of a date in that era is y - start + 1.
ERAS: tuple[tuple[str, date], ...] = (
    ("r", date(2019, 5, 1)),    # 令和
    ("h", date(1989, 1, 8)),    # 平成
    ("s", date(1926, 12, 25)),  # 昭和
    ("t", date(1912, 7, 30)),   # 大正
    ("m", date(1868, 10, 23)),  # 明治
)


def wareki(day: date) -> tuple[str, int] | None:
    """The era letter and era year of ``day`` (元年 is year 1), or None before Meiji."""
    for letter, start in ERAS:
        if day >= start:
            return letter, day.year - start.year + 1
    return None


def birth_date_forms(day: date) -> tuple[set[str], set[str]]:
    """Digit forms of a birth date, and forms with an era letter (lowercase).

    Digits: YYYYMMDD, YYMMDD, MMDD, DDMM, MMDDYYYY, DDMMYYYY, and the 和暦 forms EEMMDD and
    EMMDD (era year with and without its leading zero). Lettered: S590321, H020115, ….
    """
    y, m, d = f"{day.year:04d}", f"{day.month:02d}", f"{day.day:02d}"
    digits = {y + m + d, y[2:] + m + d, m + d, d + m, m + d + y, d + m + y}
    lettered: set[str] = set()
    era = wareki(day)
    if era is not None:
        letter, year = era
        for ey in {f"{year:02d}", str(year)}:
            digits.add(ey + m + d)
            lettered.add(letter + ey + m + d)
    return digits, lettered


def _digits(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKC", text) if ch.isdigit())


def phone_forms(phone: str) -> set[str]:
    """The whole number, its last 8 and last 4 digits (AUTH-9)."""
    number = _digits(phone)
    forms = {number} if len(number) >= 4 else set()
    if len(number) >= 8:
        forms.add(number[-8:])
    if len(number) >= 4:
        forms.add(number[-4:])
    return forms


def _has_repeat(text: str) -> bool:
    return any(len(set(text[i:i + _RUN_LIMIT])) == 1
               for i in range(len(text) - _RUN_LIMIT + 1))


def _is_sequence(chunk: str) -> bool:
    steps = {ord(b) - ord(a) for a, b in itertools.pairwise(chunk)}
    return steps in ({1}, {-1})


def _has_sequence(text: str) -> bool:
    lowered = text.lower()
    for i in range(len(lowered) - _RUN_LIMIT + 1):
        chunk = lowered[i:i + _RUN_LIMIT]
        if (chunk.isdigit() or chunk.isalpha()) and _is_sequence(chunk):
            return True
    return False


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The bundled list (see ``data/make_common_passwords.py``), lowercase."""
    text = resources.files("kinko.auth").joinpath("data/common_passwords.txt").read_text(
        encoding="ascii")
    return frozenset(line for line in text.splitlines() if line and not line.startswith("#"))


_TRAILING_DIGITS = re.compile(r"^(.*?)([0-9]*)$")


def is_common(password: str) -> bool:
    """Listed as typed, or once l33t spellings are undone (keeping a trailing number, so
    ``P4ssw0rd1`` reads as ``password1``)."""
    lowered = password.lower()
    match = _TRAILING_DIGITS.match(lowered)
    stem, tail = (match.group(1), match.group(2)) if match else (lowered, "")
    listed = common_passwords()
    return any(form in listed for form in (lowered, lowered.translate(_LEET),
                                           stem.translate(_LEET) + tail))


def password_problems(candidate: str, policy: PasswordPolicy,
                      facts: PersonalFacts = PersonalFacts()) -> list[PasswordProblem]:
    """Every reason to refuse ``candidate`` that needs no stored hash (AUTH-8, AUTH-9)."""
    problems: list[PasswordProblem] = []
    if len(candidate) < policy.min_length:
        problems.append(PasswordProblem.TOO_SHORT)
    if len(candidate) > policy.max_length:
        problems.append(PasswordProblem.TOO_LONG)
    if not _ALLOWED.fullmatch(candidate):
        problems.append(PasswordProblem.BAD_CHARACTERS)
    has_letter = any(c.isascii() and c.isalpha() for c in candidate)
    has_digit = any(c.isascii() and c.isdigit() for c in candidate)
    if policy.needs_letter_and_digit and not (has_letter and has_digit):
        problems.append(PasswordProblem.NEEDS_LETTER_AND_DIGIT)
    lowered = candidate.lower()
    runs = _DIGIT_RUNS.findall(candidate)
    if facts.birth_date is not None:
        digit_forms, lettered = birth_date_forms(facts.birth_date)
        if (any(form in run for run in runs for form in digit_forms)
                or any(form in lowered for form in lettered)):
            problems.append(PasswordProblem.BIRTH_DATE)
    if facts.phone and any(form in run for run in runs for form in phone_forms(facts.phone)):
        problems.append(PasswordProblem.PHONE_NUMBER)
    if _has_repeat(lowered):
        problems.append(PasswordProblem.REPEATED)
    if _has_sequence(candidate):
        problems.append(PasswordProblem.SEQUENTIAL)
    if facts.login_id:
        login = facts.login_id.lower()
        if len(login) >= 3 and (login in lowered or login[::-1] in lowered):
            problems.append(PasswordProblem.CONTAINS_LOGIN_ID)
    if is_common(candidate):
        problems.append(PasswordProblem.COMMON)
    return problems


class LoginIdProblem(enum.StrEnum):
    LENGTH = "length"
    BAD_CHARACTERS = "bad_characters"
    NEEDS_LETTER = "needs_letter"
    SAME_AS_PASSWORD = "same_as_password"  # noqa: S105 - a reason code


def login_id_problems(candidate: str, *, min_length: int, max_length: int,
                      password: str | None = None) -> list[LoginIdProblem]:
    """A login ID a customer chooses: letters and digits, at least one letter (so it cannot
    be a phone number or an account number), and not the password."""
    problems: list[LoginIdProblem] = []
    if not min_length <= len(candidate) <= max_length:
        problems.append(LoginIdProblem.LENGTH)
    if not _ALLOWED.fullmatch(candidate):
        problems.append(LoginIdProblem.BAD_CHARACTERS)
    if not any(c.isascii() and c.isalpha() for c in candidate):
        problems.append(LoginIdProblem.NEEDS_LETTER)
    if password is not None and candidate.lower() == password.lower():
        problems.append(LoginIdProblem.SAME_AS_PASSWORD)
    return problems


def password_expired(changed_at: datetime | None, now: datetime, expiry: timedelta) -> bool:
    """An unknown change time counts as expired: the bank cannot vouch for its age."""
    return changed_at is None or now >= changed_at + expiry


# --- lockout (AUTH-6) -----------------------------------------------------------------------


@dataclass(frozen=True)
class Counters:
    state: UserState
    failures: int
    lockouts: int
    locked_until: datetime | None


@dataclass(frozen=True)
class LockoutLimits:
    max_failures: int
    lockout_duration: timedelta | None   # None: until released
    lockouts_before_block: int


def effectively_active(c: Counters, now: datetime) -> bool:
    """A timed lockout ends by itself when its time has passed."""
    if c.state is UserState.ACTIVE:
        return True
    return (c.state is UserState.LOCKED and c.locked_until is not None
            and c.locked_until <= now)


def after_failure(c: Counters, limits: LockoutLimits, now: datetime) -> Counters | None:
    """The counters after one wrong entry; None if the entry does not count (not active).

    The N-th consecutive failure locks (and resets the failure counter); the M-th
    consecutive lockout blocks instead.
    """
    if not effectively_active(c, now):
        return None
    failures = c.failures + 1
    if failures < limits.max_failures:
        return Counters(UserState.ACTIVE, failures, c.lockouts, None)
    lockouts = c.lockouts + 1
    if lockouts >= limits.lockouts_before_block:
        return Counters(UserState.BLOCKED, 0, lockouts, None)
    until = None if limits.lockout_duration is None else now + limits.lockout_duration
    return Counters(UserState.LOCKED, 0, lockouts, until)


def after_success(c: Counters, now: datetime) -> Counters | None:
    """A correct entry resets both counters; None if the user may not log in now."""
    if not effectively_active(c, now):
        return None
    return Counters(UserState.ACTIVE, 0, 0, None)


# --- hard-token fees (CRED-1) ---------------------------------------------------------------


def token_fee(reason: TokenIssueReason, *, contract_tokens_before: int,
              extra_issue_fee: int, reissue_fee: int) -> int:
    """The fee for issuing a hard token (002 第11条8, 003 第四条1(3)).

    The first token of a contract, a replacement before expiry and a replacement for a defect
    or dead battery are free; a further token costs the extra-issue fee; a reissue after loss,
    theft or damage costs the reissue fee.
    """
    if reason is TokenIssueReason.INITIAL:
        return 0 if contract_tokens_before == 0 else extra_issue_fee
    if reason is TokenIssueReason.EXTRA:
        return extra_issue_fee
    if reason is TokenIssueReason.LOST:
        return reissue_fee
    return 0   # EXPIRY, DEFECT, RETURNED (the bank resends what the post brought back)


# --- TOTP (AUTH-5) --------------------------------------------------------------------------


def time_step(moment: datetime, period: int) -> int:
    return int(moment.timestamp()) // period


def candidate_steps(moment: datetime, period: int, window: int) -> list[int]:
    """Steps accepted at ``moment``: now ± window, newest first (prefer the freshest match)."""
    now = time_step(moment, period)
    return sorted(range(now - window, now + window + 1), reverse=True)


# --- step-up (AUTH-3, AUTH-12) -------------------------------------------------------------


def operation_digest(operation: str, details: Mapping[str, Any]) -> str:
    """SHA-256 over the canonical JSON of an operation's exact details (payee, amount …).

    A step-up, a phone call or a smartphone approval is bound to this digest, so approving
    one transfer cannot confirm a different one (the man-in-the-browser case of AUTH-12).
    """
    canonical = json.dumps({"operation": operation, "details": details}, sort_keys=True,
                           ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


# --- sessions -------------------------------------------------------------------------------


def session_expiry(last_seen: datetime, absolute: datetime, idle: timedelta) -> datetime:
    """When a session ends if nothing happens: idle timeout, capped by the absolute one."""
    return min(last_seen + idle, absolute)


# --- confirmation-number card (AUTH-1) ------------------------------------------------------


def cell_name(row: int, col: int) -> str:
    """Cells are named column letter + row number, as printed on the card: ``A1`` … ``F5``."""
    return f"{chr(ord('A') + col)}{row + 1}"


def parse_cell(name: str, rows: int, cols: int) -> tuple[int, int]:
    if len(name) < 2 or not name[0].isalpha() or not name[1:].isdigit():
        raise ValueError(f"bad cell name {name!r}")
    col, row = ord(name[0].upper()) - ord("A"), int(name[1:]) - 1
    if not (0 <= row < rows and 0 <= col < cols):
        raise ValueError(f"cell {name!r} is not on the card")
    return row, col


def normalise_digits(text: str) -> str:
    """Full-width digits typed on a Japanese keyboard count as the same digits."""
    return unicodedata.normalize("NFKC", text).strip()


def normalise_attribute(text: str) -> str:
    """Compare attributes as people type them: width, case, spaces and hyphens ignored."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return re.sub(r"[\s\-‐−–—]", "", folded)


def attribute_matches(expected: str | None, given: str, *, kind: str) -> bool:
    if not expected:
        return False
    if kind == "phone":
        return _digits(expected) == _digits(given) and len(_digits(given)) >= 10
    return normalise_attribute(expected) == normalise_attribute(given)


def distinct_cells(indices: Sequence[int], cols: int) -> list[tuple[int, int]]:
    return [(i // cols, i % cols) for i in indices]
