"""Statement queries, shaped so that a page costs the same however long the history is.

A statement is an account's postings whose entry's value date lies in the period, newest
booking first. Booking order is ``entry_id``: an entry has at most one leg per account, and an
account's postings are written under its row lock, so for one account entry ids grow in the
order the balance moved and ``balance_after`` of consecutive lines chains exactly.

The period is turned into a lower bound on ``entry_id`` — the first entry of the period's
first value date — so every query walks the ``(account_id, entry_id)`` index over the period
only, never over the account's older history. The bound is found by one index probe per value
date in the period (a loose index scan of ``(value_date, id)``), not by reading the period's
entries of the whole bank.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import ColumnElement, Date, Row, Select, bindparam, func, select, text
from sqlalchemy.orm import Session

from kinko.ledger.models import JournalEntry, Posting

_FIRST_ENTRY = text("""
WITH RECURSIVE days(d) AS (
  SELECT min(value_date) FROM journal_entries WHERE value_date >= :f AND value_date <= :t
  UNION ALL
  SELECT (SELECT min(j.value_date) FROM journal_entries j
          WHERE j.value_date > days.d AND j.value_date <= :t)
  FROM days WHERE days.d IS NOT NULL
)
SELECT min(m) FROM (
  SELECT (SELECT min(j.id) FROM journal_entries j WHERE j.value_date = days.d) AS m
  FROM days WHERE days.d IS NOT NULL
) firsts
""").bindparams(bindparam("f", type_=Date), bindparam("t", type_=Date))


def first_entry_of_period(session: Session, date_from: date, date_to: date) -> int | None:
    """The lowest journal entry id whose value date lies in the period; None if none does."""
    found = session.execute(_FIRST_ENTRY, {"f": date_from, "t": date_to}).scalar_one_or_none()
    return None if found is None else int(found)


def _period(account_id: int, first_entry: int, date_from: date, date_to: date
            ) -> list[ColumnElement[bool]]:
    return [Posting.account_id == account_id, Posting.entry_id >= first_entry,
            JournalEntry.value_date >= date_from, JournalEntry.value_date <= date_to]


def _count(account_id: int, first_entry: int, date_from: date, date_to: date
           ) -> Select[int]:
    return (select(func.count()).select_from(Posting)
            .join(JournalEntry, JournalEntry.id == Posting.entry_id)
            .where(*_period(account_id, first_entry, date_from, date_to)))


def count_lines(session: Session, account_id: int, first_entry: int, date_from: date,
                date_to: date) -> int:
    return int(session.execute(_count(account_id, first_entry, date_from, date_to)
                               ).scalar_one())


def statement_lines(session: Session, account_id: int, first_entry: int, date_from: date,
                    date_to: date, *, limit: int, before_entry: int | None = None,
                    offset: int = 0
                    ) -> Sequence[Row[int, int, date, datetime, str, int, int, int]]:
    """Up to ``limit`` lines, newest first, older than ``before_entry`` when given; each row
    also carries the period's line count (``total``), so a page is one round trip."""
    total = _count(account_id, first_entry, date_from, date_to).scalar_subquery()
    stmt = (
        select(Posting.id, Posting.entry_id, JournalEntry.value_date, JournalEntry.created_at,
               Posting.description, Posting.amount, Posting.balance_after,
               total.label("total"))
        .join(JournalEntry, JournalEntry.id == Posting.entry_id)
        .where(*_period(account_id, first_entry, date_from, date_to))
    )
    if before_entry is not None:
        stmt = stmt.where(Posting.entry_id < before_entry)
    stmt = stmt.order_by(Posting.entry_id.desc()).limit(limit)
    if offset:
        stmt = stmt.offset(offset)
    return session.execute(stmt).all()
