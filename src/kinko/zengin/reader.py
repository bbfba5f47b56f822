"""Read and validate a Zengin file: all of it, or nothing (ZEN-1).

:func:`parse` returns either the records or the errors, never a partial set of records: a
file with one bad field is refused as a whole, with every problem found (up to
``Options.max_errors``), each naming its record, byte columns and field.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from kinko import clock
from kinko.catalogue import reason
from kinko.zengin import charset
from kinko.zengin.compiled import CompiledLayout, block_valid, column_sum, compiled
from kinko.zengin.errors import ZenginError, ZenginFileInvalid, ZenginNotice
from kinko.zengin.fields import Context, Field, Problem, YearStyle, name
from kinko.zengin.framing import SEPARATOR_NAMES, Framing, frame
from kinko.zengin.layouts import FORMATS, TIME_DEPOSIT_TYPES, Format, Layout
from kinko.zengin.model import Group, RecordView, ZenginFile
from kinko.zengin.records import Record
from kinko.zengin.rules import Finding, check_end, check_group

Progress = Callable[[int, int], None]  # (records done, records in the file)

# Records checked together by the column test: small enough to stay in the CPU cache
# (~0.5 MB), large enough that the per-block Python overhead is noise.
BLOCK = 4096
_STRUCTURE = re.compile(rb"(?:12*8)+9")
_GROUP = re.compile(rb"12*8")
_RECORD_TYPE = name("データ区分")


@dataclass(frozen=True)
class Options:
    """How to read a file. ``reference_date`` resolves MMDD and 和暦 years (default: today in
    Japan, from :mod:`kinko.clock`). ``wo_in_names``: ``None`` takes the per-format default
    (ｦ admitted in names of 01/03, refused in the files customers send); see docs/zengin.md."""

    reference_date: date | None = None
    wo_in_names: bool | None = None
    year_style: YearStyle = "wareki"
    notice_format: Literal["auto", "A", "B"] = "auto"
    max_errors: int = 1000

    def context(self, fmt: Format) -> Context:
        wo = self.wo_in_names if self.wo_in_names is not None else fmt.type_code in ("01", "03")
        return Context(self.reference_date or clock.today(), self.year_style, wo)


@dataclass
class ParseResult:
    file: ZenginFile | None
    errors: list[ZenginError]
    notices: list[ZenginNotice] = field(default_factory=list)
    truncated: bool = False

    @property
    def ok(self) -> bool:
        return self.file is not None and not self.errors


class _Full(Exception):
    """Enough errors collected; stop looking."""


def parse(data: bytes, options: Options | None = None, *,
          progress: Progress | None = None) -> ParseResult:
    """Validate ``data`` and return its records, or every error found."""
    return _Reader(options or Options(), progress).run(data)


def read(data: bytes, options: Options | None = None, *,
         progress: Progress | None = None) -> ZenginFile:
    """The records of ``data``, or :class:`ZenginFileInvalid` with every error."""
    result = parse(data, options, progress=progress)
    if result.file is None:
        raise ZenginFileInvalid(result.errors, truncated=result.truncated)
    return result.file


def validate(data: bytes, options: Options | None = None) -> list[ZenginError]:
    return parse(data, options).errors


@dataclass
class _GroupPlan:
    header: int  # index into the framing's records
    data: Sequence[int]
    trailer: int | None


class _ViewRecords:
    """The rules' view of a group that passed every field check."""

    def __init__(self, view: RecordView, reader: _Reader, layout: CompiledLayout,
                 offsets: Sequence[int]) -> None:
        self.view = view
        self._reader = reader
        self._layout = layout
        self._offsets = offsets

    def __len__(self) -> int:
        return len(self.view)

    def __iter__(self) -> Iterator[Record]:
        return iter(self.view)

    def sum(self, attr: str) -> int:
        offsets = self._offsets
        if isinstance(offsets, range) and len(offsets) and offsets.step == self._reader.stride:
            f = self._layout.layout.field(attr)
            return column_sum(self._reader.buf, offsets.start, offsets.stop, offsets.step, f)
        return sum(getattr(rec, attr) for rec in self.view)


