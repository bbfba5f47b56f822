"""Operators (行員), their roles and their console access keys (OPS-1). Every change is
audited.

An operator signs in to the console with their code and a personal access key: 160 random
bits issued by ``kinko operators create`` / ``kinko operators issue-key`` and shown once; the
database keeps only its argon2id hash, so neither a copy of the database nor the bank's secret
key yields a key. (Personal operator accounts with a second factor replace this later.)
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from kinko import clock
from kinko.audit.service import record
from kinko.auth.crypto import hasher, new_token
from kinko.backoffice.errors import OperatorNotAllowed
from kinko.backoffice.models import Operator, OperatorRole, OperatorRoleGrant
from kinko.errors import Conflict, NotFound, ValidationFailed


def actor_of(operator_id: int) -> str:
    return f"operator:{operator_id}"


def create_operator(session: Session, *, code: str, name: str,
                    roles: Iterable[OperatorRole], branch_code: str | None = None,
                    actor: str) -> Operator:
    if not code or len(code) > 20:
        raise ValidationFailed(detail="an operator code is 1–20 characters")
    if session.execute(select(Operator.id).where(Operator.code == code)).first():
        raise Conflict(detail=f"operator {code} exists")
    now = clock.now()
    operator = Operator(code=code, name=name, branch_code=branch_code, active=True,
                        created_at=now)
    session.add(operator)
    session.flush()
    granted = sorted(set(roles))
    for role in granted:
        session.add(OperatorRoleGrant(operator_id=operator.id, role=role, granted_at=now))
    session.flush()
    record(session, actor=actor, action="backoffice.operator_created",
           subject_type="operator", subject_id=operator.id,
           data={"code": code, "roles": [r.value for r in granted]})
    return operator


def roles_of(session: Session, operator_id: int) -> frozenset[OperatorRole]:
    return frozenset(session.execute(
        select(OperatorRoleGrant.role).where(OperatorRoleGrant.operator_id == operator_id)
    ).scalars())


def grant(session: Session, *, operator_id: int, role: OperatorRole, actor: str) -> None:
    active_operator(session, operator_id)
    if role in roles_of(session, operator_id):
        return
    session.add(OperatorRoleGrant(operator_id=operator_id, role=role, granted_at=clock.now()))
    session.flush()
    record(session, actor=actor, action="backoffice.role_granted", subject_type="operator",
           subject_id=operator_id, data={"role": role.value})


def revoke(session: Session, *, operator_id: int, role: OperatorRole, actor: str) -> None:
    grant_row = session.get(OperatorRoleGrant, (operator_id, role))
    if grant_row is None:
        return
    session.delete(grant_row)
    session.flush()
    record(session, actor=actor, action="backoffice.role_revoked", subject_type="operator",
           subject_id=operator_id, data={"role": role.value})


def deactivate(session: Session, *, operator_id: int, actor: str) -> None:
    operator = active_operator(session, operator_id)
    operator.active = False
    record(session, actor=actor, action="backoffice.operator_deactivated",
           subject_type="operator", subject_id=operator_id, data={})


def active_operator(session: Session, operator_id: int) -> Operator:
    operator = session.get(Operator, operator_id)
    if operator is None:
        raise NotFound(detail=f"operator {operator_id}")
    if not operator.active:
        raise OperatorNotAllowed(detail="the operator is deactivated")
    return operator


def require_role(session: Session, operator_id: int, allowed: Iterable[OperatorRole]) -> None:
    active_operator(session, operator_id)
    wanted = frozenset(allowed)
    if not roles_of(session, operator_id) & wanted:
        raise OperatorNotAllowed(detail="needs one of: " + ", ".join(sorted(wanted)))


ACCESS_KEY_BYTES = 20   # 160 bits, base64url: 27 characters


def issue_access_key(session: Session, *, operator_id: int, actor: str) -> str:
    """A new access key for the operator (the previous one stops working); returned once,
    stored only as its argon2id hash."""
    operator = active_operator(session, operator_id)
    key = new_token(ACCESS_KEY_BYTES)
    operator.access_key_hash = hasher().hash(key)
    operator.access_key_issued_at = clock.now()
    session.flush()
    record(session, actor=actor, action="backoffice.access_key_issued",
           subject_type="operator", subject_id=operator_id, data={})
    return key


def operator_by_code(session: Session, code: str) -> Operator | None:
    return session.execute(select(Operator).where(Operator.code == code)).scalar_one_or_none()


def authenticate_operator(session: Session, code: str, key: str) -> Operator | None:
    """The active operator whose code and access key these are, or None. An unknown code,
    a missing key and a deactivated operator cost the same argon2 verification."""
    operator = operator_by_code(session, code)
    if operator is None or operator.access_key_hash is None:
        hasher().dummy_verify(key)
        return None
    checked = hasher().verify(operator.access_key_hash, key)
    if not checked.ok or not operator.active:
        return None
    if checked.needs_rehash:
        operator.access_key_hash = hasher().hash(key)
    return operator
