"""A4 PDFs in Japanese (letters, notices, receipts, statements), rendered with reportlab.

The font is IPAexGothic from Debian's fonts-ipaexfont, embedded so that the PDF prints the
same anywhere and its text can be read back; where that font is not installed (a developer's
laptop), reportlab's built-in Japanese CID font is used instead, which needs no font file.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

IPAEX_GOTHIC = Path("/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf")
_MARGIN = 20 * mm
_LINE = 6 * mm


@cache
def font_name() -> str:
    """Register the Japanese font once per process and return its name."""
    if IPAEX_GOTHIC.exists():
        pdfmetrics.registerFont(TTFont("IPAexGothic", str(IPAEX_GOTHIC)))
        return "IPAexGothic"
    pdfmetrics.registerFont(UnicodeCIDFont("HeiseiKakuGo-W5"))
    return "HeiseiKakuGo-W5"


@dataclass(frozen=True)
class Document:
    """What a page shows: a title, an addressee block, body paragraphs and a table of rows."""

    title: str
    addressee: Sequence[str] = ()
    issuer: Sequence[str] = ()
    body: Sequence[str] = ()
    table: Sequence[Sequence[str]] = ()
    footer: str = ""
    meta: dict[str, str] = field(default_factory=dict)


def render(doc: Document) -> bytes:
    """The document as PDF bytes; long content flows onto further pages."""
    font = font_name()
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4, pageCompression=1)
    canvas.setTitle(doc.title)
    for key, value in doc.meta.items():
        canvas.setKeywords(f"{key}={value}")
    width, height = A4
    y = height - _MARGIN

    def line(text: str, size: float = 10.5, x: float = _MARGIN) -> None:
        nonlocal y
        if y < _MARGIN + _LINE:
            if doc.footer:
                canvas.setFont(font, 8)
                canvas.drawString(_MARGIN, _MARGIN / 2, doc.footer)
            canvas.showPage()
            y = height - _MARGIN
        canvas.setFont(font, size)
        canvas.drawString(x, y, text)
        y -= _LINE * size / 10.5

    for text in doc.addressee:
        line(text)
    right = width - _MARGIN
    if doc.issuer:
        top = height - _MARGIN
        canvas.setFont(font, 10.5)
        for text in doc.issuer:
            canvas.drawRightString(right, top, text)
            top -= _LINE
        y = min(y, top)
    y -= _LINE
    line(doc.title, size=16, x=_MARGIN)
    y -= _LINE / 2
    for paragraph in doc.body:
        for text in _wrap(paragraph, 44):
            line(text)
    if doc.table:
        y -= _LINE / 2
        columns = max(len(row) for row in doc.table)
        step = (width - 2 * _MARGIN) / max(columns, 1)
        for row in doc.table:
            if y < _MARGIN + _LINE:
                line("")
            canvas.setFont(font, 9.5)
            for i, cell in enumerate(row):
                canvas.drawString(_MARGIN + i * step, y, str(cell))
            y -= _LINE
    if doc.footer:
        canvas.setFont(font, 8)
        canvas.drawString(_MARGIN, _MARGIN / 2, doc.footer)
    canvas.showPage()
    canvas.save()
    return out.getvalue()


def _wrap(text: str, width: int) -> list[str]:
    """Japanese text has no spaces to break at: cut each line at ``width`` characters."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        rest = paragraph
        while len(rest) > width:
            lines.append(rest[:width])
            rest = rest[width:]
        lines.append(rest)
    return lines
