"""What a refused Zengin file reports: one precise error per problem (ZEN-1).

An error names the record (1-based, in file order), the byte columns (1-based, inclusive), the
field in Japanese and English, the reason in both languages and the offending value, so that
the person who made the file can find and fix it without a hex editor.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from kinko.errors import DomainError


@dataclass(frozen=True, slots=True)
class ZenginError:
    """One problem in a file. ``record`` 0 means the file as a whole; ``start`` 0 means the
    whole record rather than some of its bytes."""

    record: int
    start: int
    end: int
    field_ja: str
    field_en: str
    reason_ja: str
    reason_en: str
    value: str = ""
    code: str = "invalid"

    def location(self) -> str:
        parts = []
        if self.record:
            parts.append(f"record {self.record}")
        if self.start:
            parts.append(f"byte {self.start}" if self.start == self.end
                         else f"bytes {self.start}-{self.end}")
        return ", ".join(parts) if parts else "file"

    def describe(self, lang: str = "en") -> str:
        """One line: ``record 3, bytes 51-80, 受取人名 (payee name): reason``."""
        reason = self.reason_ja if lang == "ja" else self.reason_en
        if lang == "both":
            reason = f"{self.reason_en} / {self.reason_ja}"
        field = f"{self.field_ja} ({self.field_en})" if self.field_ja else self.field_en
        head = self.location()
        return f"{head}, {field}: {reason}" if field else f"{head}: {reason}"

    def __str__(self) -> str:
        return self.describe()

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class ZenginNotice:
    """Something accepted but not in the strict form (LF line endings, an EOF byte)."""

    code: str
    message_ja: str
    message_en: str

    def describe(self, lang: str = "en") -> str:
        return self.message_ja if lang == "ja" else self.message_en

    def __str__(self) -> str:
        return self.describe()


class ZenginFileInvalid(DomainError):
    """A Zengin file (or the records given to the writer) was refused; nothing was read."""

    code = "ZENGIN_FILE_INVALID"
    status = 422
    message_ja = "全銀ファイルに誤りがあります。"

    def __init__(self, errors: Sequence[ZenginError], *, truncated: bool = False) -> None:
        self.errors = list(errors)
        self.truncated = truncated
        first = self.errors[0].describe() if self.errors else ""
        more = f" (+{len(self.errors) - 1} more)" if len(self.errors) > 1 else ""
        super().__init__(first + more, errors=[e.to_dict() for e in self.errors])


class KanaConversionError(DomainError):
    """Text that cannot become half-width kana without a human choosing the reading."""

    code = "ZENGIN_KANA_NOT_CONVERTIBLE"
    status = 422
    message_ja = "半角カナに変換できない文字があります。"

    def __init__(self, text: str, index: int, reason_ja: str, reason_en: str) -> None:
        self.text = text
        self.index = index
        self.reason_ja = reason_ja
        self.reason_en = reason_en
        super().__init__(f"{reason_en} at position {index + 1} of {text!r}",
                         position=index + 1, reason_ja=reason_ja)


class FieldTooLong(DomainError):
    code = "ZENGIN_FIELD_TOO_LONG"
    status = 422
    message_ja = "項目の桁数を超えています。"

    def __init__(self, text: str, length: int) -> None:
        self.text = text
        self.length = length
        super().__init__(f"{len(text)} characters for a field of {length}: {text!r}",
                         length=length)


class ZenginXmlInvalid(DomainError):
    """A ZEDI / ISO 20022 document that cannot be read or mapped."""

    code = "ZENGIN_XML_INVALID"
    status = 422
    message_ja = "XML を全銀形式に変換できません。"
