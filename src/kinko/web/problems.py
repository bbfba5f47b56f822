"""RFC 9457 problem+json for every error, rendered once for the whole app.

Domain errors carry their own status and stable code; request validation errors become
VALIDATION_FAILED with the offending fields; unknown routes and methods keep their status.
A database that is busy (a lock or statement timeout, SQLite's writer queue) or unavailable
(down, restarting, in recovery, the connection lost) is not a bug: 503 DB_BUSY or
DB_UNAVAILABLE with Retry-After, and nothing was done unless the client is told otherwise —
a create retried under its idempotency key is safe either way.

Pages (a browser asking for HTML) get the same answers as an error page instead.

The schemas bound every input (:mod:`kinko.web.params`), so out-of-range values are refused
before they reach a service. As a backstop, a value that still overflows the database or the
bank calendar (``OverflowError``, ``CalendarRangeError``, a driver's ``DataError`` such as
"bigint out of range" or a NUL byte in text) is answered 422 ``INPUT_OUT_OF_RANGE`` and logged
as a warning naming the route, so the missing bound gets fixed.

Anything else is a bug: it is logged with its traceback and answered as a plain 500 problem
that reveals nothing.

:func:`install` also declares the problem responses in the OpenAPI document, so clients (and
the schema tests) know every operation may answer problem+json.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict
from sqlalchemy import exc as sa_exc
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException

from kinko import catalogue
from kinko.calendar.rules import CalendarRangeError
from kinko.db.engine import fault_of
from kinko.errors import DomainError
from kinko.web.i18n import language

log = logging.getLogger(__name__)
PROBLEM = "application/problem+json"

# (code, Japanese): every answer's English is the message catalogue's ``error.CODE`` entry for
# its Japanese, as a DomainError's is (kinko.errors).
_HTTP_CODES = {
    400: ("BAD_REQUEST", "リクエストの形式が正しくありません。"),
    404: ("NOT_FOUND", "見つかりません。"),
    405: ("METHOD_NOT_ALLOWED", "この操作はできません。"),
    401: ("UNAUTHENTICATED", "ログインが必要です。"),
    403: ("FORBIDDEN", "この操作は許可されていません。"),
}

# (code, Japanese, Retry-After seconds) for each database fault (db.engine.fault_of).
_FAULTS = {
    "busy": ("DB_BUSY", "ただいま混み合っています。しばらくしてからもう一度お試しください。", 1),
    "unavailable": ("DB_UNAVAILABLE",
                    "ただいまサービスを利用できません。しばらくしてからもう一度お試しください。",
                    5),
}
SERVER_BUSY = ("SERVER_BUSY",
               "ただいま混み合っています。しばらくしてからもう一度お試しください。", 1)


class Problem(BaseModel):
    """RFC 9457 problem details with Kinko's stable ``code``."""

    type: str
    title: str
    status: int
    code: str
    message_ja: str
    message_en: str
    detail: str | None = None

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [{
        "type": "https://kinko.example/problems/auth-invalid-credentials",
        "title": "ご入力内容に誤りがあります。再度ご入力ください。", "status": 401,
        "code": "AUTH_INVALID_CREDENTIALS",
        "message_ja": "ご入力内容に誤りがあります。再度ご入力ください。",
        "message_en": "The details you entered are not correct. Please try again."}]})


OUT_OF_RANGE = ("INPUT_OUT_OF_RANGE", "入力された値が扱える範囲を超えています。")


def english(code: str, ja: str) -> str:
    """The English of an error's Japanese: the catalogue's ``error.CODE`` entry."""
    return catalogue.tr("en", ja, f"error.{code}")


def problem(status: int, code: str, ja: str, lang: str, **extra: Any) -> JSONResponse:
    en = english(code, ja)
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


def html_error(request: Request, status: int, code: str, ja: str, detail: str | None = None
               ) -> Response:
    from kinko.web.templating import render

    if status == 401:
        return RedirectResponse(f"/login?{urlencode({'next': request.url.path})}",
                                status_code=303)
    lang = language(request)
    return render(request, "error.html", status_code=status,
                  message=ja if lang == "ja" else english(code, ja), detail=detail)


