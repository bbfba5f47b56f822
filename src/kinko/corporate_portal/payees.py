"""The payee master page's use cases (振込先マスタ, BULK-1): list, add, change and delete the
contract's registered bulk and payroll payees. A payee's fields and kana name are checked as
a request line is (:func:`kinko.bulk.rules.check_payee`) and its bank and branch against
zengin-code (this bank: its own branch list), so a master payee always makes a valid line."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kinko.audit.service import record
from kinko.bulk import rules as bulk_rules
from kinko.bulk import service as bulk
from kinko.bulk.errors import BulkFileRefused
from kinko.bulk.models import BulkKind, BulkPayee
from kinko.corporate import entitlements
from kinko.errors import NotFound, ValidationFailed
from kinko.instructions.service import Actor

KINDS = ("bulk", "payroll")


def _service_kind(kind: str) -> BulkKind:
    if kind not in KINDS:
        raise ValidationFailed(detail="kind is bulk or payroll")
    return BulkKind.BULK if kind == "bulk" else BulkKind.PAYROLL


def list_payees(session: Session, actor: Actor, *, kind: str) -> list[BulkPayee]:
    _service_kind(kind)
    return bulk.payees(session, actor, kind=kind)


def add(session: Session, actor: Actor, *, kind: str, payee: bulk_rules.Payee) -> BulkPayee:
    _service_kind(kind)
    return bulk.register_payee(session, actor, kind=kind, payee=payee)


def _own(session: Session, actor: Actor, payee_id: int) -> BulkPayee:
    row = session.get(BulkPayee, payee_id)
    if row is None or row.contract_id != actor.contract_id:
        raise NotFound(detail=f"payee {payee_id}")
    entitlements.check(session, actor, bulk.service_of(_service_kind(row.kind)))
    return row


def check(session: Session, payee: bulk_rules.Payee, *, payroll: bool) -> None:
    """Every problem of one payee, or none (line 1: the form has one payee)."""
    problems = bulk_rules.check_payee(1, bulk_rules.Payee(
        payee.bank_code, payee.branch_code, payee.account_type, payee.account_number,
        payee.payee_kana, 1, payee.edi), payroll=payroll)
    if not problems:
        problems = bulk._code_problems(session, [payee])
    if problems:
        raise BulkFileRefused([p.as_dict() for p in problems])


def change(session: Session, actor: Actor, payee_id: int, *, payee: bulk_rules.Payee
           ) -> BulkPayee:
    row = _own(session, actor, payee_id)
    check(session, payee, payroll=row.kind != "bulk")
    before = {"bank": row.bank_code, "branch": row.branch_code, "number": row.account_number,
              "name": row.payee_kana}
    row.bank_code, row.branch_code = payee.bank_code, payee.branch_code
    row.account_type, row.account_number = payee.account_type, payee.account_number
    row.payee_kana, row.edi = payee.payee_kana, payee.edi
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        raise ValidationFailed(detail="this payee is registered already") from exc
    record(session, actor=actor.label, action="bulk.payee_changed", subject_type="contract",
           subject_id=actor.contract_id, data={"payee": row.id, "before": before})
    return row


def delete(session: Session, actor: Actor, payee_id: int) -> None:
    row = _own(session, actor, payee_id)
    session.delete(row)
    session.flush()
    record(session, actor=actor.label, action="bulk.payee_deleted", subject_type="contract",
           subject_id=actor.contract_id, data={"payee": payee_id, "name": row.payee_kana})


def by_ids(session: Session, actor: Actor, kind: str, ids: list[int]) -> dict[int, BulkPayee]:
    """The contract's master payees among ``ids`` (others are simply left out)."""
    if not ids:
        return {}
    rows = session.execute(select(BulkPayee).where(
        BulkPayee.contract_id == actor.contract_id, BulkPayee.kind == kind,
        BulkPayee.id.in_(ids))).scalars()
    return {r.id: r for r in rows}


