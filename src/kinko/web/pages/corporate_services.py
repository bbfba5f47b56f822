"""Corporate services pages: Zengin statement downloads (ZEN-2) and direct debit (DD-1, DD-2).

The download links go to the same API routes (the session cookie authenticates a GET).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session

from kinko import clock
from kinko.corporate_services import access, debits, edelivery, fees, localtax, mandates
from kinko.corporate_services.models import DebitAgreement, Delivery
from kinko.corporate_services.municipalities import MUNICIPALITIES
from kinko.errors import DomainError
from kinko.web.auth import Caller, caller, csrf_token
from kinko.web.deps import DB
from kinko.web.i18n import language, t
from kinko.web.messages import m
from kinko.web.params import Id
from kinko.web.routes.corporate_services import own_agreement, read_upload
from kinko.web.templating import render
from kinko.zengin.errors import ZenginFileInvalid

router = APIRouter(prefix="/corporate", include_in_schema=False)
MAX_OFFSET = 1_000_000_000


def page(request: Request, c: Caller, name: str, status_code: int = 200,
         **context: Any) -> HTMLResponse:
    return render(request, name, status_code=status_code, user=c.user,
                  csrf=csrf_token(c.token), **context)


@router.get("/services", response_class=HTMLResponse)
def home(request: Request, c: Caller = Depends(caller), s: Session = DB) -> HTMLResponse:
    contract = access.contract_of(s, c.actor)
    today = clock.today()
    return page(request, c, "corporate/services.html", contract=contract,
                accounts=access.usage_accounts(s, contract),
                charges=fees.charges_of(s, contract.id)[:12],
                date_from=today - timedelta(days=30), date_to=today)


def _debit_page(request: Request, c: Caller, s: Session, status_code: int = 200,
                error: str | None = None, problems: list[str] | None = None,
                notice: str | None = None) -> HTMLResponse:
    return page(request, c, "corporate/direct_debit.html", status_code=status_code,
                agreements=debits.agreements_of(s, c.actor),
                batches=debits.batches_of(s, c.actor), error=error, problems=problems or [],
                notice=notice)


@router.get("/direct-debit", response_class=HTMLResponse)
def direct_debit(request: Request, notice: str | None = None, c: Caller = Depends(caller),
                 s: Session = DB) -> HTMLResponse:
    return _debit_page(request, c, s, notice=notice)


@router.post("/direct-debit/{agreement_id}/upload", response_class=HTMLResponse)
def direct_debit_upload(request: Request,
                        agreement: DebitAgreement = Depends(own_agreement),
                        file: UploadFile = File(...), c: Caller = Depends(caller),
                        s: Session = DB) -> Any:
    lang = language(request)
    try:
        batch = debits.upload(s, agreement, read_upload(file.file), user_id=c.user.id,
                              actor=f"user:{c.user.id}")
    except ZenginFileInvalid as exc:
        return _debit_page(request, c, s, 422, exc.for_customer(lang),
                           [e.describe(lang) for e in exc.errors[:50]])
    except DomainError as exc:
        return _debit_page(request, c, s, 422, exc.for_customer(lang))
    return RedirectResponse(f"/corporate/direct-debit?notice=uploaded-{batch.id}",
                            status_code=303)


@router.post("/direct-debit/batches/{batch_id}/cancel", response_class=HTMLResponse)
def direct_debit_cancel(request: Request, batch_id: Id, c: Caller = Depends(caller),
                        s: Session = DB) -> Any:
    try:
        debits.cancel(s, c.actor, batch_id)
    except DomainError as exc:
        if exc.status in (403, 404):  # not this contract's: refused as on every page
            raise
        return _debit_page(request, c, s, 422, exc.for_customer(language(request)))
    return RedirectResponse("/corporate/direct-debit?notice=cancelled", status_code=303)


# The fields a mandate is refused on: their names are the catalogue's mandate_field.NAME.
MANDATE_FIELDS = ("branch_code", "account_number", "payer_name", "customer_number")


def _field(lang: str, name: str) -> str:
    return m(lang, f"mandate_field.{name}") if name in MANDATE_FIELDS else name


def _mandates_page(request: Request, c: Caller, s: Session, agreement_id: int, *,
                   offset: int = 0, status_code: int = 200, error: str | None = None,
                   problems: list[str] | None = None, notice: str | None = None,
                   form: dict[str, str] | None = None) -> HTMLResponse:
    listing = mandates.listing(s, c.actor, agreement_id, offset=offset)
    return page(request, c, "corporate/mandates.html", status_code=status_code,
                agreement=debits.own_agreement(s, c.actor, agreement_id), listing=listing,
                offset=offset, error=error, problems=problems or [], notice=notice,
                jst=clock.JST,
                form=form or {"branch_code": "", "account_number": "", "payer_name": "",
                              "customer_number": ""})


@router.get("/direct-debit/{agreement_id}/mandates", response_class=HTMLResponse)
def direct_debit_mandates(request: Request, agreement_id: Id,
                          offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
                          notice: str | None = None, c: Caller = Depends(caller),
                          s: Session = DB) -> HTMLResponse:
    return _mandates_page(request, c, s, agreement_id, offset=offset, notice=notice)


@router.post("/direct-debit/{agreement_id}/mandates", response_class=HTMLResponse)
def direct_debit_mandate_add(request: Request, agreement_id: Id, branch_code: str = Form(""),
                             account_number: str = Form(""), payer_name: str = Form(""),
                             customer_number: str = Form(""), c: Caller = Depends(caller),
                             s: Session = DB) -> Any:
    lang = language(request)
    given = mandates.MandateIn(branch_code, account_number, payer_name, customer_number)
    try:
        mandate = mandates.add(s, c.actor, agreement_id, given)
    except DomainError as exc:
        if exc.status in (403, 404):  # not this contract's: refused as on every page
            raise
        problems = [f"{_field(lang, p['field'])}: {t(lang, p['reason_ja'], p['reason_en'])}"
                    for p in exc.extra.get("errors", [])]
        return _mandates_page(request, c, s, agreement_id, status_code=422,
                              error=exc.for_customer(lang), problems=problems,
                              form={"branch_code": branch_code,
                                    "account_number": account_number,
                                    "payer_name": payer_name,
                                    "customer_number": customer_number})
    return RedirectResponse(f"/corporate/direct-debit/{agreement_id}/mandates"
                            f"?notice=registered-{mandate.id}", status_code=303)


@router.post("/direct-debit/mandates/{mandate_id}/withdraw", response_class=HTMLResponse)
def direct_debit_mandate_withdraw(mandate_id: Id, c: Caller = Depends(caller),
                                  s: Session = DB) -> Any:
    mandate = mandates.withdraw(s, c.actor, mandate_id)
    return RedirectResponse(f"/corporate/direct-debit/{mandate.agreement_id}/mandates"
                            f"?notice=withdrawn-{mandate.id}", status_code=303)


@router.get("/documents", response_class=HTMLResponse)
def documents(request: Request, notice: str | None = None, c: Caller = Depends(caller),
              s: Session = DB) -> HTMLResponse:
    contract = access.contract_of(s, c.actor)
    return page(request, c, "corporate/documents.html",
                delivery=edelivery.delivery_of(s, contract).value,
                documents=edelivery.listed(s, c.actor), notice=notice,
                kept_from=edelivery.retention_start(clock.today()))


@router.post("/documents/delivery", response_class=HTMLResponse)
def documents_delivery(request: Request, delivery: str = Form(""),
                       c: Caller = Depends(caller), s: Session = DB) -> Any:
    try:
        choice = Delivery(delivery)
    except ValueError:
        return page(request, c, "corporate/documents.html", status_code=422,
                    delivery=edelivery.delivery_of(s, access.contract_of(s, c.actor)).value,
                    documents=edelivery.listed(s, c.actor), notice=None,
                    kept_from=edelivery.retention_start(clock.today()),
                    error="交付方法を選んでください / choose a delivery")
    edelivery.choose(s, c.actor, choice)
    return RedirectResponse("/corporate/documents?notice=switched", status_code=303)


def _tax_page(request: Request, c: Caller, s: Session, status_code: int = 200,
              error: str | None = None, problems: list[str] | None = None,
              notice: str | None = None) -> HTMLResponse:
    today = clock.today()
    month = (today.replace(day=28) + timedelta(days=4)).strftime("%Y-%m")
    payments = localtax.payments_of(s, c.actor)
    return page(request, c, "corporate/local_tax.html", status_code=status_code,
                payments=payments, municipalities=MUNICIPALITIES, next_month=month,
                error=error, problems=problems or [], notice=notice, today=today)


def _problems(exc: DomainError, lang: str) -> list[str]:
    out = []
    for p in exc.extra.get("errors", []):
        reason = p["reason_ja"] if lang == "ja" else p["reason_en"]
        out.append(f"{p['line']}: {p['field']}: {reason}")
    return out


@router.get("/local-tax", response_class=HTMLResponse)
def local_tax(request: Request, notice: str | None = None, c: Caller = Depends(caller),
              s: Session = DB) -> HTMLResponse:
    return _tax_page(request, c, s, notice=notice)


@router.post("/local-tax", response_class=HTMLResponse)
def local_tax_request(request: Request, payment_month: str = Form(""),
                      municipality_code: str = Form(""), designation_number: str = Form(""),
                      tax_month: str = Form(""), employees: str = Form(""),
                      amount: str = Form(""), c: Caller = Depends(caller),
                      s: Session = DB) -> Any:
    lang = language(request)
    try:
        year, month = (int(x) for x in payment_month.split("-"))
        line = localtax.LineIn(municipality_code.strip(), designation_number.strip(),
                               date.fromisoformat(f"{tax_month}-01"), int(employees),
                               int(amount))
    except ValueError:
        return _tax_page(request, c, s, 422, "入力内容を確認してください / check the form")
    try:
        payment = localtax.request(s, c.actor, year=year, month=month, lines=[line])
    except DomainError as exc:
        return _tax_page(request, c, s, 422, exc.for_customer(lang), _problems(exc, lang))
    return RedirectResponse(f"/corporate/local-tax?notice=requested-{payment.id}",
                            status_code=303)


@router.post("/local-tax/file", response_class=HTMLResponse)
def local_tax_file(request: Request, payment_month: str = Form(""),
                   file: UploadFile = File(...), c: Caller = Depends(caller),
                   s: Session = DB) -> Any:
    lang = language(request)
    try:
        year, month = (int(x) for x in payment_month.split("-"))
    except ValueError:
        return _tax_page(request, c, s, 422, "納付月を確認してください / check the month")
    try:
        lines = localtax.parse_file(read_upload(file.file))
        payment = localtax.request(s, c.actor, year=year, month=month, lines=lines)
    except DomainError as exc:
        return _tax_page(request, c, s, 422, exc.for_customer(lang), _problems(exc, lang))
    return RedirectResponse(f"/corporate/local-tax?notice=requested-{payment.id}",
                            status_code=303)


@router.post("/local-tax/{payment_id}/cancel", response_class=HTMLResponse)
def local_tax_cancel(request: Request, payment_id: Id, c: Caller = Depends(caller),
                     s: Session = DB) -> Any:
    try:
        localtax.cancel(s, c.actor, payment_id)
    except DomainError as exc:
        if exc.status in (403, 404):  # not this contract's: refused as on every page
            raise
        return _tax_page(request, c, s, 422, exc.for_customer(language(request)))
    return RedirectResponse("/corporate/local-tax?notice=cancelled", status_code=303)
