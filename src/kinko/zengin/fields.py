"""One field of a fixed-length record: where it is, what it holds, how it reads and writes.

A :class:`Field` is pure declaration (the tables in :mod:`kinko.zengin.layouts` are lists of
them). The functions here give it behaviour for the slow, precise paths: checking one field's
bytes and saying exactly what is wrong, decoding one value, encoding one value. The fast path
over whole files is compiled from the same declarations in :mod:`kinko.zengin.compiled`.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from kinko import catalogue
from kinko.catalogue import reason
from kinko.zengin import charset, dates

YearStyle = Literal["wareki", "seireki"]
FIELD = "zengin_field"  # the catalogue context of the fields' names (docs/messages.md)
TYPE = "zengin_type"  # … of the type a value given to the writer must have


class Kind(enum.Enum):
    CONST = "const"  # fixed bytes (データ区分); not an attribute
    DUMMY = "dummy"  # ダミー: any graphic byte on input, spaces on output; not an attribute
    CODE = "code"  # N digits kept as a string (codes with leading zeros)
    INT = "int"  # N digits as an int (yen, counts)
    TEXT = "text"  # C characters of a class, left-aligned, space padded
    MMDD = "mmdd"  # N(4) month and day, year from the reference date
    YYMMDD = "yymmdd"  # N(6) 和暦 (or 西暦 as a bank variant)
    FLAG = "flag"  # one byte: a true value or one of the false values


@dataclass(frozen=True, slots=True, eq=False)  # identity: layouts are singletons
class Field:
    ja: str  # the field's name; its English is the catalogue's (``en``)
    start: int  # 1-based first byte
    length: int
    kind: Kind
    attr: str | None = None
    cls: str = "N"  # character-class token for TEXT (resolved per reading of ｦ)
    values: tuple[str, ...] = ()  # allowed values (CODE), the value (CONST), true+falses (FLAG)
    blank: bool = False  # all spaces allowed; reads as "" (CODE) / None (YYMMDD)
    required: bool = False  # TEXT must not be all spaces
    optional: bool = False  # YYMMDD all zeros allowed; reads as None
    labels: dict[str, str] = field(default_factory=dict)  # meaning of each value, for errors
    note_ja: str = ""  # extra hint when the value is refused
    note_en: str = ""
    ctx: str = FIELD  # the catalogue context of the name's English (another for a 2nd meaning)

    @property
    def en(self) -> str:
        return catalogue.en(self.ja, self.ctx) or self.ja

    @property
    def end(self) -> int:
        return self.start + self.length - 1

    @property
    def offset(self) -> int:
        return self.start - 1

    @property
    def stop(self) -> int:
        return self.start - 1 + self.length


@dataclass(frozen=True, slots=True)
class Context:
    """What reading and writing a value depends on besides its bytes."""

    reference: date
    year_style: YearStyle = "wareki"
    wo_in_names: bool = False


@dataclass(frozen=True, slots=True)
class Problem:
    reason_ja: str
    reason_en: str
    code: str = "invalid"


def name(ja: str, ctx: str = FIELD) -> tuple[str, str]:
    """A field's name in (Japanese, English), for a refusal that names a field outside a
    layout's checks (the English is the catalogue's)."""
    return ja, catalogue.en(ja, ctx) or ja


def const(ja: str, start: int, value: str, **kw: Any) -> Field:
    return Field(ja, start, len(value), Kind.CONST, values=(value,), **kw)


def dummy(start: int, length: int) -> Field:
    return Field("ダミー", start, length, Kind.DUMMY, cls="ANY")


def code(ja: str, start: int, length: int, attr: str, **kw: Any) -> Field:
    return Field(ja, start, length, Kind.CODE, attr, **kw)


def num(ja: str, start: int, length: int, attr: str) -> Field:
    return Field(ja, start, length, Kind.INT, attr)


def text(ja: str, start: int, length: int, attr: str, cls: str, *,
         required: bool = False, ctx: str = FIELD) -> Field:
    return Field(ja, start, length, Kind.TEXT, attr, cls=cls, required=required, ctx=ctx)


def mmdd(ja: str, start: int, attr: str) -> Field:
    return Field(ja, start, 4, Kind.MMDD, attr)


def yymmdd(ja: str, start: int, attr: str, *, optional: bool = False) -> Field:
    return Field(ja, start, 6, Kind.YYMMDD, attr, optional=optional)


def flag(ja: str, start: int, attr: str, true: str, *falses: str) -> Field:
    return Field(ja, start, 1, Kind.FLAG, attr, values=(true, *falses))


# --- checking ------------------------------------------------------------------------------


def _bad_char(f: Field, raw: bytes, index: int, cls: charset.CharClass) -> Problem:
    b = raw[index]
    col = f.start + index
    return Problem(
        *reason("{col} バイト目の {byte} は使用できません（{ja}）",
                col=col, byte=charset.show_byte(b), ja=cls.ja, en=f.en, en2=cls.en),
        "charset",
    )


LABEL = "zengin_label"  # the catalogue's context of what a code's value means (普通, 振替済 …)


def _values_text(f: Field, lang: str = "ja") -> str:
    """The values a field takes, with what each means in ``lang`` (for a refusal reason)."""
    def label(value: str) -> str:
        ja = f.labels[value]
        return (catalogue.en(ja, LABEL) or ja) if lang == "en" else ja

    shown = [f"{v!r}" + (f" {label(v)}" if v in f.labels else "") for v in f.values]
    if f.blank:
        shown.append("blank")
    return ", ".join(shown)


def _check_dummy(f: Field, raw: bytes, ctx: Context) -> Problem | None:
    index = charset.ANY.bad_index(raw)
    return None if index < 0 else _bad_char(f, raw, index, charset.ANY)


def _check_text(f: Field, raw: bytes, ctx: Context) -> Problem | None:
    cls = charset.resolve(f.cls, wo_in_names=ctx.wo_in_names)
    index = cls.bad_index(raw)
    if index >= 0:
        return _bad_char(f, raw, index, cls)
    if f.required and not raw.strip(b" "):
        return Problem(*reason("空白です（必須項目）"), "required")
    return None


def _check_const(f: Field, raw: bytes, ctx: Context) -> Problem | None:
    if raw == f.values[0].encode():
        return None
    hint_ja = f"（{f.note_ja}）" if f.note_ja else ""
    hint_en = f" ({f.note_en})" if f.note_en else ""
    return Problem(
        *reason("{item!r} でなければなりません{hint_ja}",
                item=f.values[0], hint_ja=hint_ja, hint_en=hint_en), "value")


def _check_flag(f: Field, raw: bytes, ctx: Context) -> Problem | None:
    if raw.decode("latin-1") in f.values:
        return None
    return Problem(
        *reason("{values} のいずれかでなければなりません", values=_values_text(f),
                values_en=_values_text(f, "en")), "value")


def _check_digits(f: Field, raw: bytes) -> Problem | None:
    index = charset.N.bad_index(raw)
    if index < 0:
        return None
    b = raw[index]
    col = f.start + index
    return Problem(
        f"数字項目の {col} バイト目が数字ではありません: {charset.show_byte(b)}",
        f"not a number: {charset.show_byte(b)} at byte {col} (N fields take digits only"
        + (", or all blanks)" if f.blank else ")"),
        "not_digits",
    )


def _check_code(f: Field, raw: bytes, ctx: Context) -> Problem | None:
    if f.blank and raw == b" " * f.length:
        return None
    problem = _check_digits(f, raw)
    if problem is not None or not f.values:
        return problem
    value = raw.decode("ascii")
    if value in f.values:
        return None
    note_ja = f"（{f.note_ja}）" if f.note_ja else ""
    note_en = f" ({f.note_en})" if f.note_en else ""
    return Problem(
        *reason("{value!r} は使用できません: {values}{note_ja}",
                value=value, values=_values_text(f), values_en=_values_text(f, "en"),
                note_ja=note_ja, note_en=note_en), "value")


def _check_int(f: Field, raw: bytes, ctx: Context) -> Problem | None:
    return _check_digits(f, raw)


def _date_problem(exc: dates.DateProblem) -> Problem:
    return Problem(
        *reason("日付が不正です: {reason_ja}",
                reason_ja=exc.reason_ja, reason_en=exc.reason_en), "date")


def _check_mmdd(f: Field, raw: bytes, ctx: Context) -> Problem | None:
    problem = _check_digits(f, raw)
    if problem is not None:
        return problem
    try:
        dates.resolve_mmdd(raw.decode("ascii"), ctx.reference)
    except dates.DateProblem as exc:
        return _date_problem(exc)
    return None


def _check_yymmdd(f: Field, raw: bytes, ctx: Context) -> Problem | None:
    if f.optional and raw == b"000000":
        return None
    problem = _check_digits(f, raw)
    if problem is not None:
        return problem
    try:
        _resolve_yymmdd(raw.decode("ascii"), ctx)
    except dates.DateProblem as exc:
        return _date_problem(exc)
    return None


_CHECKS: dict[Kind, Callable[[Field, bytes, Context], Problem | None]] = {
    Kind.DUMMY: _check_dummy, Kind.TEXT: _check_text, Kind.CONST: _check_const,
    Kind.FLAG: _check_flag, Kind.CODE: _check_code, Kind.INT: _check_int,
    Kind.MMDD: _check_mmdd, Kind.YYMMDD: _check_yymmdd,
}


def check(f: Field, raw: bytes, ctx: Context) -> Problem | None:
    """What is wrong with ``raw`` as the bytes of ``f``, or ``None``."""
    return _CHECKS[f.kind](f, raw, ctx)


def _resolve_yymmdd(value: str, ctx: Context) -> date:
    if ctx.year_style == "seireki":
        return dates.resolve_seireki(value, ctx.reference)
    return dates.resolve_wareki(value, ctx.reference)


# --- decoding ------------------------------------------------------------------------------


def decoder(f: Field, ctx: Context) -> Callable[[str], Any]:
    """A function from the field's (already checked) characters to its value."""
    kind = f.kind
    if kind is Kind.MMDD:
        reference = ctx.reference
        return lambda s: dates.resolve_mmdd(s, reference)
    if kind is Kind.YYMMDD:
        return lambda s: _decode_yymmdd(s, ctx)
    if kind is Kind.FLAG:
        return f.values[0].__eq__
    if kind is Kind.CODE:
        return _blank_code if f.blank else identity
    simple: dict[Kind, Callable[[str], Any]] = {Kind.TEXT: _rstrip, Kind.INT: int}
    if kind not in simple:
        raise ValueError(f"{f.ja} has no value")
    return simple[kind]


