"""The business net's JSON API (PRD-2..4, APR-1, BULK-1, CRED-2): the caller's services, user
management, approval modes, transfers under approval, the payee master's changes and token
applications.

Thin translations to :mod:`kinko.corporate.service`; the checks (manager only, course,
grants) live there, so pages, files and batches get the same answers."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from kinko.auth import approvals as phone
from kinko.auth.models import AuthContract, UserRole
from kinko.auth.outcomes import Rejected
from kinko.auth.policy import Operation
from kinko.bulk import rules as bulk_rules
from kinko.bulk import service as bulk
from kinko.bulk.errors import BulkFileRefused
from kinko.bulk.models import BulkKind
from kinko.corporate import entitlements
from kinko.corporate import service as corporate
from kinko.corporate.rules import parse_services
from kinko.corporate_portal import payees as master
from kinko.corporate_portal import tokens as token_apps
from kinko.corporate_portal import transfer_approvals
from kinko.errors import DomainError, ValidationFailed
from kinko.web.auth import Caller, caller, csrf_token, set_session_cookie
from kinko.web.deps import DB
from kinko.web.i18n import language, request_language
from kinko.web.params import LINE_PATTERN, Id, LimitAmount
from kinko.web.routes.bulk import relying_party
from kinko.web.routes.retail import rejection
from kinko.web.stepup import StepUpAnswers, after_step_up, plan, prove
from kinko.web.templating import render

router = APIRouter(prefix="/api/v1/corporate", tags=["corporate"])
Services = Annotated[str, Field(max_length=14, pattern=r"^[A-Na-n]*$",
                                description="service letters A–N, e.g. 'ABCH'")]


def _view(v: corporate.UserView) -> dict[str, Any]:
    return {"id": v.id, "login_id": v.login_id, "role": v.role, "display_name": v.display_name,
            "email": v.email, "state": v.state, "services": v.services,
            "per_transaction_limit": v.per_transaction_limit, "daily_limit": v.daily_limit,
            "account_ids": v.account_ids, "token_registered": v.has_token}


class GrantsIn(BaseModel):
    services: Services = ""
    per_transaction_limit: LimitAmount | None = None
    daily_limit: LimitAmount | None = None
    account_ids: list[Id] = Field(default_factory=list, max_length=200)


class UserIn(GrantsIn):
    role: Annotated[str, Field(pattern=r"^(admin|general)$")]
    login_id: Annotated[str, Field(min_length=1, max_length=32, pattern=LINE_PATTERN)]
    temporary_login_password: Annotated[str, Field(min_length=1, max_length=64)]
    temporary_confirmation_password: Annotated[str, Field(min_length=1, max_length=64)]
    display_name: Annotated[str, Field(max_length=120, pattern=LINE_PATTERN)] = ""
    email: Annotated[str | None, Field(max_length=254, pattern=LINE_PATTERN)] = None


class ApprovalModeIn(BaseModel):
    mode: Annotated[str, Field(pattern=r"^(none|single|double)$")] = "single"


def _services(text: str) -> Any:
    try:
        return parse_services(text)
    except ValueError as exc:  # pragma: no cover - the pattern refuses it first
        raise ValidationFailed(detail="service letters are A–N") from exc


@router.get("/me", summary="利用者情報と利用できるサービス / the caller's services")
def me(c: Caller = Depends(caller), s: Session = DB) -> dict[str, Any]:
    return _view(corporate.me(s, c.actor))


@router.get("/users", summary="利用者の一覧 / users of the contract")
def users(c: Caller = Depends(caller), s: Session = DB) -> dict[str, Any]:
    return {"users": [_view(v) for v in corporate.list_users(s, c.actor)]}


@router.post("/users", status_code=201, summary="利用者の登録 / add a user")
def add_user(body: UserIn, c: Caller = Depends(caller), s: Session = DB) -> dict[str, Any]:
    return _view(corporate.create_user(
        s, c.actor, role=UserRole(body.role), login_id=body.login_id,
        temporary_login_password=body.temporary_login_password,
        temporary_confirmation_password=body.temporary_confirmation_password,
        display_name=body.display_name, email=body.email, services=_services(body.services),
        per_transaction=body.per_transaction_limit, daily=body.daily_limit,
        account_ids=body.account_ids))


@router.put("/users/{user_id}/grants", summary="権限・限度額・口座 / a user's grants")
def set_grants(user_id: Id, body: GrantsIn, c: Caller = Depends(caller), s: Session = DB
               ) -> dict[str, Any]:
    return _view(corporate.set_grants(
        s, c.actor, user_id, services=_services(body.services),
        per_transaction=body.per_transaction_limit, daily=body.daily_limit,
        account_ids=body.account_ids))


@router.post("/users/{user_id}/suspend", summary="利用停止 / suspend a user")
def suspend(user_id: Id, c: Caller = Depends(caller), s: Session = DB) -> dict[str, Any]:
    return _view(corporate.suspend_user(s, c.actor, user_id, suspend=True))


@router.post("/users/{user_id}/resume", summary="利用再開 / resume a user")
def resume(user_id: Id, c: Caller = Depends(caller), s: Session = DB) -> dict[str, Any]:
    return _view(corporate.suspend_user(s, c.actor, user_id, suspend=False))


@router.put("/approval-modes/{kind}", summary="承認方式 / approval mode (APR-1)")
def approval_mode(kind: Annotated[str, Path(pattern=r"^(bulk|payroll|transfer)$")],
                  body: ApprovalModeIn, c: Caller = Depends(caller), s: Session = DB
                  ) -> dict[str, Any]:
    corporate.set_approval_mode(s, c.actor, kind=kind, mode=body.mode)
    return {"kind": kind, "mode": body.mode}


# --- transfer approvals (APR-1, AUTH-12) -------------------------------------------------------

def _pending_view(p: transfer_approvals.Pending, user_id: int) -> dict[str, Any]:
    a = p.approval
    return {"instruction_id": a.instruction_id, "state": a.state, "mode": a.mode,
            "version": a.version, "digest": a.digest, "signed_details": p.details,
            "cutoff_at": a.cutoff_at.isoformat(), "maker_user_id": a.maker_user_id,
            "instruction_status": p.instruction.status.value, "next_step": p.next_step,
            "reason": a.reason,
            "approvals": [{"step": g.step, "user_id": g.user_id, "via_phone": g.via_phone}
                          for g in p.given],
            "can_approve": transfer_approvals.can_approve(p, user_id)}


class TransferApproveIn(StepUpAnswers):
    digest: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")] = "0" * 64
    phone_approval_id: Annotated[str | None, Field(max_length=100, pattern=LINE_PATTERN)] = None


class RejectIn(BaseModel):
    reason: Annotated[str, Field(max_length=200, pattern=LINE_PATTERN)] = ""


class TransferEditIn(BaseModel):
    amount: Annotated[int, Field(ge=1, le=9_999_999_999)]


@router.get("/transfer-approvals", summary="振込の承認状況 / transfers under approval")
def transfer_approval_list(c: Caller = Depends(caller), s: Session = DB) -> dict[str, Any]:
    return {"transfers": [_pending_view(p, c.user.id)
                          for p in transfer_approvals.list_for(s, c.actor)]}


@router.get("/transfer-approvals/{instruction_id}", summary="承認の対象 / what is approved")
def transfer_approval_get(instruction_id: Id, c: Caller = Depends(caller), s: Session = DB
                          ) -> dict[str, Any]:
    return _pending_view(transfer_approvals.get(s, c.actor, instruction_id), c.user.id)


@router.post("/transfer-approvals/{instruction_id}/approval",
             summary="承認の準備 / what the approval asks for")
def transfer_approval_plan(instruction_id: Id, c: Caller = Depends(caller), s: Session = DB
                           ) -> dict[str, Any]:
    p = transfer_approvals.get(s, c.actor, instruction_id)
    return {"signed_details": p.details, "digest": p.approval.digest,
            **plan(s, c, Operation.APPROVAL, p.details)}


@router.post("/transfer-approvals/{instruction_id}/phone-approval",
             summary="スマホ承認の依頼 / send the approval to the caller's smartphone")
def transfer_phone_approval(instruction_id: Id, request: Request, c: Caller = Depends(caller),
                            s: Session = DB) -> dict[str, Any]:
    p = transfer_approvals.get(s, c.actor, instruction_id)
    opened = phone.request_approval(s, user_id=c.user.id, operation=Operation.APPROVAL,
                                    details=p.details, rp=relying_party(request))
    return {"phone_approval_id": opened.approval_id, "digest": opened.operation_digest,
            "details": opened.details}


@router.post("/transfer-approvals/{instruction_id}/approve",
             summary="承認 / approve (step-up or smartphone)")
def transfer_approve(instruction_id: Id, body: TransferApproveIn, request: Request,
                     c: Caller = Depends(caller), s: Session = DB,
                     lang: str = Depends(request_language)) -> Any:
    p = transfer_approvals.get(s, c.actor, instruction_id)
    if body.phone_approval_id:
        done = transfer_approvals.approve(s, c.actor, instruction_id, digest=body.digest,
                                          phone_approval_id=body.phone_approval_id)
        return _pending_view(done, c.user.id)
    proved = prove(s, c, Operation.APPROVAL, p.details, body, binds=p.approval.digest)
    if isinstance(proved, Rejected):
        return rejection(proved, lang)
    proof, new_token = proved
    result = after_step_up(s, c, request, lang, lambda: transfer_approvals.approve(
        s, c.actor, instruction_id, digest=body.digest, step_up=proof))
    if isinstance(result, JSONResponse):
        return result
    return _pending_view(result, c.user.id) | {"session_token": new_token,
                                               "csrf_token": csrf_token(new_token)}


@router.post("/transfer-approvals/{instruction_id}/reject", summary="差戻し / reject")
def transfer_reject(instruction_id: Id, body: RejectIn, c: Caller = Depends(caller),
                    s: Session = DB) -> dict[str, Any]:
    return _pending_view(transfer_approvals.reject(s, c.actor, instruction_id,
                                                   reason=body.reason), c.user.id)


@router.post("/transfer-approvals/{instruction_id}/withdraw",
             summary="取下げ / the maker withdraws")
def transfer_withdraw(instruction_id: Id, c: Caller = Depends(caller), s: Session = DB
                      ) -> dict[str, Any]:
    return _pending_view(transfer_approvals.withdraw(s, c.actor, instruction_id), c.user.id)


@router.patch("/transfer-approvals/{instruction_id}",
              summary="金額の訂正 / change the amount (voids approvals)")
def transfer_edit(instruction_id: Id, body: TransferEditIn, c: Caller = Depends(caller),
                  s: Session = DB) -> dict[str, Any]:
    return _pending_view(transfer_approvals.edit(s, c.actor, instruction_id,
                                                 amount=body.amount), c.user.id)


# --- the payee master (BULK-1) -----------------------------------------------------------------

class MasterPayeeIn(BaseModel):
    bank_code: Annotated[str, Field(pattern=r"^\d{4}$")]
    branch_code: Annotated[str, Field(pattern=r"^\d{3}$")]
    account_type: Annotated[str, Field(pattern=r"^[1249]$")] = "1"
    account_number: Annotated[str, Field(pattern=r"^\d{7}$")]
    payee_kana: Annotated[str, Field(min_length=1, max_length=30, pattern=LINE_PATTERN)]
    edi: Annotated[str | None, Field(max_length=140, pattern=LINE_PATTERN)] = None

    def payee(self) -> bulk_rules.Payee:
        return bulk_rules.Payee(self.bank_code, self.branch_code, self.account_type,
                                self.account_number, self.payee_kana, 1, self.edi or None)


def _master_view(p: Any) -> dict[str, Any]:
    return {"id": p.id, "kind": p.kind, "bank_code": p.bank_code, "branch_code": p.branch_code,
            "account_type": p.account_type, "account_number": p.account_number,
            "payee_kana": p.payee_kana, "edi": p.edi}


@router.put("/bulk-payees/{payee_id}", summary="振込先マスタの変更 / change a payee")
def change_payee(payee_id: Id, body: MasterPayeeIn, c: Caller = Depends(caller),
                 s: Session = DB) -> dict[str, Any]:
    return _master_view(master.change(s, c.actor, payee_id, payee=body.payee()))


@router.delete("/bulk-payees/{payee_id}", status_code=204,
               summary="振込先マスタの削除 / delete a payee")
def delete_payee(payee_id: Id, c: Caller = Depends(caller), s: Session = DB) -> Response:
    master.delete(s, c.actor, payee_id)
    return Response(status_code=204)


# --- token applications (CRED-2, CRED-3) --------------------------------------------------------

class TokenApplicationIn(BaseModel):
    kind: Annotated[str, Field(pattern=r"^(to_soft|to_hard|deregister_phone)$")]
    note: Annotated[str, Field(max_length=200, pattern=LINE_PATTERN)] = ""


def _application_view(a: Any) -> dict[str, Any]:
    return {"id": a.id, "kind": a.kind, "state": a.state, "user_id": a.user_id,
            "note": a.note, "created_at": a.created_at.isoformat(),
            "decided_at": a.decided_at.isoformat() if a.decided_at else None}


@router.get("/token-applications", summary="トークンのお申込み / token applications")
def token_applications(c: Caller = Depends(caller), s: Session = DB) -> dict[str, Any]:
    return {"applications": [_application_view(a) for a in token_apps.list_for(s, c.actor)]}


@router.post("/token-applications", status_code=201,
             summary="トークン切替・スマホ利用解除の申込 / apply for a token switch")
def apply_token(body: TokenApplicationIn, c: Caller = Depends(caller), s: Session = DB
                ) -> dict[str, Any]:
    return _application_view(token_apps.apply(s, c.actor, kind=body.kind, note=body.note))


@router.post("/token-applications/{application_id}/withdraw", summary="申込の取下げ")
def withdraw_token_application(application_id: Id, c: Caller = Depends(caller),
                               s: Session = DB) -> dict[str, Any]:
    return _application_view(token_apps.withdraw(s, c.actor, application_id))


# === pages of the portal (/corporate/…): transfer approvals, the payee master, the hand-typed
# bulk form and token applications. The same services as the API; a refusal is the page again
# with the message (and each line's problem), nothing changed.

pages = APIRouter(prefix="/corporate", include_in_schema=False)
TYPED_ROWS = 10


def _page(request: Request, c: Caller, name: str, *, status_code: int = 200,
          token: str | None = None, **context: Any) -> HTMLResponse:
    return render(request, name, status_code=status_code, user=c.user,
                  csrf=csrf_token(token or c.token), **context)


def _msg(request: Request, exc: DomainError) -> str:
    return exc.for_customer(language(request))


# --- transfer approvals ------------------------------------------------------------------------

def _approvals_page(request: Request, c: Caller, s: Session, *, status_code: int = 200,
                    error: str | None = None) -> HTMLResponse:
    items = transfer_approvals.list_for(s, c.actor)
    manager = entitlements.is_manager(s, c.actor)
    contract = s.get(AuthContract, c.actor.contract_id)
    mode = corporate.settings_of(s, c.actor.contract_id).approval_transfer if manager else None
    return _page(request, c, "corporate/transfer_approvals.html", status_code=status_code,
                 items=items, me=c.user.id, can_approve=transfer_approvals.can_approve,
                 manager=manager, mode=mode, error=error,
                 smartphone=bool(contract and contract.smartphone_auth))


@pages.get("/transfer-approvals", response_class=HTMLResponse)
def approvals_page(request: Request, c: Caller = Depends(caller), s: Session = DB
                   ) -> HTMLResponse:
    return _approvals_page(request, c, s)


@pages.get("/phone/transfers", response_class=HTMLResponse)
def phone_transfers_page(request: Request, c: Caller = Depends(caller), s: Session = DB
                         ) -> HTMLResponse:
    """The phone's screen for transfers: each one waiting for this user, with exactly the
    details the phone signs (the same script as the bulk screen signs and approves)."""
    return _page(request, c, "corporate/transfer_phone.html",
                 pending=transfer_approvals.pending_for(s, c.actor),
                 registered=phone.has_device(s, c.user.id))


@pages.post("/transfer-approvals/mode", response_class=HTMLResponse)
def approvals_mode(request: Request, mode: Annotated[str, Form(max_length=8)] = "",
                   c: Caller = Depends(caller), s: Session = DB) -> Response:
    try:
        with s.begin_nested():
            corporate.set_approval_mode(s, c.actor, kind="transfer", mode=mode)
    except DomainError as exc:
        return _approvals_page(request, c, s, status_code=exc.status, error=_msg(request, exc))
    return RedirectResponse("/corporate/transfer-approvals", status_code=303)


def _approval_page(request: Request, c: Caller, s: Session, instruction_id: int, *,
                   status_code: int = 200, error: str | None = None,
                   token: str | None = None, phone_approval: str | None = None
                   ) -> HTMLResponse:
    p = transfer_approvals.get(s, c.actor, instruction_id)
    can = transfer_approvals.can_approve(p, c.user.id)
    step_up = plan(s, c, Operation.APPROVAL, p.details) if can and token is None else None
    return _page(request, c, "corporate/transfer_approval.html", status_code=status_code,
                 token=token, p=p, can=can, step_up=step_up, error=error,
                 maker=p.approval.maker_user_id == c.user.id, phone_approval=phone_approval,
                 manager=entitlements.is_manager(s, c.actor))


@pages.get("/transfer-approvals/{instruction_id}", response_class=HTMLResponse)
def approval_page(request: Request, instruction_id: Id, c: Caller = Depends(caller),
                  s: Session = DB) -> HTMLResponse:
    return _approval_page(request, c, s, instruction_id)


@pages.post("/transfer-approvals/{instruction_id}/approve", response_class=HTMLResponse)
def approve_page(request: Request, instruction_id: Id,
                 digest: Annotated[str, Form(max_length=64)] = "",
                 confirmation_password: Annotated[str, Form(max_length=64)] = "",
                 otp_code: Annotated[str, Form(max_length=12)] = "",
                 phone_approval_id: Annotated[str, Form(max_length=100)] = "",
                 c: Caller = Depends(caller), s: Session = DB) -> Response:
    """From the PC the step-up binds to the digest of the details shown; from the phone the
    approval signed there is handed in by its id."""
    p = transfer_approvals.get(s, c.actor, instruction_id)
    new_token: str | None = None
    try:
        if phone_approval_id:
            with s.begin_nested():
                transfer_approvals.approve(s, c.actor, instruction_id, digest=digest,
                                           phone_approval_id=phone_approval_id)
        else:
            answers = StepUpAnswers(confirmation_password=confirmation_password or None,
                                    otp_code=otp_code or None)
            proved = prove(s, c, Operation.APPROVAL, p.details, answers,
                           binds=p.approval.digest)
            if isinstance(proved, Rejected):
                raise proved.error
            proof, new_token = proved
            with s.begin_nested():
                transfer_approvals.approve(s, c.actor, instruction_id, digest=digest,
                                           step_up=proof)
        response: Response = RedirectResponse(f"/corporate/transfer-approvals/{instruction_id}",
                                              status_code=303)
    except DomainError as exc:
        response = _approval_page(request, c, s, instruction_id, status_code=exc.status,
                                  error=_msg(request, exc), token=new_token)
    if new_token is not None and c.from_cookie:
        set_session_cookie(response, request, new_token)
    return response


@pages.post("/transfer-approvals/{instruction_id}/phone", response_class=HTMLResponse)
def phone_page(request: Request, instruction_id: Id, c: Caller = Depends(caller),
               s: Session = DB) -> HTMLResponse:
    """Send the approval to the caller's smartphone; the page then takes the signed id."""
    try:
        with s.begin_nested():
            p = transfer_approvals.get(s, c.actor, instruction_id)
            opened = phone.request_approval(s, user_id=c.user.id, operation=Operation.APPROVAL,
                                            details=p.details, rp=relying_party(request))
    except DomainError as exc:
        return _approval_page(request, c, s, instruction_id, status_code=exc.status,
                              error=_msg(request, exc))
    return _approval_page(request, c, s, instruction_id, phone_approval=opened.approval_id)


