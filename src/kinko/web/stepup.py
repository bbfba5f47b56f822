"""Step-up for one operation inside a request: check the product's factors, spend the
step-up on exactly this operation, and hand the instruction layer its proof (AUTH-3).

A one-time answer is spent even when the operation then fails: when the business step run
by :func:`after_step_up` refuses (funds short, a limit, a cut-off), its writes are undone and
the request still commits the used OTP time step, the used card challenge and the rotated
session (AUTH-5).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Annotated, Any, TypeVar

from fastapi import Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from kinko import clock
from kinko.auth import stepup
from kinko.auth.outcomes import Rejected
from kinko.auth.policy import Operation
from kinko.errors import DomainError
from kinko.instructions.service import StepUpProof
from kinko.web.auth import Caller, csrf_token, set_session_cookie
from kinko.web.params import Line

# A card cell name (``A1``) and the digits written in it.
CardCell = Annotated[Line, Field(min_length=1, max_length=8)]

T = TypeVar("T")


class StepUpAnswers(BaseModel):
    """What the confirmation screen asked for (only the product's factors are needed)."""

    otp_code: Line | None = Field(None, max_length=12, examples=["123456"])
    confirmation_password: Line | None = Field(None, max_length=64)
    secret_phrase: Line | None = Field(None, max_length=64)
    card_challenge_id: Line | None = Field(None, max_length=100)
    card_answers: dict[CardCell, CardCell] | None = Field(None, max_length=8)
    phone_challenge_id: Line | None = Field(None, max_length=100)
    approval_id: Line | None = Field(None, max_length=100)

    def to_answers(self) -> stepup.Answers:
        return stepup.Answers(**self.model_dump(include=set(StepUpAnswers.model_fields)))


def payee_binding(fields: Mapping[str, str]) -> dict[str, Any]:
    """What the step-up of a payee registration signs (page and API alike): the account and
    the name given to it."""
    keys = ("account_type", "bank_code", "branch_code", "nickname", "number")
    return {"payee": {k: fields[k] for k in keys}}


def plan(s: Session, caller: Caller, operation: Operation, details: Mapping[str, Any], *,
         first: bool = False) -> dict[str, Any]:
    """What to ask on the confirmation screen (card cells, the number to call …); ``first``:
    the operation was made by this request (a new instruction: no cells asked for it yet)."""
    p = stepup.begin(s, session_token=caller.token, operation=operation, details=details,
                     first=first)
    out: dict[str, Any] = {"factors": [f.value for f in p.factors]}
    if p.card is not None:
        out["card"] = {"challenge_id": p.card.challenge_id, "cells": list(p.card.cells)}
    if p.phone_call is not None:
        out["phone_call"] = {"challenge_id": p.phone_call.challenge_id,
                             "number_to_call": p.phone_call.number_to_call}
    return out


def prove(s: Session, caller: Caller, operation: Operation, details: Mapping[str, Any],
          answers: StepUpAnswers, *, binds: str) -> tuple[StepUpProof, str] | Rejected:
    """Verify and spend the step-up (one UPDATE of the session row: new token, spent step-up);
    return the proof for ``binds`` (the instruction digest) and the rotated session token,
    or the rejection (whose counters the caller commits)."""
    result = stepup.verify(s, session_token=caller.token, operation=operation, details=details,
                           answers=answers.to_answers(), spend=True)
    if isinstance(result, Rejected):
        return result
    # What :func:`after_step_up` needs to spend this step-up again after rolling back a
    # refused business step (kept on the request's session: the two always go together).
    s.info[_AGAIN] = lambda: prove(s, caller, operation, details, answers, binds=binds)
    return StepUpProof(caller.user.id, binds, clock.now()), result.session_token


_AGAIN = "kinko.web.stepup.again"


def after_step_up(s: Session, c: Caller, request: Request, lang: str,
                  work: Callable[[], T]) -> T | JSONResponse:
    """Run ``work`` (the confirmation's business step) after :func:`prove` spent the step-up.

    On a domain error the whole transaction is rolled back and the same answers are proved
    and spent again in a fresh one, which the request commits: the one-time answers used
    can never confirm another instruction, and nothing of ``work`` is kept. The answer is the
    error's problem+json with the newly rotated session token (the one presented ended with
    the step-up). No savepoint: the refusal is the rare path, and a savepoint cost every
    confirmation two more round trips.
    """
    again = s.info.pop(_AGAIN)
    try:
        return work()
    except DomainError as exc:
        s.rollback()
        proved = again()
        # Rejected: spent in between by another request with the same answers; its answer
        # stands, and this one has no new session token to give.
        new_token = None if isinstance(proved, Rejected) else proved[1]
        body = exc.to_problem(lang)
        if new_token is not None:
            body.update(session_token=new_token, csrf_token=csrf_token(new_token))
        response = JSONResponse(body, status_code=exc.status,
                                media_type="application/problem+json")
        if new_token is not None and c.from_cookie:
            set_session_cookie(response, request, new_token)
        return response
