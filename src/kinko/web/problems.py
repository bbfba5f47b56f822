"""RFC 9457 problem+json for every error, rendered once for the whole app.

Domain errors carry their own status and stable code; request validation errors become
VALIDATION_FAILED with the offending fields; unknown routes and methods keep their status.
Anything else is a bug: it is logged with its traceback and answered as a plain 500 problem
that reveals nothing.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException

from kinko.errors import DomainError
from kinko.web.i18n import language

log = logging.getLogger(__name__)
PROBLEM = "application/problem+json"

_HTTP_CODES = {
    404: ("NOT_FOUND", "見つかりません。", "Not found."),
    405: ("METHOD_NOT_ALLOWED", "この操作はできません。", "Method not allowed."),
    401: ("UNAUTHENTICATED", "ログインが必要です。", "Login required."),
    403: ("FORBIDDEN", "この操作は許可されていません。", "Forbidden."),
}


def problem(status: int, code: str, ja: str, en: str, lang: str,
            **extra: Any) -> JSONResponse:
    body = {
        "type": f"https://kinko.example/problems/{code.lower().replace('_', '-')}",
        "title": ja if lang == "ja" else en,
        "status": status, "code": code, "message_ja": ja, "message_en": en, **extra,
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM)


def wants_html(request: Request) -> bool:
    """Pages get an HTML error page; the API (and any non-browser client) gets problem+json."""
    return (not request.url.path.startswith("/api/")
            and "text/html" in request.headers.get("accept", ""))


def html_error(request: Request, status: int, ja: str, en: str, detail: str | None = None
               ) -> Response:
    from kinko.web.templating import render

    if status == 401:
        return RedirectResponse(f"/login?{urlencode({'next': request.url.path})}",
                                status_code=303)
    return render(request, "error.html", status_code=status, message_ja=ja, message_en=en,
                  detail=detail)


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> Response:
        if wants_html(request):
            return html_error(request, exc.status, exc.message_ja, exc.message_en, exc.detail)
        return JSONResponse(exc.to_problem(language(request)), status_code=exc.status,
                            media_type=PROBLEM)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"field": ".".join(str(p) for p in e.get("loc", ()) if p != "body"),
             "reason": e.get("msg", "")}
            for e in exc.errors()
        ]
        return problem(422, "VALIDATION_FAILED", "入力内容に誤りがあります。",
                       "The input is not valid.", language(request), errors=errors)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        code, ja, en = _HTTP_CODES.get(exc.status_code, ("HTTP_ERROR", "エラーです。", "Error."))
        if wants_html(request):
            return html_error(request, exc.status_code, ja, en)
        return problem(exc.status_code, code, ja, en, language(request))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem(500, "INTERNAL_ERROR", "システムエラーが発生しました。",
                       "An internal error occurred.", language(request))
