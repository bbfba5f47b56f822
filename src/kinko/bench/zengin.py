"""`kinko bench zengin`: how fast Kinko reads and validates a large 総合振込 file.

Three figures, measured on the same bytes in the same run:

* ``records_per_s``: :func:`kinko.zengin.parse`, which validates every field of every record,
  checks the record order and the trailer totals, and returns the file (data records are
  decoded into objects when they are looked at);
* ``raw_records_per_s``: the floor of any Python reader, ``struct.iter_unpack`` with the data
  record's field layout over the whole file, its tuples consumed and thrown away in C;
* ``decoded_records_per_s``: parse plus turning every data record into its dataclass, for a
  caller that needs all the objects.

``ratio`` is the first over the second. Each figure is the best of several runs, taken in turn,
so that a busy machine slows both sides alike.
"""

from __future__ import annotations

import json
import platform
import struct
import time
from collections import deque
from collections.abc import Callable
from datetime import date, timedelta

from kinko.zengin import Options, parse, write
from kinko.zengin.layouts import TRANSFER_DATA
from kinko.zengin.sample import transfer_file

REFERENCE = date(2026, 4, 1)


def _best(runs: int, work: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - started)
    return best


def raw_struct() -> struct.Struct:
    """The data record's fields as a struct format, plus the CRLF."""
    return struct.Struct("".join(f"{f.length}s" for f in TRANSFER_DATA.fields) + "2x")


def build(records: int) -> bytes:
    options = Options(reference_date=REFERENCE)
    return write(transfer_file(records, value_date=REFERENCE + timedelta(days=2)), options)


def measure(data: bytes, *, rounds: int = 5) -> dict[str, float | int]:
    options = Options(reference_date=REFERENCE)
    layout = raw_struct()
    file_records = len(data) // layout.size
    result = parse(data, options)
    if not result.ok or result.file is None:
        raise RuntimeError(f"the benchmark file is not valid: {result.errors[:3]}")
    data_records = sum(len(g.records) for g in result.file.groups)

    def parse_once() -> object:
        return parse(data, options)

    def raw_once() -> object:
        return deque(layout.iter_unpack(data), maxlen=0)

    parse_best = raw_best = float("inf")
    for _ in range(rounds):
        parse_best = min(parse_best, _best(1, parse_once))
        raw_best = min(raw_best, _best(1, raw_once))

    def decode_once() -> object:
        parsed = parse(data, options).file
        assert parsed is not None
        return [list(g.records) for g in parsed.groups]

    decode_best = _best(2, decode_once)
    return {
        "records": data_records,
        "file_records": file_records,
        "bytes": len(data),
        "parse_seconds": parse_best,
        "raw_seconds": raw_best,
        "records_per_s": file_records / parse_best,
        "raw_records_per_s": file_records / raw_best,
        "ratio": raw_best / parse_best,
        "decoded_records_per_s": file_records / decode_best,
    }


def run(records: int, json_output: bool) -> None:
    started = time.perf_counter()
    data = build(records)
    built = time.perf_counter() - started
    figures = measure(data)
    print(f"総合振込 file: {figures['records']:,} data records, {figures['file_records']:,} "
          f"records, {figures['bytes']:,} bytes (built and written in {built:.1f} s)")
    print(f"parse + validate      {figures['records_per_s']:>14,.0f} records/s "
          f"({figures['parse_seconds'] * 1000:.1f} ms)")
    print(f"raw struct.iter_unpack {figures['raw_records_per_s']:>13,.0f} records/s "
          f"({figures['raw_seconds'] * 1000:.1f} ms)")
    print(f"ratio                 {figures['ratio']:>14.2f}   (target >= 0.5)")
    print(f"parse + decode all    {figures['decoded_records_per_s']:>14,.0f} records/s "
          "(every record turned into a dataclass)")
    if json_output:
        print(json.dumps({**figures, "python": platform.python_version()},
                         ensure_ascii=False))
