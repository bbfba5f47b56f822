"""Line endings, end-of-file bytes and record lengths (ZEN-1)."""

from __future__ import annotations

import pytest

from kinko.zengin import parse, read, write

from .helpers import OPTIONS, errors_of, join, lines_of, records

pytestmark = pytest.mark.req("ZEN-1")


def strict(name: str = "transfer_21.txt") -> bytes:
    return join(records(name))


@pytest.mark.parametrize("name", ["transfer_21.txt", "statement_03.txt"])
def test_without_line_breaks(name: str) -> None:
    result = parse(join(records(name), b""), OPTIONS)
    assert result.ok and result.notices == []
    assert result.file is not None and result.file.line_ending == "none"
    assert write(result.file, OPTIONS) == strict(name)


def test_lf_is_accepted_and_reported() -> None:
    result = parse(join(records("transfer_21.txt"), b"\n"), OPTIONS)
    assert result.ok
    assert [n.code for n in result.notices] == ["lf"]
    assert "LF" in result.notices[0].describe()


def test_trailing_eof_byte_and_missing_last_crlf() -> None:
    result = parse(strict() + b"\x1a", OPTIONS)
    assert result.ok and [n.code for n in result.notices] == ["eof_marker"]
    assert parse(strict()[:-2], OPTIONS).ok
    assert parse(strict()[:-2] + b"\x1a", OPTIONS).ok


def test_cr_alone_is_refused() -> None:
    assert lines_of(join(records("transfer_21.txt"), b"\r")) == [
        "record 1: line endings are CR alone; use CRLF"]


def test_mixed_line_endings_are_refused() -> None:
    recs = records("transfer_21.txt")
    data = b"".join(rec + (b"\n" if i == 2 else b"\r\n") for i, rec in enumerate(recs))
    errors = errors_of(data)
    assert errors[0].record == 3 and "mixed line endings" in errors[0].reason_en


def test_records_of_the_wrong_length() -> None:
    recs = records("transfer_21.txt")
    recs[2] = recs[2][:-1]
    assert lines_of(join(recs))[0] == (
        "record 3, bytes 1-119: the record is 119 bytes long; it must be 120")
    assert lines_of(join(records("transfer_21.txt"), b"")[:-7])[0] == (
        "record 8: the file is 953 bytes, not a multiple of 120: the last record has 113 bytes")


def test_files_that_cannot_be_read_at_all() -> None:
    assert lines_of(b"") == ["file: the file is empty"]
    assert lines_of(b"\x1a") == ["file: the file is empty"]
    assert "UTF-8 byte order mark" in lines_of(b"\xef\xbb\xbf" + strict())[0]
    assert lines_of(b"2" + strict()[1:])[0].startswith(
        "record 1, byte 1, データ区分 (record type): the first record's record type is not 1")


def test_garbage_after_the_end_record() -> None:
    messages = lines_of(strict() + b"garbage\r\n")
    assert messages[0].startswith("record 9, bytes 1-7: the record is 7 bytes long")


def test_several_groups_and_one_end_record() -> None:
    file = read(strict(), OPTIONS)
    assert [len(g.records) for g in file.groups] == [2, 1]
    assert file.record_count == 8