def _decide(request: Request, c: Caller, s: Session, instruction_id: int,
            work: Any) -> Response:
    try:
        with s.begin_nested():
            work()
    except DomainError as exc:
        return _approval_page(request, c, s, instruction_id, status_code=exc.status,
                              error=_msg(request, exc))
    return RedirectResponse(f"/corporate/transfer-approvals/{instruction_id}", status_code=303)


@pages.post("/transfer-approvals/{instruction_id}/reject", response_class=HTMLResponse)
def reject_page(request: Request, instruction_id: Id,
                reason: Annotated[str, Form(max_length=200)] = "",
                c: Caller = Depends(caller), s: Session = DB) -> Response:
    return _decide(request, c, s, instruction_id, lambda: transfer_approvals.reject(
        s, c.actor, instruction_id, reason=reason.strip()))


@pages.post("/transfer-approvals/{instruction_id}/withdraw", response_class=HTMLResponse)
def withdraw_page(request: Request, instruction_id: Id, c: Caller = Depends(caller),
                  s: Session = DB) -> Response:
    return _decide(request, c, s, instruction_id,
                   lambda: transfer_approvals.withdraw(s, c.actor, instruction_id))


@pages.post("/transfer-approvals/{instruction_id}/edit", response_class=HTMLResponse)
def edit_page(request: Request, instruction_id: Id,
              amount: Annotated[str, Form(max_length=13)] = "",
              c: Caller = Depends(caller), s: Session = DB) -> Response:
    def work() -> None:
        text = amount.strip().replace(",", "")
        if not (text.isascii() and text.isdigit() and 0 < int(text) <= 9_999_999_999):
            raise ValidationFailed(detail="amount in yen", fields=["amount"])
        transfer_approvals.edit(s, c.actor, instruction_id, amount=int(text))
    return _decide(request, c, s, instruction_id, work)


