"""The corporate services' JSON API and file downloads (ZEN-2, DD-1, DD-2).

Thin translations to :mod:`kinko.corporate_services`; every route acts for the caller's own
corporate contract. Files come back as attachments (fixed-length Zengin in Shift_JIS, or XML).
"""

from __future__ import annotations

from typing import Annotated, Any, BinaryIO

from fastapi import APIRouter, Depends, File, Form, Query, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from kinko.corporate_services import (
    access,
    contracts,
    debits,
    edelivery,
    fees,
    localtax,
    mandates,
    statements,
)
from kinko.corporate_services.errors import FileTooLarge
from kinko.corporate_services.models import (
    DebitAgreement,
    DebitBatch,
    Delivery,
    Mandate,
    MandateState,
)
from kinko.corporate_services.municipalities import MUNICIPALITIES
from kinko.web.auth import Caller, caller
from kinko.web.deps import DB
from kinko.web.params import BankDate, Id

router = APIRouter(prefix="/api/v1/corporate", tags=["corporate"])

FormQuery = Annotated[statements.Form, Query(description="zengin (fixed-length) or camt (XML)")]
EdiQuery = Annotated[bool, Query(description="attach the XML financial EDI information")]


def attachment(download: statements.Download) -> Response:
    return Response(download.content, media_type=download.media_type,
                    headers={"Content-Disposition":
                             f'attachment; filename="{download.filename}"'})


def _zengin(kind: statements.Kind, c: Caller, s: Session, date_from: BankDate,
            date_to: BankDate, account_id: Id | None, form: statements.Form,
            edi: bool) -> Response:
    return attachment(statements.download(s, c.actor, kind=kind, form=form,
                                          date_from=date_from, date_to=date_to,
                                          account_id=account_id, with_edi=edi))


@router.get("/zengin/statements", response_class=Response,
            summary="入出金取引明細（全銀 03 / camt.052） / account statement (ZEN-2)")
def zengin_statement(date_from: BankDate, date_to: BankDate, account_id: Id | None = None,
                     form: FormQuery = statements.Form.ZENGIN, edi: EdiQuery = False,
                     c: Caller = Depends(caller), s: Session = DB) -> Response:
    return _zengin(statements.Kind.STATEMENT, c, s, date_from, date_to, account_id, form, edi)


@router.get("/zengin/incoming", response_class=Response,
            summary="振込入金通知（全銀 01 / camt.054） / incoming transfer notice (ZEN-2)")
def zengin_incoming(date_from: BankDate, date_to: BankDate, account_id: Id | None = None,
                    form: FormQuery = statements.Form.ZENGIN, edi: EdiQuery = False,
                    c: Caller = Depends(caller), s: Session = DB) -> Response:
    return _zengin(statements.Kind.INCOMING, c, s, date_from, date_to, account_id, form, edi)


# --- direct debit and collection (DD-1, DD-2) ------------------------------------------------

# 100,000 records of 120 bytes and their line ends, with room to spare.
MAX_UPLOAD = 32 * 1024 * 1024


def read_upload(stream: BinaryIO) -> bytes:
    data = stream.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        raise FileTooLarge(detail=f"at most {MAX_UPLOAD} bytes")
    return data


def agreement_view(a: DebitAgreement) -> dict[str, Any]:
    return {"id": a.id, "kind": a.kind.value, "originator_code": a.originator_code,
            "originator_name": a.originator_name, "state": a.state.value}


def batch_view(b: DebitBatch) -> dict[str, Any]:
    return {"id": b.id, "agreement_id": b.agreement_id, "state": b.state.value,
            "requested_date": b.requested_date.isoformat(),
            "debit_date": b.debit_date.isoformat(),
            "settlement_date": b.settlement_date.isoformat(), "records": b.record_count,
            "total_amount": b.total_amount, "collected_count": b.collected_count,
            "collected_amount": b.collected_amount, "fees": b.fee_total}


@router.get("/direct-debit/agreements",
            summary="口座振替・代金回収のご契約 / direct debit and collection agreements")
def dd_agreements(c: Caller = Depends(caller), s: Session = DB) -> dict[str, Any]:
    return {"agreements": [agreement_view(a) for a in debits.agreements_of(s, c.actor)]}


