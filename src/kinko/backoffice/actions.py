"""The sensitive actions that need four eyes, who may ask for them and who may approve.

Each action names the service it runs; the handler receives the stored payload and runs as
the approving operator. An action is approvable only once it is in ``ACTIONS``: the auth
actions are listed here; a domain above the back office (claims, verification, …) registers
its own with ``register_action`` when its module is imported.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from kinko.backoffice.models import OperatorRole
from kinko.errors import ValidationFailed

Handler = Callable[..., Any]


def _needs(*keys: str) -> Callable[[Mapping[str, Any]], None]:
    def check(payload: Mapping[str, Any]) -> None:
        missing = [k for k in keys if k not in payload]
        if missing:
            raise ValidationFailed(detail="payload needs: " + ", ".join(missing))
    return check


@dataclass(frozen=True)
class ActionSpec:
    handler: Handler
    request_roles: frozenset[OperatorRole]
    approve_roles: frozenset[OperatorRole]
    validate: Callable[[Mapping[str, Any]], None] = field(default=lambda payload: None)
    # What is kept of the handler's output in the request row (never a secret).
    summary: Callable[[Any], Any] = field(default=lambda output: None)


def _release_lock(session: Session, payload: Mapping[str, Any], *, actor: str,
                  request_id: int) -> None:
    from kinko.auth import lockout

    lockout.release(session, int(payload["user_id"]), actor=actor,
                    note=f"approval request {request_id}")


def _resume_service(session: Session, payload: Mapping[str, Any], *, actor: str,
                    request_id: int) -> list[int]:
    from kinko.auth import compromise

    return compromise.resume(session, report_id=int(payload["report_id"]), actor=actor,
                             request_id=request_id)


def _reset_password(session: Session, payload: Mapping[str, Any], *, actor: str,
                    request_id: int) -> str:
    from kinko.auth import passwords

    return passwords.issue_temporary_password(session, user_id=int(payload["user_id"]),
                                              actor=actor)


def _reissue_token(reason: str) -> Handler:
    """Reissue a user's hard token (CRED-1): free at expiry or for a defect, the policy's fee
    for a lost one, charged through the ledger to the customer's account."""

    def run(session: Session, payload: Mapping[str, Any], *, actor: str,
            request_id: int) -> str:
        import secrets

        from kinko.auth import repository as repo
        from kinko.auth import tokens
        from kinko.auth.models import TokenIssueReason, TokenKind, TokenState
        from kinko.auth.users import get_user
        from kinko.errors import ValidationFailed
        from kinko.ledger.books import book
        from kinko.ledger.models import Account, AccountType

        user = get_user(session, int(payload["user_id"]))
        old = [t for t in repo.tokens_of_user(
            session, user.id, (TokenState.ACTIVE, TokenState.STOPPED, TokenState.EXPIRED))
            if t.kind is TokenKind.HARD]
        if not old:
            raise ValidationFailed(detail="the user has no hard token to replace")
        paying = session.query(Account.id).filter(
            Account.customer_id == user.customer_id, Account.type == AccountType.ORDINARY
        ).order_by(Account.id).first()
        issued = tokens.issue_hard_token(
            session, contract_id=user.contract_id, serial=f"ET-{secrets.token_hex(5).upper()}",
            reason=TokenIssueReason(reason), user_id=user.id, activate=True,
            replaces_serial=old[-1].serial, actor=actor,
            fee_accounts=tokens.FeeAccounts(book(session, "fee_income"),
                                            paying[0] if paying else None))
        return f"{issued.serial} (fee {issued.fee_yen} yen, request {request_id})"

    return run


def _role(payload: Mapping[str, Any]) -> OperatorRole:
    try:
        return OperatorRole(str(payload["role"]))
    except ValueError:
        raise ValidationFailed(detail=f"unknown role {payload['role']!r}",
                               fields=["role"]) from None


def _check_new_operator(payload: Mapping[str, Any]) -> None:
    _needs("code", "name", "roles")(payload)
    roles = payload["roles"]
    if not isinstance(roles, list) or not roles:
        raise ValidationFailed(detail="a new operator needs at least one role", fields=["roles"])
    for role in roles:
        _role({"role": role})


def _check_role_change(payload: Mapping[str, Any]) -> None:
    _needs("operator_id", "role")(payload)
    _role(payload)


def _create_operator(session: Session, payload: Mapping[str, Any], *, actor: str,
                     request_id: int) -> Any:
    from kinko.backoffice import operators

    operator = operators.create_operator(
        session, code=str(payload["code"]), name=str(payload["name"]),
        roles=[OperatorRole(r) for r in payload["roles"]],
        branch_code=payload.get("branch_code") or None, actor=actor)
    # The initial password and TOTP secret go to the approver's screen once, to hand over.
    return operators.issue_initial_credentials(session, operator_id=operator.id, actor=actor)


