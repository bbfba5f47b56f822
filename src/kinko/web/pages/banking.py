"""Retail pages (UI-1): balances, statement, payees, transfer with step-up, instruction list.

Each handler calls the same service as the JSON API. Errors are shown next to the form
(the page is rendered again with the message), never as a bare error page, unless the
session itself has ended (then the login page).
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from kinko import clock
from kinko.auth.outcomes import Rejected
from kinko.auth.policy import Operation
from kinko.auth.sessions import previous_login
from kinko.clock import to_jst
from kinko.errors import DomainError
from kinko.inquiries import service as inquiries
from kinko.instructions import drafts
from kinko.instructions import service as instructions
from kinko.instructions.models import InstructionStatus
from kinko.policy.changes import notices
from kinko.transfers import service as transfers
from kinko.verification import service as verification
from kinko.web.auth import Caller, caller, csrf_token, set_session_cookie
from kinko.web.deps import DB
from kinko.web.i18n import language
from kinko.web.messages import m, message_for
from kinko.web.params import MAX_ID, BankDate, Id, Page
from kinko.web.stepup import StepUpAnswers, plan, prove
from kinko.web.templating import render

router = APIRouter(prefix="/banking", include_in_schema=False)

# An error code carried across a redirect (POST → 303 → GET), shown as the catalogue's message.
ErrorCode = Annotated[str | None, Query(max_length=60, pattern=r"^[A-Z][A-Z0-9_]*$")]


def step_up_answers(otp_code: str, confirmation_password: str, card_challenge_id: str,
                    card_cells: str, card_answers: list[str],
                    phone_challenge_id: str) -> StepUpAnswers:
    """What a confirmation form sent, for :func:`kinko.web.stepup.prove`."""
    cells = [x for x in card_cells.split(",") if x]
    return StepUpAnswers(
        otp_code=otp_code or None, confirmation_password=confirmation_password or None,
        card_challenge_id=card_challenge_id or None,
        card_answers=dict(zip(cells, card_answers, strict=False)) or None,
        phone_challenge_id=phone_challenge_id or None)


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
    """Balances, the previous login's time and place (AUTH-13), the bank's notices of policy
    changes (POL-1: announced before they apply) and the 【重要】 notice of a verification the
    customer must act on (KYC-2). A business net user has its own portal, not the retail
    menu."""
    from kinko.auth.models import Product

    if c.user.product is Product.CORPORATE_002:
        return RedirectResponse("/corporate", status_code=303)
    return _page(request, c, "banking/home.html", balances=inquiries.balances(s, c.actor),
                 previous=previous_login(s, c.row), notices=notices(s, clock.now()),
                 verification=verification.notice_for(s, c.user.customer_id), to_jst=to_jst)


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
    fees = inquiries.fees_by_entry(s, account.id, [ln.entry_id for ln in st.lines
                                                    if ln.withdrawal]) if st else {}
    return _page(request, c, "banking/statement.html", account=account, st=st, error=error,
                 fees=fees,
                 status_code=200 if error is None else 422)


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
                   c: Caller = Depends(caller), s: Session = DB) -> Response:
    """Step 1: check what can be checked now (funds for today, limits), then show the details,
    the fee and the payee's name on the confirmation page (INS-1, XFER-2) — reached by a
    redirect, so that reloading it or going Back to it sends nothing again."""
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
            if not quote.replayed:
                # Refused here, the savepoint takes the entry back: no draft is left.
                transfers.check_entry(s, c.actor, quote.instruction)
    except ValueError:
        return _transfer_form(request, c, s, form,
                              m(language(request), "form.check_account_date"), 422)
    except DomainError as exc:
        return _transfer_form(request, c, s, form, _error(request, exc), 422)
    return RedirectResponse(f"/banking/transfer/{quote.instruction.id}/confirm",
                            status_code=303)


@router.get("/transfer/{instruction_id}/confirm", response_class=HTMLResponse)
def transfer_confirm_page(request: Request, instruction_id: Id, error: ErrorCode = None,
                          c: Caller = Depends(caller), s: Session = DB) -> Response:
    """The confirmation screen. Shown again (reload, Back) it asks the same card cells until
    they are answered or expire (AUTH-1); once decided, the instruction's result is shown."""
    instruction = instructions.get_own(s, c.actor, instruction_id)
    drafts.void_stale(s, contract_id=c.actor.contract_id)
    s.refresh(instruction)
    if instruction.status is not InstructionStatus.ENTERED or instruction.kind != "transfer":
        return RedirectResponse(f"/banking/instructions/{instruction_id}", status_code=303)
    return _page(
        request, c, "banking/confirm.html", status_code=200 if error is None else 422,
        instruction=instruction, details=instructions.details_of(instruction),
        step_up=plan(s, c, Operation.TRANSFER, _details(instruction)),
        error=message_for(error, language(request)))


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
    """Step 2: confirm with the product's step-up factor (AUTH-3), then redirect to the
    result, so that a reload shows the result again instead of sending the form twice."""
    instruction = instructions.get_own(s, c.actor, instruction_id)
    if instruction.status is not InstructionStatus.ENTERED:
        return RedirectResponse(f"/banking/instructions/{instruction_id}", status_code=303)
    answers = step_up_answers(otp_code, confirmation_password, card_challenge_id, card_cells,
                              [card_answer_1, card_answer_2], phone_challenge_id)
    proved = prove(s, c, Operation.TRANSFER, _details(instruction), answers,
                   binds=instruction.digest)
    if isinstance(proved, Rejected):
        return RedirectResponse(
            f"/banking/transfer/{instruction_id}/confirm?error={proved.error.code}",
            status_code=303)
    proof, new_token = proved
    target = f"/banking/instructions/{instruction_id}"
    try:
        with s.begin_nested():
            done = transfers.confirm(s, c.actor, instruction_id, proof)
            instructions.raise_if_void(done)
    except DomainError as exc:
        # The step-up was spent; the session rotated: keep the browser on the new token.
        target += f"?error={exc.code}"
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(response, request, new_token)
    return response


