"""Jinja2 templates with the language helpers every page needs.

``_("日本語")`` is a sentence of the catalogue (its English in messages.po), ``m(id)`` and
``label(group, code)`` the words for a code, ``t(ja, en)`` a pair held as data (never two
literals: see docs/messages.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from kinko.money import format_yen
from kinko.web.i18n import language, t, tr
from kinko.web.messages import label, m

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
templates.env.filters["yen"] = format_yen


def format_rate(per_100k: int) -> str:
    """An annual rate kept per 100,000 (20 → "0.020%")."""
    return f"{per_100k / 1000:.3f}%"


templates.env.filters["rate"] = format_rate


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    lang = language(request)
    response = templates.TemplateResponse(
        request, name, {"lang": lang, "_": lambda ja, ctx=None: tr(lang, ja, ctx),
                  "t": lambda ja, en: t(lang, ja, en),
                  "m": lambda message_id: m(lang, message_id),
                  "label": lambda group, value: label(lang, group, value), **context},
        status_code=status_code,
    )
    if request.query_params.get("lang") == lang:
        response.set_cookie("lang", lang, max_age=365 * 86400, samesite="lax", httponly=True,
                            secure=request.url.scheme == "https")
    return response