def _grant_role(session: Session, payload: Mapping[str, Any], *, actor: str,
                request_id: int) -> None:
    from kinko.backoffice import operators

    operators.grant(session, operator_id=int(payload["operator_id"]), role=_role(payload),
                    actor=actor)


def _revoke_role(session: Session, payload: Mapping[str, Any], *, actor: str,
                 request_id: int) -> None:
    from kinko.backoffice import operators

    operators.revoke(session, operator_id=int(payload["operator_id"]), role=_role(payload),
                     actor=actor)


def _deactivate_operator(session: Session, payload: Mapping[str, Any], *, actor: str,
                         request_id: int) -> None:
    from kinko.backoffice import operators

    operators.deactivate(session, operator_id=int(payload["operator_id"]), actor=actor)


def _reset_operator(session: Session, payload: Mapping[str, Any], *, actor: str,
                    request_id: int) -> Any:
    from kinko.backoffice import operators

    return operators.issue_initial_credentials(
        session, operator_id=int(payload["operator_id"]), actor=actor)


def _release_operator(session: Session, payload: Mapping[str, Any], *, actor: str,
                      request_id: int) -> None:
    from kinko.backoffice import operators

    operators.release_lock(session, operator_id=int(payload["operator_id"]), actor=actor)


def _change_policy(session: Session, payload: Mapping[str, Any], *, actor: str,
                   request_id: int) -> str:
    from kinko.backoffice import policy_changes

    return policy_changes.apply(session, dict(payload), actor=actor, request_id=request_id)


_STAFF = frozenset({OperatorRole.TELLER, OperatorRole.SECURITY})
_SECURITY = frozenset({OperatorRole.SECURITY})
_SUPERVISOR = frozenset({OperatorRole.SUPERVISOR})
_CREATED = "operator created; initial credentials shown once to the approver"

ACTIONS: dict[str, ActionSpec] = {
    # AUTH-6: release a lockout that lasts until released, or a block (利用閉塞).
    "auth.release_lock": ActionSpec(_release_lock, _STAFF, _SECURITY, _needs("user_id")),
    # CRED-6 / SUSP-1: resume service after a compromise report.
    "auth.resume_service": ActionSpec(_resume_service, _STAFF, _SECURITY,
                                      _needs("report_id"),
                                      summary=lambda users: {"users": users}),
    # AUTH-10: reset a forgotten password to a temporary one, mailed on paper.
    "auth.reset_password": ActionSpec(_reset_password, _STAFF, _SECURITY, _needs("user_id"),
                                      summary=lambda _password: "temporary password issued"),
    # CRED-1: reissue a hard token — after loss (fee), at expiry or for a defect (free).
    "auth.reissue_token_lost": ActionSpec(_reissue_token("lost"), _STAFF, _SECURITY,
                                          _needs("user_id"), summary=lambda out: out),
    "auth.reissue_token_expiry": ActionSpec(_reissue_token("expiry"), _STAFF, _SECURITY,
                                            _needs("user_id"), summary=lambda out: out),
    "auth.reissue_token_defect": ActionSpec(_reissue_token("defect"), _STAFF, _SECURITY,
                                            _needs("user_id"), summary=lambda out: out),
    # OPS-1: operators and their roles are changed by one supervisor and approved by another.
    "backoffice.create_operator": ActionSpec(_create_operator, _SUPERVISOR, _SUPERVISOR,
                                             _check_new_operator,
                                             summary=lambda _out: _CREATED),
    "backoffice.grant_role": ActionSpec(_grant_role, _SUPERVISOR, _SUPERVISOR,
                                        _check_role_change),
    "backoffice.revoke_role": ActionSpec(_revoke_role, _SUPERVISOR, _SUPERVISOR,
                                         _check_role_change),
    "backoffice.deactivate_operator": ActionSpec(_deactivate_operator, _SUPERVISOR,
                                                 _SUPERVISOR, _needs("operator_id")),
    "backoffice.reset_operator": ActionSpec(_reset_operator, _SUPERVISOR, _SUPERVISOR,
                                            _needs("operator_id"),
                                            summary=lambda _out: "credentials reissued"),
    # POL-1: a policy change, announced and in force from its date.
    "policy.change": ActionSpec(_change_policy, frozenset({OperatorRole.POLICY_ADMIN}),
                                frozenset({OperatorRole.POLICY_ADMIN, OperatorRole.SUPERVISOR}),
                                _needs("effective_from", "overrides"),
                                summary=lambda out: out),
    "backoffice.release_operator_lock": ActionSpec(_release_operator, _SUPERVISOR,
                                                   _SUPERVISOR, _needs("operator_id")),
}


def register_action(name: str, spec: ActionSpec) -> None:
    """Make an action approvable; registering the same name twice with another spec is a bug."""
    existing = ACTIONS.get(name)
    if existing is not None and existing is not spec:
        raise ValueError(f"four-eyes action {name} is registered twice")
    ACTIONS[name] = spec
