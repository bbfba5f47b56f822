"""Japanese first, English on request: ``?lang=en`` (remembered in a cookie) or Accept-Language.

Every sentence a page shows is written once, in Japanese, at the place that shows it
(``tr(lang, "ログアウトしました。")`` in Python, ``{{ _("ログアウトしました。") }}`` in a
template); its English lives only in the message catalogue,
``kinko/web/locale/en/LC_MESSAGES/messages.po`` (gettext: the Japanese is the ``msgid``, the
English the ``msgstr``). The same Japanese that needs two different English texts carries a
context (``ctx="direct_debit"``: the ``msgctxt``). See docs/messages.md.
"""

from __future__ import annotations

from fastapi import Request

from kinko.catalogue import CATALOGUE_PATH, english, tr

LANGS = ("ja", "en")
__all__ = ["CATALOGUE_PATH", "LANGS", "english", "language", "request_language", "t", "tr"]


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


def t(lang: str, ja: str, en: str) -> str:
    """A text held as data in both languages where it is made (a policy notice an operator
    wrote in each), never a sentence of Kinko's own: those go through :func:`tr` and the
    catalogue (a test refuses a literal pair anywhere in ``src/``)."""
    return en if lang == "en" else ja