def own_agreement(agreement_id: Id, c: Caller = Depends(caller),
                  s: Session = DB) -> DebitAgreement:
    """The caller's own active agreement, found before the upload is read or checked: another
    contract's agreement is not found whatever the request carries."""
    return debits.own_agreement(s, c.actor, agreement_id)


@router.post("/direct-debit/agreements/{agreement_id}/batches", status_code=201,
             summary="口座振替データ（全銀 91）の送信 / upload a 91 request (DD-1, DD-2)")
def dd_upload(agreement: DebitAgreement = Depends(own_agreement),
              file: UploadFile = File(..., description="the 91 file"),
              c: Caller = Depends(caller), s: Session = DB) -> dict[str, Any]:
    batch = debits.upload(s, agreement, read_upload(file.file), user_id=c.user.id,
                          actor=f"user:{c.user.id}")
    return batch_view(batch)


@router.get("/direct-debit/batches", summary="口座振替の依頼一覧 / uploaded requests")
def dd_batches(c: Caller = Depends(caller), s: Session = DB) -> dict[str, Any]:
    return {"batches": [batch_view(b) for b in debits.batches_of(s, c.actor)]}


@router.get("/direct-debit/batches/{batch_id}", summary="口座振替の依頼 / one request")
def dd_batch(batch_id: Id, c: Caller = Depends(caller), s: Session = DB) -> dict[str, Any]:
    return batch_view(debits.own_batch(s, c.actor, batch_id))


@router.post("/direct-debit/batches/{batch_id}/cancel",
             summary="口座振替の依頼の取消（受付時限まで） / cancel before the cutoff")
def dd_cancel(batch_id: Id, c: Caller = Depends(caller), s: Session = DB) -> dict[str, Any]:
    return batch_view(debits.cancel(s, c.actor, batch_id))


@router.post("/direct-debit/batches/{batch_id}/records/{seq}/stop", status_code=204,
             summary="1 件の振替停止（委託者都合） / stop one debit before the debit day")
def dd_stop(batch_id: Id, seq: Id, c: Caller = Depends(caller), s: Session = DB) -> Response:
    debits.stop_item(s, c.actor, batch_id, seq)
    return Response(status_code=204)


@router.get("/direct-debit/batches/{batch_id}/result", response_class=Response,
            summary="振替結果（全銀 91） / the 91 result file")
def dd_result(batch_id: Id, c: Caller = Depends(caller), s: Session = DB) -> Response:
    batch = debits.own_batch(s, c.actor, batch_id)
    return attachment(statements.Download(f"dd_result_{batch.id}.txt",
                                          "text/plain; charset=shift_jis",
                                          debits.result_file(s, batch)))


# --- 預金口座振替依頼書 (DD-1, DD-2) ----------------------------------------------------------

class MandateIn(BaseModel):
    branch_code: str = Field(..., examples=["001"])
    account_number: str = Field(..., examples=["1234567"])
    payer_name: str = Field(..., description="預金者名 (half-width kana)", examples=["ﾔﾏﾀﾞ ﾀﾛｳ"])
    customer_number: str = Field("", description="顧客番号 (up to 20 digits)")


def mandate_view(m: Mandate) -> dict[str, Any]:
    return {"id": m.id, "agreement_id": m.agreement_id, "branch_code": m.branch_code,
            "account_number": m.account_number, "payer_name": m.payer_name,
            "customer_number": m.customer_number, "state": m.state.value,
            "registered_at": m.created_at.isoformat(),
            "withdrawn_at": m.stopped_at.isoformat() if m.stopped_at else None}


@router.get("/direct-debit/agreements/{agreement_id}/mandates",
            summary="預金口座振替依頼書の一覧 / the payers' authorisations (DD-1)")
def dd_mandates(agreement_id: Id, state: MandateState | None = None,
                offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
                limit: Annotated[int, Query(ge=1, le=1000)] = mandates.PAGE,
                c: Caller = Depends(caller), s: Session = DB) -> dict[str, Any]:
    found = mandates.listing(s, c.actor, agreement_id, state=state, offset=offset, limit=limit)
    return {"active": found.active, "withdrawn": found.stopped,
            "mandates": [mandate_view(m) for m in found.mandates]}


