"""Zengin files as JSON, both ways, without losing a byte of the strict form.

``{"format": "21", "line_ending": "crlf", "groups": [{"header": {...}, "records": [...],
"trailer": {...}}], "end": {...}}``; every record carries ``"record"`` (its kind, e.g.
``"transfer_data"``) and its attributes: codes as strings, yen as integers, dates as ISO
strings (``null`` for an unused optional date). Reading a strict file to JSON and writing
that JSON back gives the same bytes.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterator
from datetime import date
from typing import IO, Any

from kinko import catalogue
from kinko.catalogue import reason
from kinko.zengin.errors import ZenginError, ZenginFileInvalid
from kinko.zengin.fields import Field, Kind
from kinko.zengin.layouts import ALL_LAYOUTS, Layout
from kinko.zengin.model import Group, ZenginFile
from kinko.zengin.records import Record

JSON_TYPE = "zengin_json_type"  # the catalogue context of the JSON types a field's value has

_BY_KIND: dict[str, Layout] = {layout.key: layout for layout in ALL_LAYOUTS.values()}


_NAMES: dict[type[Record], tuple[str, ...]] = {}


def _names(cls: type[Record]) -> tuple[str, ...]:
    names = _NAMES.get(cls)
    if names is None:
        names = _NAMES[cls] = tuple(f.name for f in dataclasses.fields(cls))
    return names


def record_to_dict(record: Record) -> dict[str, Any]:
    out: dict[str, Any] = {"record": record.KIND}
    for name in _names(type(record)):
        value = getattr(record, name)
        out[name] = value.isoformat() if isinstance(value, date) else value
    return out


def file_to_dict(file: ZenginFile) -> dict[str, Any]:
    return {
        "format": file.type_code,
        "line_ending": file.line_ending,
        "groups": [{"header": record_to_dict(g.header),
                    "records": [record_to_dict(rec) for rec in g.records],
                    "trailer": record_to_dict(g.trailer)} for g in file.groups],
        "end": record_to_dict(file.end),
    }


def dump(file: ZenginFile, out: IO[str], *,
         progress: Callable[[int], None] | None = None) -> None:
    """Write ``file`` as JSON, one record per line, so that a large file streams out."""
    def line(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False)

    out.write("{\n")
    out.write(f'"format": {line(file.type_code)},\n"line_ending": {line(file.line_ending)},\n')
    out.write('"groups": [\n')
    done = 0
    for g_index, group in enumerate(file.groups):
        out.write(f'{{"header": {line(record_to_dict(group.header))},\n"records": [\n')
        for r_index, record in enumerate(group.records):
            out.write((",\n" if r_index else "") + line(record_to_dict(record)))
            done += 1
            if progress is not None and done % 4096 == 0:
                progress(done)
        out.write(f'\n],\n"trailer": {line(record_to_dict(group.trailer))}}}')
        out.write(",\n" if g_index < len(file.groups) - 1 else "\n")
    out.write(f'],\n"end": {line(record_to_dict(file.end))}\n}}\n')
    if progress is not None:
        progress(done)


class _Errors:
    def __init__(self) -> None:
        self.items: list[ZenginError] = []

    def add(self, number: int, f: Field | None, path: str, reason_ja: str, reason_en: str,
            value: Any = "") -> None:
        if f is not None:
            self.items.append(ZenginError(number, f.start, f.end, f.ja, f"{f.en} ({path})",
                                          reason_ja, reason_en, repr(value), "json"))
        else:
            self.items.append(ZenginError(number, 0, 0, "", path, reason_ja, reason_en,
                                          repr(value)[:80], "json"))


def _value(f: Field, raw: Any) -> tuple[Any, str | None]:
    """The attribute value for JSON ``raw``, or the name of the type it must have (its
    English is the catalogue's, under JSON_TYPE)."""
    kind = f.kind
    if kind is Kind.FLAG:
        return (raw, None) if isinstance(raw, bool) else (None, "真偽値")
    if kind is Kind.INT:
        ok = isinstance(raw, int) and not isinstance(raw, bool)
        return (raw, None) if ok else (None, "整数")
    if kind in (Kind.MMDD, Kind.YYMMDD):
        if raw is None and f.optional:
            return None, None
        if isinstance(raw, str):
            try:
                return date.fromisoformat(raw), None
            except ValueError:
                pass
        return None, "ISO 形式の日付 (YYYY-MM-DD)"
    return (raw, None) if isinstance(raw, str) else (None, "文字列")


def record_from_dict(doc: Any, number: int, path: str, errors: _Errors,
                     expected: str | None = None) -> Record | None:
    if not isinstance(doc, dict):
        errors.add(number, None, path, *reason("オブジェクトでなければなりません"),
                   doc)
        return None
    kind = doc.get("record")
    layout = _BY_KIND.get(kind) if isinstance(kind, str) else None
    if layout is None:
        errors.add(number, None, f"{path}.record",
                   *reason("レコード種別が不明です", items=', '.join(_BY_KIND)), kind)
        return None
    if expected is not None and layout.key not in expected.split("|"):
        errors.add(number, None, f"{path}.record",
                   *reason("{expected} でなければなりません",
                           expected=expected, text=expected.replace('|', ' or ')), kind)
        return None
    values: dict[str, Any] = {}
    declared = {f.name: f for f in dataclasses.fields(layout.record)}
    before = len(errors.items)
    for key in doc:
        if key != "record" and key not in declared:
            errors.add(number, None, f"{path}.{key}", *reason("不明な項目です"), key)
    for name, dc_field in declared.items():
        f = layout.field(name)
        if name not in doc:
            if dc_field.default is dataclasses.MISSING:
                errors.add(number, f, f"{path}.{name}", *reason("必須の項目がありません"), None)
            continue
        value, problem = _value(f, doc[name])
        if problem is not None:
            errors.add(number, f, f"{path}.{name}",
                       *reason("{item}でなければなりません", item=problem,
                               item2=catalogue.en(problem, JSON_TYPE) or problem), doc[name])
        else:
            values[name] = value
    if len(errors.items) > before:
        return None
    record: Record = layout.record(**values)
    return record


def _list(doc: Any, key: str, path: str, errors: _Errors, number: int) -> list[Any]:
    value = doc.get(key) if isinstance(doc, dict) else None
    if not isinstance(value, list):
        errors.add(number, None, f"{path}.{key}", *reason("配列でなければなりません"),
                   value)
        return []
    return value


def file_from_dict(doc: Any) -> ZenginFile:
    """The file a JSON document describes, or :class:`ZenginFileInvalid` naming every bad
    attribute with the record number it will have in the file."""
    errors = _Errors()
    if not isinstance(doc, dict):
        raise ZenginFileInvalid([ZenginError(0, 0, 0, "", "$",
                                             *reason("JSON オブジェクトではありません"),
                                             "", "json")])
    groups: list[Group] = []
    number = 0
    for g_index, g_doc in enumerate(_list(doc, "groups", "$", errors, 0)):
        path = f"$.groups[{g_index}]"
        number += 1
        header_doc = g_doc.get("header") if isinstance(g_doc, dict) else None
        header = record_from_dict(header_doc, number, f"{path}.header", errors,
                                  "transfer_header|payroll_header|debit_header|notice_header|"
                                  "statement_header")
        records = []
        for r_index, r_doc in enumerate(_list(g_doc, "records", path, errors, number)):
            number += 1
            rec = record_from_dict(r_doc, number, f"{path}.records[{r_index}]", errors)
            if rec is not None:
                records.append(rec)
        number += 1
        trailer = record_from_dict(g_doc.get("trailer") if isinstance(g_doc, dict) else None,
                                   number, f"{path}.trailer", errors)
        if header is not None and trailer is not None:
            groups.append(Group(header, records, trailer))
    if not groups and not errors.items:
        # A file is at least one header…trailer group before its end record.
        errors.items.append(ZenginError(
            0, 0, 0, "", "$.groups",
    *reason("ヘッダー・トレーラのまとまりがありません"), "", "json"))
    number += 1
    end = record_from_dict(doc.get("end"), number, "$.end", errors, "end|statement_end")
    if errors.items or end is None:
        raise ZenginFileInvalid(errors.items or [ZenginError(
            0, 0, 0, "", "$", *reason("内容がありません"), "", "json")])
    return ZenginFile(tuple(groups), end, str(doc.get("line_ending", "crlf")))


def loads(text: str | bytes) -> ZenginFile:
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise ZenginFileInvalid([ZenginError(0, 0, 0, "", "$",
                                             *reason("JSON として読めません",
                                                     exc=exc), "", "json")]) from None
    return file_from_dict(doc)


def iter_records(file: ZenginFile) -> Iterator[dict[str, Any]]:
    for group in file.groups:
        yield record_to_dict(group.header)
        for record in group.records:
            yield record_to_dict(record)
        yield record_to_dict(group.trailer)
    yield record_to_dict(file.end)
