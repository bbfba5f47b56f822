"""Login, logout and the customer's own security pages (AUTH-1..13, CRED-1..6, UI-1).

Every handler translates a form into one call of :mod:`kinko.auth` and the outcome into a
page. Failures are *returned* by the services (so their counters and audit events commit with
this request's transaction) and shown next to the form with the status they carry.

Cookies:

- ``kinko_session`` — a full session only; set by :func:`set_session_cookie` after login.
  Login always opens a new session (the service never upgrades a presented token) and ends the
  one the browser presented, so a token planted before login never becomes authenticated.
- ``kinko_pending`` — the limited session of a half-finished login (second factor pending, or
  credentials to change). Kept apart from the full session so that it can never open a page
  other than its own next step, and only sent to ``/login…``.
- ``kinko_login`` — a random nonce for the forms shown before any session exists (login,
  first use), whose CSRF token is a keyed digest of it (login CSRF); SameSite=Strict, so a
  cross-site form post arrives without it.
"""

from __future__ import annotations

import base64
import re
import secrets
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from kinko.auth import challenges, compromise, enrolment, passwords, sessions, throttle, tokens
from kinko.auth import repository as auth_repo
from kinko.auth.effects import user_actor
from kinko.auth.errors import (
    AuthError,
    CertificateRejected,
    TooManyAttempts,
)
from kinko.auth.login import (
    Client,
    change_credentials,
    complete_second_step,
    login_corporate,
    login_corporate_certificate,
    login_retail_001,
    login_retail_003,
    required_changes,
)
from kinko.auth.models import (
    AuthSession,
    AuthUser,
    CompromiseScope,
    Product,
    SecretKind,
    SessionScope,
    TokenState,
    UserRole,
)
from kinko.auth.outcomes import (
    Done,
    LoggedIn,
    LoginResult,
    MustChangeCredentials,
    NeedsSecondFactor,
    Rejected,
)
from kinko.auth.policy import Factor, rules_for
from kinko.auth.users import contract_of, get_user, rules_for_user
from kinko.errors import DomainError, ValidationFailed
from kinko.ledger.models import AccountType
from kinko.web.auth import (
    Caller,
    CsrfRefused,
    caller,
    clear_session_cookie,
    csrf_matches,
    csrf_token,
    set_session_cookie,
    token_of,
)
from kinko.web.deps import DB
from kinko.web.i18n import language, tr
from kinko.web.templating import render

router = APIRouter(include_in_schema=False)

PENDING_COOKIE = "kinko_pending"
LOGIN_COOKIE = "kinko_login"
PRODUCTS = ("retail-001", "retail-003", "corporate-002")
DEFAULT_AFTER_LOGIN = "/banking"
# Longer input than any credential can be is cut here; it can never match (passwords are at
# most 32 characters), and argon2 is not fed megabytes.
_MAX_FIELD = 256

# --- who is asking --------------------------------------------------------------------------

_SMARTPHONE = re.compile(r"iPhone|iPod|Android.*Mobile|Windows Phone|Mobile Safari", re.I)


def channel_of(user_agent: str) -> str:
    """pc or smartphone: the certificate method is refused from a smartphone (AUTH-11)."""
    return "smartphone" if _SMARTPHONE.search(user_agent) else "pc"


def client_of(request: Request) -> Client:
    """Where a login comes from. The place shown at the next login (AUTH-13) is the address:
    Kinko resolves no geography."""
    agent = request.headers.get("user-agent", "")[:300]
    ip = request.client.host if request.client else None
    return Client(ip=ip, place=None, user_agent=agent or None, channel=channel_of(agent))


def client_certificate(request: Request) -> str | None:
    """The client certificate the TLS server verified (ASGI TLS extension), or None.

    Only a certificate whose key the TLS handshake proved is worth anything: a certificate is
    public, so one sent in a form field or an untrusted header proves nothing.
    """
    tls = request.scope.get("extensions", {}).get("tls", {})
    chain = tls.get("client_cert_chain") if isinstance(tls, dict) else None
    if chain:
        first = next(iter(chain), None)
        return first if isinstance(first, str) else None
    return _certificate_from_proxy(request)


def _certificate_from_proxy(request: Request) -> str | None:
    """The certificate a TLS-terminating proxy verified and forwarded (AUTH-11): taken only
    from the configured header, and only when the request comes from a trusted proxy address
    — from anyone else the header is ignored, since a certificate alone proves nothing."""
    from urllib.parse import unquote

    settings = request.app.state.settings
    peer = request.client.host if request.client else None
    if not settings.client_cert_header or peer not in settings.trusted_proxies:
        return None
    value = request.headers.get(settings.client_cert_header, "")
    pem = unquote(value).strip()  # nginx's $ssl_client_escaped_cert is URL-encoded PEM
    return pem if pem.startswith("-----BEGIN CERTIFICATE-----") and len(pem) < 20_000 \
        else None