@router.post("/direct-debit/agreements/{agreement_id}/mandates", status_code=201,
             summary="預金口座振替依頼書の登録 / register a payer's authorisation (DD-1)")
def dd_mandate_add(agreement_id: Id, body: MandateIn, c: Caller = Depends(caller),
                   s: Session = DB) -> dict[str, Any]:
    return mandate_view(mandates.add(s, c.actor, agreement_id, mandates.MandateIn(
        body.branch_code, body.account_number, body.payer_name, body.customer_number)))


@router.post("/direct-debit/mandates/{mandate_id}/withdraw",
             summary="預金口座振替依頼書の解約 / the payer withdrew (later debits: 預金者都合)")
def dd_mandate_withdraw(mandate_id: Id, c: Caller = Depends(caller), s: Session = DB
                        ) -> dict[str, Any]:
    return mandate_view(mandates.withdraw(s, c.actor, mandate_id))


# --- electronic delivery (EDOC-1) ------------------------------------------------------------

class DeliveryIn(BaseModel):
    delivery: Delivery


@router.get("/documents", summary="電子交付された帳票 / documents delivered electronically")
def documents(c: Caller = Depends(caller), s: Session = DB) -> dict[str, Any]:
    return {"delivery": edelivery.delivery_of(s, access.contract_of(s, c.actor)).value,
            "documents": [{"id": d.id, "kind": d.kind, "title": d.title,
                           "issued_on": d.issued_on.isoformat(), "account_id": d.account_id}
                          for d in edelivery.listed(s, c.actor)]}


@router.get("/documents/{document_id}/pdf", response_class=Response,
            summary="帳票（PDF） / one document as PDF")
def document_pdf(document_id: Id, c: Caller = Depends(caller), s: Session = DB) -> Response:
    name, pdf = edelivery.pdf_of(s, c.actor, document_id)
    return attachment(statements.Download(name, "application/pdf", pdf))


@router.put("/documents/delivery",
            summary="交付方法の切替（全帳票） / electronic or paper, for every document")
def document_delivery(body: DeliveryIn, c: Caller = Depends(caller), s: Session = DB
                      ) -> dict[str, Any]:
    return {"delivery": edelivery.choose(s, c.actor, body.delivery).value}


# --- fees (FEE-1) ----------------------------------------------------------------------------

@router.get("/fees", summary="月間基本料の引落状況 / monthly base fees charged")
def fee_charges(c: Caller = Depends(caller), s: Session = DB) -> dict[str, Any]:
    contract = access.contract_of(s, c.actor)
    return {"course": access.course_of(contract),
            "charges": [{"month": f.month.strftime("%Y-%m"), "amount": f.amount,
                         "state": f.state.value, "due_on": f.due_on.isoformat(),
                         "paid_on": f.paid_on.isoformat() if f.paid_on else None}
                        for f in fees.charges_of(s, contract.id)]}


# --- local tax (TAX-1) -----------------------------------------------------------------------

class TaxLineIn(BaseModel):
    municipality_code: str = Field(..., pattern=r"^\d{6}$", examples=["131016"])
    designation_number: str = Field(..., min_length=1, max_length=20, pattern=r"^[0-9A-Za-z]+$")
    tax_month: str = Field(..., pattern=r"^\d{4}-\d{2}$", examples=["2026-11"])
    employees: int = Field(..., ge=0, le=999_999)
    amount: int = Field(..., ge=1, le=999_999_999_999_999)


class TaxIn(BaseModel):
    payment_month: str = Field(..., pattern=r"^\d{4}-(0[1-9]|1[0-2])$", examples=["2026-12"])
    lines: list[TaxLineIn] = Field(..., min_length=1, max_length=localtax.MAX_LINES)


def _month(text: str) -> tuple[int, int]:
    year, month = text.split("-")
    return int(year), int(month)


