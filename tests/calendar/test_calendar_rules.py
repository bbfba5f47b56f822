"""The bank calendar: which days are closed, and business-day arithmetic (CAL-1, CAL-2)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import jpholiday
import pytest

from kinko.calendar import MAX_YEAR, MIN_YEAR, BankCalendar, CalendarRangeError
from kinko.calendar import rules as calendar_rules
from kinko.clock import JST

CAL = BankCalendar()

# National holidays (祝日法) of 2024–2027 written out by hand from the law and the Cabinet's
# equinox announcements, independently of jpholiday. Substitute holidays (振替休日, Art. 3(2):
# a holiday on a Sunday moves to the next day that is not a holiday) and the citizens'
# holiday (国民の休日, Art. 3(3): a day between two holidays) are marked.
NATIONAL_HOLIDAYS = {
    2024: [
        "01-01", "01-08", "02-11", "02-12",  # 02-12 振替 (建国記念の日 on Sun)
        "02-23", "03-20", "04-29", "05-03", "05-04", "05-05",
        "05-06",  # 振替 (こどもの日 on Sun)
        "07-15", "08-11", "08-12",  # 08-12 振替 (山の日 on Sun)
        "09-16", "09-22", "09-23",  # 09-23 振替 (秋分の日 on Sun)
        "10-14", "11-03", "11-04",  # 11-04 振替 (文化の日 on Sun)
        "11-23",
    ],
    2025: [
        "01-01", "01-13", "02-11", "02-23", "02-24",  # 02-24 振替 (天皇誕生日 on Sun)
        "03-20", "04-29", "05-03", "05-04", "05-05",
        "05-06",  # 振替 (みどりの日 on Sun; 05-05 is itself a holiday)
        "07-21", "08-11", "09-15", "09-23", "10-13", "11-03",
        "11-23", "11-24",  # 11-24 振替 (勤労感謝の日 on Sun)
    ],
    2026: [
        "01-01", "01-12", "02-11", "02-23", "03-20", "04-29",
        "05-03", "05-04", "05-05", "05-06",  # 05-06 振替 (憲法記念日 on Sun)
        "07-20", "08-11",
        "09-21", "09-22", "09-23",  # 09-22 国民の休日 between 敬老の日 and 秋分の日
        "10-12", "11-03", "11-23",
    ],
    2027: [
        "01-01", "01-11", "02-11", "02-23",
        "03-21", "03-22",  # 03-22 振替 (春分の日 on Sun)
        "04-29", "05-03", "05-04", "05-05", "07-19", "08-11", "09-20", "09-23",
        "10-11", "11-03", "11-23",
    ],
}

SUBSTITUTE_HOLIDAYS = [
    "2024-02-12", "2024-05-06", "2024-08-12", "2024-09-23", "2024-11-04",
    "2025-02-24", "2025-05-06", "2025-11-24", "2026-05-06", "2027-03-22",
]


def d(text: str) -> date:
    return date.fromisoformat(text)


def jst(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=JST)


@pytest.mark.req("CAL-1")
@pytest.mark.parametrize("year", sorted(NATIONAL_HOLIDAYS))
def test_closed_days_of_the_year_are_weekends_holidays_and_year_end(year: int) -> None:
    expected = {d(f"{year}-{md}") for md in NATIONAL_HOLIDAYS[year]}
    expected |= {d(f"{year}-01-01"), d(f"{year}-01-02"), d(f"{year}-01-03"), d(f"{year}-12-31")}
    day = date(year, 1, 1)
    while day.year == year:
        if day.weekday() >= 5:
            expected.add(day)
        day += timedelta(days=1)
    assert CAL.holidays(year) == tuple(sorted(expected))


@pytest.mark.req("CAL-1")
@pytest.mark.parametrize("year", sorted(NATIONAL_HOLIDAYS))
def test_hand_written_holidays_agree_with_jpholiday(year: int) -> None:
    assert [h for h, _ in jpholiday.year_holidays(year)] == [
        d(f"{year}-{md}") for md in NATIONAL_HOLIDAYS[year]
    ]


@pytest.mark.req("CAL-1")
@pytest.mark.parametrize("day", SUBSTITUTE_HOLIDAYS)
def test_every_substitute_holiday_2024_2027_is_closed(day: str) -> None:
    substitute = d(day)
    assert substitute.weekday() < 5
    assert not CAL.is_business_day(substitute)
    assert "振替休日" in (CAL.closing_reason(substitute) or "")


@pytest.mark.req("CAL-1")
def test_substitute_holidays_are_exactly_these() -> None:
    found = [
        day.isoformat()
        for year in NATIONAL_HOLIDAYS
        for day in CAL.holidays(year)
        if "振替休日" in (CAL.closing_reason(day) or "")
    ]
    assert found == SUBSTITUTE_HOLIDAYS


@pytest.mark.req("CAL-1")
def test_citizens_holiday_september_2026() -> None:
    assert CAL.closing_reason(d("2026-09-21")) == "敬老の日"
    assert CAL.closing_reason(d("2026-09-22")) == "国民の休日"
    assert CAL.closing_reason(d("2026-09-23")) == "秋分の日"
    # 9/19 Sat – 9/23 Wed is a five-day closure ("Silver Week").
    assert CAL.next_business_day(d("2026-09-18")) == d("2026-09-24")
    assert CAL.previous_business_day(d("2026-09-24")) == d("2026-09-18")


@pytest.mark.req("CAL-1")
@pytest.mark.parametrize(
    "day", ["2025-12-31", "2026-01-02", "2026-12-31", "2027-01-01", "2027-12-31", "2024-01-03"]
)
def test_year_end_closure_on_weekdays(day: str) -> None:
    weekday = d(day)
    assert weekday.weekday() < 5
    assert not CAL.is_business_day(weekday)


@pytest.mark.req("CAL-1")
def test_year_end_boundaries() -> None:
    assert CAL.closing_reason(d("2025-12-31")) == "年末年始"
    assert CAL.is_business_day(d("2025-12-30"))
    assert CAL.is_business_day(d("2026-01-05"))  # Mon after 1/1 Thu – 1/4 Sun
    assert CAL.next_business_day(d("2025-12-30")) == d("2026-01-05")
    # 2027-01-04 is a Monday and the first business day of 2027.
    assert CAL.next_business_day(d("2026-12-30")) == d("2027-01-04")


@pytest.mark.req("CAL-1")
def test_closing_reasons() -> None:
    assert CAL.closing_reason(d("2026-01-10")) == "土曜日"
    assert CAL.closing_reason(d("2026-01-11")) == "日曜日"
    assert CAL.closing_reason(d("2026-01-13")) is None
    assert CAL.closing_reason(d("2026-05-04")) == "みどりの日"


@pytest.mark.req("CAL-2")
def test_extra_closing_days_from_the_bank() -> None:
    cal = BankCalendar([d("2026-10-05"), d("2026-10-06")])
    assert CAL.is_business_day(d("2026-10-05"))
    assert not cal.is_business_day(d("2026-10-05"))
    assert cal.closing_reason(d("2026-10-06")) == "臨時休業日"
    assert cal.next_business_day(d("2026-10-02")) == d("2026-10-07")
    assert cal.add_business_days(d("2026-10-02"), 2) == d("2026-10-08")
    assert d("2026-10-05") in cal.holidays(2026)
    assert len(cal.holidays(2026)) == len(CAL.holidays(2026)) + 2


@pytest.mark.req("CAL-2")
def test_calendar_is_immutable_and_compares_by_value() -> None:
    cal = BankCalendar([d("2026-10-05")])
    with pytest.raises(AttributeError):
        cal.extra_closing_days = frozenset()  # type: ignore[misc]
    assert cal == BankCalendar((d("2026-10-05"),))
    assert hash(cal) == hash(BankCalendar({d("2026-10-05")}))


def test_extra_closing_days_must_be_dates() -> None:
    with pytest.raises(TypeError):
        BankCalendar([datetime(2026, 10, 5, tzinfo=JST)])


@pytest.mark.req("CAL-2")
@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        ("2026-01-13", 0, "2026-01-13"),   # a business day stays
        ("2026-01-10", 0, "2026-01-13"),   # Sat rolls to Tue (Mon 1/12 is 成人の日)
        ("2026-01-13", 1, "2026-01-14"),
        ("2026-01-16", 1, "2026-01-19"),   # Fri → Mon
        ("2026-01-10", 1, "2026-01-13"),   # from a holiday, +1 is the next business day
        ("2026-01-10", -1, "2026-01-09"),  # and -1 the previous one
        # across the year end
        ("2025-12-26", 1, "2025-12-29"),
        ("2025-12-29", 2, "2026-01-05"),
        ("2025-12-30", 1, "2026-01-05"),
        ("2026-01-05", -1, "2025-12-30"),
        ("2026-01-05", -3, "2025-12-26"),
        ("2025-12-31", -1, "2025-12-30"),
        # across Golden Week 2026 (4/29 Wed; 5/2 Sat – 5/6 Wed closed)
        ("2026-04-28", 1, "2026-04-30"),
        ("2026-04-30", 1, "2026-05-01"),
        ("2026-05-01", 1, "2026-05-07"),
        ("2026-04-27", 5, "2026-05-08"),
        ("2026-05-07", -2, "2026-04-30"),
        ("2026-05-08", -5, "2026-04-27"),
        # Golden Week 2025 (5/3 Sat – 5/6 Tue closed)
        ("2025-05-02", 1, "2025-05-07"),
    ],
)
def test_add_business_days(start: str, n: int, expected: str) -> None:
    assert CAL.add_business_days(d(start), n) == d(expected)


@pytest.mark.req("CAL-2")
def test_seven_business_days_value_date_range_over_golden_week() -> None:
    """XFER-3's range (today … +7 business days) computed over Golden Week 2026."""
    # 4/30, 5/1, 5/7, 5/8, 5/11, 5/12, 5/13
    assert CAL.add_business_days(d("2026-04-28"), 7) == d("2026-05-13")


