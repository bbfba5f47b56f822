"""Retail service pages (UI-1): time deposits (TD-1), Pay-easy (PAY-1), debit cards (DEB-1).

Each service has the two steps of every instruction (INS-1): the entry form, then — by a
redirect, so reload and Back send nothing again — the confirmation screen that shows what the
bank will do (the bill; the interest and tax of a time deposit) with the product's step-up,
and after confirming a redirect to the result (``/banking/instructions/{id}``). The handlers
call the same services as the JSON API (``kinko.web.routes.retail_services``).
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from kinko import clock
from kinko.auth import crypto
from kinko.auth.outcomes import Rejected
from kinko.auth.policy import Operation
from kinko.debitcards import repository as card_repo
from kinko.debitcards import rules as card_rules
from kinko.debitcards import service as debitcards
from kinko.deposits import rules as deposit_rules
from kinko.deposits import service as deposits
from kinko.errors import DomainError
from kinko.inquiries import service as inquiries
from kinko.instructions import drafts
from kinko.instructions import service as instructions
from kinko.instructions.models import Instruction, InstructionStatus
from kinko.payeasy import service as payeasy
from kinko.web.auth import Caller, CsrfRefused, caller, set_session_cookie
from kinko.web.deps import DB
from kinko.web.i18n import language
from kinko.web.messages import m, message_for
from kinko.web.pages.banking import ErrorCode, _error, _form_id, _page, step_up_answers
from kinko.web.params import Id
from kinko.web.stepup import plan, prove

router = APIRouter(prefix="/banking", include_in_schema=False)

Confirm = Callable[[Session, instructions.Actor, int, instructions.StepUpProof | None],
                   Instruction]


@dataclass(frozen=True)
class Service:
    """One kind of instruction confirmed on the shared confirmation screen."""

    operation: Operation
    confirm: Confirm
    details: str        # the template that shows what the customer confirms
    back: str           # where the entry form is


SERVICES: dict[str, Service] = {
    payeasy.KIND: Service(Operation.PAY_EASY, payeasy.confirm, "banking/_payeasy.html",
                          "/banking/payeasy"),
    deposits.OPEN_KIND: Service(Operation.FUND_MOVEMENT, deposits.confirm_opening,
                                "banking/_deposit_open.html", "/banking/time-deposits"),
    deposits.CANCEL_KIND: Service(Operation.FUND_MOVEMENT, deposits.confirm_cancellation,
                                  "banking/_deposit_cancel.html", "/banking/time-deposits"),
}


def _binding(i: Instruction) -> dict[str, Any]:
    return {"instruction_id": i.id, "digest": i.digest}


def confirm_url(instruction: Instruction) -> str:
    """Each service confirms under its own path, so that the rule on use from abroad (OVS-1,
    by path) knows the confirmation's function as it knows the entry's."""
    return f"{SERVICES[instruction.kind].back}/{instruction.id}/confirm"


def _to_confirmation(instruction: Instruction) -> Response:
    return RedirectResponse(confirm_url(instruction), status_code=303)


def _service_of(request: Request, instruction: Instruction) -> Service | None:
    """The instruction's service, if it is the one the path names."""
    service = SERVICES.get(instruction.kind)
    if service is None or not request.url.path.startswith(f"{service.back}/"):
        return None
    return service


@router.get("/payeasy/{instruction_id}/confirm", response_class=HTMLResponse)
@router.get("/time-deposits/{instruction_id}/confirm", response_class=HTMLResponse)
def confirm_page(request: Request, instruction_id: Id, error: ErrorCode = None,
                 c: Caller = Depends(caller), s: Session = DB) -> Response:
    instruction = instructions.get_own(s, c.actor, instruction_id)
    drafts.void_stale(s, contract_id=c.actor.contract_id)
    s.refresh(instruction)
    service = _service_of(request, instruction)
    if instruction.status is not InstructionStatus.ENTERED or service is None:
        return RedirectResponse(f"/banking/instructions/{instruction_id}", status_code=303)
    return _page(request, c, "banking/service_confirm.html", action=confirm_url(instruction),
                 status_code=200 if error is None else 422, instruction=instruction,
                 details=instructions.details_of(instruction), partial=service.details,
                 step_up=plan(s, c, service.operation, _binding(instruction)),
                 error=message_for(error, language(request)))


