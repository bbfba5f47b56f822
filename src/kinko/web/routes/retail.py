"""The retail JSON API (INQ-1, INS-1..3, XFER-1..7): thin translations to the services.

Every route acts for the authenticated caller only; another customer's account or instruction
is "not found". Create and confirm requests carry an ``Idempotency-Key`` header.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from kinko.auth.outcomes import Rejected
from kinko.auth.policy import Operation
from kinko.idempotency.service import check_key, replayed
from kinko.inquiries import service as inquiries
from kinko.instructions import service as instructions
from kinko.instructions.models import Instruction
from kinko.transfers import service as transfers
from kinko.web.auth import Caller, authenticated, caller, check_csrf, csrf_token, set_session_cookie
from kinko.web.deps import DB, finish
from kinko.web.i18n import request_language
from kinko.web.params import (
    LINE_PATTERN,
    Amount,
    BankDate,
    Id,
    LimitAmount,
    Line,
    Page,
)
from kinko.web.stepup import StepUpAnswers, after_step_up, payee_binding, plan, prove

router = APIRouter(prefix="/api/v1", tags=["retail"])
IdempotencyKey = Annotated[str, Header(alias="Idempotency-Key", min_length=1, max_length=100,
                                       pattern=LINE_PATTERN,
                                       description="a fresh random key per new request")]
PageSize = Annotated[int, Query(ge=1, le=200)]


class CsvResponse(PlainTextResponse):
    media_type = "text/csv"


def rejection(result: Rejected, lang: str = "ja") -> JSONResponse:
    """A failed step-up: its counters are committed, the answer is problem+json."""
    return JSONResponse(result.error.to_problem(lang), status_code=result.error.status,
                        media_type="application/problem+json")


def instruction_view(i: Instruction) -> dict[str, Any]:
    return {
        "id": i.id, "kind": i.kind, "status": i.status.value, "amount": i.amount, "fee": i.fee,
        "value_date": i.value_date.isoformat(), "entered_at": i.entered_at.isoformat(),
        "confirm_deadline": i.confirm_deadline.isoformat(),
        "confirmed_at": i.confirmed_at.isoformat() if i.confirmed_at else None,
        "finished_at": i.finished_at.isoformat() if i.finished_at else None,
        "reason_code": i.reason_code, "reason": i.reason,
        "details": instructions.shown_details(i),
    }


def _step_up_details(i: Instruction) -> dict[str, Any]:
    return {"instruction_id": i.id, "digest": i.digest}


# --- inquiries -----------------------------------------------------------------------------

@router.get("/me", summary="ログイン中のお客さま / the caller")
def me(c: Caller = Depends(caller), s: Session = DB) -> dict[str, Any]:
    """Who is logged in, and the previous login's time and place (AUTH-13)."""
    from kinko.auth.sessions import previous_login

    previous = previous_login(s, c.row)
    return {"user_id": c.user.id, "display_name": c.user.display_name,
            "product": c.user.product.value,
            "previous_login_at": previous.at.isoformat() if previous else None,
            "previous_login_place": previous.place if previous else None,
            "csrf_token": csrf_token(c.token)}


@router.get("/accounts", summary="残高照会 / balances")
def accounts(request: Request, _csrf: None = Depends(check_csrf), s: Session = DB
             ) -> dict[str, Any]:
    c = authenticated(request, s)
    return finish(s, {"accounts": [b.__dict__ | {"as_of": b.as_of.isoformat()}
                                   for b in inquiries.balances(s, c.actor)]})