@pytest.mark.req("CAL-2")
def test_next_previous_and_this_or_variants() -> None:
    assert CAL.next_business_day(d("2026-01-13")) == d("2026-01-14")
    assert CAL.this_or_next_business_day(d("2026-01-13")) == d("2026-01-13")
    assert CAL.this_or_next_business_day(d("2026-01-12")) == d("2026-01-13")
    assert CAL.previous_business_day(d("2026-01-13")) == d("2026-01-09")
    assert CAL.this_or_previous_business_day(d("2026-01-13")) == d("2026-01-13")
    assert CAL.this_or_previous_business_day(d("2026-01-12")) == d("2026-01-09")


@pytest.mark.req("CAL-2")
def test_business_days_between() -> None:
    assert CAL.business_days_between(d("2026-04-27"), d("2026-05-08")) == 5
    assert CAL.business_days_between(d("2026-05-08"), d("2026-04-27")) == -5
    assert CAL.business_days_between(d("2026-04-28"), d("2026-05-08")) == 4
    assert CAL.business_days_between(d("2025-12-30"), d("2026-01-05")) == 1
    assert CAL.business_days_between(d("2026-01-13"), d("2026-01-13")) == 0
    assert CAL.business_days_between(d("2026-01-01"), d("2026-12-31")) == 242