@router.get("/instructions", response_class=HTMLResponse)
def instruction_list(request: Request, c: Caller = Depends(caller),
                     s: Session = DB) -> HTMLResponse:
    """Every instruction with its outcome, including why one was not established (INS-2).
    Drafts past their confirmation deadline are voided first, so none stays 未確定."""
    from kinko.inquiries.history import instructions_for

    drafts.void_stale(s, contract_id=c.actor.contract_id)
    rows = instructions_for(s, c.actor, limit=100)
    return _page(request, c, "banking/instructions.html",
                 rows=[(i, instructions.details_of(i)) for i in rows])


@router.get("/instructions/{instruction_id}", response_class=HTMLResponse)
def instruction_result(request: Request, instruction_id: Id, error: ErrorCode = None,
                       c: Caller = Depends(caller), s: Session = DB) -> HTMLResponse:
    """One instruction's result: where a confirmation redirects, so a reload shows it again."""
    instruction = instructions.get_own(s, c.actor, instruction_id)
    drafts.void_stale(s, contract_id=c.actor.contract_id)
    s.refresh(instruction)
    return _page(request, c, "banking/result.html", status_code=200 if error is None else 409,
                 instruction=instruction, details=instructions.details_of(instruction),
                 error=message_for(error, language(request)))


@router.post("/instructions/{instruction_id}/discard")
def discard(request: Request, instruction_id: Id, c: Caller = Depends(caller),
            s: Session = DB) -> Response:
    """Drop an unconfirmed instruction (a draft the customer does not want). Another
    customer's instruction is not found (404), as on every page; one that can no longer be
    discarded goes back to its result with the reason."""
    try:
        with s.begin_nested():
            drafts.discard(s, c.actor, instruction_id)
    except DomainError as exc:
        if exc.status == 404:
            raise
        return RedirectResponse(f"/banking/instructions/{instruction_id}?error={exc.code}",
                                status_code=303)
    return RedirectResponse("/banking/instructions", status_code=303)


@router.post("/instructions/{instruction_id}/cancel")
def cancel(request: Request, instruction_id: Id, c: Caller = Depends(caller),
           s: Session = DB) -> Response:
    transfers.cancel(s, c.actor, instruction_id)
    return RedirectResponse("/banking/instructions", status_code=303)
