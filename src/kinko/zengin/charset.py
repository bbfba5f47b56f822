"""Character classes of Zengin fields (JBA 付録1) as byte tables.

Every permitted character is a single JIS X 0201 byte, so a byte column is a character
column. A class is kept as the set of its permitted bytes and as a ``bytes.translate``
delete-table: ``raw.translate(None, cls.allowed)`` is empty exactly when every byte is
permitted, which checks a whole column of records in one C call instead of a Python loop.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

from kinko import catalogue

DIGITS = bytes(range(0x30, 0x3A))
UPPER = bytes(range(0x41, 0x5B))
KANA = bytes(range(0xB1, 0xDE))  # ｱ … ﾝ
MARKS = b"\xde\xdf"  # ﾞ ﾟ: separate bytes that belong to the kana before them
WO = b"\xa6"  # ｦ
SPACE = b" "
# 0x20-0x7E and 0xA1-0xDF: every graphic JIS X 0201 byte (what a ダミー field may hold).
GRAPHIC = bytes(range(0x20, 0x7F)) + bytes(range(0xA1, 0xE0))
CONTEXT = "zengin_charset"  # the catalogue context of the classes' names (docs/messages.md)


@dataclass(frozen=True, slots=True)
class CharClass:
    """A field's permitted characters, named as the JBA names them."""

    key: str
    ja: str  # its English is the catalogue's, under CONTEXT
    allowed: bytes

    @property
    def en(self) -> str:
        return catalogue.en(self.ja, CONTEXT) or self.ja

    def bad_index(self, raw: bytes) -> int:
        """Index of the first byte outside the class, or -1."""
        if not raw.translate(None, self.allowed):
            return -1
        allowed = frozenset(self.allowed)
        return next(i for i, b in enumerate(raw) if b not in allowed)

    def admits(self, raw: bytes) -> bool:
        return not raw.translate(None, self.allowed)


def _cls(key: str, ja: str, *parts: bytes) -> CharClass:
    return CharClass(key, ja, bytes(sorted(set(b"".join(parts)))))


N = _cls("N", "数字", DIGITS)
# 注1 店舗名. Space is the padding of every C field, so it is admitted here as well.
BANK = _cls("BANK", "金融機関名・店舗名の文字 (ｱ-ﾝ ﾞ ﾟ A-Z 0-9 - 空白)",
            KANA, MARKS, UPPER, DIGITS, b"-", SPACE)
BANK_WO = _cls("BANK_WO", "金融機関名・店舗名の文字 (ｦ を含む)", BANK.allowed, WO)
# 注1 口座名・受取人名・委託者名 …
NAME = _cls("NAME", "名義の文字 (ｱ-ﾝ ﾞ ﾟ A-Z 0-9 空白 ( ) - .)",
            BANK.allowed, b"().")
NAME_WO = _cls("NAME_WO", "名義の文字 (ｦ を含む)",
               NAME.allowed, WO)
# 注2 給与・賞与: no letters and no symbols at all.
PAYROLL = _cls("PAYROLL", "給与・賞与の名義の文字 (ｱ-ﾝ ﾞ ﾟ 0-9 空白)", KANA, MARKS, DIGITS, SPACE)
# 注3 EDI情報: ｦ and eight symbols, but never a comma (some banks split on it).
EDI = _cls("EDI", "EDI情報の文字 (ｦ-ﾝ ﾞ ﾟ A-Z 0-9 空白 \\ ｢ ｣ ( ) - / .)",
           KANA, MARKS, WO, UPPER, DIGITS, SPACE, b"\\\xa2\xa3()-/.")
ANY = _cls("ANY", "JIS X 0201 の図形文字", GRAPHIC)

CLASSES: dict[str, CharClass] = {c.key: c for c in (N, BANK, BANK_WO, NAME, NAME_WO, PAYROLL,
                                                    EDI, ANY)}


def resolve(key: str, *, wo_in_names: bool) -> CharClass:
    """The class a layout token stands for under the chosen reading of ｦ in names."""
    if wo_in_names and key in ("NAME", "BANK"):
        return CLASSES[key + "_WO"]
    return CLASSES[key]


# Decoding table: graphic JIS X 0201 bytes decode as cp932 does (0x5C is "\\", 0xA1-0xDF are
# U+FF61-U+FF9F); every other byte becomes U+FFFD so that decoding never raises.
_DECODE = "".join(
    bytes([b]).decode("cp932") if b in GRAPHIC else "\ufffd" for b in range(256)
)
_ENCODE: dict[int, int] = {ord(_DECODE[b]): b for b in GRAPHIC}


def decode(raw: bytes) -> str:
    """Decode single-byte cp932; bytes that are not JIS X 0201 graphics become U+FFFD."""
    return codecs.charmap_decode(raw, "strict", _DECODE)[0]


def encode(text: str) -> bytes:
    """Encode text as single-byte cp932; raise ``ValueError(index)`` at the first char that
    has no JIS X 0201 byte."""
    try:
        raw: bytes = codecs.charmap_encode(text, "strict", _ENCODE)[0]
    except UnicodeEncodeError as exc:
        raise ValueError(exc.start) from None
    return raw


def show_byte(b: int) -> str:
    """How an offending byte is shown in an error: the character and its code."""
    if b in GRAPHIC:
        return f"'{bytes([b]).decode('cp932')}' (0x{b:02X})"
    return f"byte 0x{b:02X}"


def is_kanji(ch: str) -> bool:
    cp = ord(ch)
    return (0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0xF900 <= cp <= 0xFAFF
            or 0x20000 <= cp <= 0x2FFFF or ch in "々〆〇")