@pytest.mark.req("CAL-2")
def test_business_days_in_a_year() -> None:
    assert len(list(CAL.iter_business_days(d("2026-01-01"), d("2026-12-31")))) == 242
    assert 365 - len(CAL.holidays(2026)) == 242
    assert list(CAL.iter_business_days(d("2026-05-01"), d("2026-05-07"))) == [
        d("2026-05-01"), d("2026-05-07"),
    ]


@pytest.mark.req("INS-3")
@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        ("2026-01-13T14:59:59", "2026-01-13"),
        ("2026-01-13T14:59:59.999999", "2026-01-13"),
        ("2026-01-13T15:00:00", "2026-01-14"),
        ("2026-01-13T23:59:59", "2026-01-14"),
        ("2026-01-13T00:00:00", "2026-01-13"),
        ("2026-01-16T15:00:00", "2026-01-19"),  # Fri after cutoff → Mon
        ("2026-01-12T10:00:00", "2026-01-13"),  # 成人の日, before the cutoff time
        ("2026-01-10T09:00:00", "2026-01-13"),  # Saturday
        ("2025-12-30T15:00:00", "2026-01-05"),  # last day of the year, after cutoff
        ("2026-05-01T16:00:00", "2026-05-07"),  # Golden Week
    ],
)
def test_processing_date_around_the_cutoff(moment: str, expected: str) -> None:
    """CAL-2: a same-day cutoff of 15:00 JST; at or after it, or on a holiday, next business day."""
    assert CAL.processing_date(jst(moment), time(15, 0)) == d(expected)