# --- the payee master (振込先マスタ) --------------------------------------------------------

def _payee_form(bank_code: str, branch_code: str, account_type: str, account_number: str,
                payee_kana: str, edi: str) -> bulk_rules.Payee:
    return bulk_rules.Payee(bank_code.strip(), branch_code.strip(), account_type.strip(),
                            account_number.strip(), payee_kana.strip(), 1,
                            edi.strip() or None)


def _payees_page(request: Request, c: Caller, s: Session, kind: str, *,
                 status_code: int = 200, error: str | None = None,
                 problems: list[dict[str, Any]] | None = None,
                 form: dict[str, str] | None = None) -> HTMLResponse:
    return _page(request, c, "corporate/payees.html", status_code=status_code, kind=kind,
                 payees=master.list_payees(s, c.actor, kind=kind), error=error,
                 problems=problems or [], form=form or {}, types=bulk_rules.ACCOUNT_TYPES)


def _kind(kind: str) -> str:
    return kind if kind in master.KINDS else "bulk"


@pages.get("/payees", response_class=HTMLResponse)
def payees_page(request: Request, kind: Annotated[str, Query(max_length=8)] = "bulk",
                c: Caller = Depends(caller), s: Session = DB) -> HTMLResponse:
    return _payees_page(request, c, s, _kind(kind))


