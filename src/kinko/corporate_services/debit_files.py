"""Reading an uploaded 91 file against an agreement: every problem with its record and bytes.

Two passes: the Zengin validator (:func:`kinko.zengin.parse`) checks the format; then the
agreement's own rules (委託者コード, this bank, the cutoff, one group, request result codes)
are checked record by record. Either pass refuses the whole file with every problem found, and
nothing of a refused file is kept (the caller's transaction writes nothing before this).
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from itertools import pairwise
from typing import NamedTuple

from kinko.catalogue import reason
from kinko.zengin import records as r
from kinko.zengin.charset import decode
from kinko.zengin.errors import ZenginError, ZenginFileInvalid
from kinko.zengin.fields import name
from kinko.zengin.framing import Framing, frame
from kinko.zengin.layouts import DEBIT_DATA
from kinko.zengin.reader import Options, parse


class Item(NamedTuple):
    seq: int
    bank_code: str
    branch_code: str
    account_type: str
    account_number: str
    payer_name: str
    amount: int
    new_code: str
    customer_number: str


@dataclass(frozen=True)
class Request:
    """A valid request file: its header and its data records' fields, in file order."""

    digest: str
    header: r.DebitHeader
    rows: list[Item]
    total_amount: int

    def items(self) -> list[Item]:
        return self.rows


# The data record as one struct of its fixed-width fields, from the layout: a record's fields
# come out in one C call (slicing each field and building a frozen object per record was most
# of the upload's own time for 100,000 records).
_FIELDS = sorted(DEBIT_DATA.fields, key=lambda f: f.start)
assert all(a.start + a.length == b.start for a, b in pairwise(_FIELDS))
_RECORD = struct.Struct("".join(f"{f.length}s" for f in _FIELDS))
_AT = {f.attr: i for i, f in enumerate(_FIELDS) if f.attr}


def _data_offsets(data: bytes) -> tuple[bytes, Iterator[tuple[int, int]]]:
    """The buffer and (record number, offset) of every data record of a file that passed the
    validator."""
    framing = frame(data)
    assert isinstance(framing, Framing)
    buf = framing.buf
    return buf, ((number, offset) for number, offset
                 in zip(framing.numbers, framing.offsets, strict=True)
                 if buf[offset] == 0x32)  # "2": a data record


def _error(record: int, start: int, end: int, field_ja: str, field_en: str, reason_ja: str,
           reason_en: str, value: str, code: str) -> ZenginError:
    return ZenginError(record, start, end, field_ja, field_en, reason_ja, reason_en, value, code)


def read_request(data: bytes, *, originator_code: str, own_bank: str,
                 other_banks_allowed: bool, today: date) -> Request:
    """The request in ``data``, or :class:`ZenginFileInvalid` listing every problem."""
    parsed = parse(data, Options(reference_date=today))
    if parsed.file is None or parsed.errors:
        raise ZenginFileInvalid(parsed.errors, truncated=parsed.truncated)
    file = parsed.file
    errors: list[ZenginError] = []
    if file.type_code != "91":
        raise ZenginFileInvalid([_error(
            1, 2, 3, *name("種別コード"), *reason("預金口座振替 (91) のファイルではありません"),
            file.type_code, "type_code")])
    if len(file.groups) > 1:
        errors.append(_error(len(file.groups[0].records) + 3, 1, 120, *name("ヘッダー"),
                             *reason("1 ファイルに 1 委託者・1 引落日だけです"), "", "groups"))
    group = file.groups[0]
    header = group.header
    assert isinstance(header, r.DebitHeader)
    if header.originator_code != originator_code:
        errors.append(_error(1, 5, 14, *name("委託者コード"),
                             *reason("ご契約の委託者コードと異なります"),
                             header.originator_code, "originator"))
    if header.bank_code != own_bank:
        errors.append(_error(1, 59, 62, *name("取引銀行番号"),
                             *reason("当行の銀行番号ではありません"), header.bank_code, "bank"))
    rows: list[Item] = []
    total = 0
    bank_at, branch_at, type_at, number_at, name_at, amount_at, new_at, customer_at, \
        result_at = (_AT[k] for k in ("bank_code", "branch_code", "account_type",
                                      "account_number", "payer_name", "amount", "new_code",
                                      "customer_number", "result_code"))
    unpack = _RECORD.unpack_from
    buf, offsets = _data_offsets(data)
    for seq, (number, offset) in enumerate(offsets, start=1):
        f = unpack(buf, offset)
        bank, amount = f[bank_at].decode("ascii"), int(f[amount_at])
        if f[result_at] != b"0":
            errors.append(_error(number, 112, 112, *name("振替結果コード"),
                                 *reason("依頼データの振替結果コードは 0 です"),
                                 f[result_at].decode("ascii"), "result"))
        if amount <= 0:
            errors.append(_error(number, 81, 90, *name("引落金額"),
                                 *reason("金額は 1 円以上です"),
                                 str(amount), "amount"))
        if bank != own_bank and not other_banks_allowed:
            errors.append(_error(number, 2, 5, *name("引落銀行番号"),
                                 *reason("口座振替は当行の口座だけです（他行は代金回収）"),
                                 bank, "bank"))
        rows.append(Item(seq, bank, f[branch_at].decode("ascii"), f[type_at].decode("ascii"),
                         f[number_at].decode("ascii"), decode(f[name_at]).rstrip(" "),
                         amount, f[new_at].decode("ascii"), f[customer_at].decode("ascii")))
        total += amount
        if len(errors) >= 1000:
            break
    if errors:
        raise ZenginFileInvalid(errors)
    return Request(hashlib.sha256(data).hexdigest(), header, rows, total)


def cutoff_error(deadline: datetime, debit_date: date) -> ZenginFileInvalid:
    return ZenginFileInvalid([_error(
        1, 55, 58, *name("引落日"),
        *reason("受付時限（{deadline}）を過ぎています", deadline=f"{deadline:%Y-%m-%d %H:%M}"),
        f"{debit_date}", "cutoff")])
