"""A whole Zengin file: header…trailer groups and the end record.

The data records of a file that has been read are a :class:`RecordView`: the file has been
fully validated, and each record is decoded into its dataclass when it is looked at. That
keeps reading and validating a large file close to the speed of splitting its bytes, and a
caller that only needs the totals (or only a valid/invalid answer) never pays for 100,000
objects. Iterating decodes every record; ``list(view)`` gives plain records.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, overload

from kinko.zengin.compiled import CompiledLayout
from kinko.zengin.records import Record


class RecordView(Sequence[Record]):
    """Validated records decoded on access (see the module docstring)."""

    __slots__ = ("_buf", "_choice", "_layouts", "_offsets")

    def __init__(self, buf: bytes, offsets: Sequence[int], layouts: Sequence[CompiledLayout],
                 choice: bytes | None = None) -> None:
        self._buf = buf
        self._offsets = offsets
        self._layouts = tuple(layouts)
        # One byte per record: which of ``layouts`` it uses (01 format A or B), when not all
        # records share the first one.
        self._choice = choice

    def __len__(self) -> int:
        return len(self._offsets)

    def _decode(self, i: int, offset: int) -> Record:
        layout = self._layouts[self._choice[i] if self._choice is not None else 0]
        return layout.decode(self._buf[offset:offset + layout.length])

    @overload
    def __getitem__(self, index: int) -> Record: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Record]: ...

    def __getitem__(self, index: int | slice) -> Record | Sequence[Record]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        return self._decode(index, self._offsets[index])

    def __iter__(self) -> Iterator[Record]:
        if self._choice is None:
            layout = self._layouts[0]
            decode, length, buf = layout.decode, layout.length, self._buf
            for offset in self._offsets:
                yield decode(buf[offset:offset + length])
        else:
            for i, offset in enumerate(self._offsets):
                yield self._decode(i, offset)

    def raw(self) -> Iterator[bytes]:
        """Each record's validated bytes, undecoded: for callers that take a few fixed
        columns of many records (a 100,000-payee upload) without building dataclasses."""
        buf = self._buf
        for i, offset in enumerate(self._offsets):
            layout = self._layouts[self._choice[i] if self._choice is not None else 0]
            yield buf[offset:offset + layout.length]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, str | bytes):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<RecordView of {len(self)} records>"


@dataclass(frozen=True)
class Group:
    """One header…trailer group: a 21 file per paying account, an 01/03 file per account."""

    header: Record
    records: Sequence[Record]
    trailer: Record


@dataclass(frozen=True)
class ZenginFile:
    groups: tuple[Group, ...]
    end: Record
    # How the bytes were laid out when read ("crlf", "lf", "none"); the writer always uses
    # CRLF, so this is not part of what the file *says* and is left out of equality.
    line_ending: str = field(default="crlf", compare=False)

    @property
    def type_code(self) -> str:
        code: str = getattr(self.groups[0].header, "type_code", "")
        return code

    def data_records(self) -> Iterator[Record]:
        for group in self.groups:
            yield from group.records

    @property
    def record_count(self) -> int:
        """Records in the file: headers, data, trailers and the end record."""
        return sum(len(g.records) + 2 for g in self.groups) + 1

    def summary(self) -> dict[str, Any]:
        return {"type_code": self.type_code, "groups": len(self.groups),
                "data_records": sum(len(g.records) for g in self.groups),
                "records": self.record_count}