PayeeField = Annotated[str, Form(max_length=140)]


@pages.post("/payees", response_class=HTMLResponse)
def add_payee_page(request: Request, kind: Annotated[str, Form(max_length=8)] = "bulk",
                   bank_code: PayeeField = "", branch_code: PayeeField = "",
                   account_type: PayeeField = "1", account_number: PayeeField = "",
                   payee_kana: PayeeField = "", edi: PayeeField = "",
                   c: Caller = Depends(caller), s: Session = DB) -> Response:
    kind = _kind(kind)
    payee = _payee_form(bank_code, branch_code, account_type, account_number, payee_kana, edi)
    try:
        with s.begin_nested():
            master.check(s, payee, payroll=kind != "bulk")
            master.add(s, c.actor, kind=kind, payee=payee)
    except BulkFileRefused as exc:
        return _payees_page(request, c, s, kind, status_code=422, error=_msg(request, exc),
                            problems=exc.problems, form=payee._asdict() | {"amount": ""})
    except DomainError as exc:
        return _payees_page(request, c, s, kind, status_code=exc.status,
                            error=_msg(request, exc), form=payee._asdict() | {"amount": ""})
    return RedirectResponse(f"/corporate/payees?kind={kind}", status_code=303)


@pages.post("/payees/{payee_id}", response_class=HTMLResponse)
def change_payee_page(request: Request, payee_id: Id,
                      kind: Annotated[str, Form(max_length=8)] = "bulk",
                      bank_code: PayeeField = "", branch_code: PayeeField = "",
                      account_type: PayeeField = "1", account_number: PayeeField = "",
                      payee_kana: PayeeField = "", edi: PayeeField = "",
                      c: Caller = Depends(caller), s: Session = DB) -> Response:
    kind = _kind(kind)
    payee = _payee_form(bank_code, branch_code, account_type, account_number, payee_kana, edi)
    try:
        with s.begin_nested():
            master.change(s, c.actor, payee_id, payee=payee)
    except BulkFileRefused as exc:
        return _payees_page(request, c, s, kind, status_code=422, error=_msg(request, exc),
                            problems=[p | {"payee": payee_id} for p in exc.problems])
    except DomainError as exc:
        return _payees_page(request, c, s, kind, status_code=exc.status,
                            error=_msg(request, exc))
    return RedirectResponse(f"/corporate/payees?kind={kind}", status_code=303)


