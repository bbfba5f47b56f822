"""Turn names as people type them into the half-width kana a Zengin field takes.

Full-width katakana and hiragana, full-width letters and digits, small kana, the long-vowel
mark and lowercase letters all have one obvious half-width form. Kanji do not: their reading
needs a person, so they are refused rather than guessed.
"""

from __future__ import annotations

import unicodedata
from typing import Literal

import jaconv

from kinko.catalogue import reason
from kinko.zengin import charset
from kinko.zengin.errors import FieldTooLong, KanaConversionError

Overflow = Literal["error", "truncate"]

# Small kana are written large (ｬ → ﾔ): JIS X 0201 has small forms, but 付録1 admits none.
_SMALL_TO_LARGE = str.maketrans(
    "ァィゥェォッャュョヮヵヶｧｨｩｪｫｯｬｭｮ",
    "アイウエオツヤユヨワカケｱｲｳｴｵﾂﾔﾕﾖ",
)
_AFTER = str.maketrans({
    "ー": "-", "ｰ": "-", "‐": "-", "‑": "-", "–": "-", "—": "-", "―": "-", "−": "-",
    "¥": "\\", "「": "｢", "」": "｣", "ヰ": "ｲ", "ヱ": "ｴ", "\u3000": " ",
    # The middle dot has no place in any 付録1 class; "." is the nearest one names admit.
    "・": ".", "･": ".",
})
MARKS = "ﾞﾟ"


def normalize(text: str, *, wo_as_o: bool = False) -> str:
    """Half-width, large, uppercase kana text, or :class:`KanaConversionError`.

    ``wo_as_o`` writes ｦ as ｵ for banks that do not take ｦ in names.
    """
    # NFKC first folds full-width ASCII, circled digits and a kana followed by a combining
    # voicing mark into one character each, so the table steps below see one form per letter.
    folded = unicodedata.normalize("NFKC", text)
    folded = jaconv.hira2kata(folded).translate(_SMALL_TO_LARGE).translate(_AFTER)
    narrow = jaconv.z2h(folded, kana=True, ascii=True, digit=True)
    narrow = narrow.translate(_SMALL_TO_LARGE).translate(_AFTER).upper()
    if wo_as_o:
        narrow = narrow.replace("ｦ", "ｵ")
    for index, ch in enumerate(narrow):
        try:
            charset.encode(ch)
        except ValueError:
            raise _refusal(text, narrow, index) from None
    return narrow


def _refusal(original: str, narrow: str, index: int) -> KanaConversionError:
    ch = narrow[index]
    # Report the position in what the caller gave: conversion keeps one character per
    # character except for voiced kana, so search for the offending character itself.
    where = original.find(ch)
    position = where if where >= 0 else index
    if charset.is_kanji(ch):
        return KanaConversionError(
            original, position,
            *reason("漢字「{ch}」は自動でカナに変換できません。読みをカナで入力してください",
                    ch=ch))
    return KanaConversionError(
        original, position,
        *reason("文字「{ch}」(U+{codepoint:04X}) は半角カナに変換できません",
                ch=ch, codepoint=ord(ch)))


def fit(text: str, length: int, *, overflow: Overflow = "error") -> str:
    """``text`` within ``length`` bytes, refused or cut as the caller chooses.

    A cut never separates a kana from its voicing mark: ｶﾞ is two bytes, and keeping ｶ without
    ﾞ would change the name, so the whole pair goes.
    """
    if len(text) <= length:
        return text
    if overflow == "error":
        raise FieldTooLong(text, length)
    cut = length
    while cut > 0 and text[cut] in MARKS:
        cut -= 1
    return text[:cut].rstrip(" ")


def to_field(text: str, length: int, *, overflow: Overflow = "error",
             wo_as_o: bool = False) -> str:
    """:func:`normalize` then :func:`fit`: what a writer puts in a kana field."""
    return fit(normalize(text, wo_as_o=wo_as_o), length, overflow=overflow)
