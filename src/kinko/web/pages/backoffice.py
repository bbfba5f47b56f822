"""Console pages for work queues, operators and policy (OPS-1, OPS-2, POL-1).

Every change asked for here is a four-eyes request (:mod:`kinko.backoffice.approvals`): it is
approved, and then carried out, by a second operator from the console's list of pending
requests. The roles are checked by the services; the pages only avoid offering what fails.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from kinko import clock
from kinko.backoffice import approvals, policy_changes, policy_proposals
from kinko.backoffice.models import Operator, OperatorRole, OperatorRoleGrant
from kinko.backoffice.operators import is_locked
from kinko.backoffice.queues import QUEUES
from kinko.errors import DomainError, ValidationFailed
from kinko.policy import version_at
from kinko.policy.changes import approved
from kinko.policy.render import to_toml
from kinko.web.deps import DB
from kinko.web.i18n import language
from kinko.web.pages.auth import message
from kinko.web.pages.operator import OPERATOR, act, operator_csrf, parse_id
from kinko.web.templating import render

router = APIRouter(prefix="/operator", include_in_schema=False)

QUEUE_LIMIT = 200


# --- work queues ----------------------------------------------------------------------------


def _queue_page(key: str) -> Any:
    queue = QUEUES[key]

    def page(request: Request, operator: Operator = OPERATOR, s: Session = DB) -> Response:
        return render(request, "operator/queue.html", operator=operator, queue=queue,
                      queues=QUEUES, rows=queue.rows(s, QUEUE_LIMIT),
                      count=queue.count(s) if queue.available else None)

    page.__name__ = f"queue_{key.replace('-', '_')}"
    return page


# One page per queue, each at its own fixed path (a new entry of QUEUES is a new page).
for _key in QUEUES:
    router.add_api_route(f"/queues/{_key}", _queue_page(_key), methods=["GET"],
                         response_class=HTMLResponse)


# --- operators ------------------------------------------------------------------------------

OPERATOR_ACTIONS = ("backoffice.grant_role", "backoffice.revoke_role",
                    "backoffice.deactivate_operator", "backoffice.reset_operator",
                    "backoffice.release_operator_lock")


def _operators_page(request: Request, s: Session, operator: Operator, *,
                    status_code: int = 200, error: str | None = None,
                    done: str | None = None) -> HTMLResponse:
    operators = s.execute(select(Operator).order_by(Operator.code)).scalars().all()
    grants: dict[int, list[str]] = {}
    for g in s.execute(select(OperatorRoleGrant)).scalars():
        grants.setdefault(g.operator_id, []).append(g.role.value)
    return render(request, "operator/operators.html", status_code=status_code,
                  operator=operator, operators=operators, grants=grants,
                  locked={o.id: is_locked(o) for o in operators},
                  roles=[r.value for r in OperatorRole], actions=OPERATOR_ACTIONS,
                  csrf=operator_csrf(request), error=error, done=done)


@router.get("/operators", response_class=HTMLResponse)
def operators_page(request: Request, operator: Operator = OPERATOR, s: Session = DB
                   ) -> Response:
    return _operators_page(request, s, operator)


def _operators_refused(request: Request, s: Session, operator: Operator
                       ) -> Callable[[DomainError], Response]:
    return lambda exc: _operators_page(request, s, operator, status_code=exc.status,
                                       error=message(exc, language(request)))


@router.post("/operators", response_class=HTMLResponse)
def ask_new_operator(request: Request, code: str = Form("", max_length=20),
                     name: str = Form("", max_length=120),
                     branch_code: str = Form("", max_length=3),
                     roles: list[str] = Form([]), reason: str = Form("", max_length=500),
                     operator: Operator = OPERATOR, s: Session = DB) -> Response:
    """A supervisor asks for a new operator; a second supervisor's approval creates it."""
    def run() -> Response:
        row = approvals.request(
            s, action="backoffice.create_operator", subject_type="operator",
            subject_id=code.strip() or "-",
            payload={"code": code.strip(), "name": name.strip(),
                     "roles": sorted(set(roles))[:10],
                     "branch_code": branch_code.strip() or None},
            reason=reason, requested_by=operator.id)
        return _operators_page(request, s, operator, done=f"requested-{row.id}")
    return act(s, run, _operators_refused(request, s, operator))


