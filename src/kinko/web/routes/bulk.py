"""The business net's bulk and payroll API (BULK-1, PAYR-1, APR-1) and the smartphone's
approval API (AUTH-12). Thin translations to :mod:`kinko.bulk.service` and
:mod:`kinko.auth.approvals`; every check is in the services."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from kinko.auth import approvals as phone
from kinko.auth.outcomes import Rejected
from kinko.auth.policy import Operation
from kinko.bulk import rules as bulk_rules
from kinko.bulk import service as bulk
from kinko.bulk.errors import BulkFileRefused
from kinko.bulk.models import BulkKind, BulkLine, BulkRequest
from kinko.catalogue import reason
from kinko.web.auth import Caller, caller, csrf_token
from kinko.web.deps import DB
from kinko.web.i18n import request_language
from kinko.web.params import LINE_PATTERN, BankDate, Id, Page
from kinko.web.routes.retail import rejection
from kinko.web.stepup import StepUpAnswers, after_step_up, plan, prove

router = APIRouter(prefix="/api/v1/corporate", tags=["corporate-bulk"])
MAX_FILE_BYTES = 20 * 1024 * 1024      # 100,000 payees of 120 bytes and their line ends
Kind = Annotated[str, Field(pattern=r"^(bulk|payroll|bonus)$")]


def relying_party(request: Request) -> phone.RelyingParty:
    """The WebAuthn relying party is the site the browser is on (its host and origin)."""
    host = request.url.hostname or "localhost"
    port = request.url.port
    origin = f"{request.url.scheme}://{host}" + (f":{port}" if port else "")
    return phone.RelyingParty(id=host, name="Kinko", origin=origin)


def request_view(s: Session, req: BulkRequest) -> dict[str, Any]:
    return {"id": req.id, "kind": req.kind.value, "source": req.source,
            "state": req.state.value, "value_date": req.value_date.isoformat(),
            "count": req.count, "total": req.total, "fee_total": req.fee_total,
            "own_bank_only": req.own_bank_only, "version": req.version,
            "approval_mode": req.approval_mode, "digest": req.digest,
            "signed_details": bulk.signed_details(req),
            "request_cutoff_at": req.request_cutoff_at.isoformat(),
            "cancel_cutoff_at": req.cancel_cutoff_at.isoformat(),
            "funding_day": req.funding_day.isoformat(), "reason": req.reason,
            "maker_user_id": req.maker_user_id,
            "approvals": [{"step": g.step, "user_id": g.user_id, "via_phone": g.via_phone}
                          for g in bulk._given(s, req)],
            "result": bulk.result_counts(s, req)}


def line_view(x: BulkLine) -> dict[str, Any]:
    return {"line": x.line_no, "bank_code": x.bank_code, "branch_code": x.branch_code,
            "account_type": x.account_type, "account_number": x.account_number,
            "payee_kana": x.payee_kana, "amount": x.amount, "fee": x.fee,
            "own_bank": x.own_bank, "edi": x.edi, "state": x.state.value, "reason": x.reason}


class PayeeIn(BaseModel):
    bank_code: Annotated[str, Field(pattern=r"^\d{4}$")]
    branch_code: Annotated[str, Field(pattern=r"^\d{3}$")]
    account_type: Annotated[str, Field(pattern=r"^[1249]$")] = "1"
    account_number: Annotated[str, Field(pattern=r"^\d{7}$")]
    payee_kana: Annotated[str, Field(min_length=1, max_length=30, pattern=LINE_PATTERN)]
    amount: Annotated[int, Field(ge=1, le=bulk_rules.MAX_AMOUNT)] = 1
    edi: Annotated[str | None, Field(max_length=140, pattern=LINE_PATTERN)] = None

    def payee(self) -> bulk_rules.Payee:
        return bulk_rules.Payee(self.bank_code, self.branch_code, self.account_type,
                                self.account_number, self.payee_kana, self.amount, self.edi)


class FormIn(BaseModel):
    kind: Kind = "bulk"
    value_date: BankDate
    payees: list[PayeeIn] = Field(min_length=1, max_length=bulk_rules.MAX_PAYEES)


class EditIn(BaseModel):
    amount: Annotated[int | None, Field(ge=1, le=bulk_rules.MAX_AMOUNT)] = None
    remove: bool = False


class ApproveIn(StepUpAnswers):
    digest: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")] = "0" * 64
    phone_approval_id: Annotated[str | None, Field(max_length=100, pattern=LINE_PATTERN)] = None


class RejectIn(BaseModel):
    reason: Annotated[str, Field(max_length=200, pattern=LINE_PATTERN)] = ""


class RecallIn(BaseModel):
    """``lines`` names the payees (line numbers); left out, the whole request is recalled."""

    lines: list[Annotated[int, Field(ge=1, le=bulk_rules.MAX_PAYEES)]] | None = Field(
        default=None, min_length=1, max_length=bulk_rules.MAX_PAYEES)
    reason: Annotated[str, Field(max_length=100, pattern=LINE_PATTERN)] = ""


def recall_view(outcome: bulk.RecallOutcome) -> dict[str, Any]:
    return {"recalled": outcome.recalled, "recall_fee": outcome.fee,
            "kept": [{"line": n, "reason": why} for n, why in sorted(outcome.kept.items())]}


class PhoneDecisionIn(BaseModel):
    credential: dict[str, Any] = Field(default_factory=dict)
    approve: bool = True


class DeviceFinishIn(BaseModel):
    challenge_id: Annotated[str, Field(min_length=1, max_length=100, pattern=LINE_PATTERN)]
    credential: dict[str, Any]
    label: Annotated[str, Field(max_length=80, pattern=LINE_PATTERN)] = ""


# --- the payee master (振込先マスタ) ----------------------------------------------------------

def _payee_view(p: Any) -> dict[str, Any]:
    return {"id": p.id, "kind": p.kind, "bank_code": p.bank_code, "branch_code": p.branch_code,
            "account_type": p.account_type, "account_number": p.account_number,
            "payee_kana": p.payee_kana, "edi": p.edi}


@router.get("/bulk-payees", summary="振込先マスタ / the payee master")
def payee_master(kind: Annotated[str, Query(pattern=r"^(bulk|payroll)$")] = "bulk",
                 c: Caller = Depends(caller), s: Session = DB) -> dict[str, Any]:
    return {"payees": [_payee_view(p) for p in bulk.payees(s, c.actor, kind=kind)]}


@router.post("/bulk-payees", status_code=201, summary="振込先マスタへの登録 / add a payee")
def add_payee(body: PayeeIn, kind: Annotated[str, Query(pattern=r"^(bulk|payroll)$")] = "bulk",
              c: Caller = Depends(caller), s: Session = DB) -> dict[str, Any]:
    return _payee_view(bulk.register_payee(s, c.actor, kind=kind, payee=body.payee()))


# --- building requests ------------------------------------------------------------------------

@router.get("/bulk", summary="総合振込・給与振込の一覧 / bulk and payroll requests")
def list_requests(c: Caller = Depends(caller), s: Session = DB) -> dict[str, Any]:
    return {"requests": [request_view(s, r) for r in bulk.list_for(s, c.actor)]}


@router.post("/bulk", status_code=201, summary="画面で作成 / build a request by form")
def create_by_form(body: FormIn, c: Caller = Depends(caller), s: Session = DB
                   ) -> dict[str, Any]:
    req = bulk.create(s, c.actor, kind=BulkKind(body.kind), source="form",
                      value_date=body.value_date, payees=[p.payee() for p in body.payees])
    return request_view(s, req)


def _read_upload(file: UploadFile) -> bytes:
    # The upload is spooled to a temporary file already; reading it here blocks only this
    # worker thread, never the event loop.
    data = file.file.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        too_large = bulk_rules.LineProblem(0, "-", *reason("ファイルが大きすぎます"))
        raise BulkFileRefused([too_large.as_dict()])
    return data


@router.post("/bulk/files", status_code=201,
             summary="全銀ファイル・CSVの受付 / upload a Zengin (21/11/12) or CSV file")
def upload(file: Annotated[UploadFile, File()], kind: Annotated[str, Form(
               pattern=r"^(bulk|payroll|bonus)$")] = "bulk",
           value_date: Annotated[str, Form(max_length=10)] = "",
           c: Caller = Depends(caller), s: Session = DB) -> dict[str, Any]:
    """A Zengin file carries its kind and value date; a CSV takes them from the form."""
    from datetime import date

    data = _read_upload(file)
    if (file.filename or "").lower().endswith(".csv"):
        try:
            day = date.fromisoformat(value_date)
            text = data.decode("utf-8-sig")
        except ValueError as exc:
            raise BulkFileRefused([bulk_rules.LineProblem(0, "value_date", *reason(
                "振込指定日（YYYY-MM-DD）とUTF-8のCSVが必要です")).as_dict()]) from exc
        req = bulk.from_csv(s, c.actor, text, kind=BulkKind(kind), value_date=day)
    else:
        req = bulk.from_zengin(s, c.actor, data)
    return request_view(s, req)


@router.get("/bulk/{bulk_id}", summary="ご依頼の内容 / a request and its payees")
def get_request(bulk_id: Id, page: Page = 1, c: Caller = Depends(caller), s: Session = DB
                ) -> dict[str, Any]:
    req = bulk.get(s, c.actor, bulk_id)
    lines = bulk.lines_of(s, req, offset=(page - 1) * 200, limit=200)
    return request_view(s, req) | {"page": page, "lines": [line_view(x) for x in lines]}


@router.patch("/bulk/{bulk_id}/lines/{line_no}",
              summary="明細の訂正・削除 / change or remove a payee (voids approvals)")
def edit(bulk_id: Id, line_no: Id, body: EditIn, c: Caller = Depends(caller), s: Session = DB
         ) -> dict[str, Any]:
    return request_view(s, bulk.edit_line(s, c.actor, bulk_id, line_no, amount=body.amount,
                                          remove=body.remove))


# --- approving ----------------------------------------------------------------------------------

@router.post("/bulk/{bulk_id}/approval", summary="承認の準備 / what the approval asks for")
def approval_plan(bulk_id: Id, c: Caller = Depends(caller), s: Session = DB
                  ) -> dict[str, Any]:
    req = bulk.get(s, c.actor, bulk_id)
    return {"signed_details": bulk.signed_details(req), "digest": req.digest,
            **plan(s, c, Operation.APPROVAL, bulk.signed_details(req))}


@router.post("/bulk/{bulk_id}/phone-approval",
             summary="スマホ承認の依頼 / send the approval to the caller's smartphone")
def phone_approval(bulk_id: Id, request: Request, c: Caller = Depends(caller),
                   s: Session = DB) -> dict[str, Any]:
    req = bulk.get(s, c.actor, bulk_id)
    opened = phone.request_approval(s, user_id=c.user.id, operation=Operation.APPROVAL,
                                    details=bulk.signed_details(req), rp=relying_party(request))
    return {"phone_approval_id": opened.approval_id, "digest": opened.operation_digest,
            "details": opened.details}


@router.post("/bulk/{bulk_id}/approve", summary="承認 / approve (step-up or smartphone)")
def approve(bulk_id: Id, body: ApproveIn, request: Request, c: Caller = Depends(caller),
            s: Session = DB, lang: str = Depends(request_language)) -> Any:
    req = bulk.get(s, c.actor, bulk_id)
    if body.phone_approval_id:
        done = bulk.approve(s, c.actor, bulk_id, digest=body.digest,
                            phone_approval_id=body.phone_approval_id)
        return request_view(s, done)
    proved = prove(s, c, Operation.APPROVAL, bulk.signed_details(req), body, binds=req.digest)
    if isinstance(proved, Rejected):
        return rejection(proved, lang)
    proof, new_token = proved
    result = after_step_up(s, c, request, lang, lambda: bulk.approve(
        s, c.actor, bulk_id, digest=body.digest, step_up=proof))
    if isinstance(result, JSONResponse):
        return result
    return request_view(s, result) | {"session_token": new_token,
                                      "csrf_token": csrf_token(new_token)}


@router.post("/bulk/{bulk_id}/reject", summary="差戻し / reject")
def reject(bulk_id: Id, body: RejectIn, c: Caller = Depends(caller), s: Session = DB
           ) -> dict[str, Any]:
    return request_view(s, bulk.reject(s, c.actor, bulk_id, reason=body.reason))


@router.post("/bulk/{bulk_id}/cancel", summary="取消・組戻 / cancel (recall after the cutoff)")
def cancel(bulk_id: Id, c: Caller = Depends(caller), s: Session = DB) -> dict[str, Any]:
    return request_view(s, bulk.cancel(s, c.actor, bulk_id))


@router.post("/bulk/{bulk_id}/recall",
             summary="組戻（実行開始後・手数料あり） / recall payees after the run began (fee)")
def recall(bulk_id: Id, body: RecallIn, c: Caller = Depends(caller), s: Session = DB
           ) -> dict[str, Any]:
    outcome = bulk.recall(s, c.actor, bulk_id, line_nos=body.lines, reason=body.reason)
    return request_view(s, bulk.get(s, c.actor, bulk_id)) | recall_view(outcome)


@router.get("/bulk/{bulk_id}/result.csv", response_class=PlainTextResponse,
            summary="結果（CSV） / result report as CSV")
def result_csv(bulk_id: Id, c: Caller = Depends(caller), s: Session = DB) -> Response:
    return Response(bulk.result_csv(s, c.actor, bulk_id), media_type="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="bulk-{bulk_id}.csv"'})


@router.get("/bulk/{bulk_id}/result.zengin", summary="結果（全銀） / result as a Zengin file")
def result_zengin(bulk_id: Id, c: Caller = Depends(caller), s: Session = DB) -> Response:
    return Response(bulk.result_zengin(s, c.actor, bulk_id), media_type="text/plain",
                    headers={"Content-Disposition":
                             f'attachment; filename="bulk-{bulk_id}.txt"'})


# --- the smartphone (AUTH-12, CRED-2) -----------------------------------------------------------

def _phone_contract(s: Session, c: Caller) -> None:
    """Smartphone authentication is chosen per contract (002 第12条2): others get 403."""
    from kinko.auth.models import AuthContract
    from kinko.corporate.errors import ServiceNotInContract

    contract = s.get(AuthContract, c.user.contract_id)
    if contract is None or not contract.smartphone_auth:
        raise ServiceNotInContract(detail="smartphone authentication")


@router.post("/phone/register/begin", summary="スマホの登録開始 / register the caller's phone")
def register_begin(request: Request, c: Caller = Depends(caller), s: Session = DB
                   ) -> dict[str, Any]:
    _phone_contract(s, c)
    start = phone.begin_device_registration(s, user_id=c.user.id, rp=relying_party(request))
    return {"challenge_id": start.challenge_id, "options": start.options_json}


@router.post("/phone/register/finish", status_code=201, summary="スマホの登録 / finish")
def register_finish(body: DeviceFinishIn, request: Request, c: Caller = Depends(caller),
                    s: Session = DB) -> dict[str, Any]:
    device = phone.finish_device_registration(
        s, user_id=c.user.id, challenge_id=body.challenge_id, credential=body.credential,
        rp=relying_party(request), label=body.label)
    return {"device_id": device}


@router.post("/phone/deregister", summary="スマホの登録解除 / remove the caller's phone")
def deregister(c: Caller = Depends(caller), s: Session = DB) -> dict[str, Any]:
    _phone_contract(s, c)
    return {"removed": phone.deregister_device(s, user_id=c.user.id, actor=f"user:{c.user.id}")}


@router.get("/phone/approvals", summary="スマホで承認待ち / approvals waiting on the phone")
def phone_pending(request: Request, c: Caller = Depends(caller), s: Session = DB
                  ) -> dict[str, Any]:
    _phone_contract(s, c)
    rp = relying_party(request)
    items = []
    for a in phone.pending_approvals(s, c.user.id):
        full = phone.approval_options(s, user_id=c.user.id, approval_id=a.approval_id, rp=rp)
        items.append({"approval_id": a.approval_id, "operation": a.operation,
                      "details": a.details, "digest": a.operation_digest,
                      "options": full.options_json})
    return {"approvals": items}


@router.post("/phone/approvals/{approval_id}",
             summary="スマホでの承認・否認 / the phone's signed decision")
def phone_decide(approval_id: Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{43}$")],
                 body: PhoneDecisionIn, request: Request, c: Caller = Depends(caller),
                 s: Session = DB) -> dict[str, Any]:
    _phone_contract(s, c)
    phone.approval_options(s, user_id=c.user.id, approval_id=approval_id,
                           rp=relying_party(request))   # the caller's own, still open
    phone.submit_approval(s, approval_id=approval_id, credential=body.credential,
                          rp=relying_party(request), approve=body.approve)
    return {"approval_id": approval_id, "decision": "approved" if body.approve else "rejected"}
