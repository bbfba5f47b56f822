"""The authentication JSON API (AUTH-1..13, CRED-1..6) for the mobile app and API clients.

Thin translations to :mod:`kinko.auth`, like the pages. A login answers one of three statuses:
``logged_in`` (a full session token), ``second_factor_required`` or ``change_required`` (a
limited token that opens only ``/second-step`` or ``/change-credentials``). A failed attempt
is answered as problem+json with a stable code *after* its counters commit. Tokens travel in
``Authorization: Bearer``; the limited ones are accepted from that header only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from kinko.auth import compromise, passwords, sessions, tokens
from kinko.auth import repository as auth_repo
from kinko.auth.effects import user_actor
from kinko.auth.errors import CertificateRejected, SessionExpired
from kinko.auth.login import (
    change_credentials,
    complete_second_step,
    login_corporate,
    login_corporate_certificate,
    login_retail_001,
    login_retail_003,
)
from kinko.auth.models import CompromiseScope, Product, SecretKind, UserRole
from kinko.auth.outcomes import (
    LoggedIn,
    LoginResult,
    MustChangeCredentials,
    NeedsSecondFactor,
    Rejected,
)
from kinko.auth.users import contract_of
from kinko.web.auth import Caller, caller, check_csrf, csrf_token, token_of
from kinko.web.deps import DB
from kinko.web.i18n import request_language
from kinko.web.pages.auth import (
    client_certificate,
    client_of,
    guarded_login,
    new_confirmation_code,
    register_login_id,
    retry_after_header,
)
from kinko.web.params import Line, Text
from kinko.web.problems import Problem

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])

PROBLEM = "application/problem+json"


def _problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    meaning = {401: "wrong credentials (AUTH_INVALID_CREDENTIALS, "
                    "AUTH_CONFIRMATION_CODE_MISMATCH) or no session (AUTH_SESSION_EXPIRED)",
               403: "stopped (AUTH_SUSPENDED), form expired (CSRF_REFUSED) or "
                    "a limited session (AUTH_SCOPE_NOT_ALLOWED)",
               409: "the token or factor does not allow this (AUTH_TOKEN_STATE, "
                    "AUTH_FACTOR_NOT_AVAILABLE)",
               422: "bad input (VALIDATION_FAILED, AUTH_PASSWORD_REJECTED, "
                    "AUTH_LOGIN_ID_REJECTED, AUTH_OLD_PASSWORD_MISMATCH)",
               423: "locked out or blocked (AUTH_LOCKED_OUT, AUTH_LOCKED_UNTIL_RELEASED, "
                    "AUTH_BLOCKED)",
               429: "too many failed attempts from this address or on this ID "
                    "(AUTH_TOO_MANY_ATTEMPTS); Retry-After gives the seconds to wait"}
    return {s: {"model": Problem, "description": meaning[s],
                "content": {PROBLEM: {}}} for s in statuses}


def rejected(result: Rejected, lang: str) -> JSONResponse:
    """A failed attempt: its counters are committed with this request; the answer is the
    error the customer may be told (never which factor was wrong, AUTH-10)."""
    response = JSONResponse(result.error.to_problem(lang), status_code=result.error.status,
                            media_type=PROBLEM)
    retry_after_header(response, result.error)
    return response


Secret = Annotated[Line, Field(min_length=1, max_length=128)]
Code = Annotated[Line, Field(min_length=1, max_length=16)]
# Registered attributes by kind: phone, name, name_kana (AUTH-2); other keys are ignored.
Attributes = Annotated[dict[Annotated[Line, Field(max_length=20)],
                            Annotated[Line, Field(max_length=100)]],
                       Field(max_length=3, examples=[{"phone": "090-1234-5678"}])]


class LoginOut(BaseModel):
    status: Literal["logged_in", "second_factor_required", "change_required"]
    session_token: str = Field(description="full session, or a limited one for the next step")
    csrf_token: str = Field(description="for cookie-borne requests (X-CSRF-Token)")
    previous_login_at: datetime | None = Field(None, description="AUTH-13: the login before")
    previous_login_place: str | None = None
    factors: list[str] = Field(default_factory=list, description="second-step factors")
    change: list[str] = Field(default_factory=list,
                              description="login_password / login_id / confirmation_password")
    expired: bool = Field(False, description="the password expired (AUTH-8)")

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"status": "logged_in", "session_token": "q3Xo…", "csrf_token": "9f2c…",
         "previous_login_at": "2026-11-19T21:04:00+09:00",
         "previous_login_place": "203.0.113.7", "factors": [], "change": [],
         "expired": False},
        {"status": "change_required", "session_token": "Zk1…", "csrf_token": "77ab…",
         "change": ["login_id", "login_password"], "factors": [], "expired": False}]})


def login_out(result: LoginResult, lang: str) -> JSONResponse | LoginOut:
    if isinstance(result, Rejected):
        return rejected(result, lang)
    token = result.session_token
    if isinstance(result, LoggedIn):
        return LoginOut(status="logged_in", session_token=token, csrf_token=csrf_token(token),
                        previous_login_at=result.previous_login_at,
                        previous_login_place=result.previous_login_place)
    if isinstance(result, NeedsSecondFactor):
        return LoginOut(status="second_factor_required", session_token=token,
                        csrf_token=csrf_token(token), factors=[f.value for f in result.factors])
    assert isinstance(result, MustChangeCredentials)
    return LoginOut(status="change_required", session_token=token,
                    csrf_token=csrf_token(token), change=sorted(result.change),
                    expired=result.expired)


LOGIN_RESPONSES = _problems(401, 403, 423, 429)


# --- confirmation code ---------------------------------------------------------------------


class CodeOut(BaseModel):
    challenge_id: str
    image: str = Field(description="data: URI of a PNG showing the code")
    expires_at: datetime


@router.post("/confirmation-code", response_model=CodeOut,
             summary="確認コードの発行 / a confirmation code image (retail-003 login)")
def confirmation_code(s: Session = DB) -> CodeOut:
    """The code is only in the image; type it as ``confirmation_code`` with the login. Each
    code is used once, right or wrong, and expires in a few minutes."""
    code = new_confirmation_code(s)
    return CodeOut(challenge_id=code.challenge_id, image=code.image, expires_at=code.expires_at)


# --- login per product -------------------------------------------------------------------


class Retail001In(BaseModel):
    member_number: Line = Field(..., min_length=1, max_length=32, examples=["10000001"])
    password: Secret
    attributes: Attributes | None = Field(
        None, description="registered attributes, when the bank asks for them (AUTH-2)")

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"member_number": "10000001", "password": "Yamada7Kinko"}]})


class Retail003In(BaseModel):
    user_id: Line = Field(..., min_length=1, max_length=32)
    password: Secret
    otp_code: Code
    challenge_id: Line = Field(..., min_length=1, max_length=64)
    confirmation_code: Code

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"user_id": "U202600002", "password": "Hanako5Kari", "otp_code": "123456",
         "challenge_id": "from POST /confirmation-code", "confirmation_code": "K7MPQ2"}]})


class CorporateIn(BaseModel):
    login_id: Line = Field(..., min_length=1, max_length=32)
    password: Secret

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"login_id": "kinkoshoji", "password": "Shoji5Login"}]})


class CertificateIn(BaseModel):
    password: Secret


@router.post("/login/retail-001", response_model=LoginOut, responses=LOGIN_RESPONSES,
             summary="ログイン（会員番号）/ log in: member number + password")
def login_001(body: Retail001In, request: Request,
              s: Session = DB, lang: str = Depends(request_language)) -> Any:
    return login_out(guarded_login(s, request, Product.RETAIL_001, body.member_number, lambda: (
        login_retail_001(s, member_number=body.member_number, password=body.password,
                         attributes=body.attributes, client=client_of(request)))), lang)


@router.post("/login/retail-003", response_model=LoginOut, responses=LOGIN_RESPONSES,
             summary="ログイン（ユーザID・ワンタイムパスワード）/ log in: user ID + password + "
                     "one-time password + confirmation code")
def login_003(body: Retail003In, request: Request,
              s: Session = DB, lang: str = Depends(request_language)) -> Any:
    return login_out(guarded_login(s, request, Product.RETAIL_003, body.user_id, lambda: (
        login_retail_003(s, user_id=body.user_id, password=body.password,
                         otp_code=body.otp_code, challenge_id=body.challenge_id,
                         confirmation_code=body.confirmation_code,
                         client=client_of(request)))), lang)


@router.post("/login/corporate", response_model=LoginOut, responses=LOGIN_RESPONSES,
             summary="ログイン（法人・ID・パスワード方式）/ log in: business, ID and password")
def login_002(body: CorporateIn, request: Request,
              s: Session = DB, lang: str = Depends(request_language)) -> Any:
    return login_out(guarded_login(s, request, Product.CORPORATE_002, body.login_id, lambda: (
        login_corporate(s, login_id=body.login_id, password=body.password,
                        client=client_of(request)))), lang)


@router.post("/login/corporate-certificate", response_model=LoginOut,
             responses=LOGIN_RESPONSES,
             summary="ログイン（法人・電子証明書方式）/ log in: business, certificate + password")
def login_002_certificate(body: CertificateIn, request: Request,
                          s: Session = DB, lang: str = Depends(request_language)
                          ) -> Any:
    """The certificate is the one the TLS server verified during the handshake (it proved
    the key); a certificate sent in the body would prove nothing and is not accepted."""
    pem = client_certificate(request)
    if pem is None:
        return rejected(Rejected(error=CertificateRejected(detail="no client certificate")),
                        lang)
    return login_out(login_corporate_certificate(s, certificate_pem=pem,
                                                 password=body.password,
                                                 client=client_of(request)), lang)


class FirstUseIn(BaseModel):
    branch_code: str = Field(..., pattern=r"^\d{3}$", examples=["001"])
    account_type: Literal["ordinary", "checking"] = "ordinary"
    account_number: str = Field(..., pattern=r"^\d{7}$", examples=["0100001"])
    temporary_login_password: Secret
    temporary_confirmation_password: Secret
    login_id: Line = Field(..., min_length=1, max_length=32, examples=["kinkoshoji"])


@router.post("/first-use", status_code=204, responses=_problems(401, 422, 423, 429),
             summary="ログインIDの登録（法人・初回）/ register the master user's login ID")
def first_use(body: FirstUseIn, request: Request, s: Session = DB,
              lang: str = Depends(request_language)) -> Response:
    result = register_login_id(s, **body.model_dump(), address=client_of(request).ip)
    if isinstance(result, Rejected):
        return rejected(result, lang)
    return Response(status_code=204)


# --- limited sessions: second step, forced change ----------------------------------------


def bearer(request: Request) -> str:
    """The limited token of a half-finished login: from the Authorization header only."""
    token, from_cookie = token_of(request)
    if not token or from_cookie:
        raise SessionExpired(detail="Authorization: Bearer <token> is required")
    return token


class SecondStepIn(BaseModel):
    attributes: Attributes | None = None
    secret_phrase: Line | None = Field(None, max_length=128)

    model_config = ConfigDict(json_schema_extra={"examples": [{"secret_phrase": "きんこ"}]})


@router.post("/second-step", response_model=LoginOut, responses=_problems(401, 403, 423),
             summary="ログインの追加認証 / finish a login that needs a second factor")
def second_step(body: SecondStepIn, request: Request, token: str = Depends(bearer),
                s: Session = DB, lang: str = Depends(request_language)) -> Any:
    return login_out(complete_second_step(s, session_token=token, attributes=body.attributes,
                                          secret_phrase=body.secret_phrase,
                                          client=client_of(request)), lang)


class ChangeIn(BaseModel):
    current_password: Secret
    new_password: Line | None = Field(None, max_length=128)
    new_login_id: Line | None = Field(None, max_length=32)
    current_confirmation_password: Line | None = Field(None, max_length=128)
    new_confirmation_password: Line | None = Field(None, max_length=128)

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"current_password": "Hanako5Kari", "new_login_id": "hanako01",
         "new_password": "Sakura8Hana"}]})


@router.post("/change-credentials", response_model=LoginOut,
             responses=_problems(401, 403, 422, 423),
             summary="ID・パスワードの変更（初回・期限切れ）/ the forced change of credentials")
def change(body: ChangeIn, request: Request, token: str = Depends(bearer),
           s: Session = DB, lang: str = Depends(request_language)) -> Any:
    """Every credential the login named in ``change`` is required. Success opens a full
    session (a new token)."""
    return login_out(change_credentials(s, session_token=token, client=client_of(request),
                                        **body.model_dump()), lang)


# --- the logged-in customer ----------------------------------------------------------------


@router.post("/logout", status_code=204, dependencies=[Depends(check_csrf)],
             summary="ログアウト / end this session")
def logout(request: Request, s: Session = DB) -> Response:
    """Ends the presented session (full or limited); an ended one is not an error."""
    token, _ = token_of(request)
    if token:
        sessions.end(s, token, reason="logout")
    return Response(status_code=204)


class SessionOut(BaseModel):
    id: int
    channel: str
    login_method: str
    ip: str | None
    user_agent: str | None
    created_at: datetime
    last_seen_at: datetime
    current: bool


@router.get("/sessions", response_model=list[SessionOut], responses=_problems(401),
            summary="ログイン中の端末 / open sessions")
def list_sessions(c: Caller = Depends(caller), s: Session = DB) -> Any:
    return [SessionOut(id=i.id, channel=i.channel, login_method=i.login_method, ip=i.ip,
                       user_agent=i.user_agent, created_at=i.created_at,
                       last_seen_at=i.last_seen_at, current=i.current)
            for i in sessions.list_open(s, c.token)]


class EndedOut(BaseModel):
    ended: int


@router.post("/sessions/end-others", response_model=EndedOut, responses=_problems(401, 403),
             summary="他の端末をログアウト / end every other session")
def end_others(c: Caller = Depends(caller), s: Session = DB) -> EndedOut:
    return EndedOut(ended=sessions.end_others(s, c.token))


class PasswordIn(BaseModel):
    kind: Literal["login_password", "confirmation_password"] = "login_password"
    current: Secret
    new: Secret

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"kind": "login_password", "current": "Yamada7Kinko", "new": "Taro8Shinki"}]})


@router.post("/password", status_code=204, responses=_problems(401, 403, 422, 423),
             summary="パスワードの変更 / change a password (AUTH-8)")
def change_password(body: PasswordIn, c: Caller = Depends(caller),
                    s: Session = DB, lang: str = Depends(request_language)) -> Response:
    """The old password must match the latest one; other sessions end on success."""
    kind = SecretKind(body.kind)
    outcome = passwords.change_secret(s, user_id=c.user.id, kind=kind, old=body.current,
                                      new=body.new)
    if isinstance(outcome, Rejected):
        return rejected(outcome, lang)
    sessions.end_others(s, c.token)
    return Response(status_code=204)


class TokenOut(BaseModel):
    contract_token_kind: Literal["hard", "soft"] | None
    active: bool
    serial: str | None = None
    kind: Literal["hard", "soft"] | None = None
    expires_on: str | None = None


@router.get("/token", response_model=TokenOut, responses=_problems(401),
            summary="ワンタイムパスワードの状態 / the caller's OTP token")
def token_status(c: Caller = Depends(caller), s: Session = DB) -> TokenOut:
    contract = contract_of(s, c.user)
    token = auth_repo.active_token(s, c.user.id)
    kind = None if contract.token_kind is None else contract.token_kind.value
    if token is None:
        return TokenOut(contract_token_kind=kind, active=False)
    return TokenOut(contract_token_kind=kind, active=True, serial=token.serial,
                    kind=token.kind.value,
                    expires_on=None if token.expires_on is None else token.expires_on.isoformat())


class HardTokenIn(BaseModel):
    serial: Line = Field(..., min_length=1, max_length=32, examples=["ET-DEMO-0001"])
    code: Code


@router.post("/token/hard", status_code=204, responses=_problems(401, 409, 423),
             summary="ハードウェアトークンの利用登録 / register a lent hard token (CRED-1)")
def register_hard(body: HardTokenIn, c: Caller = Depends(caller),
                  s: Session = DB, lang: str = Depends(request_language)) -> Response:
    outcome = tokens.register_hard_token(s, user_id=c.user.id, serial=body.serial,
                                         code=body.code)
    if isinstance(outcome, Rejected):
        return rejected(outcome, lang)
    return Response(status_code=204)


class SoftTokenIn(BaseModel):
    device_label: Line = Field("", max_length=80)


class SoftTokenOut(BaseModel):
    serial: str
    provisioning_uri: str = Field(description="otpauth:// URI for the authenticator app; "
                                              "shown once")


@router.post("/token/soft", response_model=SoftTokenOut, status_code=201,
             responses=_problems(401, 409),
             summary="ソフトウェアトークンの登録開始 / start a soft token (CRED-2)")
def provision_soft(body: SoftTokenIn, c: Caller = Depends(caller),
                   s: Session = DB) -> SoftTokenOut:
    p = tokens.provision_soft_token(s, user_id=c.user.id, device_label=body.device_label)
    return SoftTokenOut(serial=p.serial, provisioning_uri=p.provisioning_uri)


@router.post("/token/soft/confirm", status_code=204, responses=_problems(401, 409, 423),
             summary="ソフトウェアトークンの利用登録 / confirm a soft token with its first code")
def confirm_soft(body: HardTokenIn, c: Caller = Depends(caller),
                 s: Session = DB, lang: str = Depends(request_language)) -> Response:
    outcome = tokens.confirm_soft_token(s, user_id=c.user.id, serial=body.serial,
                                        code=body.code)
    if isinstance(outcome, Rejected):
        return rejected(outcome, lang)
    return Response(status_code=204)


class CompromiseIn(BaseModel):
    credential: compromise.Credential = Field(..., examples=["token"])
    note: Text = Field("", max_length=500)
    whole_contract: bool = Field(False, description="master users: stop every user")


class CompromiseOut(BaseModel):
    report_id: int
    status: Literal["service_stopped"] = "service_stopped"


@router.post("/compromise", response_model=CompromiseOut, status_code=202,
             responses=_problems(401, 403),
             summary="紛失・盗難の届出 / report loss or theft: stops the service at once")
def report_compromise(body: CompromiseIn, c: Caller = Depends(caller),
                      s: Session = DB) -> CompromiseOut:
    """CRED-6 / SUSP-1: the user (or, for a master user, the whole contract) is suspended,
    every session ends — this token too — and the credential is put out of use."""
    scope = (CompromiseScope.CONTRACT
             if body.whole_contract and c.user.role is UserRole.MASTER
             else CompromiseScope.USER)
    report_id = compromise.report(s, user_id=c.user.id, credential=body.credential,
                                  channel="app", scope=scope, note=body.note,
                                  actor=user_actor(c.user))
    return CompromiseOut(report_id=report_id)