@router.post("/operators/requests", response_class=HTMLResponse)
def ask_operator_change(request: Request, action: str = Form("", max_length=60),
                        operator_id: str = Form(""), role: str = Form("", max_length=20),
                        reason: str = Form("", max_length=500),
                        operator: Operator = OPERATOR, s: Session = DB) -> Response:
    """Grant or revoke a role, deactivate, reissue credentials, release a lock: four eyes."""
    def run() -> Response:
        if action not in OPERATOR_ACTIONS:
            raise ValidationFailed(detail="unknown action", fields=["action"])
        target = parse_id(operator_id, "operator_id")
        payload: dict[str, Any] = {"operator_id": target}
        if action in {"backoffice.grant_role", "backoffice.revoke_role"}:
            payload["role"] = role
        row = approvals.request(s, action=action, subject_type="operator",
                                subject_id=target, payload=payload, reason=reason,
                                requested_by=operator.id)
        return _operators_page(request, s, operator, done=f"requested-{row.id}")
    return act(s, run, _operators_refused(request, s, operator))


# --- policy ---------------------------------------------------------------------------------


def _policy_page(request: Request, s: Session, operator: Operator, *, status_code: int = 200,
                 error: str | None = None, done: str | None = None,
                 form: dict[str, str] | None = None) -> HTMLResponse:
    now = clock.now()
    pending = [(r, json.loads(r.payload)) for r in approvals.pending(s,
                                                                     action=policy_changes.ACTION)]
    changes = approved(s)
    return render(request, "operator/policy.html", status_code=status_code, operator=operator,
                  in_force=to_toml(version_at(now)), now=now,
                  scheduled=[c for c in changes if c.effective_from > now],
                  past=[c for c in changes if c.effective_from <= now],
                  pending=pending, csrf=operator_csrf(request), error=error, done=done,
                  form=form or {})


@router.get("/policy", response_class=HTMLResponse)
def policy_page(request: Request, done: str = Query("", max_length=60),
                operator: Operator = OPERATOR, s: Session = DB) -> Response:
    return _policy_page(request, s, operator, done=done or None)


@router.post("/policy/changes", response_class=HTMLResponse)
def propose_change(request: Request, effective_from: str = Form("", max_length=40),
                   overrides: str = Form("", max_length=20_000),
                   note: str = Form("", max_length=500),
                   notice_ja: str = Form("", max_length=2000),
                   notice_en: str = Form("", max_length=2000),
                   reason: str = Form("", max_length=500),
                   operator: Operator = OPERATOR, s: Session = DB) -> Response:
    """A policy administrator proposes a dated change; a second operator approves it."""
    form = {"effective_from": effective_from, "overrides": overrides, "note": note,
            "notice_ja": notice_ja, "notice_en": notice_en, "reason": reason}

    def run() -> str:
        try:
            moment = clock.parse_moment(effective_from.strip())
        except ValueError:
            raise ValidationFailed(detail="effective_from: YYYY-MM-DD or YYYY-MM-DDTHH:MM",
                                   fields=["effective_from"]) from None
        row = policy_proposals.propose(
            s, effective_from=moment, overrides_toml=overrides, note=note,
            notice_ja=notice_ja, notice_en=notice_en, reason=reason,
            requested_by=operator.id)
        return f"/operator/policy?done=requested-{row.id}"

    def refused(exc: DomainError) -> Response:
        shown = message(exc, language(request))
        if isinstance(exc, ValidationFailed) and exc.detail:
            shown = f"{shown} ({exc.detail})"   # the operator needs to know which value
        return _policy_page(request, s, operator, status_code=exc.status, error=shown,
                            form=form)
    return act(s, run, refused)
