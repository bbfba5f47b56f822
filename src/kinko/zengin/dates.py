"""Dates without a full year: MMDD (transfer headers) and 和暦 YYMMDD (01 and 03).

Both are resolved against a reference date that the caller supplies (it defaults to
``kinko.clock.today()`` further up, never to the system clock here), and both resolve to the
candidate closest to it: a value date a few days ahead, a statement period a few days back and
a December file read in January all come out right.
"""

from __future__ import annotations

from datetime import date, timedelta

from kinko.catalogue import reason

HEISEI_START = date(1989, 1, 8)
REIWA_START = date(2019, 5, 1)
HEISEI_END = REIWA_START - timedelta(days=1)


class DateProblem(ValueError):
    """Why digits are not a date, in Japanese and English."""

    def __init__(self, reason_ja: str, reason_en: str) -> None:
        super().__init__(reason_en)
        self.reason_ja = reason_ja
        self.reason_en = reason_en


def _make(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _closest(candidates: list[date], reference: date) -> date:
    # Ties (never more than a day apart in practice) go to the later date: files are about
    # work to be done more often than about the past.
    return min(candidates, key=lambda d: (abs((d - reference).days), -d.toordinal()))


def resolve_mmdd(text: str, reference: date) -> date:
    """MMDD → the date in the year before, of, or after ``reference`` closest to it."""
    month, day = int(text[:2]), int(text[2:4])
    if not 1 <= month <= 12:
        raise DateProblem(*reason("月 {month:02d} は 01〜12 ではありません", month=month))
    candidates = [d for y in (reference.year - 1, reference.year, reference.year + 1)
                  if (d := _make(y, month, day)) is not None]
    if not candidates:
        raise DateProblem(*reason("{month}月{day}日 は存在しない日付です", month=month, day=day))
    return _closest(candidates, reference)


def encode_mmdd(value: date, reference: date) -> str:
    """MMDD for ``value``; refuse a date that would read back as another year."""
    text = f"{value.month:02d}{value.day:02d}"
    if resolve_mmdd(text, reference) != value:
        raise DateProblem(
            *reason("{day} は基準日 {day2} から月日だけでは表せません",
                    day=value.isoformat(), day2=reference.isoformat()))
    return text


def resolve_wareki(text: str, reference: date) -> date:
    """和暦 YYMMDD → a date in 平成 or 令和, the candidate closest to ``reference``.

    The era is not in the field, so 01-31 could be either; a date that does not exist in an
    era (平成31年5月1日, 令和元年4月30日) is not a candidate for that era.
    """
    yy, month, day = int(text[:2]), int(text[2:4]), int(text[4:6])
    if not 1 <= month <= 12:
        raise DateProblem(*reason("月 {month:02d} は 01〜12 ではありません", month=month))
    if yy == 0:
        raise DateProblem(*reason("和暦の年 00 はありません"))
    candidates = []
    heisei = _make(1988 + yy, month, day)
    if heisei is not None and HEISEI_START <= heisei <= HEISEI_END:
        candidates.append(heisei)
    reiwa = _make(2018 + yy, month, day)
    if reiwa is not None and reiwa >= REIWA_START:
        candidates.append(reiwa)
    if not candidates:
        if heisei is None and reiwa is None:
            raise DateProblem(
                *reason("{month}月{day}日 は存在しない日付です", month=month, day=day))
        raise DateProblem(
            f"平成{yy}年・令和{yy}年の{month}月{day}日 はいずれも存在しません"
            "（平成は 2019-04-30 まで、令和は 2019-05-01 から）",
            f"{text} is neither a 平成 (Heisei, to 2019-04-30) nor a 令和 (Reiwa, from "
            "2019-05-01) date")
    return _closest(candidates, reference)


def encode_wareki(value: date, reference: date) -> str:
    """和暦 YYMMDD of ``value`` in the era in force on that day."""
    if value >= REIWA_START:
        yy = value.year - 2018
    elif value >= HEISEI_START:
        yy = value.year - 1988
    else:
        raise DateProblem(f"{value.isoformat()} は平成より前です",
                          f"{value.isoformat()} is before 平成 (Heisei)")
    if yy > 99:
        raise DateProblem(*reason("和暦の年が 2 桁を超えます"))
    text = f"{yy:02d}{value.month:02d}{value.day:02d}"
    if resolve_wareki(text, reference) != value:
        raise DateProblem(
            f"{value.isoformat()} は基準日 {reference.isoformat()} から"
            "和暦 2 桁では一意に表せません",
            f"{value.isoformat()} cannot be written as 和暦 YYMMDD unambiguously relative to "
            f"the reference date {reference.isoformat()}")
    return text


def resolve_seireki(text: str, reference: date) -> date:
    """西暦 YYMMDD (a bank variant of 01/03) → the century that puts it closest."""
    yy, month, day = int(text[:2]), int(text[2:4]), int(text[4:6])
    century = reference.year - reference.year % 100
    candidates = [d for c in (century - 100, century, century + 100)
                  if (d := _make(c + yy, month, day)) is not None]
    if not candidates:
        raise DateProblem(*reason("{text} は存在しない日付です", text=text))
    return _closest(candidates, reference)


def encode_seireki(value: date, reference: date) -> str:
    text = f"{value.year % 100:02d}{value.month:02d}{value.day:02d}"
    if resolve_seireki(text, reference) != value:
        raise DateProblem(*reason("{day} は西暦 2 桁では一意に表せません", day=value.isoformat()))
    return text
