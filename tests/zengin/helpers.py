"""Small tools for tests that edit golden files column by column."""

from __future__ import annotations

from datetime import date

from kinko.zengin import Options, ZenginError, parse

from .golden_spec import GOLDEN

OPTIONS = Options(reference_date=date(2026, 4, 1))


def records(name: str) -> list[bytes]:
    """The records of a golden file, without their CRLF."""
    return (GOLDEN / name).read_bytes().split(b"\r\n")[:-1]


def put(record: bytes, start: int, text: str | bytes) -> bytes:
    """``record`` with ``text`` written from 1-based column ``start``."""
    raw = text.encode("cp932") if isinstance(text, str) else text
    return record[:start - 1] + raw + record[start - 1 + len(raw):]


def join(recs: list[bytes], separator: bytes = b"\r\n") -> bytes:
    return b"".join(rec + separator for rec in recs)


def errors_of(data: bytes, options: Options = OPTIONS) -> list[ZenginError]:
    result = parse(data, options)
    assert result.file is None, "expected the file to be refused"
    assert result.errors
    return result.errors


def lines_of(data: bytes, options: Options = OPTIONS) -> list[str]:
    return [e.describe() for e in errors_of(data, options)]