@pages.post("/payees/{payee_id}/delete", response_class=HTMLResponse)
def delete_payee_page(request: Request, payee_id: Id,
                      kind: Annotated[str, Form(max_length=8)] = "bulk",
                      c: Caller = Depends(caller), s: Session = DB) -> Response:
    kind = _kind(kind)
    try:
        with s.begin_nested():
            master.delete(s, c.actor, payee_id)
    except DomainError as exc:
        return _payees_page(request, c, s, kind, status_code=exc.status,
                            error=_msg(request, exc))
    return RedirectResponse(f"/corporate/payees?kind={kind}", status_code=303)


# --- a bulk request by form, payees typed in (and from the master) -------------------------

def _typed_page(request: Request, c: Caller, s: Session, *, status_code: int = 200,
                error: str | None = None, problems: list[dict[str, Any]] | None = None,
                rows: list[dict[str, str]] | None = None, kind: str = "bulk",
                value_date: str = "", amounts: dict[int, str] | None = None) -> HTMLResponse:
    mkind = "bulk" if kind == "bulk" else "payroll"
    try:
        from_master = master.list_payees(s, c.actor, kind=mkind)
    except DomainError:
        from_master = []
    blank = {"bank_code": "", "branch_code": "", "account_type": "1", "account_number": "",
             "payee_kana": "", "amount": "", "edi": ""}
    rows = rows or [dict(blank) for _ in range(TYPED_ROWS)]
    return _page(request, c, "corporate/bulk_typed.html", status_code=status_code,
                 error=error, problems=problems or [], rows=rows, kind=kind,
                 value_date=value_date, master=from_master, amounts=amounts or {},
                 types=bulk_rules.ACCOUNT_TYPES)


