"""The retail services JSON API: Pay-easy (PAY-1), time deposits (TD-1), debit cards (DEB-1).

Thin translations to the services, in the style of :mod:`kinko.web.routes.retail`: every route
acts for the authenticated caller only (another customer's deposit, card or instruction is
"not found"); creates and confirms carry an ``Idempotency-Key`` header; a confirmation needs
the product's step-up, bound to the instruction's digest.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from kinko.auth.outcomes import Rejected
from kinko.auth.policy import Operation
from kinko.debitcards import rules as card_rules
from kinko.debitcards import service as debitcards
from kinko.debitcards.service import CardView
from kinko.deposits import service as deposits
from kinko.deposits.models import TimeDeposit
from kinko.idempotency.service import once, replay
from kinko.instructions import service as instructions
from kinko.instructions.models import Instruction
from kinko.payeasy import service as payeasy
from kinko.web.auth import Caller, caller, csrf_token, set_session_cookie
from kinko.web.deps import DB
from kinko.web.i18n import request_language
from kinko.web.params import Amount, Id, Line
from kinko.web.routes.retail import IdempotencyKey, instruction_view, rejection
from kinko.web.stepup import StepUpAnswers, after_step_up, plan, prove

router = APIRouter(prefix="/api/v1", tags=["retail services"])

Confirm = Callable[[Session, instructions.Actor, int, instructions.StepUpProof | None],
                   Instruction]


def _step_up_details(i: Instruction) -> dict[str, Any]:
    return {"instruction_id": i.id, "digest": i.digest}


def _quote_view(s: Session, c: Caller, operation: Operation, i: Instruction,
                replayed: bool) -> dict[str, Any]:
    view = instruction_view(i)
    view["replayed"] = replayed
    view["step_up"] = plan(s, c, operation, _step_up_details(i))
    return view


def _answer(result: dict[str, Any], c: Caller, request: Request) -> JSONResponse:
    """A confirmation's answer: a voided (late) instruction is a problem; a new session token
    goes to the cookie when the caller came with one."""
    from kinko.instructions.errors import InstructionExpired

    instruction = result.get("instruction")
    if isinstance(instruction, dict) and instruction.get("status") == "void":
        error = InstructionExpired()
        return JSONResponse(error.to_problem(), status_code=error.status,
                            media_type="application/problem+json")
    response = JSONResponse(result)
    if c.from_cookie and "session_token" in result:
        set_session_cookie(response, request, result["session_token"])
    return response


def _confirm(s: Session, c: Caller, request: Request, lang: str, *, name: str,
             operation: Operation, instruction_id: int, body: StepUpAnswers, key: str,
             confirm: Confirm) -> Any:
    """Step-up bound to the instruction's digest, then ``confirm`` once per key."""
    scope, payload = f"{name}.confirm:{c.user.id}", {"instruction_id": instruction_id}
    if (earlier := replay(s, scope=scope, key=key, payload=payload)) is not None:
        return _answer(earlier, c, request)
    instruction = instructions.get_own(s, c.actor, instruction_id)
    proved = prove(s, c, operation, _step_up_details(instruction), body,
                   binds=instruction.digest)
    if isinstance(proved, Rejected):
        return rejection(proved, lang)  # the failure counters commit; the key stays unused
    proof, new_token = proved

    def create() -> dict[str, Any]:
        done = confirm(s, c.actor, instruction_id, proof)
        return {"instruction": instruction_view(done), "session_token": new_token,
                "csrf_token": csrf_token(new_token)}

    # A failed confirmation still spends the one-time answer (AUTH-5).
    result = after_step_up(s, c, request, lang,
                           lambda: once(s, scope=scope, key=key, payload=payload, create=create))
    if isinstance(result, JSONResponse):
        return result
    return _answer(result, c, request)


# --- Pay-easy ---------------------------------------------------------------------------------

class PayEasyIn(BaseModel):
    from_account_id: Id
    agency_code: Line = Field(..., min_length=1, max_length=20, examples=["12345"])
    customer_number: Line = Field(..., min_length=1, max_length=40,
                                  examples=["10000000000000000001"])
    confirmation_number: Line = Field(..., min_length=1, max_length=20, examples=["123456"])


@router.get("/payeasy/agencies", summary="収納機関の一覧 / Pay-easy collection agencies")
def payeasy_agencies(c: Caller = Depends(caller), s: Session = DB
                     ) -> dict[str, Any]:
    return {"agencies": [a.__dict__ for a in payeasy.list_agencies(s)]}


