"""A layout compiled for speed, once per reading (ｦ rule, reference date, year style).

Three levels of checking, each built from the same :class:`~kinko.zengin.fields.Field` list:

1. :class:`ColumnPlan` checks a block of thousands of records at once. Byte column ``p`` of
   every record is ``block[p::stride]``; joining the columns of one character class and
   deleting the permitted bytes with ``bytes.translate`` leaves nothing exactly when every
   record is valid there. It is a *sufficient* test: when it fails, level 2 decides.
2. :attr:`CompiledLayout.regex` is the exact static rule of one record as a bytes regex.
3. :func:`kinko.zengin.fields.check`, field by field, says what is wrong and where.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from operator import itemgetter
from typing import Any

from kinko.zengin import charset
from kinko.zengin.fields import Context, Field, Kind, Problem, check, decoder, identity
from kinko.zengin.layouts import Layout
from kinko.zengin.records import Record


def _class_re(allowed: bytes) -> bytes:
    return b"[" + b"".join(re.escape(bytes([b])) for b in allowed) + b"]"


def _alternatives(values: list[bytes]) -> bytes:
    return b"(?:" + b"|".join(re.escape(v) for v in values) + b")"


def _field_re(f: Field, ctx: Context) -> bytes:
    n = f.length
    if f.kind is Kind.CONST:
        return re.escape(f.values[0].encode())
    if f.kind is Kind.DUMMY:
        return _class_re(charset.ANY.allowed) + b"{%d}" % n
    if f.kind is Kind.TEXT:
        cls = charset.resolve(f.cls, wo_in_names=ctx.wo_in_names)
        body = _class_re(cls.allowed) + b"{%d}" % n
        return (b"(?! {%d})" % n + body) if f.required else body
    if f.kind is Kind.FLAG:
        return _alternatives([v.encode("latin-1") for v in f.values])
    if f.kind is Kind.CODE and f.values:
        options = [v.encode() for v in f.values]
    else:
        options = [b"[0-9]{%d}" % n]
        return b"(?:[0-9]{%d}| {%d})" % (n, n) if f.blank else options[0]
    if f.blank:
        options.append(b" " * n)
    return _alternatives(options)


@dataclass(frozen=True)
class ColumnPlan:
    """The vectorised check of many records of one layout (see the module docstring)."""

    union: bytes  # every byte of a valid block is in here (besides line separators)
    columns: tuple[tuple[tuple[int, ...], bytes], ...]  # (offsets, permitted bytes)
    uniform: tuple[tuple[int, ...], ...]  # blank-able N fields: all digits or all spaces
    no_space: tuple[int, ...]  # first column of required text: a blank name would start here
    fallback_if: tuple[tuple[int, bytes], ...]  # (offset, byte) that needs the exact check


class CompiledLayout:
    """Regex, decoder and column plan of one layout under one :class:`Context`."""

    def __init__(self, layout: Layout, ctx: Context) -> None:
        self.layout = layout
        self.ctx = ctx
        self.length = layout.length
        self.record_class: type[Record] = layout.record
        self.regex = re.compile(b"(?s)" + self._pattern(), re.DOTALL)
        self.date_fields = tuple(f for f in layout.fields if f.kind in (Kind.MMDD, Kind.YYMMDD))
        overlay_attrs = set(layout.overlaid)
        plain = [f for f in layout.fields if f.attr and f.attr not in overlay_attrs]
        # One C call cuts every field out of the decoded record; only the fields whose value
        # is not the text itself (names, yen, dates, flags) then go through a converter.
        self._attrs = tuple(f.attr or "" for f in plain)
        self._cut = _cutter([slice(f.offset, f.stop) for f in plain])
        self._convert: list[tuple[str, Callable[[str], Any]]] = [
            (f.attr or "", conv) for f in plain if (conv := decoder(f, ctx)) is not identity]
        self._plain_overlaid = [(f.attr, f.offset, f.stop, decoder(f, ctx))
                                for f in layout.fields if f.attr in overlay_attrs]
        self._overlay = layout.overlay
        self._overlay_defaults = {
            attr: layout.record.__dataclass_fields__[attr].default
            for attr in layout.overlaid
        }
        # Level 1 cannot vouch for dates or multi-byte value lists; those layouts (headers,
        # 01, 03) take the per-record checks.
        self.column_checkable = not self.date_fields and all(
            not (f.kind is Kind.CODE and f.values and f.length > 1) for f in layout.fields)
        self.plan = self._column_plan() if self.column_checkable else None

    # -- level 2 --------------------------------------------------------------------------

    def _pattern(self) -> bytes:
        layout, ctx = self.layout, self.ctx
        parts: list[bytes] = []
        fields = list(layout.fields)
        i = 0
        while i < len(fields):
            f = fields[i]
            if layout.overlay is not None and f.attr == layout.overlaid[0]:
                span = [g for g in fields if g.attr in layout.overlaid]
                flag = layout.field(layout.overlay_flag or "")
                gap = flag.offset - span[0].offset  # lookahead from the span's first byte
                true = re.escape(flag.values[0].encode("latin-1"))
                ahead = b".{%d}" % gap + true
                plain = b"".join(_field_re(g, ctx) for g in span)
                parts.append(b"(?:(?=" + ahead + b")" + _field_re(layout.overlay, ctx)
                             + b"|(?!" + ahead + b")" + plain + b")")
                i += len(span)
                continue
            parts.append(_field_re(f, ctx))
            i += 1
        return b"".join(parts)

    def valid_static(self, buf: bytes, offset: int) -> bool:
        return self.regex.fullmatch(buf, offset, offset + self.length) is not None

    # -- level 3 --------------------------------------------------------------------------

    def diagnose(self, raw: bytes) -> list[tuple[Field, Problem]]:
        """Every field of ``raw`` that is wrong, with what is wrong with it."""
        layout, ctx = self.layout, self.ctx
        overlaid = False
        if layout.overlay is not None and layout.overlay_flag:
            flag = layout.field(layout.overlay_flag)
            overlaid = raw[flag.offset:flag.stop] == flag.values[0].encode("latin-1")
        problems: list[tuple[Field, Problem]] = []
        for f in layout.fields:
            if overlaid and f.attr in layout.overlaid:
                continue
            problem = check(f, raw[f.offset:f.stop], ctx)
            if problem is not None:
                problems.append((f, problem))
        if overlaid and layout.overlay is not None:
            f = layout.overlay
            problem = check(f, raw[f.offset:f.stop], ctx)
            if problem is not None:
                problems.append((f, problem))
        return problems

    def date_problems(self, raw: bytes) -> list[tuple[Field, Problem]]:
        found = []
        for f in self.date_fields:
            problem = check(f, raw[f.offset:f.stop], self.ctx)
            if problem is not None:
                found.append((f, problem))
        return found

    # -- decoding -------------------------------------------------------------------------

    def decode(self, raw: bytes) -> Record:
        """The record of ``raw``, which must already have passed the checks."""
        s = charset.decode(raw)
        values: dict[str, Any] = dict(zip(self._attrs, self._cut(s), strict=True))
        for attr, conv in self._convert:
            values[attr] = conv(values[attr])
        overlay = self._overlay
        if overlay is not None:
            if values[self.layout.overlay_flag or ""]:
                values.update(self._overlay_defaults)
                values[overlay.attr or ""] = s[overlay.offset:overlay.stop].rstrip(" ")
            else:
                for attr, a, b, conv in self._plain_overlaid:
                    values[attr] = conv(s[a:b])
                values[overlay.attr or ""] = ""
        return self.record_class(**values)

    # -- level 1 --------------------------------------------------------------------------

    def _column_plan(self) -> ColumnPlan:
        layout, ctx = self.layout, self.ctx
        text_classes = [charset.resolve(f.cls, wo_in_names=ctx.wo_in_names).allowed
                        for f in layout.fields if f.kind is Kind.TEXT]
        # The union is the most lenient data class in the record: a realistic name never
        # leaves it, and every column whose own class contains it needs no column of its own.
        union = bytes(sorted(set(b"".join(text_classes)))) if text_classes else charset.N.allowed
        plan = _PlanBuilder(set(union))
        for f in layout.fields:
            plan.add(f, ctx)
        fallback: list[tuple[int, bytes]] = []
        if layout.overlay is not None and layout.overlay_flag:
            flag = layout.field(layout.overlay_flag)
            # Records that use the overlay are rare enough to take the exact path.
            fallback.append((flag.offset, flag.values[0].encode("latin-1")))
        return ColumnPlan(
            union=union,
            columns=tuple((tuple(offs), allowed) for allowed, offs in plan.by_allowed.items()),
            uniform=tuple(plan.uniform),
            no_space=tuple(plan.no_space),
            fallback_if=tuple(fallback),
        )


class _PlanBuilder:
    """Sorts a layout's byte columns by what they may hold."""

    def __init__(self, union: set[int]) -> None:
        self.union = union
        self.by_allowed: dict[bytes, list[int]] = {}
        self.uniform: list[tuple[int, ...]] = []
        self.no_space: list[int] = []

    def need(self, offsets: range | list[int], allowed: bytes) -> None:
        self.by_allowed.setdefault(allowed, []).extend(offsets)

    def add(self, f: Field, ctx: Context) -> None:
        offsets = range(f.offset, f.stop)
        if f.kind is Kind.CONST:
            if f.offset > 0:  # the record type byte is checked with the file's structure
                for off, ch in zip(offsets, f.values[0].encode(), strict=True):
                    self.need([off], bytes([ch]))
        elif f.kind in (Kind.DUMMY, Kind.TEXT):
            allowed = charset.resolve(f.cls, wo_in_names=ctx.wo_in_names).allowed
            if not self.union <= set(allowed):
                self.need(offsets, allowed)
            if f.required:
                self.no_space.append(f.offset)
        elif f.kind is Kind.FLAG or (f.kind is Kind.CODE and f.values):
            values = {ord(v) for v in f.values} | ({0x20} if f.blank else set())
            self.need(offsets, bytes(sorted(values)))
        elif f.blank:
            self.need(offsets, charset.DIGITS + b" ")
            if f.length > 1:
                self.uniform.append(tuple(offsets))
        else:
            self.need(offsets, charset.DIGITS)


