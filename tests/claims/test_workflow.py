"""The claims workflow on a real database: report → investigate → decide → pay (CLM-1..10,
CRED-6, OPS-1, OPS-2)."""

from __future__ import annotations

import json
import threading
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from kinko import clock
from kinko.audit.models import AuditEvent
from kinko.auth.models import AuthContract, AuthUser, ContractState, UserState
from kinko.backoffice import approvals
from kinko.backoffice.errors import FourEyesViolation, OperatorNotAllowed
from kinko.claims import service
from kinko.claims.errors import CapExceeded, ClaimStateError, EvidenceChanged, InvalidClaim
from kinko.claims.models import Claim, ClaimState, ClaimTransaction, CompensationYear
from kinko.cli import app
from kinko.db import Database
from kinko.ledger.books import book
from kinko.ledger.models import Account
from kinko.ledger.service import check_books
from kinko.notifications.service import EMAIL_TOPIC
from kinko.outbox.models import OutboxMessage
from tests.claims.bank import FRAUD_DAY, REPORT_DAY, Bank, balance, make_bank, transfer

FINDINGS: dict[str, Any] = {"conditions": {"prompt_notice": True, "sufficient_explanation": True,
                                           "police_report": True}}


def _report(db: Database, bank: Bank, ids: list[int], **kw: Any) -> int:
    clock.set_now(REPORT_DAY)
    rep = service.Report(noticed_on=date(2026, 11, 24), stolen_on=date(2026, 11, 19),
                         instruction_ids=tuple(ids), police_report_ref="警視庁 第123号",
                         explanation="身に覚えのない振込", **kw)
    return db.run(lambda s: service.report_fraud(s, user_id=bank.actor.user_id, report=rep,
                                                 channel="web", actor="user:1").id)


def _investigate(db: Database, bank: Bank, claim_id: int,
                 findings: dict[str, Any] | None = None) -> None:
    db.run(service.start_investigation, claim_id=claim_id, operator_id=bank.maker)
    db.run(service.record_findings, claim_id=claim_id, operator_id=bank.maker,
           findings=findings or FINDINGS, note="電話で聴取、被害届受理番号を確認")


def _decide(db: Database, bank: Bank, claim_id: int) -> None:
    req = db.run(lambda s: service.request_decision(s, claim_id=claim_id,
                                                    operator_id=bank.maker,
                                                    reason="補てん判定").id)
    db.run(approvals.approve, request_id=req, approver_id=bank.checker)


def _pay(db: Database, bank: Bank, claim_id: int) -> None:
    req = db.run(lambda s: service.request_payment(s, claim_id=claim_id,
                                                   operator_id=bank.maker, reason="支払").id)
    db.run(approvals.approve, request_id=req, approver_id=bank.checker)


def _claim(db: Database, claim_id: int) -> Claim:
    with db.transaction() as s:
        claim = s.get(Claim, claim_id)
        assert claim is not None
        s.expunge(claim)
        return claim


@pytest.fixture(autouse=True)
def _fraud_day() -> None:
    clock.set_now(FRAUD_DAY)


@pytest.mark.req("CRED-6")
@pytest.mark.req("CLM-1")
def test_reporting_stops_the_service_at_once(db: Database) -> None:
    bank = make_bank(db)
    tx = transfer(db, bank, bank.thief, 300_000, "f1")
    claim_id = _report(db, bank, [tx])
    with db.transaction() as s:
        claim = s.get(Claim, claim_id)
        assert claim is not None and claim.state is ClaimState.RECEIVED
        assert claim.notified_on == date(2026, 11, 25) and claim.compromise_report_id
        assert s.get(AuthUser, bank.actor.user_id).state is UserState.SUSPENDED  # type: ignore[union-attr]
        contract = s.get(AuthContract, bank.actor.contract_id)
        assert contract is not None and contract.state is ContractState.SUSPENDED
        actions = s.execute(select(AuditEvent.action).where(
            AuditEvent.subject_type == "claim")).scalars().all()
        assert "claims.received" in actions