def _rstrip(s: str) -> str:
    return s.rstrip(" ")


def identity(s: str) -> str:
    return s


def _blank_code(s: str) -> str:
    return "" if s.isspace() else s


def _decode_yymmdd(s: str, ctx: Context) -> date | None:
    if s == "000000" or s.isspace():
        return None
    return _resolve_yymmdd(s, ctx)


# --- encoding ------------------------------------------------------------------------------


def _encode_text(f: Field, value: Any, ctx: Context) -> bytes:
    if not isinstance(value, str):
        raise ValueError(_type_problem(f, "文字列", value))
    try:
        raw = charset.encode(value.rstrip(" "))
    except ValueError as exc:
        index = exc.args[0]
        raise ValueError(Problem(
            *reason("文字「{item}」は半角カナ・英数字ではありません",
                    item=value[index]), "charset")) from None
    if len(raw) > f.length:
        raise ValueError(Problem(
            *reason("{len_raw} 桁で、{length} 桁を超えます", len_raw=len(raw), length=f.length),
                                 "too_long"))
    return raw.ljust(f.length, b" ")


def _encode_flag(f: Field, value: Any, ctx: Context) -> bytes:
    if not isinstance(value, bool):
        raise ValueError(_type_problem(f, "真偽値", value))
    return (f.values[0] if value else f.values[1]).encode("latin-1")