@pages.get("/bulk-typed", response_class=HTMLResponse)
def typed_page(request: Request, kind: Annotated[str, Query(max_length=8)] = "bulk",
               c: Caller = Depends(caller), s: Session = DB) -> HTMLResponse:
    kind = kind if kind in ("bulk", "payroll", "bonus") else "bulk"
    # The course and the user's grant decide (PRD-2..4), before any form is shown.
    entitlements.check(s, c.actor, bulk.service_of(BulkKind(kind)))
    return _typed_page(request, c, s, kind=kind)


Column = Annotated[list[str] | None, Form(max_length=140)]


def _amount(text: str) -> int:
    text = text.strip().replace(",", "")
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 10 else -1


@pages.post("/bulk-typed", response_class=HTMLResponse)
def typed_submit(request: Request, kind: Annotated[str, Form(max_length=8)] = "bulk",
                 value_date: Annotated[str, Form(max_length=10)] = "",
                 bank_code: Column = None, branch_code: Column = None,
                 account_type: Column = None, account_number: Column = None,
                 payee_kana: Column = None, amount: Column = None, edi: Column = None,
                 master_id: Annotated[list[int] | None, Form()] = None,
                 master_amount: Column = None,
                 c: Caller = Depends(caller), s: Session = DB) -> Response:
    """Each typed row is one payee (blank rows are skipped); master payees with an amount
    follow. Problems name the row of the form (typed rows first, then the master's list)."""
    kind = kind if kind in ("bulk", "payroll", "bonus") else "bulk"
    cols = [bank_code or [], branch_code or [], account_type or [], account_number or [],
            payee_kana or [], amount or [], edi or []]
    n = max(len(col) for col in cols)
    keys = ("bank_code", "branch_code", "account_type", "account_number", "payee_kana",
            "amount", "edi")
    rows = [{k: (col[i] if i < len(col) else "") for k, col in zip(keys, cols, strict=True)}
            for i in range(min(n, bulk_rules.MAX_PAYEES))]
    payees: list[bulk_rules.Payee] = []
    line_of: list[int] = []          # the form's row of each payee
    for number, row in enumerate(rows, 1):
        if not any(row[k].strip() for k in keys if k != "account_type"):
            continue
        payees.append(bulk_rules.Payee(
            row["bank_code"].strip(), row["branch_code"].strip(), row["account_type"].strip(),
            row["account_number"].strip(), row["payee_kana"].strip(), _amount(row["amount"]),
            row["edi"].strip() or None))
        line_of.append(number)
    ids, amounts = master_id or [], master_amount or []
    chosen = {i: a for i, a in zip(ids, amounts, strict=False) if a.strip()}
    found = master.by_ids(s, c.actor, "bulk" if kind == "bulk" else "payroll", list(chosen))
    for position, (payee_id, text) in enumerate(chosen.items(), 1):
        row_payee = found.get(payee_id)
        if row_payee is None:
            continue
        payees.append(bulk_rules.Payee(row_payee.bank_code, row_payee.branch_code,
                                       row_payee.account_type, row_payee.account_number,
                                       row_payee.payee_kana, _amount(text), row_payee.edi))
        line_of.append(len(rows) + position)
    context: dict[str, Any] = {"rows": rows, "kind": kind, "value_date": value_date,
                               "amounts": dict(zip(ids, amounts, strict=False))}
    try:
        day = date.fromisoformat(value_date)
    except ValueError:
        return _typed_page(request, c, s, status_code=422, error=t_(
            request, "振込指定日をYYYY-MM-DDで入力してください。",
            "Give the value date as YYYY-MM-DD."), **context)
    try:
        with s.begin_nested():
            req = bulk.create(s, c.actor, kind=BulkKind(kind), source="form", value_date=day,
                              payees=payees)
    except BulkFileRefused as exc:
        problems = [p | {"line": line_of[int(str(p["line"])) - 1]}
                    if 0 < int(str(p["line"])) <= len(line_of) else p for p in exc.problems]
        return _typed_page(request, c, s, status_code=422, error=_msg(request, exc),
                           problems=problems[:200], **context)
    except DomainError as exc:
        return _typed_page(request, c, s, status_code=exc.status, error=_msg(request, exc),
                           **context)
    return RedirectResponse(f"/corporate/bulk/{req.id}", status_code=303)


