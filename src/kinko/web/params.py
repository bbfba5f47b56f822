"""Bounded input types for every route: ids, pages, amounts, dates and text.

Every integer, date and string a client can send is bounded here, in the schema, so that bad
input is refused with 422 problem+json (``VALIDATION_FAILED``, naming the field) before any
service or query sees it (DESIGN.md, "Errors and bad input"):

* ids are positive and fit the database's 64-bit ``BIGINT`` (an id above 2^63 − 1 would make
  the driver overflow, or PostgreSQL answer "bigint out of range");
* page numbers are bounded so that ``(page − 1) × page_size`` is a valid ``OFFSET``;
* amounts are at most :data:`kinko.money.MAX_AMOUNT`, what any ledger field can hold;
* dates lie inside the bank calendar (:data:`kinko.calendar.rules.MIN_YEAR`–``MAX_YEAR``) with
  a year's margin on either side, so business-day arithmetic around them stays in the calendar;
* text carries no control characters (NUL, which PostgreSQL cannot store, among them): one-line
  fields none at all, free text only tab, CR and LF.

Query, path and form values of every route (pages included) are also checked by
:func:`refuse_control_characters`, a dependency of the whole app, so a form field that is a
plain ``str`` cannot carry a NUL to the database either.

See docs/security-inputs.md.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated

from annotated_types import Interval
from fastapi import Request
from pydantic import StringConstraints, WithJsonSchema

from kinko.calendar.rules import MAX_YEAR, MIN_YEAR
from kinko.errors import DomainError
from kinko.money import MAX_AMOUNT, Yen

# --- integers -------------------------------------------------------------------------------

MAX_ID = 2**63 - 1
"""The largest value of a 64-bit signed ``BIGINT`` (SQLite's INTEGER, PostgreSQL's BIGINT)."""

MAX_PAGE = 1_000_000
"""The last page a list may be asked for: with at most 500 lines a page the offset stays far
inside ``BIGINT`` (and nobody pages a million times)."""

Id = Annotated[int, Interval(ge=1, le=MAX_ID)]
"""A row id in a path, a query or a body: 1 … 2^63 − 1."""

Page = Annotated[int, Interval(ge=1, le=MAX_PAGE)]
"""A 1-based page number."""

Amount = Annotated[Yen, Interval(ge=1, le=MAX_AMOUNT)]
"""A positive yen amount that any ledger field can hold."""

LimitAmount = Annotated[int, Interval(ge=0, le=MAX_AMOUNT)]
"""A transfer limit in yen: 0 (nothing allowed) … :data:`MAX_AMOUNT`."""

# --- dates ----------------------------------------------------------------------------------

FIRST_DATE = date(MIN_YEAR + 1, 1, 1)
LAST_DATE = date(MAX_YEAR - 1, 12, 31)
_DATE_RANGE = f"{FIRST_DATE.isoformat()} … {LAST_DATE.isoformat()}"

BankDate = Annotated[
    date, Interval(ge=FIRST_DATE, le=LAST_DATE),
    WithJsonSchema({"type": "string", "format": "date",
                    "formatMinimum": FIRST_DATE.isoformat(),
                    "formatMaximum": LAST_DATE.isoformat(),
                    "description": f"a date inside the bank calendar ({_DATE_RANGE})"}),
]
"""A date the bank calendar can reason about (the calendar's years with a year's margin)."""

# --- text -----------------------------------------------------------------------------------

# C0 controls, DEL and C1 controls (Unicode category Cc).
LINE_PATTERN = r"^[^\x00-\x1F\x7F-\x9F]*$"
# The same, but tab, LF and CR are allowed in free text (a note typed in a text area).
TEXT_PATTERN = r"^[^\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]*$"
_LINE = re.compile(r"[\x00-\x1F\x7F-\x9F]")
_TEXT = re.compile(r"[\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]")

Line = Annotated[str, StringConstraints(pattern=LINE_PATTERN)]
"""One line of text: no control characters at all. Add a ``max_length`` where it is used."""

Text = Annotated[str, StringConstraints(pattern=TEXT_PATTERN)]
"""Free text: tab, CR and LF allowed; no other control character."""


class ControlCharacterRefused(DomainError):
    """A query, path or form value with a control character (NUL among them)."""

    code = "VALIDATION_FAILED"
    status = 422
    message_ja = "入力内容に誤りがあります。使用できない文字が含まれています。"


async def refuse_control_characters(request: Request) -> None:
    """Refuse a control character in any path or query value, and any control character
    other than tab, CR and LF in a form field (free text in a text area keeps its lines)."""
    for name, value in request.path_params.items():
        if isinstance(value, str) and _LINE.search(value):
            raise ControlCharacterRefused(detail=f"path parameter {name!r}")
    for name, value in request.query_params.multi_items():
        if _LINE.search(value) or _LINE.search(name):
            raise ControlCharacterRefused(detail=f"query parameter {name[:40]!r}")
    content_type = request.headers.get("content-type", "")
    if request.method not in ("GET", "HEAD", "OPTIONS") and content_type.startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        for name, field in form.multi_items():
            if _LINE.search(name) or (isinstance(field, str) and _TEXT.search(field)):
                raise ControlCharacterRefused(detail=f"form field {name[:40]!r}")
