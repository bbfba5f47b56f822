"""Write the strict form: fixed-length records, each followed by CRLF, byte-exact (ZEN-1).

The writer encodes from the same layouts the reader checks against, then reads its own output
back with the full validator before returning it: a file Kinko hands to a customer or a bank
has passed every rule Kinko would apply on receiving it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from kinko.catalogue import reason
from kinko.zengin import kana
from kinko.zengin.errors import FieldTooLong, KanaConversionError, ZenginError, ZenginFileInvalid
from kinko.zengin.fields import Context, Field, Kind, Problem, encode, name
from kinko.zengin.layouts import FORMATS, Format, Layout
from kinko.zengin.model import Group, ZenginFile
from kinko.zengin.reader import Options, parse
from kinko.zengin.records import Record
from kinko.zengin.rules import make_end, make_trailer

CRLF = b"\r\n"


class _Refused(Exception):
    def __init__(self, problems: list[tuple[Field, Problem]]) -> None:
        super().__init__(problems)
        self.problems = problems


def normalize_record(record: Record, *, overflow: kana.Overflow = "error",
                     wo_as_o: bool = False) -> Record:
    """``record`` with every kana field normalised (:func:`kinko.zengin.kana.to_field`).

    Raises :class:`KanaConversionError` or :class:`FieldTooLong` for the first field that
    cannot be converted; :func:`write` with ``normalize=True`` reports them all instead.
    """
    layout = _layout_of(record)
    changes = {}
    for f in _text_fields(layout, record):
        value = getattr(record, f.attr or "")
        changes[f.attr or ""] = kana.to_field(value, f.length, overflow=overflow,
                                              wo_as_o=wo_as_o)
    return dataclasses.replace(record, **changes)


def _layout_of(record: Record) -> Layout:
    from kinko.zengin.layouts import LAYOUT_OF_RECORD

    return LAYOUT_OF_RECORD[type(record)]


def _text_fields(layout: Layout, record: Record) -> list[Field]:
    fields = [f for f in layout.fields if f.kind is Kind.TEXT]
    if layout.overlay is not None and getattr(record, layout.overlay_flag or "", False):
        fields.append(layout.overlay)
    return fields


def encode_record(layout: Layout, record: Record, ctx: Context, *, normalize: bool = False,
                  overflow: kana.Overflow = "error") -> bytes:
    """The record's bytes; :class:`_Refused` lists every field that cannot be written."""
    problems: list[tuple[Field, Problem]] = []
    overlaid = False
    if layout.overlay is not None and layout.overlay_flag:
        overlaid = getattr(record, layout.overlay_flag) is True
        _check_overlay(layout, record, overlaid, problems)
    pieces: list[bytes] = []
    for f in layout.fields:
        if overlaid and f.attr in layout.overlaid:
            if f.attr == layout.overlaid[0] and layout.overlay is not None:
                pieces.append(_encode_field(layout.overlay, record, ctx, normalize, overflow,
                                            problems))
            continue
        pieces.append(_encode_field(f, record, ctx, normalize, overflow, problems))
    if problems:
        raise _Refused(problems)
    return b"".join(pieces)


def _check_overlay(layout: Layout, record: Record, overlaid: bool,
                   problems: list[tuple[Field, Problem]]) -> None:
    assert layout.overlay is not None
    if overlaid:
        for attr in layout.overlaid:
            default = layout.record.__dataclass_fields__[attr].default
            if getattr(record, attr) != default:
                problems.append((layout.field(attr), Problem(
                    "識別表示が Y のときは顧客コードの代わりに EDI情報 を使います",
                    "cannot be given with EDI information (識別表示 Y): columns 92-111 hold "
                    "one or the other", "overlay")))
    elif getattr(record, layout.overlay.attr or ""):
        problems.append((layout.overlay, Problem(
            "EDI情報 を使うには識別表示を Y にしてください",
            "needs the EDI flag (識別表示 Y); without it columns 92-111 are customer codes",
            "overlay")))