@router.post("/payeasy/{instruction_id}/confirm", response_class=HTMLResponse)
@router.post("/time-deposits/{instruction_id}/confirm", response_class=HTMLResponse)
def confirm(request: Request, instruction_id: Id, otp_code: str = Form(""),
            confirmation_password: str = Form(""), card_challenge_id: str = Form(""),
            card_cells: str = Form(""), card_answer_1: str = Form(""),
            card_answer_2: str = Form(""), phone_challenge_id: str = Form(""),
            c: Caller = Depends(caller), s: Session = DB) -> Response:
    instruction = instructions.get_own(s, c.actor, instruction_id)
    service = _service_of(request, instruction)
    if instruction.status is not InstructionStatus.ENTERED or service is None:
        return RedirectResponse(f"/banking/instructions/{instruction_id}", status_code=303)
    answers = step_up_answers(otp_code, confirmation_password, card_challenge_id, card_cells,
                              [card_answer_1, card_answer_2], phone_challenge_id)
    proved = prove(s, c, service.operation, _binding(instruction), answers,
                   binds=instruction.digest)
    if isinstance(proved, Rejected):
        return RedirectResponse(f"{confirm_url(instruction)}?error={proved.error.code}",
                                status_code=303)
    proof, new_token = proved
    target = f"/banking/instructions/{instruction_id}"
    try:
        with s.begin_nested():  # a refusal undoes the service's writes, not the spent step-up
            instructions.raise_if_void(service.confirm(s, c.actor, instruction_id, proof))
    except DomainError as exc:
        target += f"?error={exc.code}"
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(response, request, new_token)
    return response


# --- time deposits (TD-1) ---------------------------------------------------------------------

def _deposits_page(request: Request, c: Caller, s: Session, form: dict[str, str],
                   error: str | None, status_code: int = 200) -> HTMLResponse:
    return _page(request, c, "banking/time_deposits.html", status_code=status_code,
                 deposits=deposits.list_deposits(s, c.actor),
                 accounts=[b for b in inquiries.balances(s, c.actor) if b.type == "ordinary"],
                 terms=deposit_rules.TERMS_MONTHS, form=form, error=error,
                 key=form.get("key") or uuid.uuid4().hex)


@router.get("/time-deposits", response_class=HTMLResponse)
def time_deposits(request: Request, error: ErrorCode = None, c: Caller = Depends(caller),
                  s: Session = DB) -> HTMLResponse:
    """The customer's time deposits and the form to open one."""
    return _deposits_page(request, c, s, {}, message_for(error, language(request)),
                          200 if error is None else 409)


@router.post("/time-deposits", response_class=HTMLResponse)
def open_time_deposit(request: Request, key: str = Form(...), from_account_id: str = Form(""),
                      amount: str = Form(""), term_months: str = Form(""),
                      c: Caller = Depends(caller), s: Session = DB) -> Response:
    """Step 1: the term, dates, rate and the expected interest after tax are shown next."""
    form = {"key": key, "from_account_id": from_account_id, "amount": amount,
            "term_months": term_months}
    try:
        with s.begin_nested():
            quote = deposits.enter_opening(s, c.actor, key=key,
                                           from_account_id=_form_id(from_account_id),
                                           amount=amount, term_months=_form_id(term_months))
            if not quote.replayed:
                drafts.check_funds(s, quote.instruction, same_day=True)
    except ValueError:
        return _deposits_page(request, c, s, form,
                              m(language(request), "form.check_account_term"), 422)
    except DomainError as exc:
        return _deposits_page(request, c, s, form, _error(request, exc), 422)
    return _to_confirmation(quote.instruction)


@router.post("/time-deposits/{deposit_id}/cancel", response_class=HTMLResponse)
def cancel_time_deposit(request: Request, deposit_id: Id, c: Caller = Depends(caller),
                        s: Session = DB) -> Response:
    """Step 1 of 中途解約: the early-cancellation interest, the tax and the payout next."""
    try:
        with s.begin_nested():
            quote = deposits.enter_cancellation(s, c.actor, key=uuid.uuid4().hex,
                                                deposit_id=deposit_id)
    except DomainError as exc:
        if exc.status == 404:  # another customer's deposit is not found, as on every page
            raise
        return RedirectResponse(f"/banking/time-deposits?error={exc.code}", status_code=303)
    return _to_confirmation(quote.instruction)


# --- Pay-easy (PAY-1) -------------------------------------------------------------------------

def _payeasy_page(request: Request, c: Caller, s: Session, form: dict[str, str],
                  error: str | None, status_code: int = 200) -> HTMLResponse:
    return _page(request, c, "banking/payeasy.html", status_code=status_code,
                 accounts=inquiries.balances(s, c.actor), agencies=payeasy.list_agencies(s),
                 form=form, error=error, key=form.get("key") or uuid.uuid4().hex)


