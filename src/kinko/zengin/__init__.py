"""Zengin (全銀協) fixed-length formats and their ZEDI / ISO 20022 forms (ZEN-1, ZEN-2).

Read and validate with :func:`parse` / :func:`read`, write the strict form with
:func:`write`; build trailers and end records with :func:`build_group` / :func:`build_file`;
normalise names with :mod:`kinko.zengin.kana`. Layouts live in :mod:`kinko.zengin.layouts`.
"""

from kinko.zengin import kana
from kinko.zengin.errors import (
    FieldTooLong,
    KanaConversionError,
    ZenginError,
    ZenginFileInvalid,
    ZenginNotice,
    ZenginXmlInvalid,
)
from kinko.zengin.model import Group, RecordView, ZenginFile
from kinko.zengin.reader import Options, ParseResult, parse, read, validate
from kinko.zengin.writer import build_file, build_group, normalize_record, write

__all__ = [
    "FieldTooLong",
    "Group",
    "KanaConversionError",
    "Options",
    "ParseResult",
    "RecordView",
    "ZenginError",
    "ZenginFile",
    "ZenginFileInvalid",
    "ZenginNotice",
    "ZenginXmlInvalid",
    "build_file",
    "build_group",
    "kana",
    "normalize_record",
    "parse",
    "read",
    "validate",
    "write",
]
