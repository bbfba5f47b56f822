"""The demo mailbox page and its JSON through FastAPI's TestClient (NOTIF-1, UI-1)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from kinko.batch.service import run_due
from kinko.config import Settings
from kinko.db import Database
from kinko.notifications.service import EMAIL_TOPIC, record_bounce
from kinko.notifications.sink import MailSink
from kinko.outbox.service import enqueue
from kinko.web import problems
from kinko.web.routes import mailbox


def _app(db: Database, *, demo: bool) -> FastAPI:
    app = FastAPI()
    app.state.db = db
    app.state.settings = Settings(demo=demo)
    problems.install(app)
    app.include_router(mailbox.router)
    return app


@pytest.fixture
def client(db: Database, sink: MailSink) -> Iterator[TestClient]:
    db.run(lambda s: enqueue(s, EMAIL_TOPIC, {
        "to": "taro.yamada@example.jp", "template": "transfer.incoming", "user_id": None,
        "data": {"amount": 50_000, "account": "001-1234567", "remitter": "ﾀﾅｶ ﾊﾅｺ",
                 "value_date": "2026-11-20", "edi": "INV<1>"}}))
    run_due(db)
    sink.flush()
    db.run(record_bounce, "nobody@example.jp", "550 5.1.1 user unknown")
    with TestClient(_app(db, demo=True)) as c:
        yield c


@pytest.mark.req("NOTIF-1")
def test_mailbox_page_shows_received_mail_in_japanese_and_english(client: TestClient) -> None:
    page = client.get("/demo/mailbox")
    assert page.status_code == 200
    html = page.text
    assert '<html lang="ja">' in html and "デモ用メールボックス" in html
    assert "【Kinko】ご入金のお知らせ / Incoming transfer" in html
    assert "taro.yamada@example.jp" in html and "50,000円" in html
    assert "INV&lt;1&gt;" in html and "INV<1>" not in html          # mail text is escaped
    assert "配信不能のアドレス" in html and "nobody@example.jp" in html
    english = client.get("/demo/mailbox?lang=en").text
    assert "Demo mailbox" in english and "Undeliverable addresses" in english


@pytest.mark.req("NOTIF-1")
def test_mailbox_json(client: TestClient) -> None:
    body = client.get("/api/v1/demo/mailbox").json()
    [message] = body["messages"]
    assert message["to"] == ["taro.yamada@example.jp"]
    assert message["subject"].startswith("【Kinko】ご入金のお知らせ")
    assert message["received_at"].endswith("+09:00")
    assert body["bounces"][0]["address"] == "nobody@example.jp"
    assert client.get("/api/v1/demo/mailbox?to=other@example.jp").json()["messages"] == []
    assert client.get("/api/v1/demo/mailbox?limit=0").status_code == 422


def test_mailbox_is_hidden_outside_demo_mode(db: Database) -> None:
    with TestClient(_app(db, demo=False)) as c:
        assert c.get("/demo/mailbox").status_code == 404
        response = c.get("/api/v1/demo/mailbox")
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