@router.get("/payeasy", response_class=HTMLResponse)
def payeasy_form(request: Request, c: Caller = Depends(caller), s: Session = DB
                 ) -> HTMLResponse:
    """The numbers printed on the bill (収納機関番号, お客様番号, 確認番号)."""
    return _payeasy_page(request, c, s, {}, None)


@router.post("/payeasy", response_class=HTMLResponse)
def payeasy_enter(request: Request, key: str = Form(...), from_account_id: str = Form(""),
                  agency_code: str = Form(""), customer_number: str = Form(""),
                  confirmation_number: str = Form(""), c: Caller = Depends(caller),
                  s: Session = DB) -> Response:
    """Look the bill up and enter the payment; the bill is shown on the confirmation."""
    form = {"key": key, "from_account_id": from_account_id, "agency_code": agency_code,
            "customer_number": customer_number, "confirmation_number": confirmation_number}
    try:
        with s.begin_nested():
            quote = payeasy.enter(s, c.actor, key=key, from_account_id=_form_id(from_account_id),
                                  agency_code=agency_code.strip(),
                                  customer_number=customer_number.strip(),
                                  confirmation_number=confirmation_number.strip())
            if not quote.replayed:
                drafts.check_funds(s, quote.instruction, same_day=True)
    except ValueError:
        return _payeasy_page(request, c, s, form,
                             m(language(request), "form.choose_account"), 422)
    except DomainError as exc:
        return _payeasy_page(request, c, s, form, _error(request, exc), 422)
    return _to_confirmation(quote.instruction)


# --- debit cards (DEB-1) ----------------------------------------------------------------------

def _cards_page(request: Request, c: Caller, s: Session, error: str | None,
                status_code: int = 200, **extra: Any) -> HTMLResponse:
    return _page(request, c, "banking/debit_cards.html", status_code=status_code,
                 cards=debitcards.list_cards(s, c.actor),
                 accounts=[b for b in inquiries.balances(s, c.actor) if b.type == "ordinary"],
                 error=error, **extra)


def _card_binding(account_id: int, number: str) -> str:
    """The step-up's digest: the account and the card (as the JSON API binds it)."""
    return hashlib.sha256(f"debit_card.register:{account_id}:"
                          f"{debitcards.card_digest(number)}".encode()).hexdigest()


@router.get("/debit-cards", response_class=HTMLResponse)
def debit_cards(request: Request, error: ErrorCode = None, registered: bool = False,
                c: Caller = Depends(caller), s: Session = DB) -> HTMLResponse:
    return _cards_page(request, c, s, message_for(error, language(request)),
                       200 if error is None else 409, registered=registered)


@router.post("/debit-cards", response_class=HTMLResponse)
def debit_card_enter(request: Request, account_id: str = Form(""), card_number: str = Form(""),
                     c: Caller = Depends(caller), s: Session = DB) -> Response:
    """Step 1: check the card and the account, then redirect to the confirmation screen
    (POST → 303 → GET, as a transfer's), so that reloading it or coming Back to it sends
    nothing again. The card number rides in the URL only sealed (:func:`_seal`)."""
    try:
        number = card_rules.normalise_card_number(card_number[:40])
        account = _form_id(account_id)
    except ValueError:
        return _cards_page(request, c, s, m(language(request), "form.choose_account"), 422)
    except DomainError as exc:
        return _cards_page(request, c, s, _error(request, exc), 422)
    if not any(b.account_id == account for b in inquiries.balances(s, c.actor)):
        return _cards_page(request, c, s, m(language(request), "form.choose_account"), 422)
    return RedirectResponse(_confirm_url(_seal(c, account, number)), status_code=303)


# An application is confirmed within this time of its entry; after it, it is entered again.
APPLICATION_TTL = timedelta(minutes=15)
_SEAL_PURPOSE = "debit-card-application"
Application = Annotated[str, Query(max_length=400, pattern=r"^[A-Za-z0-9_-]+$")]


def _seal(c: Caller, account: int, number: str) -> str:
    """The application (account, card number, when) sealed with AES-GCM under the bank's key
    and bound to the user: a URL, the history and the access log never hold the number, and
    an altered or another user's application does not open."""
    body = json.dumps({"a": account, "n": number, "t": clock.now().isoformat()}).encode()
    sealed = crypto.encrypt(_SEAL_PURPOSE, body, context=f"auth_user:{c.user.id}")
    return base64.urlsafe_b64encode(sealed).decode().rstrip("=")


