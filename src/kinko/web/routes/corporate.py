"""The business net's JSON API (PRD-2..4, APR-1): the caller's services, user management.

Thin translations to :mod:`kinko.corporate.service`; the checks (manager only, course,
grants) live there, so pages, files and batches get the same answers."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from kinko.auth.models import UserRole
from kinko.corporate import service as corporate
from kinko.corporate.rules import parse_services
from kinko.errors import ValidationFailed
from kinko.web.auth import Caller, caller
from kinko.web.deps import DB
from kinko.web.params import LINE_PATTERN, Id, LimitAmount

router = APIRouter(prefix="/api/v1/corporate", tags=["corporate"])
Services = Annotated[str, Field(max_length=14, pattern=r"^[A-Na-n]*$",
                                description="service letters A–N, e.g. 'ABCH'")]


def _view(v: corporate.UserView) -> dict[str, Any]:
    return {"id": v.id, "login_id": v.login_id, "role": v.role, "display_name": v.display_name,
            "email": v.email, "state": v.state, "services": v.services,
            "per_transaction_limit": v.per_transaction_limit, "daily_limit": v.daily_limit,
            "account_ids": v.account_ids, "token_registered": v.has_token}


class GrantsIn(BaseModel):
    services: Services = ""
    per_transaction_limit: LimitAmount | None = None
    daily_limit: LimitAmount | None = None
    account_ids: list[Id] = Field(default_factory=list, max_length=200)


class UserIn(GrantsIn):
    role: Annotated[str, Field(pattern=r"^(admin|general)$")]
    login_id: Annotated[str, Field(min_length=1, max_length=32, pattern=LINE_PATTERN)]
    temporary_login_password: Annotated[str, Field(min_length=1, max_length=64)]
    temporary_confirmation_password: Annotated[str, Field(min_length=1, max_length=64)]
    display_name: Annotated[str, Field(max_length=120, pattern=LINE_PATTERN)] = ""
    email: Annotated[str | None, Field(max_length=254, pattern=LINE_PATTERN)] = None


class ApprovalModeIn(BaseModel):
    mode: Annotated[str, Field(pattern=r"^(none|single|double)$")] = "single"


def _services(text: str) -> Any:
    try:
        return parse_services(text)
    except ValueError as exc:  # pragma: no cover - the pattern refuses it first
        raise ValidationFailed(detail="service letters are A–N") from exc


@router.get("/me", summary="利用者情報と利用できるサービス / the caller's services")
def me(c: Caller = Depends(caller), s: Session = DB) -> dict[str, Any]:
    return _view(corporate.me(s, c.actor))


@router.get("/users", summary="利用者の一覧 / users of the contract")
def users(c: Caller = Depends(caller), s: Session = DB) -> dict[str, Any]:
    return {"users": [_view(v) for v in corporate.list_users(s, c.actor)]}


@router.post("/users", status_code=201, summary="利用者の登録 / add a user")
def add_user(body: UserIn, c: Caller = Depends(caller), s: Session = DB) -> dict[str, Any]:
    return _view(corporate.create_user(
        s, c.actor, role=UserRole(body.role), login_id=body.login_id,
        temporary_login_password=body.temporary_login_password,
        temporary_confirmation_password=body.temporary_confirmation_password,
        display_name=body.display_name, email=body.email, services=_services(body.services),
        per_transaction=body.per_transaction_limit, daily=body.daily_limit,
        account_ids=body.account_ids))


@router.put("/users/{user_id}/grants", summary="権限・限度額・口座 / a user's grants")
def set_grants(user_id: Id, body: GrantsIn, c: Caller = Depends(caller), s: Session = DB
               ) -> dict[str, Any]:
    return _view(corporate.set_grants(
        s, c.actor, user_id, services=_services(body.services),
        per_transaction=body.per_transaction_limit, daily=body.daily_limit,
        account_ids=body.account_ids))


@router.post("/users/{user_id}/suspend", summary="利用停止 / suspend a user")
def suspend(user_id: Id, c: Caller = Depends(caller), s: Session = DB) -> dict[str, Any]:
    return _view(corporate.suspend_user(s, c.actor, user_id, suspend=True))


@router.post("/users/{user_id}/resume", summary="利用再開 / resume a user")
def resume(user_id: Id, c: Caller = Depends(caller), s: Session = DB) -> dict[str, Any]:
    return _view(corporate.suspend_user(s, c.actor, user_id, suspend=False))


@router.put("/approval-modes/{kind}", summary="承認方式 / approval mode (APR-1)")
def approval_mode(kind: Annotated[str, Path(pattern=r"^(bulk|payroll)$")], body: ApprovalModeIn,
                  c: Caller = Depends(caller), s: Session = DB) -> dict[str, Any]:
    corporate.set_approval_mode(s, c.actor, kind=kind, mode=body.mode)
    return {"kind": kind, "mode": body.mode}
