"""Retail pages (UI-1): balances, statement, payees, transfer with step-up, instruction list.

Each handler calls the same service as the JSON API. Errors are shown next to the form
(the page is rendered again with the message), never as a bare error page, unless the
session itself has ended (then the login page).
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from kinko.auth.outcomes import Rejected
from kinko.auth.policy import Operation
from kinko.auth.sessions import previous_login
from kinko.errors import DomainError
from kinko.inquiries import service as inquiries
from kinko.instructions import service as instructions
from kinko.transfers import service as transfers
from kinko.web.auth import Caller, caller, csrf_token, set_session_cookie
from kinko.web.deps import DB
from kinko.web.i18n import language
from kinko.web.params import MAX_ID, BankDate, Id, Page
from kinko.web.stepup import StepUpAnswers, plan, prove
from kinko.web.templating import render

router = APIRouter(prefix="/banking", include_in_schema=False)


def _page(request: Request, c: Caller, name: str, status_code: int = 200,
          token: str | None = None, **context: Any) -> HTMLResponse:
    return render(request, name, status_code=status_code, user=c.user,
                  csrf=csrf_token(token or c.token), **context)


def _error(request: Request, exc: DomainError) -> str:
    lang = language(request)
    return exc.for_customer(lang)


@router.get("", response_class=HTMLResponse)
def home(request: Request, c: Caller = Depends(caller), s: Session = DB
         ) -> Response:
    """Balances, and the previous login's time and place (AUTH-13). A business net user
    has its own portal, not the retail menu."""
    from kinko.auth.models import Product

    if c.user.product is Product.CORPORATE_002:
        return RedirectResponse("/corporate", status_code=303)
    return _page(request, c, "banking/home.html", balances=inquiries.balances(s, c.actor),
                 previous=previous_login(s, c.row))


@router.get("/accounts/{account_id}", response_class=HTMLResponse)
def statement(request: Request, account_id: Id, date_from: BankDate | None = None,
              date_to: BankDate | None = None, page: Page = 1, before: Id | None = None,
              c: Caller = Depends(caller), s: Session = DB) -> HTMLResponse:
    account = inquiries.own_account(s, c.actor, account_id)
    st: inquiries.Statement | None
    error: str | None = None
    try:
        st = inquiries.statement(s, c.actor, account_id, date_from=date_from,
                                 date_to=date_to, page=max(page, 1), page_size=20,
                                 before=before)
    except DomainError as exc:
        st, error = None, _error(request, exc)
    return _page(request, c, "banking/statement.html", account=account, st=st, error=error,
                 status_code=200 if error is None else 422)


@router.get("/payees", response_class=HTMLResponse)
def payees(request: Request, c: Caller = Depends(caller), s: Session = DB
           ) -> HTMLResponse:
    return _page(request, c, "banking/payees.html",
                 payees=transfers.payees_of(s, c.actor), error=None, form={})


@router.post("/payees", response_class=HTMLResponse)
def register_payee(request: Request, bank_code: str = Form(""), branch_code: str = Form(""),
                   account_type: str = Form("ordinary"), number: str = Form(""),
                   nickname: str = Form(""), c: Caller = Depends(caller),
                   s: Session = DB) -> Response:
    form = {"bank_code": bank_code, "branch_code": branch_code, "account_type": account_type,
            "number": number, "nickname": nickname}
    try:
        with s.begin_nested():
            transfers.register_payee(s, c.actor, **{k: v.strip() for k, v in form.items()})
    except DomainError as exc:
        return _page(request, c, "banking/payees.html", status_code=422, form=form,
                     payees=transfers.payees_of(s, c.actor),
                     error=_error(request, exc))
    return RedirectResponse("/banking/payees", status_code=303)


@router.get("/transfer", response_class=HTMLResponse)
def transfer_form(request: Request, c: Caller = Depends(caller), s: Session = DB
                  ) -> HTMLResponse:
    return _transfer_form(request, c, s, {}, None)


def _transfer_form(request: Request, c: Caller, s: Session, form: dict[str, str],
                   error: str | None, status_code: int = 200) -> HTMLResponse:
    return _page(request, c, "banking/transfer.html", status_code=status_code,
                 accounts=inquiries.balances(s, c.actor),
                 payees=transfers.payees_of(s, c.actor), form=form, error=error,
                 key=form.get("key") or uuid.uuid4().hex)


@router.post("/transfer", response_class=HTMLResponse)
def transfer_enter(request: Request, key: str = Form(...), from_account_id: str = Form(""),
                   payee_id: str = Form(""), bank_code: str = Form(""),
                   branch_code: str = Form(""), account_type: str = Form("ordinary"),
                   number: str = Form(""), amount: str = Form(""), value_date: str = Form(""),
                   c: Caller = Depends(caller), s: Session = DB) -> HTMLResponse:
    """Step 1: the bank shows the details, the fee and the payee's name (INS-1, XFER-2)."""
    form = {"key": key, "from_account_id": from_account_id, "payee_id": payee_id,
            "bank_code": bank_code, "branch_code": branch_code, "account_type": account_type,
            "number": number, "amount": amount, "value_date": value_date}
    try:
        with s.begin_nested():
            target: dict[str, Any] = ({"payee_id": _form_id(payee_id)} if payee_id else {
                "bank_code": bank_code.strip(), "branch_code": branch_code.strip(),
                "account_type": account_type, "number": number.strip()})
            quote = transfers.enter(
                s, c.actor, key=key, from_account_id=_form_id(from_account_id), amount=amount,
                value_date=date.fromisoformat(value_date) if value_date else None, **target)
            step_up = plan(s, c, Operation.TRANSFER, _details(quote.instruction))
    except ValueError:
        return _transfer_form(request, c, s, form, (language(request) == "en" and
                              "Please check the account and the date.") or
                              "口座・日付の入力内容をご確認ください。", 422)
    except DomainError as exc:
        return _transfer_form(request, c, s, form, _error(request, exc), 422)
    return _page(request, c, "banking/confirm.html", instruction=quote.instruction,
                 details=quote.details, step_up=step_up, error=None, key=uuid.uuid4().hex)