@pytest.mark.req("CLM-1")
def test_a_report_must_name_the_customers_own_executed_transfers(db: Database) -> None:
    bank = make_bank(db)
    other = make_bank_other(db)
    tx = transfer(db, other, other.thief, 1_000, "o1")
    with pytest.raises(InvalidClaim):
        _report(db, bank, [tx])
    with pytest.raises(InvalidClaim):
        _report(db, bank, [])
    mine = transfer(db, bank, bank.thief, 1_000, "m1")
    with pytest.raises(InvalidClaim):  # a delay needs its reason
        _report(db, bank, [mine], unavoidable_delay_days=3)
    with db.transaction() as s:
        assert s.execute(select(Claim)).first() is None
        assert s.get(AuthUser, bank.actor.user_id).state is UserState.ACTIVE  # type: ignore[union-attr]


def make_bank_other(db: Database) -> Bank:
    from kinko.instructions.service import Actor
    from tests import factories

    def build(s):  # type: ignore[no-untyped-def]
        actor, acc = factories.retail_actor(s, balance=10_000, holder="ｻﾄｳ ﾊﾅｺ")
        thief = factories.account(s, branch_code="003", holder="ﾀﾆﾝ")
        a = s.get(Account, thief)
        return Bank(Actor(actor.user_id, actor.contract_id, actor.customer_id), acc,
                    (a.branch_code, a.number), (a.branch_code, a.number), 0, 0)
    return db.run(build)


@pytest.mark.req("CLM-3")
@pytest.mark.req("CLM-7")
def test_evidence_builds_the_same_case_the_cli_decides(db: Database, tmp_path: Any) -> None:
    bank = make_bank(db, corporate=True)
    t1 = transfer(db, bank, bank.thief, 300_000, "f1")
    t2 = transfer(db, bank, bank.own_other, 50_000, "f2")
    claim_id = _report(db, bank, [t1, t2])
    _investigate(db, bank, claim_id)
    with db.transaction() as s:
        assessment = service.assess(s, s.get(Claim, claim_id))  # type: ignore[arg-type]
    assert not assessment.provisional and assessment.evidence is not None
    by_id = {t.instruction_id: t for t in assessment.evidence.transactions}
    assert by_id[t1].fee == 110 and by_id[t1].payee.value == "third_party"
    assert by_id[t2].payee.value == "own_account"   # another account of the customer
    case = assessment.case
    assert case["product"] == "corporate-002" and case["stolen_on"] == "2026-11-19"
    assert case["transactions"][0] == {"id": str(t1), "date": "2026-11-20", "amount": 300_000,
                                       "fee": 110, "interest": 0, "payee": "third_party"}
    path = tmp_path / "case.json"
    path.write_text(json.dumps(case), encoding="utf-8")
    result = CliRunner().invoke(app, ["claims", "evaluate", str(path)])
    assert result.exit_code == 0
    assert json.loads(result.stdout) == assessment.decision.as_dict()
    # Kinko's records: no OTP, password never changed → the two 25 % reductions (CLM-5).
    assert assessment.decision.excluded[0].id == str(t2)
    assert assessment.decision.compensation == 300_110 * 75 * 75 // 10_000


