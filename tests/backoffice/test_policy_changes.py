"""POL-1: a policy change made in the console is four-eyes, announced to customers, applies
from its effective date, and instructions entered before it keep the policy of their time."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from kinko import clock
from kinko.backoffice import approvals, policy_proposals
from kinko.backoffice.errors import FourEyesViolation, OperatorNotAllowed
from kinko.backoffice.models import OperatorRole
from kinko.backoffice.operators import create_operator
from kinko.cli import app
from kinko.db import Database
from kinko.errors import ValidationFailed
from kinko.instructions.models import InstructionStatus
from kinko.ledger.books import book
from kinko.ledger.models import Account
from kinko.policy import FeeDestination, current_policy, policy_at, reset_policy_cache
from kinko.policy.changes import refresh_if_stale
from kinko.policy.models import PolicyChange
from kinko.web.auth import SESSION_COOKIE
from tests.transfers.test_transfers import _bank, _confirm, _enter

FRIDAY_10 = datetime(2026, 11, 20, 10, 0, tzinfo=clock.JST)
CHANGE_AT = FRIDAY_10 + timedelta(minutes=5)

# The other-branch transfer fee goes from 110 to 220 yen; the table is stated whole.
FEE_CHANGE = """
[[transfers.fee_bands]]
destination = "own_branch"
from_amount = 0
fee = 0
[[transfers.fee_bands]]
destination = "other_branch"
from_amount = 0
fee = 220
[[transfers.fee_bands]]
destination = "other_bank"
from_amount = 0
fee = 330
[[transfers.fee_bands]]
destination = "other_bank"
from_amount = 30000
fee = 440
"""


@pytest.fixture(autouse=True)
def _friday() -> None:
    clock.set_now(FRIDAY_10)


def _operators(db: Database) -> dict[str, int]:
    def make(s):  # type: ignore[no-untyped-def]
        return {code: create_operator(s, code=code, name=code, roles=[role],
                                      actor="system:test").id
                for code, role in (("P001", OperatorRole.POLICY_ADMIN),
                                   ("P002", OperatorRole.POLICY_ADMIN),
                                   ("V001", OperatorRole.SUPERVISOR),
                                   ("T001", OperatorRole.TELLER))}
    return db.run(make)


def _propose(db: Database, by: int, at: datetime = CHANGE_AT, toml: str = FEE_CHANGE) -> int:
    return db.run(lambda s: policy_proposals.propose(
        s, effective_from=at, overrides_toml=toml, note="手数料改定",
        notice_ja="他店あて振込手数料を220円に改定します。",
        notice_en="The fee for transfers to other branches becomes 220 yen.",
        reason="料金改定の決裁済み", requested_by=by).id)


@pytest.mark.req("POL-1")
@pytest.mark.req("OPS-1")
def test_an_instruction_entered_before_a_fee_change_is_charged_the_old_fee(
        db: Database) -> None:
    ops = _operators(db)
    actor, acc, payees = _bank(db)
    before = _enter(db, actor, acc, payees["other_branch"], key="before")
    assert before.instruction.fee == 110

    request_id = _propose(db, ops["P001"])
    # Proposed is not in force: nothing changes until a second operator approves.
    assert current_policy().transfers.transfer_fee(FeeDestination.OTHER_BRANCH, 1) == 110
    with pytest.raises(FourEyesViolation):
        db.run(approvals.approve, request_id=request_id, approver_id=ops["P001"])
    with pytest.raises(OperatorNotAllowed):
        db.run(approvals.approve, request_id=request_id, approver_id=ops["T001"])
    db.run(approvals.approve, request_id=request_id, approver_id=ops["V001"])

    # Approved, and still not in force before its date.
    assert policy_at(CHANGE_AT - timedelta(seconds=1)).transfers.transfer_fee(
        FeeDestination.OTHER_BRANCH, 1) == 110
    assert policy_at(CHANGE_AT).transfers.transfer_fee(FeeDestination.OTHER_BRANCH, 1) == 220

    clock.set_now(CHANGE_AT + timedelta(minutes=1))   # within the confirmation deadline
    done = _confirm(db, actor, before)
    assert done.status is InstructionStatus.EXECUTED
    with db.transaction() as s:
        payer = s.get(Account, acc)
        fees = s.get(Account, book(s, "fee_income"))
        assert payer is not None and fees is not None
        assert payer.balance == 100_000 - 10_000 - 110    # the fee of its time
        assert fees.balance == 110
    after = _enter(db, actor, acc, payees["other_branch"], key="after")
    assert after.instruction.fee == 220                    # a new instruction: the new fee


@pytest.mark.req("POL-1")
def test_another_process_learns_of_the_change_from_the_database(db: Database) -> None:
    ops = _operators(db)
    db.run(approvals.approve, request_id=_propose(db, ops["P001"]), approver_id=ops["P002"])
    reset_policy_cache()   # a process that started before the approval
    assert policy_at(CHANGE_AT).transfers.transfer_fee(FeeDestination.OTHER_BRANCH, 1) == 110
    db.run(refresh_if_stale)
    assert policy_at(CHANGE_AT).transfers.transfer_fee(FeeDestination.OTHER_BRANCH, 1) == 220
    with db.transaction() as s:
        row = s.execute(select(PolicyChange)).scalar_one()
        assert row.requested_by == ops["P001"] and row.approved_by == ops["P002"]


@pytest.mark.req("POL-1")
@pytest.mark.parametrize(("at", "toml", "field"), [
    (FRIDAY_10 - timedelta(minutes=1), FEE_CHANGE, "effective_from"),      # in the past
    (CHANGE_AT, "[transfers]\nrecall_fee = -1\n", "overrides"),             # refused value
    (CHANGE_AT, "[transfers]\nno_such_key = 1\n", "overrides"),             # unknown key
    (CHANGE_AT, "[transfers]\nrecall_fee = 880\n", "overrides"),            # changes nothing
    (CHANGE_AT, "transfers = [", "overrides"),                              # not TOML
])
def test_a_bad_change_is_refused_when_proposed(db: Database, at: datetime, toml: str,
                                               field: str) -> None:
    ops = _operators(db)
    with pytest.raises(ValidationFailed) as refused:
        _propose(db, ops["P001"], at=at, toml=toml)
    assert refused.value.extra.get("fields") == [field]
    with db.transaction() as s:
        assert approvals.pending(s) == []


@pytest.mark.req("POL-1")
def test_a_teller_cannot_propose_a_policy_change(db: Database) -> None:
    ops = _operators(db)
    with pytest.raises(OperatorNotAllowed):
        _propose(db, ops["T001"])


@pytest.mark.req("POL-1")
def test_customers_see_the_notice_after_login_from_the_approval(db: Database) -> None:
    from fastapi.testclient import TestClient

    from kinko.config import Settings
    from kinko.web.app import create_app
    from tests.web.conftest import login

    ops = _operators(db)
    _user_id, _account_id, token = login(db)
    with TestClient(create_app(db, Settings())) as client:
        client.cookies.set(SESSION_COOKIE, token)
        assert "bank-notices" not in client.get("/banking").text
        db.run(approvals.approve, request_id=_propose(db, ops["P001"]), approver_id=ops["V001"])
        home = client.get("/banking").text
    assert 'id="bank-notices"' in home and "220円に改定" in home


def test_policy_diff_between_two_moments_names_each_changed_value(db: Database) -> None:
    ops = _operators(db)
    db.run(approvals.approve, request_id=_propose(db, ops["P001"]), approver_id=ops["V001"])
    url = db.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(app, ["policy", "diff", "2026-11-20T10:00",
                                      "2026-11-20T10:05", "--database-url", url])
    assert result.exit_code == 0, result.output
    assert "transfers.fee_bands" in result.output and "220" in result.output
    same = CliRunner().invoke(app, ["policy", "diff", "2026-11-20T10:00", "2026-11-20T10:04",
                                    "--database-url", url])
    assert same.exit_code == 0 and "no difference" in same.output
