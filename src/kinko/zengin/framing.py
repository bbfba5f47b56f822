"""Cut a file's bytes into fixed-length records.

Accepted: CRLF after each record (the strict form; the last one may be missing), no line
breaks at all, and LF (reported as a notice); a trailing 0x1A end-of-file byte is removed.
Refused: CR alone, mixed line endings, records of the wrong length. The common case (every
record in place) is recognised with a few slices of the whole buffer; the record-by-record
walk runs only to say precisely what is wrong.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from kinko.catalogue import reason
from kinko.zengin.errors import ZenginError, ZenginNotice
from kinko.zengin.fields import name
from kinko.zengin.layouts import FORMATS

SEPARATOR_NAMES = {b"\r\n": "crlf", b"\n": "lf", b"": "none"}


@dataclass
class Framing:
    buf: bytes
    length: int
    separator: bytes
    offsets: Sequence[int]  # where each record starts in ``buf``
    numbers: Sequence[int]  # its 1-based record number in the file
    errors: list[ZenginError] = field(default_factory=list)
    notices: list[ZenginNotice] = field(default_factory=list)

    @property
    def stride(self) -> int:
        return self.length + len(self.separator)

    @property
    def regular(self) -> bool:
        """Records sit every ``stride`` bytes from 0 (the fast paths need this)."""
        return isinstance(self.offsets, range) and not self.errors


def _file_error(reason_ja: str, reason_en: str, *, record: int = 0, start: int = 0,
                end: int = 0, value: str = "", code: str = "framing",
                field: tuple[str, str] = ("", "")) -> ZenginError:
    field_ja, field_en = field
    return ZenginError(record, start, end, field_ja, field_en, reason_ja, reason_en, value, code)


def frame(data: bytes) -> Framing | list[ZenginError]:
    """The records of ``data``, or the errors that stop it being read at all."""
    notices: list[ZenginNotice] = []
    if data.endswith(b"\x1a"):
        data = data.rstrip(b"\x1a")
        notices.append(ZenginNotice("eof_marker", *reason("末尾の EOF (0x1A) を除去しました")))
    if not data:
        return [_file_error(*reason("ファイルが空です"), code="empty")]
    if data.startswith(b"\xef\xbb\xbf"):
        return [_file_error(*reason(
            "UTF-8 の BOM で始まっています。全銀ファイルは Shift_JIS (cp932) の半角文字です"),
            record=1, start=1, end=3, code="encoding")]
    length = _record_length(data)
    if isinstance(length, ZenginError):
        return [length]
    newline = data.find(b"\n", 0, length + 2)
    if newline < 0:
        if data.find(b"\r", 0, length + 1) >= 0:
            return [_file_error(*reason("改行が CR のみです。CRLF にしてください"), record=1,
                                code="line_ending")]
        separator = b""
    elif newline > 0 and data[newline - 1:newline] == b"\r":
        separator = b"\r\n"
    else:
        separator = b"\n"
        notices.append(ZenginNotice("lf",
                                    *reason("改行が LF です（受け付けました。正式には CRLF）")))
    if separator and not data.endswith(separator):
        # The last record without its line break (DEV, KY) is common and harmless.
        data += separator
    regular = _regular(data, length, separator)
    if regular is not None:
        return Framing(data, length, separator, regular, range(1, len(regular) + 1),
                       notices=notices)
    return _irregular(data, length, separator, notices)


def _record_length(data: bytes) -> int | ZenginError:
    if data[:1] != b"1":
        return _file_error(
            *reason("先頭レコードのデータ区分が 1（ヘッダー）ではありません"),
            record=1, start=1, end=1, value=data[:1].decode("latin-1"),
            code="structure", field=name("データ区分"))
    code = data[1:3].decode("latin-1")
    fmt = FORMATS.get(code)
    if fmt is None:
        known = ", ".join(FORMATS)
        return _file_error(
            *reason("種別コード {code!r} は扱えません（{known}）", code=code, known=known),
            record=1, start=2, end=3, value=code, code="type_code",
            field=name("種別コード"))
    return fmt.length


def _regular(data: bytes, length: int, separator: bytes) -> range | None:
    stride = length + len(separator)
    if len(data) % stride:
        return None
    count = len(data) // stride
    for j, byte in enumerate(separator):
        if data[length + j::stride] != bytes([byte]) * count:
            return None
    # A stray CR or LF inside a record is not looked for here: no character class admits
    # control bytes, so the field checks report it with its exact column.
    return range(0, len(data), stride)


def _irregular(data: bytes, length: int, separator: bytes,
               notices: list[ZenginNotice]) -> Framing:
    errors: list[ZenginError] = []
    offsets: list[int] = []
    numbers: list[int] = []
    if not separator:
        whole, rest = divmod(len(data), length)
        offsets = list(range(0, whole * length, length))
        numbers = list(range(1, whole + 1))
        if rest:
            errors.append(_file_error(
                *reason(
                    "ファイル長 {len_data} バイトが {length} の倍数ではありません（最後のレコード"
                    "が {rest} バイト）",
                    len_data=len(data), length=length,
                    rest=rest), record=whole + 1, code="length"))
        if b"\r" in data or b"\n" in data:
            at = min(i for i in (data.find(b"\r"), data.find(b"\n")) if i >= 0)
            errors.append(_file_error(
                *reason("改行のないファイルの途中に改行があります"),
                record=at // length + 1, start=at % length + 1, end=at % length + 1,
                code="line_ending"))
        return Framing(data, length, separator, offsets, numbers, errors, notices)
    position = 0
    for number, line in enumerate(data.split(separator)[:-1], start=1):
        if len(line) == length and b"\r" not in line and b"\n" not in line:
            offsets.append(position)
            numbers.append(number)
        elif b"\r" in line or b"\n" in line:
            errors.append(_file_error(
                *reason("改行コードが混在しています（CRLF と LF、または CR のみ）"),
                record=number, code="line_ending"))
        else:
            errors.append(_file_error(
                *reason("レコード長が {len_line} バイトです（{length} バイトでなければなりません）",
                        len_line=len(line), length=length),
                record=number, start=1, end=max(len(line), 1), code="length"))
        position += len(line) + len(separator)
    return Framing(data, length, separator, offsets, numbers, errors, notices)