@router.get("/payeasy/bills/lookup", summary="払込情報の照会 / look up a Pay-easy bill")
def payeasy_lookup(agency_code: Annotated[Line, Query(min_length=1, max_length=20)],
                   customer_number: Annotated[Line, Query(min_length=1, max_length=40)],
                   confirmation_number: Annotated[Line, Query(min_length=1, max_length=20)],
                   c: Caller = Depends(caller), s: Session = DB
                   ) -> dict[str, Any]:
    bill = payeasy.lookup_bill(s, agency_code=agency_code, customer_number=customer_number,
                               confirmation_number=confirmation_number)
    return bill.__dict__ | {"due_date": bill.due_date.isoformat()}


@router.post("/payeasy/payments", status_code=201,
             summary="ペイジー払込の入力 / enter a Pay-easy payment (step 1 of 2)")
def enter_payeasy(body: PayEasyIn, key: IdempotencyKey, c: Caller = Depends(caller),
                  s: Session = DB) -> dict[str, Any]:
    """Shows the bill (agency, payee, amount, due date) and what the confirmation needs."""
    quote = payeasy.enter(s, c.actor, key=key, **body.model_dump())
    view = _quote_view(s, c, Operation.PAY_EASY, quote.instruction, quote.replayed)
    view["reference"] = payeasy.reference(quote.instruction.id)
    return view


@router.post("/payeasy/payments/{instruction_id}/confirm",
             summary="ペイジー払込の確定 / confirm a Pay-easy payment with step-up (step 2 of 2)")
def confirm_payeasy(instruction_id: Id, body: StepUpAnswers, key: IdempotencyKey,
                    request: Request, c: Caller = Depends(caller),
                    s: Session = DB, lang: str = Depends(request_language)) -> Any:
    return _confirm(s, c, request, lang, name="payeasy", operation=Operation.PAY_EASY,
                    instruction_id=instruction_id, body=body, key=key,
                    confirm=payeasy.confirm)


# --- time deposits ------------------------------------------------------------------------

class TimeDepositIn(BaseModel):
    from_account_id: Id
    amount: Amount = Field(..., examples=[100000])
    term_months: int = Field(..., ge=1, le=1200, examples=[12])


def _deposit_view(d: TimeDeposit) -> dict[str, Any]:
    return {
        "id": d.id, "account_id": d.account_id, "payout_account_id": d.payout_account_id,
        "principal": d.principal, "term_months": d.term_months,
        "annual_rate_per_100k": d.annual_rate_per_100k,
        "start_date": d.start_date.isoformat(), "maturity_date": d.maturity_date.isoformat(),
        "state": d.state.value, "closed_on": d.closed_on.isoformat() if d.closed_on else None,
        "applied_rate_per_100k": d.applied_rate_per_100k, "gross_interest": d.gross_interest,
        "national_tax": d.national_tax, "local_tax": d.local_tax,
    }


@router.get("/time-deposits", summary="定期預金の一覧 / time deposits")
def time_deposits(c: Caller = Depends(caller), s: Session = DB
                  ) -> dict[str, Any]:
    return {"time_deposits": [_deposit_view(d) for d in deposits.list_deposits(s, c.actor)]}


@router.post("/time-deposits", status_code=201,
             summary="定期預金の作成の入力 / enter a time deposit (step 1 of 2)")
def enter_time_deposit(body: TimeDepositIn, key: IdempotencyKey, c: Caller = Depends(caller),
                       s: Session = DB) -> dict[str, Any]:
    """Shows the term, the start and maturity dates, the rate and the expected interest."""
    quote = deposits.enter_opening(s, c.actor, key=key, **body.model_dump())
    view = _quote_view(s, c, Operation.FUND_MOVEMENT, quote.instruction, quote.replayed)
    view["reference"] = deposits.reference(quote.instruction.id)
    return view


@router.post("/time-deposits/{instruction_id}/confirm",
             summary="定期預金の作成の確定 / confirm a time deposit with step-up (step 2 of 2)")
def confirm_time_deposit(instruction_id: Id, body: StepUpAnswers, key: IdempotencyKey,
                         request: Request, c: Caller = Depends(caller),
                         s: Session = DB, lang: str = Depends(request_language)) -> Any:
    return _confirm(s, c, request, lang, name="time_deposit",
                    operation=Operation.FUND_MOVEMENT, instruction_id=instruction_id,
                    body=body, key=key, confirm=deposits.confirm_opening)