def safe_next(value: str | None) -> str:
    """Where to go after login: a same-site relative path only, never an open redirect."""
    if not value or len(value) > 500 or not value.startswith("/") or value.startswith("//"):
        return DEFAULT_AFTER_LOGIN
    if "\\" in value or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        return DEFAULT_AFTER_LOGIN
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return DEFAULT_AFTER_LOGIN
    if parts.path.startswith(("/login", "/logout", "/api/", "/operator")):
        return DEFAULT_AFTER_LOGIN
    return value


def _cut(value: str) -> str:
    return value[:_MAX_FIELD]


# --- throttling (kinko.auth.throttle) ------------------------------------------------------
#
# Equal time for known and unknown IDs is the services' work (the same statements and one
# argon2 verification on both paths, see kinko.auth.login); the web layer only names the
# client address and the typed ID for the throttle.


def guarded_login(s: Session, request: Request, product: Product, login_id: str,
                  attempt: Callable[[], LoginResult]) -> LoginResult:
    """Run a login unless the address or the typed ID is throttled (429)."""
    return throttle.guarded(s, address=client_of(request).ip, product=product,
                            scope=product.value, typed_id=login_id, attempt=attempt)


def retry_after_header(response: Response, error: DomainError) -> Response:
    """A throttled answer says when to come back (RFC 9110 Retry-After, in seconds)."""
    if isinstance(error, TooManyAttempts):
        response.headers["Retry-After"] = str(error.retry_after)
    return response


# --- cookies and CSRF before a session exists ------------------------------------------------


def login_nonce(request: Request) -> tuple[str, bool]:
    """The browser's login nonce, or a new one (True: set the cookie)."""
    value = request.cookies.get(LOGIN_COOKIE, "")
    if 30 <= len(value) <= 100:
        return value, False
    return secrets.token_urlsafe(32), True


def login_form_token(nonce: str) -> str:
    return csrf_token("login\x00" + nonce)


def login_csrf_ok(request: Request, submitted: str) -> bool:
    nonce = request.cookies.get(LOGIN_COOKIE, "")
    return bool(nonce) and csrf_matches(submitted, "login\x00" + nonce)