def _unseal(c: Caller, application: str) -> tuple[int, str] | None:
    try:
        blob = base64.urlsafe_b64decode(application + "=" * (-len(application) % 4))
        body = json.loads(crypto.decrypt(_SEAL_PURPOSE, blob,
                                         context=f"auth_user:{c.user.id}"))
        entered = datetime.fromisoformat(body["t"])
        account, number = int(body["a"]), str(body["n"])
    except (ValueError, KeyError, TypeError, crypto.DecryptionFailed):
        return None
    if not entered <= clock.now() <= entered + APPLICATION_TTL:
        return None
    return account, number


def _confirm_url(application: str) -> str:
    return f"/banking/debit-cards/confirm?application={application}"


def _registered(s: Session, c: Caller, account: int, number: str) -> bool:
    """This card is already registered on this account by this customer: the application
    was confirmed (the result is shown again, nothing is registered twice)."""
    card = card_repo.active_with_digest(s, debitcards.card_digest(number))
    return card is not None and card.account_id == account \
        and card.customer_id == c.actor.customer_id


_DONE = "/banking/debit-cards?registered=true"
_EXPIRED = f"/banking/debit-cards?error={CsrfRefused.code}"  # "画面の有効期限が切れました"


@router.get("/debit-cards/confirm", response_class=HTMLResponse)
def debit_card_confirm_page(request: Request, application: Application,
                            error: ErrorCode = None, c: Caller = Depends(caller),
                            s: Session = DB) -> Response:
    """The confirmation screen: the card (its last four digits) and the account, with the
    step-up. Shown again (reload, Back) it asks the same; once registered, the result."""
    opened = _unseal(c, application)
    if opened is None:
        return RedirectResponse(_EXPIRED, status_code=303)
    account, number = opened
    if _registered(s, c, account, number):
        return RedirectResponse(_DONE, status_code=303)
    shown = next((b for b in inquiries.balances(s, c.actor) if b.account_id == account), None)
    if shown is None:
        return RedirectResponse(_EXPIRED, status_code=303)
    digest = _card_binding(account, number)
    return _page(request, c, "banking/debit_card_confirm.html", account=shown,
                 application=application, masked=card_rules.masked(number[-4:]),
                 status_code=200 if error is None else 422,
                 step_up=plan(s, c, Operation.SETTINGS, {"digest": digest}),
                 error=message_for(error, language(request)))


@router.post("/debit-cards/confirm", response_class=HTMLResponse)
def debit_card_register(request: Request, application: str = Form("", max_length=400),
                        otp_code: str = Form(""), confirmation_password: str = Form(""),
                        card_challenge_id: str = Form(""), card_cells: str = Form(""),
                        card_answer_1: str = Form(""), card_answer_2: str = Form(""),
                        phone_challenge_id: str = Form(""), c: Caller = Depends(caller),
                        s: Session = DB) -> Response:
    """Step 2: the step-up for exactly this card and account, then the registration, then a
    redirect to the result; sent again once registered, the result without a second try."""
    opened = _unseal(c, application)
    if opened is None:
        return RedirectResponse(_EXPIRED, status_code=303)
    account, number = opened
    if _registered(s, c, account, number):
        return RedirectResponse(_DONE, status_code=303)
    digest = _card_binding(account, number)
    answers = step_up_answers(otp_code, confirmation_password, card_challenge_id, card_cells,
                              [card_answer_1, card_answer_2], phone_challenge_id)
    proved = prove(s, c, Operation.SETTINGS, {"digest": digest}, answers, binds=digest)
    if isinstance(proved, Rejected):
        return RedirectResponse(f"{_confirm_url(application)}&error={proved.error.code}",
                                status_code=303)
    target = _DONE
    try:
        with s.begin_nested():
            debitcards.register_card(s, c.actor, account_id=account, card_number=number)
    except DomainError as exc:
        target = f"/banking/debit-cards?error={exc.code}"
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(response, request, proved[1])
    return response


@router.post("/debit-cards/{card_id}/cancel", response_class=HTMLResponse)
def debit_card_cancel(request: Request, card_id: Id, c: Caller = Depends(caller),
                      s: Session = DB) -> Response:
    try:
        with s.begin_nested():
            debitcards.cancel_card(s, c.actor, card_id)
    except DomainError as exc:
        if exc.status == 404:  # another customer's card is not found, as on every page
            raise
        return RedirectResponse(f"/banking/debit-cards?error={exc.code}", status_code=303)
    return RedirectResponse("/banking/debit-cards", status_code=303)
