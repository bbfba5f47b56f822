"""RFC 9457 problem+json for every error, rendered once for the whole app.

Domain errors carry their own status and stable code; request validation errors become
VALIDATION_FAILED with the offending fields; unknown routes and methods keep their status.
A database that is busy (a lock or statement timeout, SQLite's writer queue) or unavailable
(down, restarting, in recovery, the connection lost) is not a bug: 503 DB_BUSY or
DB_UNAVAILABLE with Retry-After, and nothing was done unless the client is told otherwise —
a create retried under its idempotency key is safe either way.
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
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException

from kinko.db.engine import fault_of
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

# (code, Japanese, English, Retry-After seconds) for each database fault (db.engine.fault_of).
_FAULTS = {
    "busy": ("DB_BUSY", "ただいま混み合っています。しばらくしてからもう一度お試しください。",
             "The service is busy. Please try again in a moment.", 1),
    "unavailable": ("DB_UNAVAILABLE",
                    "ただいまサービスを利用できません。しばらくしてからもう一度お試しください。",
                    "The service is temporarily unavailable. Please try again shortly.", 5),
}
SERVER_BUSY = ("SERVER_BUSY", "ただいま混み合っています。しばらくしてからもう一度お試しください。",
               "The server is busy. Please try again in a moment.", 1)


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


def unavailable(request: Request, code: str, ja: str, en: str, retry_after: int) -> Response:
    """503 with Retry-After: as problem+json, or as the error page for a browser."""
    response = (html_error(request, 503, ja, en) if wants_html(request)
                else problem(503, code, ja, en, language(request)))
    response.headers["Retry-After"] = str(retry_after)
    return response


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

    async def database_fault(request: Request, exc: Exception) -> Response:
        fault = fault_of(exc)
        if fault is None:
            return await unexpected(request, exc)
        log.warning("database %s on %s %s: %s", fault, request.method, request.url.path,
                    str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        return unavailable(request, *_FAULTS[fault])

    for error in (sa_exc.DBAPIError, sa_exc.TimeoutError, sa_exc.DisconnectionError):
        app.add_exception_handler(error, database_fault)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem(500, "INTERNAL_ERROR", "システムエラーが発生しました。",
                       "An internal error occurred.", language(request))
