"""OPS-2: the back office's work queues — counts on the console home, one page per queue."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from kinko import clock
from kinko.auth.models import AuthUser, UserState
from kinko.backoffice.models import OperatorRole
from kinko.backoffice.queues import QUEUES, counts
from kinko.config import Settings
from kinko.db import Database
from kinko.notifications.models import EmailBounce
from kinko.web.app import create_app
from kinko.web.pages.operator import OPERATOR_COOKIE
from tests import factories
from tests.web.conftest import login

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=clock.JST)


@pytest.mark.req("OPS-2")
@pytest.mark.req("CTR-2")
def test_queues_count_and_list_their_items(db: Database) -> None:
    clock.set_now(NOW - timedelta(days=400))
    idle_user = login(db)[0]            # enrolled 400 days ago and never used since
    clock.set_now(NOW)
    locked_user = login(db, holder="ｻﾄｳ ﾊﾅｺ")[0]
    bouncing_user = login(db, holder="ｽｽﾞｷ ｲﾁﾛｳ")[0]
    with db.transaction() as s:
        locked = s.get(AuthUser, locked_user)
        bouncing = s.get(AuthUser, bouncing_user)
        assert locked is not None and bouncing is not None
        bouncing.email = "Suzuki@Example.jp"
        locked.state = UserState.LOCKED
        locked.last_login_at = NOW
        bouncing.last_login_at = NOW
        # Bouncing for four months: past the three the bank may terminate after (CTR-2).
        s.add(EmailBounce(address=bouncing.email.lower(), first_bounced_at=NOW - timedelta(
            days=125), last_bounced_at=NOW - timedelta(days=1), last_reason="550 no user",
            count=9))
        _, token = factories.operator_session(s, "T500", [OperatorRole.TELLER])
    with db.transaction() as s:
        found = counts(s)
        candidates = {row[0] for row in QUEUES["termination-candidates"].rows(s, 50)}
    assert found["blocked-users"] == 1
    assert found["email-bounces"] == 1
    assert found["termination-candidates"] == 2 and candidates == {idle_user, bouncing_user}
    assert found["returned-mail"] is None           # not recorded on this installation yet
    assert found["kyc-reviews"] is None and found["compensation-claims"] is None
    assert found["approvals"] == 0

    with TestClient(create_app(db, Settings()), headers={"Accept": "text/html"},
                    follow_redirects=False) as client:
        client.cookies.set(OPERATOR_COOKIE, token)
        home = client.get("/operator").text
        shown = dict(re.findall(r'id="queue-([a-z-]+)">.*?<strong class="count">(\d+)</strong>',
                                home, flags=re.S))
        assert shown["termination-candidates"] == "2" and shown["blocked-users"] == "1"
        assert "not recorded" in client.get("/operator?lang=en").text or "未記録" in home
        for key in QUEUES:
            page = client.get(f"/operator/queues/{key}")
            assert page.status_code == 200, key
        unavailable = client.get("/operator/queues/returned-mail").text
        assert 'id="queue-unavailable"' in unavailable
        listed = client.get("/operator/queues/termination-candidates").text
        assert f"<td>{idle_user}</td>" in listed and f"<td>{bouncing_user}</td>" in listed