def t_(request: Request, ja: str, en: str) -> str:
    return en if language(request) == "en" else ja


# --- token applications --------------------------------------------------------------------

def _tokens_page(request: Request, c: Caller, s: Session, *, status_code: int = 200,
                 error: str | None = None) -> HTMLResponse:
    contract = s.get(AuthContract, c.actor.contract_id)
    return _page(request, c, "corporate/tokens.html", status_code=status_code, error=error,
                 applications=token_apps.list_for(s, c.actor), kinds=token_apps.KINDS,
                 token_kind=contract.token_kind.value if contract and contract.token_kind
                 else None, manager=entitlements.is_manager(s, c.actor))


@pages.get("/tokens", response_class=HTMLResponse)
def tokens_page(request: Request, c: Caller = Depends(caller), s: Session = DB
                ) -> HTMLResponse:
    return _tokens_page(request, c, s)


@pages.post("/tokens", response_class=HTMLResponse)
def apply_page(request: Request, kind: Annotated[str, Form(max_length=20)] = "",
               note: Annotated[str, Form(max_length=200)] = "",
               c: Caller = Depends(caller), s: Session = DB) -> Response:
    try:
        with s.begin_nested():
            token_apps.apply(s, c.actor, kind=kind, note=note.strip())
    except DomainError as exc:
        return _tokens_page(request, c, s, status_code=exc.status, error=_msg(request, exc))
    return RedirectResponse("/corporate/tokens", status_code=303)