class _Reader:
    def __init__(self, options: Options, progress: Progress | None) -> None:
        self.options = options
        self.progress = progress
        self.errors: list[ZenginError] = []
        self.truncated = False
        self.buf = b""
        self.stride = 0
        self.done = 0
        self.total = 0

    # -- errors ---------------------------------------------------------------------------

    def add(self, error: ZenginError) -> None:
        if len(self.errors) >= self.options.max_errors:
            self.truncated = True
            raise _Full
        self.errors.append(error)

    def field_error(self, number: int, f: Field, problem: Problem, raw: bytes) -> None:
        self.add(ZenginError(number, f.start, f.end, f.ja, f.en, problem.reason_ja,
                             problem.reason_en, charset.decode(raw), problem.code))

    def kind_error(self, number: int, reason_ja: str, reason_en: str, kind: int) -> None:
        self.add(ZenginError(number, 1, 1, *_RECORD_TYPE, reason_ja, reason_en,
                             chr(kind) if 0x20 <= kind < 0x7F else f"0x{kind:02X}",
                             "structure"))

    def tick(self, count: int) -> None:
        self.done += count
        if self.progress is not None:
            self.progress(self.done, self.total)

    # -- the file -------------------------------------------------------------------------

    def run(self, data: bytes) -> ParseResult:
        framing = frame(data)
        if isinstance(framing, list):
            return ParseResult(None, framing)
        notices = framing.notices
        try:
            file = self._read(framing)
        except _Full:
            file = None
        if self.errors:
            return ParseResult(None, self.errors, notices, self.truncated)
        return ParseResult(file, [], notices)

    def _read(self, fr: Framing) -> ZenginFile | None:
        for error in fr.errors:
            self.add(error)
        self.buf = buf = fr.buf
        self.stride = fr.stride
        offsets, numbers = fr.offsets, fr.numbers
        self.total = len(offsets)
        kinds = buf[0::fr.stride] if fr.regular else bytes(buf[o] for o in offsets)
        if fr.regular and _STRUCTURE.fullmatch(kinds):
            plans = [_GroupPlan(m.start(), range(m.start() + 1, m.end() - 1), m.end() - 1)
                     for m in _GROUP.finditer(kinds)]
            end: int | None = len(kinds) - 1
            strays: list[int] = []
        else:
            plans, end, strays = self._walk(kinds, numbers)
        first = FORMATS[buf[1:3].decode("latin-1")]  # framing has checked it
        groups: list[Group] = []
        sizes: list[int] = []
        for plan in plans:
            group = self._group(fr, plan, first)
            if group is not None:
                groups.append(group)
                sizes.append(len(group.records))
        for index in strays:
            self._stray(fr, index, first)
        if end is None:
            return None
        ctx = self.options.context(first)
        end_layout = compiled(first.end, ctx)
        end_record = self._single(fr, end, end_layout)
        if end_record is not None and not self.errors:
            for finding in check_end(first, end_record, sizes):
                self._finding(finding, numbers[end], first.end)
        if self.errors or end_record is None:
            return None
        return ZenginFile(tuple(groups), end_record, SEPARATOR_NAMES[fr.separator])

    def _walk(self, kinds: bytes, numbers: Sequence[int]
              ) -> tuple[list[_GroupPlan], int | None, list[int]]:
        """Say what is wrong with the order of the records, and recover the groups as well
        as possible so that their fields are checked too."""
        walk = _Walk(self, numbers)
        steps = {0x31: walk.header, 0x32: walk.data, 0x38: walk.trailer, 0x39: walk.end}
        for i, kind in enumerate(kinds):
            if walk.end_at is not None:
                self.kind_error(numbers[i],
                                *reason("エンド・レコードの後にレコードがあります"), kind)
            elif kind in steps:
                steps[kind](i, kind)
            else:
                self.kind_error(numbers[i], *reason("データ区分は 1, 2, 8, 9 のいずれかです"), kind)
        walk.finish()
        return walk.plans, walk.end_at, walk.strays

    # -- groups ---------------------------------------------------------------------------

    def _format_of(self, fr: Framing, index: int, first: Format) -> Format | None:
        offset = fr.offsets[index]
        raw = fr.buf[offset + 1:offset + 3]
        code = raw.decode("latin-1")
        fmt = FORMATS.get(code)
        number = fr.numbers[index]
        header = first.header
        f = header.field("type_code")
        if fmt is None:
            self.field_error(number, f, Problem(
                *reason("種別コード {code!r} は扱えません（{items}）",
                        code=code, items=', '.join(FORMATS)),
                "type_code"), raw)
            return None
        if fmt.length != first.length or (fmt.length == 200 and fmt is not first):
            self.field_error(number, f, Problem(
                *reason(
                    "種別コード {code!r} は先頭のグループ（{type_code}）と同じファイルに入れられ"
                    "ません",
                    code=code, type_code=first.type_code), "type_code"), raw)
            return None
        return fmt

    def _single(self, fr: Framing, index: int, layout: CompiledLayout) -> Record | None:
        """Check and decode one record (a header, trailer or end record)."""
        offset = fr.offsets[index]
        raw = fr.buf[offset:offset + layout.length]
        if layout.valid_static(fr.buf, offset) and not layout.date_problems(raw):
            return layout.decode(raw)
        problems = layout.diagnose(raw)
        for f, problem in problems:
            self.field_error(fr.numbers[index], f, problem, raw[f.offset:f.stop])
        if not problems:  # the regex and the field checks disagree: never let it through
            self.add(ZenginError(fr.numbers[index], 1, layout.length, layout.layout.ja,
                                 layout.layout.en,
    *reason("レコードが様式に合いません"), "", "layout"))
        return None

    def _group(self, fr: Framing, plan: _GroupPlan, first: Format) -> Group | None:
        fmt = self._format_of(fr, plan.header, first)
        if fmt is None:
            self.tick(len(plan.data) + 2)
            return None
        ctx = self.options.context(fmt)
        errors_before = len(self.errors)
        header = self._single(fr, plan.header, compiled(fmt.header, ctx))
        layouts = self._data_layouts(fr, plan.header, fmt, ctx)
        choice = self._data(fr, plan.data, layouts)
        trailer = None
        if plan.trailer is not None:
            trailer = self._single(fr, plan.trailer, compiled(fmt.trailer, ctx))
        self.tick(2)
        if header is None or trailer is None or len(self.errors) > errors_before:
            return None
        offsets = plan.data
        if isinstance(fr.offsets, range) and isinstance(offsets, range):
            offsets = fr.offsets[offsets.start:offsets.stop]
        else:
            offsets = [fr.offsets[i] for i in offsets]
        view = RecordView(fr.buf, offsets, layouts, choice)
        for finding in check_group(fmt, header, _ViewRecords(view, self, layouts[0], offsets),
                                   trailer):
            self._finding(finding, self._number(fr, plan, finding), {
                "header": fmt.header, "trailer": fmt.trailer, "end": fmt.end,
            }.get(finding.where, _layout_of(layouts, choice, finding.index)))
        if len(self.errors) > errors_before:
            return None
        return Group(header, view, trailer)

    @staticmethod
    def _number(fr: Framing, plan: _GroupPlan, finding: Finding) -> int:
        if finding.where == "header":
            return fr.numbers[plan.header]
        if finding.where == "trailer" and plan.trailer is not None:
            return fr.numbers[plan.trailer]
        return fr.numbers[plan.data[finding.index]]

    def _finding(self, finding: Finding, number: int, layout: Layout) -> None:
        f = layout.field(finding.attr)
        self.add(ZenginError(number, f.start, f.end, f.ja, f.en, finding.reason_ja,
                             finding.reason_en, finding.value, "total"
                             if finding.where in ("trailer", "end") else "consistency"))

    def _data_layouts(self, fr: Framing, header: int, fmt: Format,
                      ctx: Context) -> tuple[CompiledLayout, ...]:
        layouts = tuple(compiled(layout, ctx) for layout in fmt.data)
        if fmt.type_code == "03":
            # The header's 預金種目 decides which data layout the whole group uses.
            account_type = chr(fr.buf[fr.offsets[header] + 62])
            if account_type in TIME_DEPOSIT_TYPES:
                return (layouts[1],)
            return (layouts[0],)
        if fmt.type_code == "01" and self.options.notice_format != "auto":
            return (layouts[0] if self.options.notice_format == "A" else layouts[1],)
        return layouts

    def _data(self, fr: Framing, indexes: Sequence[int],
              layouts: tuple[CompiledLayout, ...]) -> bytes | None:
        """Check every data record of a group; for 01, say which layout each one uses."""
        buf, offsets = fr.buf, fr.offsets
        if len(layouts) > 1:
            choice = bytes(_notice_variant(buf, offsets[i]) for i in indexes)
            for position, i in enumerate(indexes):
                self._record(fr, i, layouts[choice[position]])
                if position % BLOCK == BLOCK - 1:
                    self.tick(BLOCK)
            self.tick(len(indexes) % BLOCK)
            return choice if b"\x01" in choice else None
        layout = layouts[0]
        if (layout.plan is not None and fr.regular and isinstance(indexes, range)
                and len(indexes)):
            stride = fr.stride
            for first in range(indexes.start, indexes.stop, BLOCK):
                last = min(first + BLOCK, indexes.stop)
                start, stop = offsets[first], offsets[last - 1] + stride
                if not block_valid(layout.plan, buf, start, stop, stride, fr.separator):
                    for i in range(first, last):
                        self._record(fr, i, layout)
                self.tick(last - first)
            return None
        for position, i in enumerate(indexes):
            self._record(fr, i, layout)
            if position % BLOCK == BLOCK - 1:
                self.tick(BLOCK)
        self.tick(len(indexes) % BLOCK)
        return None

    def _record(self, fr: Framing, index: int, layout: CompiledLayout) -> None:
        offset = fr.offsets[index]
        if layout.valid_static(fr.buf, offset):
            if not layout.date_fields:
                return
            raw = fr.buf[offset:offset + layout.length]
            problems = layout.date_problems(raw)
            if not problems:
                return
        raw = fr.buf[offset:offset + layout.length]
        problems = layout.diagnose(raw)
        for f, problem in problems:
            self.field_error(fr.numbers[index], f, problem, raw[f.offset:f.stop])
        if not problems:
            self.add(ZenginError(fr.numbers[index], 1, layout.length, layout.layout.ja,
                                 layout.layout.en,
    *reason("レコードが様式に合いません"), "", "layout"))

    def _stray(self, fr: Framing, index: int, first: Format) -> None:
        """Check the fields of a record found outside any group, by its record type."""
        kind = fr.buf[fr.offsets[index]]
        ctx = self.options.context(first)
        layout = first.data[0] if kind == 0x32 else first.trailer
        self._record(fr, index, compiled(layout, ctx))