def _form_id(value: str) -> int:
    """An id chosen in a form; ``ValueError`` (shown next to the form) unless it is ASCII
    digits within the database's BIGINT. An empty choice is 0, which matches nothing."""
    text = value.strip() or "0"
    if not (text.isascii() and text.isdigit() and len(text) <= 19 and int(text) <= MAX_ID):
        raise ValueError(f"not an id: {value[:30]!r}")
    return int(text)


def _details(instruction: Any) -> dict[str, Any]:
    return {"instruction_id": instruction.id, "digest": instruction.digest}


@router.post("/transfer/{instruction_id}/confirm", response_class=HTMLResponse)
def transfer_confirm(request: Request, instruction_id: Id, otp_code: str = Form(""),
                     confirmation_password: str = Form(""), card_challenge_id: str = Form(""),
                     card_cells: str = Form(""), card_answer_1: str = Form(""),
                     card_answer_2: str = Form(""), phone_challenge_id: str = Form(""),
                     c: Caller = Depends(caller), s: Session = DB) -> Response:
    """Step 2: confirm with the product's step-up factor (AUTH-3)."""
    instruction = instructions.get_own(s, c.actor, instruction_id)
    cells = [x for x in card_cells.split(",") if x]
    answers = StepUpAnswers(
        otp_code=otp_code or None, confirmation_password=confirmation_password or None,
        card_challenge_id=card_challenge_id or None,
        card_answers=dict(zip(cells, [card_answer_1, card_answer_2], strict=False)) or None,
        phone_challenge_id=phone_challenge_id or None)
    details = instructions.details_of(instruction)
    proved = prove(s, c, Operation.TRANSFER, _details(instruction), answers,
                   binds=instruction.digest)
    if isinstance(proved, Rejected):
        return _page(request, c, "banking/confirm.html", status_code=401,
                     instruction=instruction, details=details,
                     step_up=plan(s, c, Operation.TRANSFER, _details(instruction)),
                     error=proved.error.for_customer(language(request)))
    proof, new_token = proved
    try:
        with s.begin_nested():
            done = transfers.confirm(s, c.actor, instruction_id, proof)
            instructions.raise_if_void(done)
    except DomainError as exc:
        # The step-up was spent; the session rotated: keep the browser on the new token.
        response: Response = _page(request, c, "banking/result.html", status_code=409,
                                   token=new_token,
                                   instruction=instructions.get_own(s, c.actor, instruction_id),
                                   details=details, error=_error(request, exc))
    else:
        response = _page(request, c, "banking/result.html", token=new_token, instruction=done,
                         details=details, error=None)
    set_session_cookie(response, request, new_token)
    return response


@router.get("/instructions", response_class=HTMLResponse)
def instruction_list(request: Request, c: Caller = Depends(caller),
                     s: Session = DB) -> HTMLResponse:
    """Every instruction with its outcome, including why one was not established (INS-2)."""
    from kinko.inquiries.history import instructions_for

    rows = instructions_for(s, c.actor, limit=100)
    return _page(request, c, "banking/instructions.html",
                 rows=[(i, instructions.details_of(i)) for i in rows])


@router.post("/instructions/{instruction_id}/cancel")
def cancel(request: Request, instruction_id: Id, c: Caller = Depends(caller),
           s: Session = DB) -> Response:
    transfers.cancel(s, c.actor, instruction_id)
    return RedirectResponse("/banking/instructions", status_code=303)