@pytest.mark.req("CAL-1")
def test_processing_date_reads_the_moment_in_japan_time() -> None:
    # 05:59:59 UTC is 14:59:59 JST, 06:00 UTC is 15:00 JST.
    assert CAL.processing_date(
        datetime(2026, 1, 13, 5, 59, 59, tzinfo=UTC), time(15)
    ) == d("2026-01-13")
    assert CAL.processing_date(
        datetime(2026, 1, 13, 6, 0, tzinfo=UTC), time(15)
    ) == d("2026-01-14")
    # 2026-01-12 20:00 UTC is already Tuesday 05:00 in Tokyo.
    assert CAL.processing_date(
        datetime(2026, 1, 12, 20, 0, tzinfo=UTC), time(15)
    ) == d("2026-01-13")


def test_processing_date_refuses_a_naive_moment() -> None:
    with pytest.raises(ValueError, match="time zone"):
        CAL.processing_date(datetime(2026, 1, 13, 10, 0), time(15))


@pytest.mark.req("CAL-2")
def test_deadline() -> None:
    # Bulk transfer for Thursday 2026-05-07: request by 17:00 on the previous business day.
    assert CAL.deadline(d("2026-05-07"), 1, time(17)) == jst("2026-05-01T17:00:00")
    # Payroll with other banks for 2026-01-05: 11:00 two business days before.
    assert CAL.deadline(d("2026-01-05"), 2, time(11)) == jst("2025-12-29T11:00:00")
    assert CAL.deadline(d("2026-01-13"), 0, time(9)) == jst("2026-01-13T09:00:00")
    with pytest.raises(ValueError):
        CAL.deadline(d("2026-01-13"), -1, time(9))


@pytest.mark.req("CAL-1")
def test_years_outside_the_calendar_are_refused() -> None:
    with pytest.raises(CalendarRangeError):
        CAL.is_business_day(date(MAX_YEAR + 1, 1, 4))
    with pytest.raises(CalendarRangeError):
        CAL.is_business_day(date(MIN_YEAR - 1, 1, 10))  # a Saturday: refused all the same
    with pytest.raises(CalendarRangeError):
        CAL.holidays(MIN_YEAR - 1)
    with pytest.raises(CalendarRangeError):
        CAL.next_business_day(date(MAX_YEAR, 12, 30))
    assert CAL.holidays(MIN_YEAR)[0] == date(MIN_YEAR, 1, 1)


@pytest.mark.req("CAL-2")
def test_jpholiday_is_asked_once_per_year(monkeypatch: pytest.MonkeyPatch) -> None:
    """A value-date loop must not walk jpholiday's rules again for every date."""
    calls: list[int] = []
    real = jpholiday.year_holidays

    def counting(year: int) -> list[tuple[date, str]]:
        calls.append(year)
        return real(year)

    calendar_rules._national_holidays.cache_clear()
    monkeypatch.setattr(jpholiday, "year_holidays", counting)
    try:
        for _ in range(3):
            CAL.add_business_days(d("2026-01-05"), 250)  # into 2027
            CAL.holidays(2026)
        assert sorted(calls) == [2026, 2027]
    finally:
        calendar_rules._national_holidays.cache_clear()