@pages.post("/tokens/{application_id}/withdraw", response_class=HTMLResponse)
def withdraw_application_page(request: Request, application_id: Id,
                              c: Caller = Depends(caller), s: Session = DB) -> Response:
    try:
        with s.begin_nested():
            token_apps.withdraw(s, c.actor, application_id)
    except DomainError as exc:
        return _tokens_page(request, c, s, status_code=exc.status, error=_msg(request, exc))
    return RedirectResponse("/corporate/tokens", status_code=303)


# --- the bank's queue of token applications (operators) ------------------------------------

operator_pages = APIRouter(prefix="/operator/corporate", include_in_schema=False)


@operator_pages.get("/token-applications", response_class=HTMLResponse)
def token_queue(request: Request, s: Session = DB) -> Response:
    """Pending token applications; each is carried out through the console's four-eyes
    request (a teller asks with the form here, a security officer approves in the console)."""
    from kinko.web.pages.operator import OPERATOR_COOKIE, _to_login, current_operator

    if current_operator(request, s) is None:
        return _to_login(request, s)
    rows = [(a, s.get(AuthContract, a.contract_id)) for a in token_apps.pending(s)]
    return render(request, "corporate/operator_tokens.html", applications=rows,
                  kinds=token_apps.KINDS,
                  csrf=csrf_token("operator\x00" + request.cookies.get(OPERATOR_COOKIE, "")))
