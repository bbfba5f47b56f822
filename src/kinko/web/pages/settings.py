"""Retail settings pages (UI-1): payees (XFER-2) and transfer limits (XFER-6).

Registering a payee is two steps, like an instruction: the bank looks the account up and shows
the bank, branch and holder's name, and the customer confirms with the product's step-up
(AUTH-3, a settings change). Lowering a limit is one step; raising one shows the new limits
and asks the step-up. Every step reached after a form is a redirect (reload and Back send
nothing again).
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from kinko import clock
from kinko.auth import contact
from kinko.auth.outcomes import Rejected
from kinko.auth.policy import Operation
from kinko.config import get_settings
from kinko.errors import DomainError
from kinko.policy import policy_at
from kinko.transfers import repository as transfer_repo
from kinko.transfers import service as transfers
from kinko.transfers.errors import InvalidPayee
from kinko.transfers.models import Payee
from kinko.web.auth import Caller, caller, set_session_cookie
from kinko.web.deps import DB
from kinko.web.i18n import language
from kinko.web.messages import message_for
from kinko.web.pages.banking import ErrorCode, _error, _page, step_up_answers
from kinko.web.params import LimitAmount
from kinko.web.stepup import payee_binding, plan, prove

router = APIRouter(prefix="/banking", include_in_schema=False)

Field = Annotated[str, Query(max_length=60)]
ACCOUNT_TYPES = ("ordinary", "checking", "savings")


# --- payees -----------------------------------------------------------------------------------

def _where(s: Session, p: Payee) -> tuple[str, str]:
    """The bank's and the branch's names of a registered payee (from the bank's own branches or
    the Zengin directory); a dash where the directory no longer has the code."""
    from kinko.clearing import directory
    from kinko.parties.models import Branch

    settings = get_settings()
    if p.bank_code == settings.bank_code:
        branch = s.get(Branch, p.branch_code)
        return settings.bank_name, branch.name if branch else "—"
    return (directory.bank_name(p.bank_code) or "—",
            directory.branch_name(p.bank_code, p.branch_code) or "—")


def _payees_page(request: Request, c: Caller, s: Session, form: dict[str, str],
                 error: str | None, status_code: int = 200, **extra: Any) -> HTMLResponse:
    rows = [(p, *_where(s, p)) for p in transfer_repo.payees(s, c.actor.contract_id)]
    return _page(request, c, "banking/payees.html", status_code=status_code, payees=rows,
                 form=form, error=error, account_types=ACCOUNT_TYPES, **extra)


@router.get("/payees", response_class=HTMLResponse)
def payees(request: Request, error: ErrorCode = None, registered: bool = False,
           c: Caller = Depends(caller), s: Session = DB) -> HTMLResponse:
    return _payees_page(request, c, s, {}, message_for(error, language(request)),
                        200 if error is None else 422, registered=registered)


def _payee_form(bank_code: str, branch_code: str, account_type: str, number: str,
                nickname: str) -> dict[str, str]:
    return {"bank_code": bank_code.strip(), "branch_code": branch_code.strip(),
            "account_type": account_type.strip(), "number": number.strip(),
            "nickname": nickname.strip()}




@router.post("/payees", response_class=HTMLResponse)
def payee_lookup(request: Request, bank_code: str = Form(""), branch_code: str = Form(""),
                 account_type: str = Form("ordinary"), number: str = Form(""),
                 nickname: str = Form(""), c: Caller = Depends(caller),
                 s: Session = DB) -> Response:
    """Step 1: look the account up (口座名義確認); the names are shown on the confirmation."""
    form = _payee_form(bank_code, branch_code, account_type, number, nickname)
    try:
        transfers.lookup_payee(s, bank_code=form["bank_code"], branch_code=form["branch_code"],
                               account_type=form["account_type"], number=form["number"])
        if len(form["nickname"]) > 60:
            raise InvalidPayee(detail="nickname")
    except DomainError as exc:
        return _payees_page(request, c, s, form, _error(request, exc), 422)
    return RedirectResponse(f"/banking/payees/confirm?{urlencode(form)}", status_code=303)


@router.get("/payees/confirm", response_class=HTMLResponse)
def payee_confirm_page(request: Request, bank_code: Field = "", branch_code: Field = "",
                       account_type: Field = "ordinary", number: Field = "",
                       nickname: Field = "", error: ErrorCode = None,
                       c: Caller = Depends(caller), s: Session = DB) -> Response:
    form = _payee_form(bank_code, branch_code, account_type, number, nickname)
    try:
        view = transfers.lookup_payee(s, bank_code=form["bank_code"],
                                      branch_code=form["branch_code"],
                                      account_type=form["account_type"], number=form["number"])
    except DomainError as exc:
        return _payees_page(request, c, s, form, _error(request, exc), 422)
    return _page(request, c, "banking/payee_confirm.html",
                 status_code=200 if error is None else 422, form=form, view=view,
                 step_up=plan(s, c, Operation.SETTINGS, payee_binding(form)),
                 error=message_for(error, language(request)))


@router.post("/payees/confirm", response_class=HTMLResponse)
def payee_register(request: Request, bank_code: str = Form(""), branch_code: str = Form(""),
                   account_type: str = Form("ordinary"), number: str = Form(""),
                   nickname: str = Form(""), otp_code: str = Form(""),
                   confirmation_password: str = Form(""), card_challenge_id: str = Form(""),
                   card_cells: str = Form(""), card_answer_1: str = Form(""),
                   card_answer_2: str = Form(""), phone_challenge_id: str = Form(""),
                   c: Caller = Depends(caller), s: Session = DB) -> Response:
    """Step 2: the step-up for exactly this payee, then the registration."""
    form = _payee_form(bank_code, branch_code, account_type, number, nickname)
    binding = payee_binding(form)
    answers = step_up_answers(otp_code, confirmation_password, card_challenge_id, card_cells,
                              [card_answer_1, card_answer_2], phone_challenge_id)
    proved = prove(s, c, Operation.SETTINGS, binding, answers, binds="payee")
    if isinstance(proved, Rejected):
        return RedirectResponse(f"/banking/payees/confirm?{urlencode(form)}"
                                f"&error={proved.error.code}", status_code=303)
    _proof, new_token = proved
    target = "/banking/payees?registered=true"
    try:
        with s.begin_nested():
            transfers.register_payee(s, c.actor, **form)
    except DomainError as exc:
        target = f"/banking/payees?error={exc.code}"
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(response, request, new_token)
    return response


# --- transfer limits (XFER-6) -------------------------------------------------------------------

def _limits_page(request: Request, c: Caller, s: Session, error: str | None,
                 status_code: int = 200, **extra: Any) -> HTMLResponse:
    policy = policy_at(clock.now())
    return _page(request, c, "banking/limits.html", status_code=status_code,
                 limits=transfers.limits_for(s, c.actor, policy),
                 bank=transfers.bank_limits(s, c.actor, policy), error=error, **extra)


@router.get("/limits", response_class=HTMLResponse)
def limits(request: Request, error: ErrorCode = None, changed: bool = False,
           c: Caller = Depends(caller), s: Session = DB) -> HTMLResponse:
    return _limits_page(request, c, s, message_for(error, language(request)),
                        200 if error is None else 422, changed=changed)


def _amount(text: str) -> int:
    from kinko.money import parse_yen

    return parse_yen(text)


@router.post("/limits", response_class=HTMLResponse)
def limits_enter(request: Request, per_transaction: str = Form(""), daily: str = Form(""),
                 c: Caller = Depends(caller), s: Session = DB) -> Response:
    """A lowering is made at once; a raise goes to the confirmation with the step-up."""
    try:
        with s.begin_nested():
            wanted = {"per_transaction": _amount(per_transaction), "daily": _amount(daily)}
            change = transfers.request_limits(s, c.actor, for_user=False, **wanted)
            if not change.raises:
                transfers.set_limits(s, c.actor, for_user=False, step_up=None, **wanted)
    except DomainError as exc:
        return _limits_page(request, c, s, _error(request, exc), 422)
    if not change.raises:
        return RedirectResponse("/banking/limits?changed=true", status_code=303)
    return RedirectResponse(f"/banking/limits/confirm?{urlencode(wanted)}", status_code=303)


@router.get("/limits/confirm", response_class=HTMLResponse)
def limits_confirm_page(request: Request, per_transaction: LimitAmount, daily: LimitAmount,
                        error: ErrorCode = None, c: Caller = Depends(caller),
                        s: Session = DB) -> Response:
    try:
        change = transfers.request_limits(s, c.actor, per_transaction=per_transaction,
                                          daily=daily, for_user=False)
    except DomainError as exc:
        return _limits_page(request, c, s, _error(request, exc), 422)
    return _page(request, c, "banking/limits_confirm.html",
                 status_code=200 if error is None else 422, change=change,
                 step_up=plan(s, c, Operation.LIMIT_CHANGE, {"digest": change.digest}),
                 error=message_for(error, language(request)))


@router.post("/limits/confirm", response_class=HTMLResponse)
def limits_confirm(request: Request, per_transaction: LimitAmount = Form(...),
                   daily: LimitAmount = Form(...), otp_code: str = Form(""),
                   confirmation_password: str = Form(""), card_challenge_id: str = Form(""),
                   card_cells: str = Form(""), card_answer_1: str = Form(""),
                   card_answer_2: str = Form(""), phone_challenge_id: str = Form(""),
                   c: Caller = Depends(caller), s: Session = DB) -> Response:
    wanted = {"per_transaction": per_transaction, "daily": daily}
    try:
        change = transfers.request_limits(s, c.actor, for_user=False, **wanted)
    except DomainError as exc:
        return RedirectResponse(f"/banking/limits?error={exc.code}", status_code=303)
    answers = step_up_answers(otp_code, confirmation_password, card_challenge_id, card_cells,
                              [card_answer_1, card_answer_2], phone_challenge_id)
    proved = prove(s, c, Operation.LIMIT_CHANGE, {"digest": change.digest}, answers,
                   binds=change.digest)
    if isinstance(proved, Rejected):
        return RedirectResponse(f"/banking/limits/confirm?{urlencode(wanted)}"
                                f"&error={proved.error.code}", status_code=303)
    proof, new_token = proved
    target = "/banking/limits?changed=true"
    try:
        with s.begin_nested():
            transfers.set_limits(s, c.actor, for_user=False, step_up=proof, **wanted)
    except DomainError as exc:
        target = f"/banking/limits?error={exc.code}"
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(response, request, new_token)
    return response


# --- the e-mail address notices go to (NOTIF-1) ------------------------------------------------

@router.get("/email", response_class=HTMLResponse)
def email(request: Request, error: ErrorCode = None, changed: bool = False,
          c: Caller = Depends(caller), s: Session = DB) -> HTMLResponse:
    """The registered address, whether mail to it came back, and the notices sent to it."""
    return _page(request, c, "banking/email.html", status_code=200 if error is None else 422,
                 contact=contact.contact_of(s, c.user),
                 error=message_for(error, language(request)), changed=changed, form={})


@router.post("/email", response_class=HTMLResponse)
def email_enter(request: Request, address: str = Form(""), c: Caller = Depends(caller),
                s: Session = DB) -> Response:
    try:
        checked = contact.check_address(address[:254])
    except DomainError as exc:
        return _page(request, c, "banking/email.html", status_code=422,
                     contact=contact.contact_of(s, c.user),
                     error=_error(request, exc), changed=False, form={"address": address[:254]})
    return RedirectResponse(f"/banking/email/confirm?{urlencode({'address': checked})}",
                            status_code=303)


Address = Annotated[str, Query(max_length=254)]


@router.get("/email/confirm", response_class=HTMLResponse)
def email_confirm_page(request: Request, address: Address, error: ErrorCode = None,
                       c: Caller = Depends(caller), s: Session = DB) -> Response:
    try:
        checked = contact.check_address(address)
    except DomainError as exc:
        return RedirectResponse(f"/banking/email?error={exc.code}", status_code=303)
    return _page(request, c, "banking/email_confirm.html",
                 status_code=200 if error is None else 422, address=checked,
                 current=contact.contact_of(s, c.user).address,
                 step_up=plan(s, c, Operation.SETTINGS, {"email": checked}),
                 error=message_for(error, language(request)))


@router.post("/email/confirm", response_class=HTMLResponse)
def email_confirm(request: Request, address: str = Form(""), otp_code: str = Form(""),
                  confirmation_password: str = Form(""), card_challenge_id: str = Form(""),
                  card_cells: str = Form(""), card_answer_1: str = Form(""),
                  card_answer_2: str = Form(""), phone_challenge_id: str = Form(""),
                  c: Caller = Depends(caller), s: Session = DB) -> Response:
    """The step-up for exactly this address, then the change (a settings change, AUTH-3)."""
    try:
        checked = contact.check_address(address[:254])
    except DomainError as exc:
        return RedirectResponse(f"/banking/email?error={exc.code}", status_code=303)
    answers = step_up_answers(otp_code, confirmation_password, card_challenge_id, card_cells,
                              [card_answer_1, card_answer_2], phone_challenge_id)
    proved = prove(s, c, Operation.SETTINGS, {"email": checked}, answers, binds="email")
    if isinstance(proved, Rejected):
        return RedirectResponse(f"/banking/email/confirm?{urlencode({'address': checked})}"
                                f"&error={proved.error.code}", status_code=303)
    contact.change_email(s, c.user, checked)
    response = RedirectResponse("/banking/email?changed=true", status_code=303)
    set_session_cookie(response, request, proved[1])
    return response
