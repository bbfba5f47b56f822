"""CRED-1 through the four-eyes queue (OPS-1): a lost hard token is reissued for the policy's
fee, charged through the ledger; a defective one for free; the old token stops working."""

from __future__ import annotations

from datetime import datetime

import pytest

from kinko import clock
from kinko.auth import repository as auth_repo
from kinko.auth.enrolment import enrol_retail_003
from kinko.auth.models import OtpToken, TokenIssueReason, TokenState
from kinko.auth.tokens import issue_hard_token
from kinko.backoffice import approvals
from kinko.backoffice.models import OperatorRole
from kinko.backoffice.operators import create_operator
from kinko.db import Database
from kinko.ledger.books import book
from kinko.ledger.models import Account
from tests import factories

pytestmark = pytest.mark.req("CRED-1")


@pytest.mark.parametrize(("action", "fee"), [("auth.reissue_token_lost", 2_200),
                                             ("auth.reissue_token_defect", 0)])
def test_reissue_through_four_eyes(db: Database, action: str, fee: int) -> None:
    clock.set_now(datetime(2026, 11, 20, 10, 0, tzinfo=clock.JST))
    with db.transaction() as s:
        customer = factories.customer(s)
        user_id = enrol_retail_003(s, customer_id=customer.id, actor="test").user_id
        account_id = factories.account(s, balance=10_000)
        s.get(Account, account_id).customer_id = customer.id  # type: ignore[union-attr]
        user = auth_repo.user(s, user_id)
        assert user is not None
        issue_hard_token(s, contract_id=user.contract_id, serial="ET-OLD-1",
                         reason=TokenIssueReason.INITIAL, user_id=user_id, activate=True,
                         actor="test")
        teller = create_operator(s, code="T1", name="窓口", roles=[OperatorRole.TELLER],
                                 actor="test").id
        security = create_operator(s, code="S1", name="審査", roles=[OperatorRole.SECURITY],
                                   actor="test").id
        request_id = approvals.request(s, action=action, subject_type="auth_user",
                                       subject_id=user_id, payload={"user_id": user_id},
                                       reason="届出", requested_by=teller).id
    with db.transaction() as s:
        approvals.approve(s, request_id=request_id, approver_id=security)
    with db.transaction() as s:
        tokens = {t.serial: t.state for t in s.query(OtpToken).filter_by(user_id=user_id)}
        assert tokens.pop("ET-OLD-1") is TokenState.REPLACED
        assert list(tokens.values()) == [TokenState.ACTIVE]
        assert s.get(Account, account_id).balance == 10_000 - fee  # type: ignore[union-attr]
        assert s.get(Account, book(s, "fee_income")).balance == fee  # type: ignore[union-attr]