def tax_view(s: Session, p: Any) -> dict[str, Any]:
    return {"id": p.id, "state": p.state.value, "payment_date": p.payment_date.isoformat(),
            "funding_date": p.funding_date.isoformat(),
            "receipt_date": p.receipt_date.isoformat(), "total": p.total, "fee": p.fee,
            "lines": [{"municipality_code": x.municipality_code,
                       "municipality": MUNICIPALITIES.get(x.municipality_code),
                       "designation_number": x.designation_number,
                       "tax_month": x.tax_month.strftime("%Y-%m"), "employees": x.employees,
                       "amount": x.amount} for x in localtax.lines_of(s, p.id)]}


@router.get("/local-tax/municipalities", summary="納付先の地方公共団体 / municipalities")
def municipalities() -> dict[str, Any]:
    return {"municipalities": [{"code": k, "name": v} for k, v in MUNICIPALITIES.items()]}


@router.post("/local-tax/payments", status_code=201,
             summary="地方税納付の依頼（画面入力） / request a local tax payment (TAX-1)")
def tax_request(body: TaxIn, c: Caller = Depends(caller), s: Session = DB) -> dict[str, Any]:
    from datetime import date

    try:
        lines = [localtax.LineIn(x.municipality_code, x.designation_number,
                                 date.fromisoformat(f"{x.tax_month}-01"), x.employees,
                                 x.amount) for x in body.lines]
    except ValueError:
        from kinko.corporate_services.errors import TaxRequestInvalid

        raise TaxRequestInvalid(detail="tax_month is YYYY-MM") from None
    year, month = _month(body.payment_month)
    return tax_view(s, localtax.request(s, c.actor, year=year, month=month, lines=lines))


@router.post("/local-tax/payments/file", status_code=201,
             summary="地方税納付の依頼（ファイル） / request by CSV file (TAX-1)")
def tax_request_file(payment_month: str = Form(..., pattern=r"^\d{4}-(0[1-9]|1[0-2])$"),
                     file: UploadFile = File(...), c: Caller = Depends(caller),
                     s: Session = DB) -> dict[str, Any]:
    year, month = _month(payment_month)
    lines = localtax.parse_file(read_upload(file.file))
    return tax_view(s, localtax.request(s, c.actor, year=year, month=month, lines=lines))


@router.get("/local-tax/payments", summary="地方税納付の一覧 / local tax payments")
def tax_payments(c: Caller = Depends(caller), s: Session = DB) -> dict[str, Any]:
    return {"payments": [tax_view(s, p) for p in localtax.payments_of(s, c.actor)]}


@router.post("/local-tax/payments/{payment_id}/cancel",
             summary="地方税納付の取消（受付時限まで） / cancel before the cutoff")
def tax_cancel(payment_id: Id, c: Caller = Depends(caller), s: Session = DB) -> dict[str, Any]:
    return tax_view(s, localtax.cancel(s, c.actor, payment_id))


@router.get("/local-tax/payments/{payment_id}/receipt", response_class=Response,
            summary="領収証書（PDF、納付日の翌営業日から） / the receipt")
def tax_receipt(payment_id: Id, c: Caller = Depends(caller), s: Session = DB) -> Response:
    name, pdf = localtax.receipt_pdf(s, c.actor, payment_id)
    return attachment(statements.Download(name, "application/pdf", pdf))


# --- the contract (CTR-1) --------------------------------------------------------------------

def contract_view(s: Session, c: Caller) -> dict[str, Any]:
    contract = access.contract_of(s, c.actor)
    term = contracts.term_of(s, contract)
    return {"state": contract.state.value, "course": access.course_of(contract),
            "started_on": term.started_on.isoformat(), "term_end": term.term_end.isoformat(),
            "renewals": term.renewals, "renews": term.no_renewal_by is None,
            "accounts": [{"id": a.id, "branch_code": a.branch_code, "number": a.number,
                          "representative": a.id == contract.representative_account_id}
                         for a in access.usage_accounts(s, contract)]}


@router.get("/contract", summary="ご契約（期間・自動継続・利用口座） / the contract's term")
def contract(c: Caller = Depends(caller), s: Session = DB) -> dict[str, Any]:
    return contract_view(s, c)


@router.post("/contract/no-renewal",
             summary="契約を継続しない申し出 / object to the next renewal (CTR-1)")
def no_renewal(c: Caller = Depends(caller), s: Session = DB) -> dict[str, Any]:
    contracts.object_to_renewal(s, c.actor)
    return contract_view(s, c)
