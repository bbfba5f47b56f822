"""Policy versions by effective date, and the TOML override file (POL-1)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest

from kinko import clock
from kinko.clock import JST
from kinko.policy import (
    BEGINNING,
    Policy,
    PolicyBook,
    PolicyFileError,
    current_policy,
    get_policy_book,
    policy_at,
    reset_policy_cache,
    version_at,
)
from kinko.policy.book import deep_merge

FILE = """
[[version]]
effective_from = 2026-04-01T00:00:00+09:00
note = "fee revision announced 2026-02-01"

[version.transfers]
recall_fee = 1_100
fee_bands = [
  { destination = "own_branch", fee = 0 },
  { destination = "other_branch", fee = 220 },
  { destination = "other_bank", fee = 385 },
  { destination = "other_bank", from_amount = 30_000, fee = 495 },
]

[version.auth.lockout_minutes_by_product]
corporate-002 = 60

[[version]]
effective_from = 2026-10-01
transfers.same_day_cutoff = 14:30:00
auth.lockout_minutes = "until-released"
"""


V = "[[version]]\neffective_from = 2026-04-01\n"


def jst(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0,
        microsecond: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, microsecond, tzinfo=JST)


BOOK = PolicyBook.from_toml(FILE)


@pytest.mark.req("POL-1")
def test_defaults_are_in_force_from_the_beginning() -> None:
    book = PolicyBook.defaults()
    assert len(book.versions) == 1
    assert book.versions[0].is_baseline
    assert book.policy_at(jst(1990, 1, 1)) == Policy()
    assert book.policy_at(jst(2099, 12, 31)) == Policy()
    assert book.policy_at(datetime(1, 1, 1, tzinfo=UTC)) == Policy()


@pytest.mark.req("POL-1")
def test_version_lookup_before_at_and_after_effective_dates() -> None:
    just_before = jst(2026, 3, 31, 23, 59, 59, 999_999)
    assert BOOK.version_at(just_before).is_baseline
    assert BOOK.policy_at(just_before).transfers.recall_fee == 880
    assert BOOK.policy_at(jst(2026, 4, 1)).transfers.recall_fee == 1_100
    assert BOOK.version_at(jst(2026, 4, 1)).note == "fee revision announced 2026-02-01"
    assert BOOK.policy_at(jst(2026, 9, 30, 23, 59)).transfers.same_day_cutoff == time(15)
    october = BOOK.policy_at(jst(2026, 10, 1))
    assert october.transfers.same_day_cutoff == time(14, 30)
    assert BOOK.policy_at(jst(2030, 1, 1)) == october


@pytest.mark.req("POL-1")
def test_effective_date_is_compared_as_an_instant() -> None:
    # 2026-03-31 15:00 UTC is 2026-04-01 00:00 JST.
    assert BOOK.policy_at(datetime(2026, 3, 31, 14, 59, 59, tzinfo=UTC)).transfers.recall_fee == 880
    assert BOOK.policy_at(datetime(2026, 3, 31, 15, 0, tzinfo=UTC)).transfers.recall_fee == 1_100
    # A naive moment is Japan time, as everywhere in Kinko.
    assert BOOK.policy_at(datetime(2026, 4, 1, 0, 0)).transfers.recall_fee == 1_100


@pytest.mark.req("POL-1")
def test_versions_merge_deep_onto_the_previous_one() -> None:
    october = BOOK.policy_at(jst(2026, 10, 1))
    # from version 1, kept
    assert october.transfers.recall_fee == 1_100
    assert october.transfers.transfer_fee(october.transfers.fee_bands[3].destination, 30_000) == 495
    # tables merge key by key: the built-in retail-001 override stays beside the new one
    assert october.auth.lockout_duration("retail-001") is None
    assert october.auth.lockout_duration("corporate-002") == timedelta(minutes=60)
    assert october.auth.lockout_duration() is None
    # untouched groups are the defaults
    assert october.fees == Policy().fees
    assert october.auth.max_failed_attempts == 5


@pytest.mark.req("POL-1")
def test_lists_replace_rather_than_merge() -> None:
    assert len(BOOK.policy_at(jst(2026, 4, 1)).transfers.fee_bands) == 4
    assert deep_merge({"a": [1, 2], "b": {"c": 1, "d": 2}}, {"a": [3], "b": {"d": 5}}) == {
        "a": [3], "b": {"c": 1, "d": 5},
    }


@pytest.mark.req("POL-1")
def test_past_moments_keep_their_policy() -> None:
    """An instruction entered before a change keeps the policy of its time."""
    entered = jst(2026, 3, 31, 16, 0)
    assert BOOK.policy_at(entered).transfers.recall_fee == 880


@pytest.mark.req("POL-1")
def test_a_version_from_the_beginning_replaces_the_defaults() -> None:
    book = PolicyBook.from_toml(
        "[[version]]\neffective_from = 0001-01-01T00:00:00Z\nauth.max_failed_attempts = 3\n"
    )
    assert len(book.versions) == 1
    assert book.versions[0].effective_from == BEGINNING
    assert book.policy_at(jst(2000, 1, 1)).auth.max_failed_attempts == 3


@pytest.mark.req("POL-1")
@pytest.mark.parametrize(
    ("toml", "message"),
    [
        (V + "bogus = 1\n", "version 1 (effective_from "
         "2026-04-01T00:00:00+09:00): bogus: unknown key"),
        (V + "[version.transfers]\nrecall_fe = 1\n",
         "transfers.recall_fe: unknown key"),
        (V + "[version.transfers]\nrecall_fee = -1\n",
         "transfers.recall_fee: must be a whole yen amount from 0"),
        (V + "[version.transfers]\nrecall_fee = 880.0\n",
         "transfers.recall_fee: must be a whole yen amount (an integer), not float"),
        (V + "[version.pay_easy]\ndaily_limit = -1\n",
         "pay_easy.daily_limit"),
        (V + "auth.max_failed_attempts = \"5\"\n",
         "auth.max_failed_attempts: Input should be a valid integer"),
        (V + "auth.password_expiry_days = 0\n",
         "auth.password_expiry_days: Input should be greater than or equal to 1"),
        (V + "transfers.same_day_cutoff = 15\n",
         "transfers.same_day_cutoff: must be a time of day"),
        (V + "calendar.extra_closing_days = [2026-05-01T10:00:00]\n",
         "calendar.extra_closing_days[0]: must be a date"),
        (V + "calendar.time_zone = \"UTC\"\n",
         "calendar.time_zone"),
        (V + "compensation.retail_partial_rate_per_100k = 0.75\n",
         "compensation.retail_partial_rate_per_100k: Input should be a valid integer"),
        (V + "fees.monthly_base_fee.premium = 5000\n",
         "fees.monthly_base_fee.premium: unknown key"),
        (V + "transfers = 5\n", "transfers:"),
        ("[[version]]\nnote = \"x\"\n", "version 1: effective_from is missing"),
        ("[[version]]\neffective_from = \"soon\"\n", "'soon' is not a date"),
        ("[[version]]\neffective_from = 12:00:00\n", "effective_from must be a date"),
        (V + "note = 5\n", "note must be a string"),
        (V + "[[version]]\neffective_from = 2026-04-01\n",
         "version 2 (effective_from 2026-04-01T00:00:00+09:00): effective_from must be after"),
        (V + "[[version]]\neffective_from = 2026-03-01\n",
         "effective_from must be after the previous version's"),
        ("[version]\neffective_from = 2026-04-01\n", "no [[version]] table"),
        ("", "no [[version]] table"),
        ("effective_from = 2026-04-01\n", "unknown key 'effective_from' at the top level"),
        ("[[version]\n", "not valid TOML"),
    ],
)
def test_bad_files_are_refused_naming_the_key(toml: str, message: str) -> None:
    with pytest.raises(PolicyFileError) as caught:
        PolicyBook.from_toml(toml, source="bank.toml")
    assert any(message in problem for problem in caught.value.problems), caught.value.problems
    assert caught.value.code == "POLICY_FILE_INVALID"
    assert str(caught.value).startswith("The policy file is not valid. (bank.toml: ")


def test_every_problem_is_reported_at_once() -> None:
    """POL-1: one mistake does not hide the next."""
    toml = (
        V + "auth.bogus = 1\ntransfers.recall_fee = -5\n"
        "[[version]]\neffective_from = 2026-03-01\n"
        "[[version]]\neffective_from = 2026-05-01\nkyc.interval_days = 0\n"
    )
    with pytest.raises(PolicyFileError) as caught:
        PolicyBook.from_toml(toml)
    problems = caught.value.problems
    assert len(problems) == 4
    assert "and 3 more" in caught.value.describe()


def test_missing_file_is_a_policy_error(tmp_path: Path) -> None:
    with pytest.raises(PolicyFileError, match="cannot read"):
        PolicyBook.from_file(tmp_path / "absent.toml")


def test_book_refuses_unordered_versions() -> None:
    base = PolicyBook.defaults().versions[0]
    with pytest.raises(ValueError):
        PolicyBook([])
    with pytest.raises(ValueError):
        PolicyBook([base, base])


# -- the book configured in settings -----------------------------------------------------


@pytest.fixture
def configured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    path = tmp_path / "policy.toml"
    path.write_text(FILE, encoding="utf-8")
    monkeypatch.setenv("KINKO_POLICY_FILE", str(path))
    reset_policy_cache()
    yield path
    reset_policy_cache()


@pytest.mark.req("POL-1")
def test_module_helpers_read_the_file_from_settings(configured: Path) -> None:
    clock.set_now(jst(2026, 4, 15, 10, 0))
    assert current_policy().transfers.recall_fee == 1_100
    assert version_at().effective_from == jst(2026, 4, 1)
    assert policy_at(jst(2026, 1, 1)).transfers.recall_fee == 880
    assert get_policy_book() is get_policy_book()


@pytest.mark.req("POL-1")
def test_cache_is_resettable(configured: Path) -> None:
    clock.set_now(jst(2026, 4, 15, 10, 0))
    assert current_policy().transfers.recall_fee == 1_100
    configured.write_text(FILE.replace("1_100", "1_320"), encoding="utf-8")
    assert current_policy().transfers.recall_fee == 1_100  # cached until reset
    reset_policy_cache()
    assert current_policy().transfers.recall_fee == 1_320


def test_no_policy_file_means_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    """POL-1"""
    monkeypatch.setenv("KINKO_POLICY_FILE", "")
    reset_policy_cache()
    assert current_policy() == Policy()
    assert get_policy_book().versions == PolicyBook.defaults().versions


def test_dates_in_closing_days_accept_text() -> None:
    """CAL-2: a closing day may be a TOML date or ISO text."""
    book = PolicyBook.from_toml(
        V +
        "calendar.extra_closing_days = [\"2026-10-05\", 2026-10-06]\n"
    )
    days = book.policy_at(jst(2026, 5, 1)).calendar.extra_closing_days
    assert days == (date(2026, 10, 5), date(2026, 10, 6))


def test_closing_days_are_kept_in_date_order_without_repeats() -> None:
    """CAL-2"""
    book = PolicyBook.from_toml(
        V +
        "calendar.extra_closing_days = [2026-11-30, 2026-10-05, 2026-11-30]\n"
    )
    days = book.policy_at(jst(2026, 5, 1)).calendar.extra_closing_days
    assert days == (date(2026, 10, 5), date(2026, 11, 30))
