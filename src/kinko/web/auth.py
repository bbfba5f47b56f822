"""Who is calling: the session token from the ``Authorization: Bearer`` header (API clients)
or the ``kinko_session`` cookie (pages), and CSRF protection for cookie-borne requests.

The token is the only credential a request carries; it is checked against the database on
every request (idle timeout extended, absolute timeout enforced) by ``auth.sessions``.
Cookie-authenticated unsafe requests must also carry the session's CSRF token (a form field
``csrf_token`` or the ``X-CSRF-Token`` header): a keyed digest of the session token, so it
changes whenever the session is rotated (login, step-up).
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Depends, Request, Response
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from kinko.auth.crypto import digest_matches, keyed_digest
from kinko.auth.errors import AuthError, SessionExpired
from kinko.auth.models import AuthSession, AuthUser
from kinko.auth.sessions import authenticate
from kinko.auth.users import get_user
from kinko.config import get_settings
from kinko.instructions.service import Actor
from kinko.keys import Purpose
from kinko.web.deps import DB

SESSION_COOKIE = "kinko_session"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class CsrfRefused(AuthError):
    code = "CSRF_REFUSED"
    status = 403
    message_ja = "画面の有効期限が切れました。もう一度操作してください。"


@dataclass(frozen=True)
class Caller:
    token: str
    from_cookie: bool
    row: AuthSession
    user: AuthUser

    @property
    def actor(self) -> Actor:
        return Actor(self.user.id, self.user.contract_id, self.user.customer_id)


def token_of(request: Request) -> tuple[str | None, bool]:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None, False
    return request.cookies.get(SESSION_COOKIE), True


def csrf_token(session_token: str) -> str:
    return keyed_digest(Purpose.CSRF, session_token)


def csrf_matches(submitted: str, session_token: str) -> bool:
    """The session's CSRF token under the current secret key or, during a rotation, a
    previous one (a page rendered before the switch still submits)."""
    return digest_matches(Purpose.CSRF, session_token, submitted)


async def _submitted_csrf(request: Request) -> str:
    if header := request.headers.get(CSRF_HEADER):
        return header
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        value = form.get("csrf_token")
        return value if isinstance(value, str) else ""
    return ""


async def check_csrf(request: Request) -> None:
    """Refuse a cookie-authenticated unsafe request without the session's CSRF token.

    ``async`` because the form body is read asynchronously; it does no blocking work (an HMAC
    of the token and a constant-time comparison), so it may run on the event loop."""
    token, from_cookie = token_of(request)
    if request.method in SAFE_METHODS or not from_cookie or token is None:
        return
    submitted = await _submitted_csrf(request)
    if not csrf_matches(submitted, token):
        raise CsrfRefused


# OVS-1: which function an unsafe request is, for the use-from-abroad rule (prefix → function).
_FUNCTIONS = (
    ("/api/v1/transfers", "transfer"), ("/banking/transfer", "transfer"),
    ("/api/v1/payeasy/payments", "payeasy"), ("/api/v1/time-deposits", "time_deposit"),
    ("/api/v1/debit-cards", "debit_card"),
    ("/banking/payeasy", "payeasy"), ("/banking/time-deposits", "time_deposit"),
    ("/banking/debit-cards", "debit_card"),
)


def _function_of(request: Request) -> str:
    if request.method not in SAFE_METHODS:
        for prefix, function in _FUNCTIONS:
            if request.url.path.startswith(prefix):
                return function
    return "inquiry"


def _check_country(request: Request, token: str) -> None:
    """Use from abroad is recorded, and refused where the bank says so (OVS-1). The record is
    committed in its own transaction — taken before the request's own transaction touches the
    database, so that SQLite's single writer is free — so a refusal still leaves its trace."""
    country = request.headers.get(get_settings().country_header, "").strip()
    if not country or country.upper() == "JP":
        return
    from kinko.auth.repository import session_by_token_hash
    from kinko.auth.sessions import token_hashes
    from kinko.parties.access import AccessDecision, record_access_country
    from kinko.web.deps import database

    def decide(s: Session) -> AccessDecision | None:
        row = session_by_token_hash(s, token_hashes(token))
        if row is None:
            return None  # no session: authenticate() answers that
        return record_access_country(s, row.user_id, country, _function_of(request))

    decision = database(request).run(decide)
    if decision is not None:
        decision.raise_if_refused()


def caller(request: Request, _csrf: None = Depends(check_csrf), s: Session = DB) -> Caller:
    """The authenticated caller, or 401 problem+json.

    A plain ``def``: FastAPI runs it in the threadpool, so its database work never blocks the
    event loop (a request waiting for a row lock there would stop every other request, the
    lock holder's commit included). Only reading the form for the CSRF token is ``async``
    (:func:`check_csrf`, which touches no database), and it runs first.
    """
    return authenticated(request, s)


def authenticated(request: Request, s: Session) -> Caller:
    """:func:`caller`, called by a handler on its own thread (with :func:`check_csrf` as its
    dependency): a request of the busiest routes — a transfer's entry and confirmation, the
    balances — then makes one trip through the threadpool instead of two. The difference a
    client can see: such a route checks the request's body before the session, so a request
    with no valid session and a malformed body is answered 422, not 401."""
    known: Caller | None = getattr(request.state, "caller", None)
    if known is not None:
        return known  # authenticated once per request (a page may ask twice)
    token, from_cookie = token_of(request)
    if not token:
        raise SessionExpired(detail="no session")
    _check_country(request, token)
    try:
        row = authenticate(s, token)
    except DBAPIError as exc:
        # The connection died under the request's first statements (a server restart between
        # checkout and use; closed connections are replaced at checkout already): nothing was
        # done, so roll back and check again once, on a fresh connection.
        if not exc.connection_invalidated:
            raise
        s.rollback()
        row = authenticate(s, token)
    # The user was loaded with the session (one statement); ``get_user`` finds it in the
    # identity map.
    request.state.caller = found = Caller(token, from_cookie, row, get_user(s, row.user_id))
    return found


def set_session_cookie(response: Response, request: Request, token: str) -> None:
    """The session cookie: HttpOnly, SameSite=Lax, Secure over HTTPS, no Max-Age (ends with
    the browser; the server's idle and absolute timeouts end it sooner)."""
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="lax",
                        secure=request.url.scheme == "https", path="/")


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")