@pytest.mark.req("OPS-1")
@pytest.mark.req("CLM-9")
def test_decision_and_payment_each_need_a_second_operator(db: Database) -> None:
    bank = make_bank(db)
    tx = transfer(db, bank, bank.thief, 300_000, "f1")
    claim_id = _report(db, bank, [tx])
    _investigate(db, bank, claim_id)
    req = db.run(lambda s: service.request_decision(s, claim_id=claim_id,
                                                    operator_id=bank.maker, reason="判定").id)
    with pytest.raises(FourEyesViolation):
        db.run(approvals.approve, request_id=req, approver_id=bank.maker)
    db.run(approvals.approve, request_id=req, approver_id=bank.checker)
    claim = _claim(db, claim_id)
    assert (claim.state, claim.outcome, claim.compensation) == (ClaimState.DECIDED, "full",
                                                                300_110)
    before = balance(db, bank.account_id)
    req = db.run(lambda s: service.request_payment(s, claim_id=claim_id,
                                                   operator_id=bank.maker, reason="支払").id)
    with pytest.raises(FourEyesViolation):
        db.run(approvals.approve, request_id=req, approver_id=bank.maker)
    assert balance(db, bank.account_id) == before
    db.run(approvals.approve, request_id=req, approver_id=bank.checker)
    assert balance(db, bank.account_id) == before + 300_110
    with db.transaction() as s:
        assert s.get(Account, book(s, "compensation_expense")).balance == -300_110  # type: ignore[union-attr]
        assert check_books(s).ok
        row = s.execute(select(ClaimTransaction)).scalar_one()
        assert (row.lapsed_amount, row.subrogated_amount) == (300_110, 300_110)
        assert s.get(CompensationYear, (bank.actor.customer_id, 2026)).total == 300_110  # type: ignore[union-attr]
        actions = set(s.execute(select(AuditEvent.action)).scalars())
        assert {"claims.decided", "claims.paid", "claims.rights_lapsed",
                "claims.subrogated"} <= actions
        # The customer hears of each step by e-mail while the service is stopped.
        mails = [json.loads(p)["template"] for p in s.execute(
            select(OutboxMessage.payload).where(OutboxMessage.topic == EMAIL_TOPIC)).scalars()]
        assert {"claims.received", "claims.decided", "claims.paid"} <= set(mails)
    assert _claim(db, claim_id).state is ClaimState.PAID
    with pytest.raises(ClaimStateError):  # paid once only
        db.run(lambda s: service.request_payment(s, claim_id=claim_id,
                                                 operator_id=bank.maker, reason="again"))


@pytest.mark.req("OPS-1")
def test_the_evidence_may_not_change_between_request_and_approval(db: Database) -> None:
    bank = make_bank(db)
    tx = transfer(db, bank, bank.thief, 300_000, "f1")
    claim_id = _report(db, bank, [tx])
    _investigate(db, bank, claim_id)
    req = db.run(lambda s: service.request_decision(s, claim_id=claim_id,
                                                    operator_id=bank.maker, reason="判定").id)
    db.run(service.record_findings, claim_id=claim_id, operator_id=bank.maker,
           findings={**FINDINGS, "customer_fault": "negligence"}, note="過失あり")
    with pytest.raises(EvidenceChanged):
        db.run(approvals.approve, request_id=req, approver_id=bank.checker)
    assert _claim(db, claim_id).state is ClaimState.INVESTIGATING


@pytest.mark.req("CLM-6")
def test_a_none_decision_rejects_the_claim(db: Database) -> None:
    bank = make_bank(db)
    tx = transfer(db, bank, bank.thief, 300_000, "f1")
    claim_id = _report(db, bank, [tx])
    _investigate(db, bank, claim_id, {**FINDINGS, "perpetrator_relation": "spouse"})
    _decide(db, bank, claim_id)
    claim = _claim(db, claim_id)
    assert claim.state is ClaimState.REJECTED and claim.compensation == 0
    assert "spouse" in (claim.rejection_reason or "")


def test_findings_need_a_note_and_the_claims_role(db: Database) -> None:
    bank = make_bank(db)
    tx = transfer(db, bank, bank.thief, 1_000, "f1")
    claim_id = _report(db, bank, [tx])
    db.run(service.start_investigation, claim_id=claim_id, operator_id=bank.maker)
    with pytest.raises(InvalidClaim):
        db.run(service.record_findings, claim_id=claim_id, operator_id=bank.maker,
               findings=FINDINGS, note=" ")
    with pytest.raises(InvalidClaim):
        db.run(service.record_findings, claim_id=claim_id, operator_id=bank.maker,
               findings={**FINDINGS, "customer_fault": "careless"}, note="x")

    def teller(s):  # type: ignore[no-untyped-def]
        from kinko.backoffice import operators
        from kinko.backoffice.models import OperatorRole
        return operators.create_operator(s, code="T9", name="窓口", roles=[OperatorRole.TELLER],
                                         actor="system").id
    teller_id = db.run(teller)
    with pytest.raises(OperatorNotAllowed):
        db.run(service.record_findings, claim_id=claim_id, operator_id=teller_id,
               findings=FINDINGS, note="x")