def set_login_cookie(response: Response, request: Request, nonce: str) -> None:
    response.set_cookie(LOGIN_COOKIE, nonce, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https", path="/")


def _set_pending_cookie(response: Response, request: Request, token: str) -> None:
    response.set_cookie(PENDING_COOKIE, token, httponly=True, samesite="lax",
                        secure=request.url.scheme == "https", path="/login")


def _clear_pending_cookie(response: Response) -> None:
    response.delete_cookie(PENDING_COOKIE, path="/login")


# --- the confirmation code image (確認コード, 003 第四条2(1)) -----------------------------------
#
# Drawn here as a PNG because no imaging library is a dependency and the code must not reach
# the page as text (a script would read it). A 5×7 dot font of the code alphabet, scaled,
# sheared and shifted per glyph at random over speckled noise and a few stray lines.

_GLYPHS = {
    "A": ".###. #...# #...# ##### #...# #...# #...#",
    "B": "####. #...# #...# ####. #...# #...# ####.",
    "C": ".###. #...# #.... #.... #.... #...# .###.",
    "D": "####. #...# #...# #...# #...# #...# ####.",
    "E": "##### #.... #.... ####. #.... #.... #####",
    "F": "##### #.... #.... ####. #.... #.... #....",
    "G": ".###. #...# #.... #.### #...# #...# .####",
    "H": "#...# #...# #...# ##### #...# #...# #...#",
    "J": "..### ...#. ...#. ...#. ...#. #..#. .##..",
    "K": "#...# #..#. #.#.. ##... #.#.. #..#. #...#",
    "M": "#...# ##.## #.#.# #.#.# #...# #...# #...#",
    "N": "#...# #...# ##..# #.#.# #..## #...# #...#",
    "P": "####. #...# #...# ####. #.... #.... #....",
    "Q": ".###. #...# #...# #...# #.#.# #..#. .##.#",
    "R": "####. #...# #...# ####. #.#.. #..#. #...#",
    "S": ".#### #.... #.... .###. ....# ....# ####.",
    "T": "##### ..#.. ..#.. ..#.. ..#.. ..#.. ..#..",
    "U": "#...# #...# #...# #...# #...# #...# .###.",
    "V": "#...# #...# #...# #...# #...# .#.#. ..#..",
    "W": "#...# #...# #...# #.#.# #.#.# #.#.# .#.#.",
    "X": "#...# #...# .#.#. ..#.. .#.#. #...# #...#",
    "Y": "#...# #...# .#.#. ..#.. ..#.. ..#.. ..#..",
    "Z": "##### ....# ...#. ..#.. .#... #.... #####",
    "2": ".###. #...# ....# ...#. ..#.. .#... #####",
    "3": "##### ...#. ..#.. ...#. ....# #...# .###.",
    "4": "...#. ..##. .#.#. #..#. ##### ...#. ...#.",
    "5": "##### #.... ####. ....# ....# #...# .###.",
    "6": "..##. .#... #.... ####. #...# #...# .###.",
    "7": "##### ....# ...#. ..#.. .#... .#... .#...",
    "8": ".###. #...# #...# .###. #...# #...# .###.",
    "9": ".###. #...# #...# .#### ....# ...#. .##..",
}
_SCALE, _PITCH, _MARGIN, _HEIGHT = 4, 27, 12, 56


def _png(width: int, height: int, pixels: bytearray) -> bytes:
    """An 8-bit greyscale PNG (RFC 2083): the few lines a PNG needs, no imaging library."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    rows = b"".join(b"\x00" + bytes(pixels[y * width:(y + 1) * width]) for y in range(height))
    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""))


def confirmation_code_png(code: str) -> bytes:
    rnd = secrets.SystemRandom()
    width = 2 * _MARGIN + _PITCH * len(code)
    pixels = bytearray(rnd.randint(215, 250) for _ in range(width * _HEIGHT))

    def dot(x: int, y: int, shade: int) -> None:
        if 0 <= x < width and 0 <= y < _HEIGHT:
            pixels[y * width + x] = min(pixels[y * width + x], shade)

    for i, char in enumerate(code):
        rows = _GLYPHS[char].split()
        left = _MARGIN + i * _PITCH + rnd.randint(-3, 3)
        top = (_HEIGHT - 7 * _SCALE) // 2 + rnd.randint(-5, 5)
        shear = rnd.uniform(-0.3, 0.3)
        shade = rnd.randint(20, 90)
        for gy, row in enumerate(rows):
            for gx, bit in enumerate(row):
                if bit != "#":
                    continue
                for dy in range(_SCALE):
                    for dx in range(_SCALE):
                        y = gy * _SCALE + dy
                        dot(left + gx * _SCALE + dx + round(shear * (y - 14)), top + y, shade)
    for _ in range(4):   # stray lines through the text
        x0, y0 = rnd.randrange(width), rnd.randrange(_HEIGHT)
        x1, y1 = rnd.randrange(width), rnd.randrange(_HEIGHT)
        steps = max(abs(x1 - x0), abs(y1 - y0), 1)
        shade = rnd.randint(70, 140)
        for k in range(steps + 1):
            dot(x0 + (x1 - x0) * k // steps, y0 + (y1 - y0) * k // steps, shade)
    for _ in range(width * _HEIGHT // 25):   # speckles
        dot(rnd.randrange(width), rnd.randrange(_HEIGHT), rnd.randint(60, 160))
    return _png(width, _HEIGHT, pixels)


@dataclass(frozen=True)
class CodeChallenge:
    challenge_id: str
    image: str          # data: URI of the PNG
    expires_at: datetime


def new_confirmation_code(s: Session) -> CodeChallenge:
    rules = rules_for(Product.RETAIL_003)
    issued = challenges.issue_confirmation_code(s, length=rules.confirmation_code_length,
                                                ttl=rules.confirmation_code_ttl)
    image = base64.b64encode(confirmation_code_png(issued.code)).decode()
    return CodeChallenge(issued.challenge_id, "data:image/png;base64," + image,
                         issued.expires_at)


# --- the previous login (AUTH-13) ------------------------------------------------------------


# --- messages ------------------------------------------------------------------------------


def message(exc: DomainError, lang: str) -> str:
    """A domain error for the person typing (with the reasons a new password was refused)."""
    return exc.for_customer(lang)


_NOTICES = {
    "logged_out": ("ログアウトしました。", "You have logged out."),
    "expired": ("お手続きの有効期限が切れました。もう一度ログインしてください。",
                "That step has expired. Please log in again."),
    "registered": ("ログインIDを登録しました。ご登録のIDと仮パスワードでログインしてください。",
                   "Your login ID is registered. Log in with it and the temporary passwords."),
    "signed_up": ("お申込みを受け付けました。ご登録のIDとパスワードでログインしてください。",
                  "You are signed up. Log in with the login ID and password you chose."),
}

# --- login ---------------------------------------------------------------------------------


def _login_page(request: Request, s: Session, *, product: str, method: str, next_: str,
                error: str | None = None, status_code: int = 200, login_id: str = "",
                notice: str | None = None) -> HTMLResponse:
    nonce, fresh = login_nonce(request)
    code = new_confirmation_code(s) if product == "retail-003" else None
    response = render(request, "auth/login.html", status_code=status_code, product=product,
                      method=method, next=next_, csrf=login_form_token(nonce), error=error,
                      notice=notice, code=code, login_id=login_id)
    if fresh:
        set_login_cookie(response, request, nonce)
    return response


def _product(value: str) -> str:
    return value if value in PRODUCTS else "retail-001"


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, product: str = "retail-001", method: str = "id",
               next_: str = Query("", alias="next", max_length=500),
               notice: str = Query("", max_length=20), s: Session = DB
               ) -> HTMLResponse:
    """The login page with its product switch (retail-001 / retail-003 / corporate-002)."""
    lang = language(request)
    text = _NOTICES.get(notice)
    return _login_page(request, s, product=_product(product),
                       method="certificate" if method == "certificate" else "id",
                       next_=safe_next(next_) if next_ else "",
                       notice=None if text is None else text[lang == "en"])


def _attempt(request: Request, s: Session, *, product: str, method: str,
             login_id: str, password: str, otp_code: str, challenge_id: str,
             confirmation_code: str) -> LoginResult:
    client = client_of(request)
    if product == "retail-003":
        return guarded_login(s, request, Product.RETAIL_003, login_id, lambda: login_retail_003(
            s, user_id=login_id, password=password, otp_code=otp_code,
            challenge_id=challenge_id, confirmation_code=confirmation_code, client=client))
    if product == "corporate-002" and method == "certificate":
        # The identity comes from the certificate (one the TLS server verified), not from a
        # typed ID: there is no ID to enumerate.
        pem = client_certificate(request)
        if pem is None:
            return Rejected(error=CertificateRejected(detail="no client certificate"))
        return login_corporate_certificate(s, certificate_pem=pem, password=password,
                                           client=client)
    if product == "corporate-002":
        return guarded_login(s, request, Product.CORPORATE_002, login_id,
                             lambda: login_corporate(s, login_id=login_id, password=password,
                                                     client=client))
    return guarded_login(s, request, Product.RETAIL_001, login_id, lambda: login_retail_001(
        s, member_number=login_id, password=password, client=client))


def after_login(request: Request, s: Session, result: LoginResult, next_: str) -> Response:
    """Where a successful step leads: the next step, or the page asked for with a new
    session cookie. (A :class:`Rejected` is rendered by the caller, beside its form.)"""
    if isinstance(result, LoggedIn):
        presented, from_cookie = token_of(request)
        if presented and from_cookie:
            # The browser's earlier session (another user's, or a planted token) ends here:
            # one browser, one session, and nothing set before login survives it.
            sessions.end(s, presented, reason="replaced_by_login")
        response: Response = RedirectResponse(safe_next(next_), status_code=303)
        set_session_cookie(response, request, result.session_token)
        _clear_pending_cookie(response)
        return response
    assert isinstance(result, NeedsSecondFactor | MustChangeCredentials)
    step = "second-step" if isinstance(result, NeedsSecondFactor) else "change"
    target = f"/login/{step}" + (f"?next={quote(next_, safe='/')}" if next_ else "")
    response = RedirectResponse(target, status_code=303)
    _set_pending_cookie(response, request, result.session_token)
    return response


@router.post("/login", response_class=HTMLResponse)
def login_submit(request: Request, product: str = Form("retail-001"),
                 method: str = Form("id"), csrf: str = Form("", alias="csrf_token"),
                 next_: str = Form("", alias="next"), login_id: str = Form(""),
                 password: str = Form(""), otp_code: str = Form(""),
                 challenge_id: str = Form(""), confirmation_code: str = Form(""),
                 s: Session = DB) -> Response:
    """Check every factor of the product at once (AUTH-1); the outcome decides the page."""
    product = _product(product)
    method = "certificate" if method == "certificate" else "id"
    lang = language(request)
    if not login_csrf_ok(request, csrf):
        return _login_page(request, s, product=product, method=method, next_=next_,
                           error=message(CsrfRefused(), lang), status_code=403)
    result = _attempt(request, s, product=product, method=method,
                      login_id=_cut(login_id),
                      password=_cut(password), otp_code=_cut(otp_code),
                      challenge_id=_cut(challenge_id),
                      confirmation_code=_cut(confirmation_code))
    if isinstance(result, Rejected):
        return retry_after_header(
            _login_page(request, s, product=product, method=method, next_=next_,
                        error=message(result.error, lang), status_code=result.error.status,
                        login_id=_cut(login_id)), result.error)
    return after_login(request, s, result, next_)


# --- the steps a limited session allows --------------------------------------------------


def _pending(request: Request, s: Session, scope: SessionScope) -> tuple[str, AuthSession]:
    token = request.cookies.get(PENDING_COOKIE, "")
    if not token:
        raise CsrfRefused(detail="no login in progress")
    return token, sessions.authenticate(s, token, scope=scope)


def _restart(next_: str = "") -> RedirectResponse:
    """The limited session has ended (expired, used, or a lockout ended it)."""
    target = "/login?notice=expired" + (f"&next={quote(next_, safe='/')}" if next_ else "")
    response = RedirectResponse(target, status_code=303)
    _clear_pending_cookie(response)
    return response


def _second_step_fields(s: Session, row: AuthSession) -> tuple[tuple[str, ...], bool]:
    user = get_user(s, row.user_id)
    rules = rules_for_user(s, user)
    attributes = (rules.profile.login_attributes
                  if Factor.ATTRIBUTE in rules.profile.login_second_step else ())
    phrase = (Factor.SECRET_PHRASE in rules.profile.login_second_step
              and passwords.has_secret(s, user, SecretKind.SECRET_PHRASE))
    return attributes, phrase


def _second_step_page(request: Request, s: Session, token: str, row: AuthSession, next_: str,
                      error: str | None = None, status_code: int = 200) -> HTMLResponse:
    attributes, phrase = _second_step_fields(s, row)
    return render(request, "auth/second_step.html", status_code=status_code,
                  attributes=attributes, phrase=phrase, csrf=csrf_token(token),
                  next=safe_next(next_) if next_ else "", error=error)


@router.get("/login/second-step", response_class=HTMLResponse)
def second_step_page(request: Request, next_: str = Query("", alias="next", max_length=500),
                     s: Session = DB) -> Response:
    """The second step of a login (AUTH-2 registered attributes, 合言葉)."""
    try:
        token, row = _pending(request, s, SessionScope.SECOND_FACTOR)
    except AuthError:
        return _restart(next_)
    return _second_step_page(request, s, token, row, next_)


@router.post("/login/second-step", response_class=HTMLResponse)
def second_step_submit(request: Request, csrf: str = Form("", alias="csrf_token"),
                       next_: str = Form("", alias="next"), phone: str = Form(""),
                       name: str = Form(""), name_kana: str = Form(""),
                       secret_phrase: str = Form(""), s: Session = DB
                       ) -> Response:
    token = request.cookies.get(PENDING_COOKIE, "")
    if not token or not csrf_matches(csrf, token):
        raise CsrfRefused
    answers = {"phone": _cut(phone), "name": _cut(name), "name_kana": _cut(name_kana)}
    try:
        product = row_product(s, sessions.authenticate(s, token,
                                                       scope=SessionScope.SECOND_FACTOR))
        result = complete_second_step(s, session_token=token, attributes=answers,
                                      secret_phrase=_cut(secret_phrase),
                                      client=client_of(request))
    except AuthError:
        return _restart(next_)
    if isinstance(result, Rejected):
        try:
            row = sessions.authenticate(s, token, scope=SessionScope.SECOND_FACTOR)
        except AuthError:
            # The failure locked the user (which ends every session): back to the start.
            return _login_page(request, s, product=product, method="id", next_=next_,
                               error=message(result.error, language(request)),
                               status_code=result.error.status)
        return _second_step_page(request, s, token, row, next_,
                                 error=message(result.error, language(request)),
                                 status_code=result.error.status)
    return after_login(request, s, result, next_)


def _change_page(request: Request, s: Session, token: str, row: AuthSession, next_: str,
                 error: str | None = None, status_code: int = 200) -> HTMLResponse:
    user = get_user(s, row.user_id)
    change, expired = required_changes(user, rules_for_user(s, user))
    return render(request, "auth/change.html", status_code=status_code, change=change,
                  expired=expired, csrf=csrf_token(token), user=user,
                  next=safe_next(next_) if next_ else "", error=error)


@router.get("/login/change", response_class=HTMLResponse)
def change_page(request: Request, next_: str = Query("", alias="next", max_length=500),
                s: Session = DB) -> Response:
    """The forced change (AUTH-7, AUTH-8): issued or temporary credentials, or an expired
    password. The limited session opens nothing else."""
    try:
        token, row = _pending(request, s, SessionScope.CHANGE_CREDENTIALS)
    except AuthError:
        return _restart(next_)
    return _change_page(request, s, token, row, next_)


@router.post("/login/change", response_class=HTMLResponse)
def change_submit(request: Request, csrf: str = Form("", alias="csrf_token"),
                  next_: str = Form("", alias="next"), current_password: str = Form(""),
                  new_login_id: str = Form(""), new_password: str = Form(""),
                  new_password_again: str = Form(""),
                  current_confirmation_password: str = Form(""),
                  new_confirmation_password: str = Form(""),
                  new_confirmation_password_again: str = Form(""),
                  s: Session = DB) -> Response:
    token = request.cookies.get(PENDING_COOKIE, "")
    if not token or not csrf_matches(csrf, token):
        raise CsrfRefused
    lang = language(request)
    try:
        row = sessions.authenticate(s, token, scope=SessionScope.CHANGE_CREDENTIALS)
    except AuthError:
        return _restart(next_)
    if (new_password != new_password_again
            or new_confirmation_password != new_confirmation_password_again):
        return _change_page(request, s, token, row, next_, status_code=422, error=(
            tr(lang, "確認のため入力した新しいパスワードが一致しません。")))
    try:
        with s.begin_nested():
            result = change_credentials(
                s, session_token=token, current_password=_cut(current_password),
                new_password=_cut(new_password) or None,
                new_login_id=_cut(new_login_id).strip() or None,
                current_confirmation_password=_cut(current_confirmation_password) or None,
                new_confirmation_password=_cut(new_confirmation_password) or None,
                client=client_of(request))
    except DomainError as exc:
        # Nothing was written (the rules are checked before anything changes).
        return _change_page(request, s, token, row, next_, error=message(exc, lang),
                            status_code=exc.status)
    if isinstance(result, Rejected):
        try:
            row = sessions.authenticate(s, token, scope=SessionScope.CHANGE_CREDENTIALS)
        except AuthError:
            return _login_page(request, s, product=row_product(s, row), method="id",
                               next_=next_, error=message(result.error, lang),
                               status_code=result.error.status)
        return _change_page(request, s, token, row, next_, error=message(result.error, lang),
                            status_code=result.error.status)
    return after_login(request, s, result, next_)


def row_product(s: Session, row: AuthSession) -> str:
    return get_user(s, row.user_id).product.value


# --- first use of a corporate Basic/Comprehensive contract (AUTH-7) ----------------------


def register_login_id(s: Session, *, branch_code: str, account_type: str,
                      account_number: str, temporary_login_password: str,
                      temporary_confirmation_password: str, login_id: str,
                      address: str | None = None) -> Rejected | Done:
    """:func:`kinko.auth.enrolment.register_login_id` with the account type as typed,
    throttled per client address and per account like a login."""
    try:
        kind = AccountType(account_type)
    except ValueError as exc:
        raise ValidationFailed(detail="unknown account type", fields=["account_type"]) from exc
    return throttle.guarded(
        s, address=address, product=Product.CORPORATE_002, scope=enrolment.FIRST_USE,
        typed_id=enrolment.first_use_target(branch_code, kind, account_number),
        attempt=lambda: enrolment.register_login_id(
            s, branch_code=branch_code, account_type=kind, account_number=account_number,
            temporary_login_password=temporary_login_password,
            temporary_confirmation_password=temporary_confirmation_password,
            login_id=login_id))


@router.get("/login/first-use", response_class=HTMLResponse)
def first_use_page(request: Request) -> HTMLResponse:
    """Register the master user's login ID with the representative account and the
    temporary passwords filed on the application (002 第2条2(3))."""
    return _first_use_page(request, {})


def _first_use_page(request: Request, form: dict[str, str], error: str | None = None,
                    status_code: int = 200) -> HTMLResponse:
    nonce, fresh = login_nonce(request)
    response = render(request, "auth/first_use.html", status_code=status_code, form=form,
                      csrf=login_form_token(nonce), error=error)
    if fresh:
        set_login_cookie(response, request, nonce)
    return response


@router.post("/login/first-use", response_class=HTMLResponse)
def first_use_submit(request: Request, csrf: str = Form("", alias="csrf_token"),
                     branch_code: str = Form(""), account_type: str = Form("ordinary"),
                     account_number: str = Form(""),
                     temporary_login_password: str = Form(""),
                     temporary_confirmation_password: str = Form(""),
                     login_id: str = Form(""), s: Session = DB) -> Response:
    form = {"branch_code": _cut(branch_code).strip(), "account_type": account_type,
            "account_number": _cut(account_number).strip(), "login_id": _cut(login_id).strip()}
    lang = language(request)
    if not login_csrf_ok(request, csrf):
        return _first_use_page(request, form, message(CsrfRefused(), lang), 403)
    try:
        with s.begin_nested():
            result = register_login_id(
                s, branch_code=form["branch_code"], account_type=account_type,
                account_number=form["account_number"],
                temporary_login_password=_cut(temporary_login_password),
                temporary_confirmation_password=_cut(temporary_confirmation_password),
                login_id=form["login_id"], address=client_of(request).ip)
    except DomainError as exc:
        return _first_use_page(request, form, message(exc, lang), exc.status)
    if isinstance(result, Rejected):
        return retry_after_header(_first_use_page(request, form, message(result.error, lang),
                                                  result.error.status), result.error)
    return RedirectResponse("/login?product=corporate-002&notice=registered", status_code=303)


# --- logout --------------------------------------------------------------------------------


@router.post("/logout")
def logout(request: Request, csrf: str = Form("", alias="csrf_token"),
           s: Session = DB) -> Response:
    """End the session (POST with the session's CSRF token, so no other site can log the
    customer out)."""
    token, from_cookie = token_of(request)
    if token and from_cookie:
        if not csrf_matches(csrf, token):
            raise CsrfRefused
        sessions.end(s, token, reason="logout")
    response = RedirectResponse("/login?notice=logged_out", status_code=303)
    clear_session_cookie(response)
    _clear_pending_cookie(response)
    return response


# --- the customer's security pages ---------------------------------------------------------


def _page(request: Request, c: Caller, name: str, status_code: int = 200,
          **context: Any) -> HTMLResponse:
    return render(request, name, status_code=status_code, user=c.user,
                  csrf=csrf_token(c.token), **context)


@router.get("/security", response_class=HTMLResponse)
def security_home(request: Request, c: Caller = Depends(caller),
                  s: Session = DB) -> HTMLResponse:
    return _page(request, c, "auth/security.html", token=auth_repo.active_token(s, c.user.id),
                 contract=contract_of(s, c.user))


@router.get("/security/password", response_class=HTMLResponse)
def password_page(request: Request, c: Caller = Depends(caller)) -> HTMLResponse:
    return _page(request, c, "auth/password.html", error=None, done=False)


@router.post("/security/password", response_class=HTMLResponse)
def password_submit(request: Request, kind: str = Form("login_password"),
                    current: str = Form(""), new: str = Form(""), again: str = Form(""),
                    c: Caller = Depends(caller), s: Session = DB) -> Response:
    """AUTH-8: the change is made only if the old password matches the latest one."""
    lang = language(request)
    secret = (SecretKind.CONFIRMATION_PASSWORD
              if kind == "confirmation_password" and c.user.product is Product.CORPORATE_002
              else SecretKind.LOGIN_PASSWORD)
    if new != again:
        return _page(request, c, "auth/password.html", status_code=422, done=False, error=(
            tr(lang, "確認のため入力した新しいパスワードが一致しません。")))
    try:
        with s.begin_nested():
            outcome = passwords.change_secret(s, user_id=c.user.id, kind=secret,
                                              old=_cut(current), new=_cut(new))
    except DomainError as exc:
        return _page(request, c, "auth/password.html", status_code=exc.status, done=False,
                     error=message(exc, lang))
    if isinstance(outcome, Rejected):
        return _page(request, c, "auth/password.html", status_code=outcome.error.status,
                     done=False, error=message(outcome.error, lang))
    # Whoever knew the old password may be logged in elsewhere: those sessions end now.
    sessions.end_others(s, c.token)
    return _page(request, c, "auth/password.html", done=True, error=None)


@router.get("/security/sessions", response_class=HTMLResponse)
def sessions_page(request: Request, ended: int | None = Query(None, ge=0),
                  c: Caller = Depends(caller), s: Session = DB) -> HTMLResponse:
    return _page(request, c, "auth/sessions.html", rows=sessions.list_open(s, c.token),
                 ended=ended)


@router.post("/security/sessions/end-others")
def sessions_end_others(c: Caller = Depends(caller), s: Session = DB
                        ) -> Response:
    ended = sessions.end_others(s, c.token)
    return RedirectResponse(f"/security/sessions?ended={ended}", status_code=303)


def _token_page(request: Request, c: Caller, s: Session, *, status_code: int = 200,
                error: str | None = None, done: str | None = None,
                provisioning: tokens.SoftTokenProvisioning | None = None) -> HTMLResponse:
    contract = contract_of(s, c.user)
    pending = list(auth_repo.tokens_of_user(s, c.user.id, (TokenState.PENDING,)))
    return _page(request, c, "auth/token.html", status_code=status_code,
                 token=auth_repo.active_token(s, c.user.id), kind=contract.token_kind,
                 pending=pending[-1] if pending else None, provisioning=provisioning,
                 error=error, done=done)


@router.get("/security/token", response_class=HTMLResponse)
def token_page(request: Request, c: Caller = Depends(caller), s: Session = DB
               ) -> HTMLResponse:
    """Register the hard token the bank lent, or a soft token on the smartphone (CRED-1..3)."""
    return _token_page(request, c, s)


def _token_outcome(request: Request, c: Caller, s: Session, run: Any, done: str
                   ) -> HTMLResponse:
    lang = language(request)
    try:
        with s.begin_nested():
            outcome = run()
    except DomainError as exc:
        return _token_page(request, c, s, status_code=exc.status, error=message(exc, lang))
    if isinstance(outcome, Rejected):
        return _token_page(request, c, s, status_code=outcome.error.status,
                           error=message(outcome.error, lang))
    return _token_page(request, c, s, done=done)


@router.post("/security/token/hard", response_class=HTMLResponse)
def token_hard(request: Request, serial: str = Form(""), code: str = Form(""),
               c: Caller = Depends(caller), s: Session = DB) -> HTMLResponse:
    """利用開始登録: the serial on the back of the token and the code it shows now."""
    return _token_outcome(request, c, s, lambda: tokens.register_hard_token(
        s, user_id=c.user.id, serial=_cut(serial).strip(), code=_cut(code)), "hard")


@router.post("/security/token/soft", response_class=HTMLResponse)
def token_soft(request: Request, device_label: str = Form(""), c: Caller = Depends(caller),
               s: Session = DB) -> HTMLResponse:
    """Start a soft token: the otpauth URI is shown once, for the authenticator app."""
    lang = language(request)
    try:
        with s.begin_nested():
            provisioning = tokens.provision_soft_token(s, user_id=c.user.id,
                                                       device_label=device_label[:80])
    except DomainError as exc:
        return _token_page(request, c, s, status_code=exc.status, error=message(exc, lang))
    return _token_page(request, c, s, provisioning=provisioning)


@router.post("/security/token/soft/confirm", response_class=HTMLResponse)
def token_soft_confirm(request: Request, serial: str = Form(""), code: str = Form(""),
                       c: Caller = Depends(caller), s: Session = DB
                       ) -> HTMLResponse:
    return _token_outcome(request, c, s, lambda: tokens.confirm_soft_token(
        s, user_id=c.user.id, serial=_cut(serial).strip(), code=_cut(code)), "soft")


CREDENTIALS = tuple(compromise.Credential)


def _reportable(s: Session, user: AuthUser) -> tuple[compromise.Credential, ...]:
    """What this customer holds and so can lose or have stolen: a card only with a card, a
    token only with a token; certificates and approval phones are the business net's.
    A password someone else learned, and "other", can always be reported."""
    C = compromise.Credential
    held = [C.PASSWORD]
    if auth_repo.active_token(s, user.id) is not None or user.product is not Product.RETAIL_001:
        held.append(C.TOKEN)
    if auth_repo.active_card(s, user.id) is not None:
        held.append(C.CARD)
    if user.product is Product.CORPORATE_002:
        held += [C.CERTIFICATE, C.DEVICE]
    return (*held, C.OTHER)


@router.get("/security/report", response_class=HTMLResponse)
def report_page(request: Request, c: Caller = Depends(caller), s: Session = DB
                ) -> HTMLResponse:
    """Report a lost or stolen credential or device (CRED-6, SUSP-1)."""
    return _page(request, c, "auth/report.html", credentials=_reportable(s, c.user),
                 error=None, master=c.user.role is UserRole.MASTER)


@router.post("/security/report", response_class=HTMLResponse)
def report_submit(request: Request, credential: str = Form(""), note: str = Form(""),
                  whole_contract: str = Form(""), understood: str = Form(""),
                  c: Caller = Depends(caller), s: Session = DB) -> Response:
    """Stop the service at once: the user is suspended, every session ends (this one too)
    and the reported credential is put out of use."""
    lang = language(request)
    if credential not in {x.value for x in _reportable(s, c.user)} or understood != "yes":
        return _page(request, c, "auth/report.html", status_code=422,
                     credentials=_reportable(s, c.user), master=c.user.role is UserRole.MASTER,
                     error=(tr(lang,
                         "届け出る対象を選び、ご利用停止の確認欄をチェックしてください。")))
    scope = (CompromiseScope.CONTRACT
             if whole_contract == "yes" and c.user.role is UserRole.MASTER
             else CompromiseScope.USER)
    report_id = compromise.report(s, user_id=c.user.id,
                                  credential=compromise.Credential(credential), channel="web",
                                  scope=scope, note=note[:500], actor=user_actor(c.user))
    response = render(request, "auth/reported.html", report_id=report_id)
    clear_session_cookie(response)
    return response