@router.get("/accounts/{account_id}/statement", summary="入出金明細 / statement")
def statement(account_id: Id, date_from: BankDate | None = None,
              date_to: BankDate | None = None, page: Page = 1, page_size: PageSize = 50,
              before: Id | None = Query(None, description="the previous page's `next`"),
              c: Caller = Depends(caller), s: Session = DB) -> dict[str, Any]:
    st = inquiries.statement(s, c.actor, account_id, date_from=date_from, date_to=date_to,
                             page=page, page_size=page_size, before=before)
    return {"account_id": st.account_id, "date_from": st.date_from.isoformat(),
            "date_to": st.date_to.isoformat(), "total": st.total, "page": st.page,
            "page_size": st.page_size, "next": st.next,
            "lines": [{"value_date": ln.value_date.isoformat(), "description": ln.description,
                       "withdrawal": ln.withdrawal, "deposit": ln.deposit,
                       "balance_after": ln.balance_after} for ln in st.lines]}


@router.get("/accounts/{account_id}/statement.csv", response_class=CsvResponse,
            summary="入出金明細 CSV / statement as CSV")
def statement_csv(account_id: Id, date_from: BankDate | None = None,
                  date_to: BankDate | None = None,
                  c: Caller = Depends(caller), s: Session = DB
                  ) -> PlainTextResponse:
    text = inquiries.statement_csv(s, c.actor, account_id, date_from=date_from,
                                   date_to=date_to)
    return PlainTextResponse(
        "\ufeff" + text, media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="statement-{account_id}.csv"'})


@router.get("/accounts/{account_id}/incoming",
            summary="振込入金明細 / incoming transfers with remitter names (INQ-1, XFER-9)")
def incoming(account_id: Id, date_from: BankDate | None = None,
             date_to: BankDate | None = None, page: Page = 1, page_size: PageSize = 50,
             before: Id | None = Query(None, description="the previous page's `next`"),
             c: Caller = Depends(caller), s: Session = DB) -> dict[str, Any]:
    from kinko.clearing.service import incoming_transfers

    account = inquiries.own_account(s, c.actor, account_id)
    # One line more than the page tells whether an older page exists.
    lines = incoming_transfers(s, account.id, date_from=date_from, date_to=date_to,
                               limit=page_size + 1,
                               offset=0 if before is not None else (page - 1) * page_size,
                               before=before)
    more, lines = len(lines) > page_size, lines[:page_size]
    return {"account_id": account.id, "page": page, "page_size": page_size,
            "next": lines[-1].id if more else None,
            "incoming": [{"value_date": ln.value_date.isoformat(), "amount": ln.amount,
                          "remitter": ln.remitter_name_kana,
                          "remitter_bank": ln.remitter_bank_name,
                          "remitter_branch": ln.remitter_branch_name, "edi": ln.edi,
                          "reference": ln.reference} for ln in lines]}


# --- payees ----------------------------------------------------------------------------------

class PayeeIn(BaseModel):
    bank_code: str = Field(..., pattern=r"^\d{4}$", examples=["0005"])
    branch_code: str = Field(..., pattern=r"^\d{3}$", examples=["001"])
    account_type: Line = Field("ordinary", max_length=20, examples=["ordinary"])
    number: str = Field(..., pattern=r"^\d{7}$", examples=["1234567"])
    nickname: Line = Field("", max_length=60)


@router.get("/payees/lookup", summary="口座名義確認 / look up the payee's name")
def payee_lookup(bank_code: Annotated[Line, Query(max_length=20)],
                 branch_code: Annotated[Line, Query(max_length=20)],
                 number: Annotated[Line, Query(max_length=20)],
                 account_type: Annotated[Line, Query(max_length=20)] = "ordinary",
                 c: Caller = Depends(caller),
                 s: Session = DB) -> dict[str, Any]:
    return transfers.lookup_payee(s, bank_code=bank_code, branch_code=branch_code,
                                  account_type=account_type, number=number).__dict__


@router.get("/payees", summary="登録振込先 / registered payees")
def payees(c: Caller = Depends(caller), s: Session = DB) -> dict[str, Any]:

    return {"payees": [{"id": p.id, "bank_code": p.bank_code, "branch_code": p.branch_code,
                        "account_type": p.account_type, "number": p.number,
                        "holder_kana": p.holder_kana, "nickname": p.nickname}
                       for p in transfers.payees_of(s, c.actor)]}


class PayeeRegistrationIn(StepUpAnswers, PayeeIn):
    pass


def _payee_fields(body: PayeeIn) -> dict[str, str]:
    return {k: getattr(body, k) for k in PayeeIn.model_fields}


@router.post("/payees/registration",
             summary="振込先の登録の確認 / look up a payee to register (step 1 of 2)")
def request_payee(body: PayeeIn, c: Caller = Depends(caller), s: Session = DB
                  ) -> dict[str, Any]:
    """The bank, branch and holder's name, and what the registration's step-up needs (card
    cells for retail-001; an OTP for retail-003; AUTH-3, a settings change)."""
    fields = _payee_fields(body)
    view = transfers.lookup_payee(s, bank_code=body.bank_code, branch_code=body.branch_code,
                                  account_type=body.account_type, number=body.number)
    return view.__dict__ | {"nickname": body.nickname,
                            "step_up": plan(s, c, Operation.SETTINGS, payee_binding(fields))}


@router.post("/payees", status_code=201,
             summary="振込先の登録 / register a payee with step-up (step 2 of 2)")
def register_payee(body: PayeeRegistrationIn, request: Request, c: Caller = Depends(caller),
                   s: Session = DB, lang: str = Depends(request_language)) -> Any:
    """Registered only after the product's step-up for exactly this payee; the answer carries
    the rotated session token (the one presented ended with the step-up)."""
    fields = _payee_fields(body)
    proved = prove(s, c, Operation.SETTINGS, payee_binding(fields), body, binds="payee")
    if isinstance(proved, Rejected):
        return rejection(proved, lang)  # the failure counters commit
    new_token = proved[1]

    def create() -> dict[str, Any]:
        p = transfers.register_payee(s, c.actor, **fields)
        return {"id": p.id, "holder_kana": p.holder_kana, "nickname": p.nickname,
                "session_token": new_token, "csrf_token": csrf_token(new_token)}

    result = after_step_up(s, c, request, lang, create)
    if isinstance(result, JSONResponse):
        return result
    response = JSONResponse(result, status_code=201)
    if c.from_cookie:
        set_session_cookie(response, request, new_token)
    return response


# --- transfers ---------------------------------------------------------------------------

class TransferIn(BaseModel):
    from_account_id: Id
    amount: Amount = Field(..., examples=[10000])
    payee_id: Id | None = None
    bank_code: str | None = Field(None, pattern=r"^\d{4}$")
    branch_code: str | None = Field(None, pattern=r"^\d{3}$")
    account_type: Line | None = Field("ordinary", max_length=20)
    number: str | None = Field(None, pattern=r"^\d{7}$")
    value_date: BankDate | None = None
    edi: Line | None = Field(None, max_length=20)

    model_config = {"json_schema_extra": {"examples": [
        {"from_account_id": 1, "amount": 10000, "bank_code": "0999", "branch_code": "002",
         "account_type": "ordinary", "number": "2345678"}]}}


@router.post("/transfers", status_code=201,
             summary="振込・振替の入力 / enter a transfer (step 1 of 2)")
def enter_transfer(body: TransferIn, key: IdempotencyKey, request: Request,
                   _csrf: None = Depends(check_csrf), s: Session = DB) -> dict[str, Any]:
    """Shows the details, the fee and the payee's name, and what the confirmation needs."""
    c = authenticated(request, s)
    data = body.model_dump()
    if body.payee_id is not None:
        for field in ("bank_code", "branch_code", "account_type", "number"):
            data.pop(field)
    quote = transfers.enter(s, c.actor, key=key, **data)
    view = instruction_view(quote.instruction)
    view["replayed"] = quote.replayed
    view["step_up"] = plan(s, c, Operation.TRANSFER, _step_up_details(quote.instruction),
                           first=not quote.replayed)
    return finish(s, view)


@router.post("/transfers/{instruction_id}/confirm",
             summary="振込・振替の確定 / confirm with step-up (step 2 of 2)")
def confirm_transfer(instruction_id: Id, body: StepUpAnswers, key: IdempotencyKey,
                     request: Request, _csrf: None = Depends(check_csrf), s: Session = DB,
                     lang: str = Depends(request_language)) -> Any:
    c = authenticated(request, s)
    # Committed here: a rejected step-up's counters, the spent answer and the executed
    # transfer alike (the request's session would commit them all the same, a thread later).
    return finish(s, _confirm_transfer(instruction_id, body, key, request, c, s, lang))


def _confirm_transfer(instruction_id: int, body: StepUpAnswers, key: str, request: Request,
                      c: Caller, s: Session, lang: str) -> Any:
    scope, payload = f"transfer.confirm:{c.user.id}", {"instruction_id": instruction_id}
    # The instruction and the key's earlier answer in one statement. The key is checked
    # before the step-up (a retry after a lost answer gets the first answer without a new
    # one-time password) and recorded with the answer after the work: the instruction's own
    # conditional UPDATE is what makes one of two concurrent confirmations the winner.
    check_key(key)
    instruction, stored_hash, stored = instructions.get_own_with_key(
        s, c.actor, instruction_id, scope=scope, key=key)
    earlier = replayed(stored_hash, stored, scope=scope, key=key, payload=payload)
    if earlier is not None:
        return _after_confirm(earlier, c, request)
    proved = prove(s, c, Operation.TRANSFER, _step_up_details(instruction), body,
                   binds=instruction.digest)
    if isinstance(proved, Rejected):
        return rejection(proved, lang)  # the failure counters commit; the key stays unused
    proof, new_token = proved

    def create() -> dict[str, Any]:
        # The key is recorded with the answer (without the tokens) by the confirmation.
        record = instructions.KeyRecord(scope, key, payload,
                                        lambda i: {"instruction": instruction_view(i)})
        done = transfers.confirm(s, c.actor, instruction_id, proof, loaded=instruction,
                                 key=record)
        return {"instruction": instruction_view(done), "session_token": new_token,
                "csrf_token": csrf_token(new_token)}

    # A failed confirmation (funds short …) still spends the one-time answer (AUTH-5).
    result = after_step_up(s, c, request, lang, create)
    if isinstance(result, JSONResponse):
        return result
    return _after_confirm(result, c, request)


def _after_confirm(result: dict[str, Any], c: Caller, request: Request) -> JSONResponse:
    from kinko.instructions.errors import InstructionExpired

    if result["instruction"]["status"] == "void":
        error = InstructionExpired()
        return JSONResponse(error.to_problem(), status_code=error.status,
                            media_type="application/problem+json")
    response = JSONResponse(result)
    if c.from_cookie and "session_token" in result:
        set_session_cookie(response, request, result["session_token"])
    return response


@router.post("/transfers/{instruction_id}/cancel",
             summary="予約振込の取消 / cancel a future-dated transfer")
def cancel_transfer(instruction_id: Id, c: Caller = Depends(caller),
                    s: Session = DB) -> dict[str, Any]:
    return instruction_view(transfers.cancel(s, c.actor, instruction_id))


@router.post("/instructions/{instruction_id}/discard",
             summary="未確定のお取引の破棄 / discard an unconfirmed instruction")
def discard_instruction(instruction_id: Id, c: Caller = Depends(caller),
                        s: Session = DB) -> dict[str, Any]:
    """An instruction entered but not confirmed is dropped (status ``void``, reason
    ``DISCARDED``); a confirmed one answers 409 INSTRUCTION_NOT_OPEN."""
    from kinko.instructions.drafts import discard

    return instruction_view(discard(s, c.actor, instruction_id))


@router.get("/instructions", summary="お取引の一覧 / instructions and their outcome")
def list_instructions(page: Page = 1,
                      before: Id | None = Query(None,
                                                description="the previous page's `next`"),
                      c: Caller = Depends(caller), s: Session = DB) -> dict[str, Any]:
    """50 per page, newest first; ``next`` (or None on the last page) is the next page's
    ``before``, which costs what page 1 does however long the history is."""
    from kinko.inquiries.history import instructions_for
    from kinko.instructions.drafts import void_stale

    void_stale(s, contract_id=c.actor.contract_id)  # no draft stays "entered" past its deadline
    rows = instructions_for(s, c.actor, limit=51, before=before,
                            offset=0 if before is not None else (page - 1) * 50)
    more, rows = len(rows) > 50, rows[:50]
    return {"instructions": [instruction_view(i) for i in rows],
            "next": rows[-1].id if more else None}


class LimitsRequest(BaseModel):
    per_transaction: LimitAmount
    daily: LimitAmount
    for_user: bool = False


class LimitsIn(StepUpAnswers):
    per_transaction: LimitAmount
    daily: LimitAmount
    for_user: bool = False


def _limits_details(digest: str) -> dict[str, Any]:
    return {"digest": digest}


@router.post("/limits/change",
             summary="振込限度額の変更の入力 / request a limit change (step 1 of 2)")
def request_limits(body: LimitsRequest, c: Caller = Depends(caller), s: Session = DB
                   ) -> dict[str, Any]:
    """Checks the new limits and hands out what the confirmation needs: card cells (001),
    an OTP (003), the confirmation password and an OTP (002) — AUTH-3, XFER-6."""
    change = transfers.request_limits(s, c.actor, per_transaction=body.per_transaction,
                                      daily=body.daily, for_user=body.for_user)
    return {"per_transaction": change.limits.per_transaction, "daily": change.limits.daily,
            "for_user": change.for_user,
            "step_up": (plan(s, c, Operation.LIMIT_CHANGE, _limits_details(change.digest))
                        if change.raises else None)}


@router.put("/limits", summary="振込限度額の変更 / change transfer limits (step 2 of 2)")
def change_limits(body: LimitsIn, request: Request, c: Caller = Depends(caller),
                  s: Session = DB, lang: str = Depends(request_language)) -> Any:
    """A raise needs the product's step-up (AUTH-3), answered for exactly this change (card
    cells come from ``POST /limits/change``) and rotates the session token; a lowering needs
    no second factor (XFER-6)."""
    change = transfers.request_limits(s, c.actor, per_transaction=body.per_transaction,
                                      daily=body.daily, for_user=body.for_user)
    if not change.raises:
        limits = transfers.set_limits(s, c.actor, per_transaction=body.per_transaction,
                                      daily=body.daily, for_user=body.for_user, step_up=None)
        return {"per_transaction": limits.per_transaction, "daily": limits.daily}
    proved = prove(s, c, Operation.LIMIT_CHANGE, _limits_details(change.digest), body,
                   binds=change.digest)
    if isinstance(proved, Rejected):
        return rejection(proved, lang)  # the failure counters commit
    proof, new_token = proved
    limits = transfers.set_limits(s, c.actor, per_transaction=body.per_transaction,
                                  daily=body.daily, for_user=body.for_user, step_up=proof)
    response = JSONResponse({"per_transaction": limits.per_transaction, "daily": limits.daily,
                             "session_token": new_token, "csrf_token": csrf_token(new_token)})
    if c.from_cookie:
        set_session_cookie(response, request, new_token)
    return response


@router.get("/limits", summary="振込限度額 / transfer limits in force")
def get_limits(c: Caller = Depends(caller), s: Session = DB) -> dict[str, Any]:
    from kinko import clock
    from kinko.policy import policy_at

    limits = transfers.limits_for(s, c.actor, policy_at(clock.now()))
    return {"per_transaction": limits.per_transaction, "daily": limits.daily}

