"""The words for the codes a page shows: an account type, a state, an instruction's kind or
status, an operator action, an error code — in Japanese and English, keyed by message id.

They live in the one message catalogue, ``messages.po`` (``kinko.web.i18n``), as entries whose
context (``msgctxt``) is the message id: ``msgctxt "account_type.ordinary"``, ``msgid "普通預金"``,
``msgstr "Ordinary deposit"``. Templates call ``m("account_type.ordinary")`` (or
``label("account_type", value)``); a code with no entry is shown as a neutral dash, never raw,
and the page test finds none missing.

A new code may be added to :data:`CATALOGUE` below as ``"id": ("日本語", "English")``: it is
shown at once, and ``scripts/catalogue-extract`` moves it into messages.po (docs/messages.md).
"""

from __future__ import annotations

import re
from functools import cache

from kinko.errors import DomainError
from kinko.web.i18n import english

CATALOGUE: dict[str, tuple[str, str]] = {}

_CODE = re.compile(r"^[A-Z][A-Z0-9_]{0,59}$")


@cache
def codes() -> dict[str, tuple[str, str]]:
    """Message id → (Japanese, English): the catalogue's entries whose context is an id
    (``group.code``, with a dot: the contexts that tell two meanings of a sentence apart have
    none), and any not yet moved there from :data:`CATALOGUE`."""
    found = {ctx: (ja, en) for (ctx, ja), en in english().items() if ctx and "." in ctx}
    return {**found, **CATALOGUE}


def m(lang: str, message_id: str) -> str:
    """The catalogue's text for ``message_id`` in ``lang``; a dash if there is none."""
    found = codes().get(message_id)
    if found is None:
        return "—"
    return found[1] if lang == "en" else found[0]


def label(lang: str, group: str, value: object) -> str:
    """The words for one code of a group (``label(lang, "account_type", "ordinary")``)."""
    raw = getattr(value, "value", value)
    return m(lang, f"{group}.{raw}")


def _error_classes() -> dict[str, type[DomainError]]:
    found: dict[str, type[DomainError]] = {}
    pending: list[type[DomainError]] = [DomainError]
    while pending:
        cls = pending.pop()
        found.setdefault(cls.code, cls)
        pending.extend(cls.__subclasses__())
    return found


def message_for(code: str | None, lang: str) -> str | None:
    """The customer's message for an error code carried across a redirect (``?error=``)."""
    if not code or not _CODE.match(code):
        return None
    cls = _error_classes().get(code, DomainError)
    return cls.message_en if lang == "en" else cls.message_ja