def _cutter(slices: list[slice]) -> Callable[[str], tuple[str, ...]]:
    """``itemgetter`` over the slices, always returning a tuple (it does not for one)."""
    if len(slices) > 1:
        return itemgetter(*slices)
    if slices:
        only = slices[0]
        return lambda s: (s[only],)
    return lambda s: ()


@lru_cache(maxsize=256)
def compiled(layout: Layout, ctx: Context) -> CompiledLayout:
    return CompiledLayout(layout, ctx)


def block_valid(plan: ColumnPlan, buf: bytes, start: int, stop: int, stride: int,
                separator: bytes) -> bool:
    """Level 1 over the records at ``start, start+stride, … < stop``: True only if all are
    valid (False says nothing about which, or whether any, is not)."""
    count = (stop - start) // stride
    block = buf[start:stop]
    # Everything outside the union must be exactly the line separators; a stray CR inside a
    # record would show up as a longer remainder.
    if block.translate(None, plan.union) != separator * count:
        return False
    for off, byte in plan.fallback_if:
        if byte in block[off::stride]:
            return False
    for off in plan.no_space:
        if b" " in block[off::stride]:
            return False
    for offsets, allowed in plan.columns:
        if b"".join([block[o::stride] for o in offsets]).translate(None, allowed):
            return False
    for offsets in plan.uniform:
        # In each record the field is all digits or all spaces: map digits to one byte and
        # every column must then be the same string.
        masks = {block[o::stride].translate(_DIGIT_MASK) for o in offsets}
        if len(masks) > 1:
            return False
    return True


_DIGIT_MASK = bytes.maketrans(charset.DIGITS, b"0" * 10)


def column_sum(buf: bytes, start: int, stop: int, stride: int, f: Field) -> int:
    """Sum of an N field over the records (already known to be digits), without making an int
    per record: sum each digit column, then weigh the columns by their place value."""
    count = (stop - start) // stride
    total = 0
    for o in range(f.offset, f.stop):
        total = total * 10 + sum(buf[start + o:stop:stride]) - 0x30 * count
    return total
