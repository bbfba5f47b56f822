"""Kinko's message catalogue for every layer: Japanese written where it is said, English here.

The pages, the API's errors, the validators' refusal reasons, the e-mails and the letters all
speak through one gettext catalogue, ``kinko/web/locale/en/LC_MESSAGES/messages.po`` (the
Japanese is the ``msgid``, the English the ``msgstr``; a ``msgctxt`` tells two meanings of one
Japanese apart, or names a code: ``error.NOT_FOUND``, ``queue.recalls``). It is read once with
Babel. This module sits in the foundation so that a domain (an error class, a mail template)
can name its Japanese and leave the English to the catalogue without knowing of the web.
See docs/messages.md.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from babel.messages.pofile import read_po

CATALOGUE_PATH = Path(__file__).parent / "web" / "locale" / "en" / "LC_MESSAGES" / "messages.po"


@cache
def english() -> dict[tuple[str | None, str], str]:
    """The catalogue's English by (context, Japanese), read once.

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
    """``ja`` in ``lang``: the Japanese itself, or the catalogue's English.

    A sentence the catalogue lacks is said in Japanese rather than failing; the catalogue
    tests find every such sentence before release."""
    if lang != "en":
        return ja
    return english().get((ctx, ja), ja)


def en(ja: str, ctx: str | None = None) -> str | None:
    """The catalogue's English for ``ja`` (under ``ctx``), or None when it has none."""
    return english().get((ctx, ja))


@cache
def codes() -> dict[str, tuple[str, str]]:
    """Message id → (Japanese, English): the entries whose context is an id (``group.code``,
    with a dot; a context that only tells two meanings of a sentence apart has none)."""
    return {ctx: (ja, text) for (ctx, ja), text in english().items() if ctx and "." in ctx}


def word(lang: str, message_id: str) -> str | None:
    """The words for a code in ``lang`` (``word("ja", "queue.recalls")``), None if unknown."""
    found = codes().get(message_id)
    if found is None:
        return None
    return found[1] if lang == "en" else found[0]


REASON = "reason"  # the context of a validator's refusal reasons


def pair(ja: str, /, ctx: str | None = None, **params: object) -> tuple[str, str]:
    """A text of Kinko's in (Japanese, English): ``ja`` with ``{name}`` for each parameter,
    the English the catalogue's entry under ``ctx`` using any of the names given. For what
    is kept or printed in both languages at once (a refusal's API answer, a letter)."""
    en = english().get((ctx, ja), ja)
    if not params:
        return ja, en
    return ja.format(**params), en.format(**params)


def reason(ja: str, /, ctx: str = REASON, **params: object) -> tuple[str, str]:
    """A validator's refusal reason in (Japanese, English): ``ja`` is written where the rule
    refuses, with ``{name}`` for each parameter (``reason("口座番号は{n}桁の数字です", n=7)``);
    the English is the catalogue's entry under ``msgctxt "reason"`` (or ``ctx``, for the same
    Japanese said with another English), using any of the names given.

    Both texts are kept with the refusal because an upload's API answer carries both."""
    return pair(ja, ctx, **params)