class _Walk:
    """The record-order state machine: (header data* trailer)+ end."""

    def __init__(self, reader: _Reader, numbers: Sequence[int]) -> None:
        self.reader = reader
        self.numbers = numbers
        self.plans: list[_GroupPlan] = []
        self.strays: list[int] = []
        self.end_at: int | None = None
        self.current: _GroupPlan | None = None
        self.members: list[int] = []

    def _close(self, trailer: int | None) -> None:
        assert self.current is not None
        self.plans.append(_GroupPlan(self.current.header, self.members, trailer))
        self.current, self.members = None, []

    def _began(self) -> int:
        assert self.current is not None
        return self.numbers[self.current.header]

    def header(self, i: int, kind: int) -> None:
        if self.current is not None:
            self.reader.kind_error(
                self.numbers[i],
                *reason("レコード {began} からのグループにトレーラがありません",
                        began=self._began()), kind)
            self._close(None)
        self.current, self.members = _GroupPlan(i, [], None), []

    def data(self, i: int, kind: int) -> None:
        if self.current is None:
            self.reader.kind_error(self.numbers[i],
                                   *reason("ヘッダーの前にデータ・レコードがあります"), kind)
            self.strays.append(i)
        else:
            self.members.append(i)

    def trailer(self, i: int, kind: int) -> None:
        if self.current is None:
            self.reader.kind_error(self.numbers[i],
                                   *reason("対応するヘッダーのないトレーラです"), kind)
            self.strays.append(i)
        else:
            self._close(i)

    def end(self, i: int, kind: int) -> None:
        if self.current is not None:
            self.reader.kind_error(
                self.numbers[i],
                *reason(
                    "レコード {began} からのグループのトレーラより前にエンド・レコードがあります",
                    began=self._began()), kind)
            self._close(None)
        elif not self.plans:
            self.reader.kind_error(self.numbers[i],
                                   *reason("ヘッダー・トレーラのグループがありません"),
                                   kind)
        self.end_at = i

    def finish(self) -> None:
        if self.current is not None:
            self.reader.add(ZenginError(
                self._began(), 0, 0, *_RECORD_TYPE,
                "このヘッダーからのグループにトレーラがありません",
                "the group that begins with this header has no trailer", "", "structure"))
            self._close(None)
        if self.end_at is None:
            numbers = self.numbers
            self.reader.add(ZenginError(
                (numbers[-1] + 1) if len(numbers) else 1, 0, 0, *_RECORD_TYPE,
                "エンド・レコード（データ区分 9）がありません",
                "the file has no end record (record type 9)", "", "structure"))


def _notice_variant(buf: bytes, offset: int) -> int:
    # MN's rule: format B when columns 129-152 (金額(2), うち他店券金額(2)) are all digits; in
    # format A they are EDI情報 and the start of the filler, which always holds a space.
    return 1 if buf[offset + 128:offset + 152].isdigit() else 0


def _layout_of(layouts: tuple[CompiledLayout, ...], choice: bytes | None,
               index: int) -> Layout:
    return layouts[choice[index] if choice is not None else 0].layout