def _encode_field(f: Field, record: Record, ctx: Context, normalize: bool,
                  overflow: kana.Overflow, problems: list[tuple[Field, Problem]]) -> bytes:
    value = getattr(record, f.attr) if f.attr else None
    if normalize and f.kind is Kind.TEXT and isinstance(value, str):
        try:
            value = kana.to_field(value, f.length, overflow=overflow)
        except KanaConversionError as exc:
            problems.append((f, Problem(exc.reason_ja, exc.reason_en, "kana")))
            return b" " * f.length
        except FieldTooLong:
            problems.append((f, Problem(
                *reason("{length} 桁を超えます", length=f.length), "too_long")))
            return b" " * f.length
    try:
        return encode(f, value, ctx)
    except ValueError as exc:
        problem = exc.args[0]
        if not isinstance(problem, Problem):
            raise
        problems.append((f, problem))
        return b" " * f.length


def write(file: ZenginFile, options: Options | None = None, *, normalize: bool = False,
          overflow: kana.Overflow = "error", eof_marker: bool = False) -> bytes:
    """The strict bytes of ``file``; :class:`ZenginFileInvalid` lists every problem.

    ``normalize`` converts text fields to half-width kana first (kanji are refused);
    ``overflow`` says whether over-long text is refused or cut (never between a kana and
    its voicing mark).
    """
    options = options or Options()
    errors: list[ZenginError] = []
    pieces: list[bytes] = []
    number = 0

    def put(layout: Layout, record: Record, ctx: Context) -> None:
        nonlocal number
        number += 1
        if not isinstance(record, layout.record):
            errors.append(ZenginError(
                number, 1, layout.length, layout.ja, layout.en,
                *reason("{ja} の位置に {name} があります",
                        ja=layout.ja, name=type(record).__name__, name2=layout.record.__name__),
                "", "structure"))
            pieces.append(b"")
            return
        try:
            pieces.append(encode_record(layout, record, ctx, normalize=normalize,
                                        overflow=overflow))
        except _Refused as refused:
            for f, problem in refused.problems:
                errors.append(ZenginError(number, f.start, f.end, f.ja, f.en,
                                          problem.reason_ja, problem.reason_en,
                                          str(getattr(record, f.attr or "", "")), problem.code))
            pieces.append(b"")

    if not file.groups:
        raise ZenginFileInvalid([ZenginError(0, 0, 0, "", "", *reason("グループがありません"),
                                             "", "structure")])
    first = _format(file.groups[0].header)
    for group in file.groups:
        fmt = _format(group.header) or first
        if fmt is None:
            raise ZenginFileInvalid([ZenginError(
                number + 1, 2, 3, *name("種別コード"),
                    *reason("種別コードが不明です",
                            code=getattr(group.header, 'type_code', '')), "",
                "type_code")])
        ctx = options.context(fmt)
        put(fmt.header, group.header, ctx)
        for record in group.records:
            put(_data_layout(fmt, record), record, ctx)
        put(fmt.trailer, group.trailer, ctx)
    assert first is not None
    put(first.end, file.end, options.context(first))
    if errors:
        raise ZenginFileInvalid(errors[: options.max_errors],
                                truncated=len(errors) > options.max_errors)
    out = CRLF.join(pieces) + CRLF
    checked = parse(out, options)
    if not checked.ok:
        raise ZenginFileInvalid(checked.errors, truncated=checked.truncated)
    return out + (b"\x1a" if eof_marker else b"")


def _format(header: Record) -> Format | None:
    return FORMATS.get(getattr(header, "type_code", ""))


def _data_layout(fmt: Format, record: Record) -> Layout:
    for layout in fmt.data:
        if isinstance(record, layout.record):
            return layout
    return fmt.data[0]


def build_group(header: Record, records: Sequence[Record], *,
                debit_result: bool | None = None) -> Group:
    """A group whose trailer is computed from ``records`` (for 91, ``debit_result`` says
    whether it is a result file; by default, when any record has a non-zero result code)."""
    fmt = _format(header)
    if fmt is None:
        raise ValueError(f"unknown type code in {header!r}")
    records = list(records)
    return Group(header, records, make_trailer(fmt, header, records,
                                               debit_result=debit_result))


def build_file(groups: Sequence[Group]) -> ZenginFile:
    """A file whose end record is computed from its groups."""
    if not groups:
        raise ValueError("a file needs at least one group")
    fmt = _format(groups[0].header)
    if fmt is None:
        raise ValueError("unknown type code")
    return ZenginFile(tuple(groups), make_end(fmt, [len(g.records) for g in groups]))