def unavailable(request: Request, code: str, ja: str, retry_after: int) -> Response:
    """503 with Retry-After: as problem+json, or as the error page for a browser."""
    response = (html_error(request, 503, code, ja) if wants_html(request)
                else problem(503, code, ja, language(request)))
    response.headers["Retry-After"] = str(retry_after)
    return response


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> Response:
        if wants_html(request):
            return html_error(request, exc.status, exc.code, exc.message_ja, exc.detail)
        return JSONResponse(exc.to_problem(language(request)), status_code=exc.status,
                            media_type=PROBLEM)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        errors = [
            {"field": ".".join(str(p) for p in e.get("loc", ()) if p != "body"),
             "reason": e.get("msg", "")}
            for e in exc.errors()
        ]
        code, ja = "VALIDATION_FAILED", "入力内容に誤りがあります。"
        if wants_html(request):
            return html_error(request, 422, code, ja,
                              ", ".join(e["field"] for e in errors if e["field"]) or None)
        return problem(422, code, ja, language(request), errors=errors)

    async def out_of_range(request: Request, exc: Exception) -> Response:
        # A backstop: the schema should have refused this value (kinko.web.params).
        log.warning("out-of-range input reached %s %s: %s", request.method, request.url.path,
                    type(exc).__name__)
        code, ja = OUT_OF_RANGE
        if wants_html(request):
            return html_error(request, 422, code, ja)
        return problem(422, code, ja, language(request))

    for kind in (OverflowError, CalendarRangeError, DataError):
        app.add_exception_handler(kind, out_of_range)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        code, ja = _HTTP_CODES.get(exc.status_code, ("HTTP_ERROR", "エラーです。"))
        if wants_html(request):
            return html_error(request, exc.status_code, code, ja)
        return problem(exc.status_code, code, ja, language(request))

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
        return problem(500, "INTERNAL_ERROR", "システムエラーが発生しました。", language(request))
    declare_problems(app)


# The problem answers any API operation may give: no or an ended session, a refused form or a
# limited session, a row that is not the caller's, a business rule, bad input, a lockout, and
# throttling. Their meanings per code are in the description of each operation's errors.
_DECLARED = {
    400: "リクエストの形式の誤り / a malformed request (BAD_REQUEST: a body that cannot be "
         "read)",
    401: "ログインが必要、または認証に失敗 / no session, or authentication failed "
         "(AUTH_SESSION_EXPIRED, AUTH_INVALID_CREDENTIALS, …)",
    403: "許可されていない操作 / not allowed (FORBIDDEN, CSRF_REFUSED, "
         "AUTH_SCOPE_NOT_ALLOWED, AUTH_SUSPENDED, …)",
    404: "見つからない / not found, or not the caller's (NOT_FOUND, …)",
    409: "業務ルール上できない / refused by a business rule (insufficient funds, limits, "
         "state of the instruction, …)",
    422: "入力内容の誤り / bad input (VALIDATION_FAILED with the fields, INPUT_OUT_OF_RANGE, "
         "domain validation codes)",
    423: "ロックアウト / locked out or blocked (AUTH_LOCKED_OUT, AUTH_BLOCKED, …)",
    429: "試行回数の制限 / too many attempts: wait for Retry-After",
}


def declare_problems(app: FastAPI) -> None:
    """Declare :class:`Problem` (``application/problem+json``) for the error statuses of every
    operation in the OpenAPI document, replacing FastAPI's default 422 (which describes a
    shape Kinko never sends)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = generate()
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components["Problem"] = Problem.model_json_schema(
            ref_template="#/components/schemas/{model}")
        ref = {"$ref": "#/components/schemas/Problem"}
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                for status, description in _DECLARED.items():
                    declared = responses.get(str(status), {})
                    responses[str(status)] = {
                        "description": (declared.get("description")
                                        if declared.get("description")
                                        not in (None, "", "Validation Error")
                                        else description),
                        "content": {PROBLEM: {"schema": ref}},
                    }
        for unused in ("HTTPValidationError", "ValidationError"):
            components.pop(unused, None)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