@pytest.mark.req("CLM-10")
def test_processing_error_delay_damages(db: Database) -> None:
    bank = make_bank(db)
    tx = transfer(db, bank, bank.thief, 730_000, "f1")
    claim_id = db.run(lambda s: service.report_processing_error(
        s, operator_id=bank.maker, instruction_id=tx, delay_days=10,
        explanation="当行の処理誤りにより入金が10日遅延").id)
    before = balance(db, bank.account_id)
    _decide(db, bank, claim_id)
    claim = _claim(db, claim_id)
    # 730,000 × 3 % × 10 / 365 = 600 yen.
    assert (claim.state, claim.compensation) == (ClaimState.DECIDED, 600)
    _pay(db, bank, claim_id)
    assert balance(db, bank.account_id) == before + 600


@pytest.mark.req("CLM-5")
def test_the_annual_cap_holds_when_two_payments_race(db: Database) -> None:
    """Two decided claims of one corporate customer fit the cap only one at a time: the
    conditional UPDATE of the year's total lets exactly one payment through."""
    bank = make_bank(db, balance=30_000_000, corporate=True)
    txs = []
    for n in range(2):
        # Two business days: each transfer stays within the contract's daily limit.
        clock.set_now(FRAUD_DAY + timedelta(days=4 * n))
        txs.append(transfer(db, bank, bank.thief, 6_000_000, f"f{n}"))
    ids = []
    for tx in txs:
        ids.append(_report(db, bank, [tx]))
        _investigate(db, bank, ids[-1], {**FINDINGS, "bank_at_fault": True})
        _decide(db, bank, ids[-1])
    assert [_claim(db, i).compensation for i in ids] == [6_000_110, 6_000_110]
    requests = [db.run(lambda s, i=i: service.request_payment(
        s, claim_id=i, operator_id=bank.maker, reason="支払").id) for i in ids]
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def pay(req: int) -> None:
        barrier.wait()
        try:
            db.run(approvals.approve, request_id=req, approver_id=bank.checker)
            outcomes.append("paid")
        except CapExceeded:
            outcomes.append("cap")

    threads = [threading.Thread(target=pay, args=(r,)) for r in requests]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["cap", "paid"]
    with db.transaction() as s:
        assert s.get(CompensationYear, (bank.actor.customer_id, 2026)).total == 6_000_110  # type: ignore[union-attr]
        assert check_books(s).ok


POLICY_004 = """
[[version]]
effective_from = 2020-01-01
note = "corporate claims under seed 004's rules"

[version.compensation]
corporate_claims_profile = "corporate-004"
reduction_prescribed_measures_per_100k = 50_000
"""


@pytest.mark.req("POL-1")
@pytest.mark.req("CLM-5")
def test_the_bank_chooses_seed_004_for_corporate_claims(db: Database, tmp_path: Any,
                                                        monkeypatch: pytest.MonkeyPatch
                                                        ) -> None:
    from kinko.config import reset_settings
    from kinko.policy import reset_policy_cache

    path = tmp_path / "policy.toml"
    path.write_text(POLICY_004, encoding="utf-8")
    monkeypatch.setenv("KINKO_POLICY_FILE", str(path))
    reset_settings()
    reset_policy_cache()
    try:
        bank = make_bank(db, corporate=True)
        tx = transfer(db, bank, bank.thief, 300_000, "f1")
        claim_id = _report(db, bank, [tx])
        _investigate(db, bank, claim_id)
        assert _claim(db, claim_id).product == "corporate-004"
        # `kinko claims case` prints the case the engine decides; `evaluate` re-decides it.
        url = db.engine.url.render_as_string(hide_password=False)
        shown = CliRunner().invoke(app, ["claims", "case", str(claim_id), "--database-url", url])
        assert shown.exit_code == 0, shown.output
        case_path = tmp_path / "case.json"
        case_path.write_text(shown.stdout, encoding="utf-8")
        decided = json.loads(CliRunner().invoke(app, ["claims", "evaluate", str(case_path)]
                                                ).stdout)
        # 004 pays the withdrawn amount only; no OTP (① at the policy's 50 %) and a password
        # never changed (⑤ at 25 %): 300,000 × 0.5 × 0.75.
        assert (decided["profile"], decided["compensation"]) == (
            "004 (2020-07-22 revision)", 112_500)
        _decide(db, bank, claim_id)
        assert _claim(db, claim_id).compensation == 112_500
        missing = CliRunner().invoke(app, ["claims", "case", "999999", "--database-url", url])
        assert missing.exit_code == 1
    finally:
        reset_policy_cache()