def _encode_int(f: Field, value: Any, ctx: Context) -> bytes:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(_type_problem(f, "整数", value))
    if value < 0 or value >= 10 ** f.length:
        raise ValueError(Problem(
            *reason("{value} は 0〜{largest} の範囲外です",
                    value=value, largest=10 ** f.length - 1, length=f.length), "range"))
    return b"%0*d" % (f.length, value)


def _encode_code(f: Field, value: Any, ctx: Context) -> bytes:
    if not isinstance(value, str):
        raise ValueError(_type_problem(f, "数字の文字列", value))
    if value == "" and f.blank:
        return b" " * f.length
    if len(value) != f.length or not value.isascii() or not value.isdigit():
        raise ValueError(Problem(
            *reason("{length} 桁の数字でなければなりません: {value!r}",
                    length=f.length, value=value),
                                 "not_digits"))
    return value.encode("ascii")


def _encode_fixed(f: Field, value: Any, ctx: Context) -> bytes:
    return f.values[0].encode() if f.kind is Kind.CONST else b" " * f.length


def encode(f: Field, value: Any, ctx: Context) -> bytes:
    """The field's bytes for ``value``; ``ValueError(Problem)`` when it cannot be written."""
    return _ENCODERS[f.kind](f, value, ctx)


def _encode_date(f: Field, value: Any, ctx: Context) -> bytes:
    if value is None and f.kind is Kind.YYMMDD and f.optional:
        return b"000000"
    if not isinstance(value, date):
        raise ValueError(_type_problem(f, "日付", value))
    try:
        if f.kind is Kind.MMDD:
            text = dates.encode_mmdd(value, ctx.reference)
        elif ctx.year_style == "seireki":
            text = dates.encode_seireki(value, ctx.reference)
        else:
            text = dates.encode_wareki(value, ctx.reference)
    except dates.DateProblem as exc:
        raise ValueError(Problem(exc.reason_ja, exc.reason_en, "date")) from None
    return text.encode("ascii")


def _type_problem(f: Field, ja: str, value: Any) -> Problem:
    """``value`` is not of the type named ``ja`` (its English from the catalogue)."""
    return Problem(
        *reason("{ja}でなければなりません: {value!r}", ja=ja, value=value,
                en=catalogue.en(ja, TYPE) or ja, name=type(value).__name__), "type")


_ENCODERS: dict[Kind, Callable[[Field, Any, Context], bytes]] = {
    Kind.CONST: _encode_fixed, Kind.DUMMY: _encode_fixed, Kind.TEXT: _encode_text,
    Kind.FLAG: _encode_flag, Kind.INT: _encode_int, Kind.CODE: _encode_code,
    Kind.MMDD: _encode_date, Kind.YYMMDD: _encode_date,
}
