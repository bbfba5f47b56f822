"""A generated 100,000-record 総合振込 file (ZEN-1): written, read, refused for one bad byte."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import pytest

from kinko.zengin import Options, parse, write
from kinko.zengin import records as r
from kinko.zengin.sample import transfer_file

pytestmark = pytest.mark.req("ZEN-1")
OPTIONS = Options(reference_date=date(2026, 4, 1))
COUNT = 100_000


@pytest.fixture(scope="module")
def big_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    file = transfer_file(COUNT, value_date=date(2026, 4, 3), edi_every=97)
    path = tmp_path_factory.mktemp("zengin") / "sofuri_100000.txt"
    path.write_bytes(write(file, OPTIONS))
    total = file.groups[0].trailer.total_amount  # type: ignore[attr-defined]
    return path, total


def test_100000_records_read_and_validate(big_file: tuple[Path, int]) -> None:
    path, total = big_file
    data = path.read_bytes()
    assert len(data) == (COUNT + 3) * 122
    started = time.perf_counter()
    result = parse(data, OPTIONS)
    elapsed = time.perf_counter() - started
    assert result.ok and result.file is not None
    group = result.file.groups[0]
    assert len(group.records) == COUNT
    assert group.trailer == r.TransferTrailer(count=COUNT, total_amount=total)
    # 1 in 97 payees carries EDI情報, so about a thousand blocks take the exact path
    edi = group.records[97 * 500]
    assert isinstance(edi, r.TransferData) and edi.edi_flag and edi.edi_info == "INV00048500"
    assert sum(rec.amount for rec in group.records) == total  # type: ignore[attr-defined]
    assert elapsed < 5, f"parse took {elapsed:.2f} s"


def test_one_bad_byte_among_100000_records(big_file: tuple[Path, int]) -> None:
    path, _ = big_file
    data = bytearray(path.read_bytes())
    record = 77_778  # record number in the file (the header is record 1)
    data[(record - 1) * 122 + 85] = ord("O")  # a letter O inside 振込金額
    result = parse(bytes(data), OPTIONS)
    assert result.file is None
    assert [e.describe() for e in result.errors] == [
        f"record {record}, bytes 81-90, 振込金額 (amount): not a number: 'O' (0x4F) at byte 86 "
        "(N fields take digits only)"]


def test_a_wrong_total_among_100000_records(big_file: tuple[Path, int]) -> None:
    path, total = big_file
    data = bytearray(path.read_bytes())
    trailer = (COUNT + 1) * 122
    data[trailer + 7:trailer + 19] = b"%012d" % (total + 1)
    result = parse(bytes(data), OPTIONS)
    assert [e.describe() for e in result.errors] == [
        f"record {COUNT + 2}, bytes 8-19, 合計金額 (total amount): {total + 1} does not match "
        f"the sum of the data records' amounts ({total})"]