@router.post("/time-deposits/{deposit_id}/cancellation", status_code=201,
             summary="定期預金の中途解約の入力 / enter an early cancellation (step 1 of 2)")
def enter_time_deposit_cancellation(deposit_id: Id, key: IdempotencyKey,
                                    c: Caller = Depends(caller),
                                    s: Session = DB) -> dict[str, Any]:
    """Shows the interest at the early-cancellation rate, the tax and the payout."""
    quote = deposits.enter_cancellation(s, c.actor, key=key, deposit_id=deposit_id)
    view = _quote_view(s, c, Operation.FUND_MOVEMENT, quote.instruction, quote.replayed)
    view["reference"] = deposits.reference(quote.instruction.id)
    return view


@router.post("/time-deposits/cancellations/{instruction_id}/confirm",
             summary="定期預金の中途解約の確定 / confirm an early cancellation with step-up "
                     "(step 2 of 2)")
def confirm_time_deposit_cancellation(instruction_id: Id, body: StepUpAnswers,
                                      key: IdempotencyKey, request: Request,
                                      c: Caller = Depends(caller),
                                      s: Session = DB,
                                      lang: str = Depends(request_language)) -> Any:
    return _confirm(s, c, request, lang, name="time_deposit_cancel",
                    operation=Operation.FUND_MOVEMENT, instruction_id=instruction_id,
                    body=body, key=key, confirm=deposits.confirm_cancellation)


# --- debit cards ----------------------------------------------------------------------------

class DebitCardIn(StepUpAnswers):
    account_id: Id
    card_number: Line = Field(..., min_length=1, max_length=40, examples=["4111111111111111"])


def _card_view(card: CardView) -> dict[str, Any]:
    return {"id": card.id, "account_id": card.account_id, "branch_code": card.branch_code,
            "account_number": card.account_number, "masked_number": card.masked_number,
            "last4": card.last4, "state": card.state,
            "registered_at": card.registered_at.isoformat(),
            "cancelled_at": card.cancelled_at.isoformat() if card.cancelled_at else None}


@router.get("/debit-cards", summary="デビットカードの一覧 / debit cards")
def debit_cards(c: Caller = Depends(caller), s: Session = DB) -> dict[str, Any]:
    return {"debit_cards": [_card_view(card) for card in debitcards.list_cards(s, c.actor)]}


@router.post("/debit-cards", status_code=201,
             summary="デビットカードの登録 / register a debit card (with step-up)")
def register_debit_card(body: DebitCardIn, key: IdempotencyKey, request: Request,
                        c: Caller = Depends(caller), s: Session = DB,
                        lang: str = Depends(request_language)) -> Any:
    """The step-up is bound to the account and the card; the card is registered only after
    it succeeds. The card number is never stored or echoed (its last four digits are)."""
    number = card_rules.normalise_card_number(body.card_number)  # bad input: no step-up spent
    digest = hashlib.sha256(
        f"debit_card.register:{body.account_id}:{debitcards.card_digest(number)}".encode()
    ).hexdigest()
    scope, payload = f"debit_card.register:{c.user.id}", {"digest": digest}
    if (earlier := replay(s, scope=scope, key=key, payload=payload)) is not None:
        return _created(_answer(earlier, c, request))
    proved = prove(s, c, Operation.SETTINGS, {"digest": digest}, body, binds=digest)
    if isinstance(proved, Rejected):
        return rejection(proved, lang)
    new_token = proved[1]

    def create() -> dict[str, Any]:
        card = debitcards.register_card(s, c.actor, account_id=body.account_id,
                                        card_number=number)
        return {"debit_card": _card_view(card), "session_token": new_token,
                "csrf_token": csrf_token(new_token)}

    result = after_step_up(s, c, request, lang,
                           lambda: once(s, scope=scope, key=key, payload=payload, create=create))
    if isinstance(result, JSONResponse):
        return result
    return _created(_answer(result, c, request))


def _created(response: JSONResponse) -> JSONResponse:
    if response.status_code == 200:
        response.status_code = 201
    return response


@router.post("/debit-cards/{card_id}/cancel",
             summary="デビットカードの解除 / cancel a debit card")
def cancel_debit_card(card_id: Id, c: Caller = Depends(caller),
                      s: Session = DB) -> dict[str, Any]:
    return {"debit_card": _card_view(debitcards.cancel_card(s, c.actor, card_id))}
