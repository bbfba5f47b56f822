"""Japanese first, English on request: ``?lang=en`` (remembered in a cookie) or Accept-Language."""

from __future__ import annotations

from fastapi import Request

LANGS = ("ja", "en")


def language(request: Request) -> str:
    asked = request.query_params.get("lang") or request.cookies.get("lang")
    if asked in LANGS:
        return asked
    header = request.headers.get("accept-language", "")
    if header.lower().startswith("en"):
        return "en"
    return "ja"


def t(lang: str, ja: str, en: str) -> str:
    return en if lang == "en" else ja
