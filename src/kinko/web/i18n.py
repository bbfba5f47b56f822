"""Japanese first, English on request: ``?lang=en`` (remembered in a cookie) or Accept-Language.

Every sentence a page shows is written once, in Japanese, at the place that shows it
(``tr(lang, "ログアウトしました。")`` in Python, ``{{ _("ログアウトしました。") }}`` in a
template); its English lives only in the message catalogue,
``kinko/web/locale/en/LC_MESSAGES/messages.po`` (gettext: the Japanese is the ``msgid``, the
English the ``msgstr``). The same Japanese that needs two different English texts carries a
context (``ctx="direct_debit"``: the ``msgctxt``). See docs/messages.md.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from babel.messages.pofile import read_po
from fastapi import Request

LANGS = ("ja", "en")
CATALOGUE_PATH = Path(__file__).parent / "locale" / "en" / "LC_MESSAGES" / "messages.po"


def language(request: Request) -> str:
    asked = request.query_params.get("lang") or request.cookies.get("lang")
    if asked in LANGS:
        return asked
    header = request.headers.get("accept-language", "")
    if header.lower().startswith("en"):
        return "en"
    return "ja"


async def request_language(request: Request) -> str:
    """:func:`language` as a dependency. ``async`` because it only reads the request: a plain
    ``def`` dependency costs a trip through the threadpool on every request."""
    return language(request)


@cache
def english() -> dict[tuple[str | None, str], str]:
    """The catalogue's English by (context, Japanese), read once at start-up.

    A fuzzy or empty entry counts as missing (the catalogue test refuses both)."""
    with CATALOGUE_PATH.open("rb") as f:
        catalog = read_po(f, locale="en")
    found: dict[tuple[str | None, str], str] = {}
    for message in catalog:
        if not message.id or message.fuzzy or not isinstance(message.id, str):
            continue
        if isinstance(message.string, str) and message.string:
            found[(message.context, message.id)] = message.string
    return found


def tr(lang: str, ja: str, ctx: str | None = None) -> str:
    """``ja`` in the page's language: the Japanese itself, or the catalogue's English.

    A sentence the catalogue lacks shows in Japanese rather than failing the page; the
    catalogue test (tests/web/test_catalogue.py) finds every such sentence before release."""
    if lang != "en":
        return ja
    return english().get((ctx, ja), ja)


def t(lang: str, ja: str, en: str) -> str:
    """A pair whose texts are data, not literals (a queue's title held with both languages).

    Literal sentences never come here: they go through :func:`tr` and the catalogue (a test
    refuses a literal pair anywhere in ``src/``)."""
    return en if lang == "en" else ja
