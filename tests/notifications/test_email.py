"""E-mail notices over real SMTP to the local sink; bounces and retries (NOTIF-1, CTR-2)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from kinko import clock
from kinko.audit.models import AuditEvent
from kinko.batch.handlers import load_handlers
from kinko.batch.service import run_due
from kinko.db import Database
from kinko.notifications.errors import InvalidAddress, TemplateDataMissing, UnknownTemplate
from kinko.notifications.service import (
    EMAIL_TOPIC,
    bounced_since,
    mailbox,
    queue_email,
    record_bounce,
    undeliverable_since,
)
from kinko.notifications.sink import MailSink, start_sink
from kinko.notifications.templates import render, template_names
from kinko.outbox.models import OutboxMessage, OutboxState
from kinko.outbox.service import enqueue

LOCKED = {"at": "2026-11-20T12:00:00+09:00", "until": "2026-11-20T12:30:00+09:00"}


def _outbox(db: Database) -> list[OutboxMessage]:
    return db.run(lambda s: list(s.execute(select(OutboxMessage)).scalars()))


def _mails(db: Database, sink: MailSink, **query: Any) -> list[Any]:
    sink.flush()
    return db.run(lambda s: mailbox(s, **query))


def _auth_style(db: Database, to: str, template: str = "auth.locked",
                data: dict[str, Any] | None = None) -> None:
    """Queue exactly as kinko.auth.effects.notify does."""
    db.run(lambda s: enqueue(s, EMAIL_TOPIC, {"to": to, "template": template, "user_id": 7,
                                              "data": data if data is not None else LOCKED}))


@pytest.mark.req("NOTIF-1")
def test_notice_is_sent_over_smtp_and_lands_in_the_mailbox(db: Database, sink: MailSink) -> None:
    _auth_style(db, "taro.yamada@example.jp")
    report = run_due(db)
    assert report.done == 1 and report.retried == 0
    [mail] = _mails(db, sink)
    assert mail.to == ["taro.yamada@example.jp"]
    assert mail.subject == "【Kinko】ログインを一時停止しました / Your login has been locked"
    assert "no-reply@kinko.example.jp" in mail.mail_from
    ja, en = mail.body.index("停止解除：2026年11月20日 12:30"), mail.body.index("Locked until")
    assert ja < en                                   # Japanese first, English below
    assert mail.message_id.startswith("<")
    events = db.run(lambda s: [(e.action, json.loads(e.data)) for e in s.execute(
        select(AuditEvent).where(AuditEvent.action.like("notice.%"))).scalars()])
    assert events == [("notice.sent", {"to": "taro.yamada@example.jp", "template": "auth.locked",
                                       "message_id": mail.message_id})]


@pytest.mark.req("NOTIF-1")
@pytest.mark.req("CTR-2")
def test_refused_recipient_is_a_bounce_and_is_not_retried(db: Database, sink: MailSink) -> None:
    _auth_style(db, "Nobody@example.jp")
    report = run_due(db)
    assert report.done == 1 and report.retried == 0
    [row] = _outbox(db)
    assert row.state is OutboxState.DONE and row.attempts == 1
    assert _mails(db, sink) == []
    assert db.run(bounced_since, "nobody@example.jp") == clock.now()
    [bounce] = db.run(undeliverable_since, clock.now())
    assert bounce.count == 1 and bounce.last_reason.startswith("550 5.1.1")
    assert run_due(db, at=clock.now() + timedelta(days=1)).done == 0   # nothing left to retry

    clock.advance(timedelta(days=30))
    _auth_style(db, "nobody@example.jp")
    run_due(db)
    [bounce] = db.run(undeliverable_since, clock.now())
    assert bounce.count == 2 and bounce.first_bounced_at == clock.now() - timedelta(days=30)


@pytest.mark.req("CTR-2")
def test_a_delivered_mail_ends_the_run_of_bounces(db: Database, sink: MailSink) -> None:
    db.run(record_bounce, "hanako@example.jp", "552 mailbox full")
    assert db.run(bounced_since, "HANAKO@example.jp") is not None
    clock.advance(timedelta(days=10))
    _auth_style(db, "hanako@example.jp")
    run_due(db)
    assert db.run(bounced_since, "hanako@example.jp") is None
    clock.advance(timedelta(days=10))
    db.run(record_bounce, "hanako@example.jp", "550 gone")
    assert db.run(bounced_since, "hanako@example.jp") == clock.now()   # a new run begins


@pytest.mark.req("CTR-2")
def test_undeliverable_for_three_months_is_found(db: Database) -> None:
    start = clock.now()
    db.run(record_bounce, "old@example.jp", "550 user unknown")
    clock.advance(timedelta(days=60))
    db.run(record_bounce, "recent@example.jp", "550 user unknown")
    db.run(record_bounce, "old@example.jp", "550 user unknown")
    clock.advance(timedelta(days=35))
    three_months_ago = clock.now() - timedelta(days=91)
    found = db.run(undeliverable_since, three_months_ago)
    assert [(b.address, b.first_bounced_at, b.count) for b in found] == [
        ("old@example.jp", start, 2)]
    with pytest.raises(InvalidAddress):
        db.run(record_bounce, "  ", "x")


@pytest.mark.req("NOTIF-1")
def test_server_down_is_retried_later_and_then_delivered(db: Database, smtp_port: int) -> None:
    _auth_style(db, "taro.yamada@example.jp")
    report = run_due(db)                                 # nothing listens on the port
    assert report.retried == 1 and report.done == 0
    [row] = _outbox(db)
    assert row.state is OutboxState.PENDING and row.attempts == 1
    assert row.last_error and "Connection" in row.last_error
    assert row.due_at > clock.now()
    with start_sink("127.0.0.1", smtp_port, db=db):
        assert run_due(db).done == 0                     # not due again yet
        assert run_due(db, at=clock.now() + timedelta(minutes=5)).done == 1
    assert [m.to for m in db.run(mailbox)] == [["taro.yamada@example.jp"]]
    assert db.run(bounced_since, "taro.yamada@example.jp") is None


@pytest.mark.req("NOTIF-1")
def test_unknown_template_is_a_clear_error_on_the_outbox_row(db: Database,
                                                             sink: MailSink) -> None:
    _auth_style(db, "taro.yamada@example.jp", template="auth.no_such_notice")
    report = run_due(db)
    assert report.retried == 1
    [row] = _outbox(db)
    assert row.last_error is not None
    assert row.last_error.startswith("UnknownTemplate: No e-mail template has this name.")
    assert "auth.no_such_notice" in row.last_error
    assert _mails(db, sink) == []


def test_queue_email_refuses_unknown_templates_missing_data_and_bad_addresses(
        db: Database) -> None:
    def queue(to: str, template: str, data: dict[str, Any]) -> None:
        db.run(lambda s: queue_email(s, to=to, template=template, data=data))
    with pytest.raises(UnknownTemplate):
        queue("a@example.jp", "nope", {})
    with pytest.raises(TemplateDataMissing):
        queue("a@example.jp", "transfer.executed", {"reference": "T-1"})
    for bad in ("not-an-address", "a@example.jp\r\nBcc: x@evil.example", "a b@example.jp"):
        with pytest.raises(InvalidAddress):
            queue(bad, "auth.released", {"at": LOCKED["at"]})
    assert _outbox(db) == []


SAMPLES: dict[str, dict[str, Any]] = {
    "auth.login": {"at": LOCKED["at"], "ip": "203.0.113.7"},
    "auth.locked": {"at": LOCKED["at"], "until": None},
    "auth.secret_changed": {"kind": "login_password", "at": LOCKED["at"]},
    "auth.settings_changed": {"at": LOCKED["at"], "setting": "e-mail"},
    "transfer.incoming": {"amount": 50_000, "account": "001-1234567", "remitter": "ﾀﾅｶ ﾊﾅｺ",
                          "value_date": "2026-11-20"},
    "transfer.not_established": {"reference": "T-1", "amount": 1_000, "payee": "ﾀﾅｶ ﾊﾅｺ",
                                 "reason": "残高不足 / insufficient funds"},
    "transfer.returned": {"reference": "T-1", "amount": 1_000, "payee": "ﾀﾅｶ ﾊﾅｺ",
                          "reason": "該当口座なし / no such account", "fee": 330},
    "verification.requested": {"deadline": LOCKED["at"]},
    "verification.documents_requested": {"reason": "overdue", "restricted": True},
    "verification.rejected": {"restricted": True},
    "claims.received": {"claim_id": 7},
    "claims.decided": {"claim_id": 7, "compensation": 120_000},
    "claims.paid": {"claim_id": 7, "amount": 120_000, "compensation": 120_000},
    "corporate.dd.accepted": {"reference": "DD-1", "amount": 50_000, "debit_date": "2026-12-10",
                              "settlement_date": "2026-12-11"},
    "corporate.dd.debited": {"reference": "DD-1", "amount": 50_000, "debit_date": "2026-12-10",
                             "settlement_date": "2026-12-11"},
    "corporate.tax.failed": {"reference": "TX-1", "amount": 50_000, "debit_date": "2026-12-10",
                             "settlement_date": "2026-12-11"},
    **{f"bulk.{step}": {"reference": "B-1", "kind_ja": "総合振込", "kind_en": "Bulk transfer",
                        "value_date": "2026-11-20", "count": 3, "amount": 30_000, "fee": 990,
                        "step": "1/2"}
       for step in ("entered", "approval_step", "approved", "rejected", "expired",
                    "cancelled", "recalled", "not_established", "executed")},
    "corporate.transfer_approval_step": {"reference": "T-1", "amount": 30_000, "fee": 0,
                                         "value_date": "2026-11-20", "step": "first"},
    **{f"corporate.token_{x}": {"reference": "K-1", "what_ja": "ソフトトークンへの切替",
                                "what_en": "switch to soft tokens"}
       for x in ("applied", "application_done")},
    "bulk.lines_recalled": {"reference": "B-1", "kind_ja": "総合振込", "kind_en": "Bulk transfer",
                            "value_date": "2026-11-20", "count": 3, "amount": 30_000,
                            "fee": 990, "recalled": 2, "recall_fee": 1_760, "kept": 1},
}


# Every domain's notices, whatever this process happened to import before collection.
load_handlers()


@pytest.mark.req("NOTIF-1")
@pytest.mark.parametrize("name", template_names())
def test_every_notice_renders_in_japanese_then_english(name: str) -> None:
    data = SAMPLES.get(name) or {"at": LOCKED["at"], "reference": "T-1", "amount": 12_345,
                                 "payee": "三菱ＵＦＪ 本店 普通 2222222 ﾀﾅｶ ﾊﾅｺ",
                                 "value_date": "2026-11-24", "fee": 330}
    mail = render(name, data)
    assert mail.subject.startswith("【Kinko】") and " / " in mail.subject
    assert mail.body.index("―― English ――") > 0
    assert "Undefined" not in mail.body and "{{" not in mail.body


@pytest.mark.req("NOTIF-1")
def test_login_to_the_relay_when_configured(db: Database, smtp_port: int,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from kinko.config import reset_settings

    monkeypatch.setenv("KINKO_SMTP_USER", "kinko")
    monkeypatch.setenv("KINKO_SMTP_PASSWORD", "relay-secret")
    reset_settings()
    with start_sink("127.0.0.1", smtp_port, db=db, users={"kinko": "relay-secret"}):
        _auth_style(db, "taro.yamada@example.jp")
        assert run_due(db).done == 1
        monkeypatch.setenv("KINKO_SMTP_PASSWORD", "wrong")
        reset_settings()
        _auth_style(db, "hanako@example.jp", template="auth.released")
        report = run_due(db)
    assert report.retried == 1                  # our configuration, not the address: retry
    assert db.run(bounced_since, "hanako@example.jp") is None
    assert len(db.run(mailbox)) == 1


def test_mailbox_query_filters_and_orders(db: Database, sink: MailSink) -> None:
    for to in ("a@example.jp", "b@example.jp", "a@example.jp"):
        _auth_style(db, to)
        run_due(db)
        clock.advance(timedelta(minutes=1))
    assert [m.to for m in _mails(db, sink, to="a@example.jp")] == [
        ["a@example.jp"], ["a@example.jp"]]
    ids = [m.id for m in _mails(db, sink)]
    assert ids == sorted(ids, reverse=True) and len(ids) == 3
    assert len(_mails(db, sink, limit=1)) == 1




@pytest.mark.req("CTR-2")
def test_operator_records_a_bounce_from_the_command_line(db: Database) -> None:
    import typer
    from typer.testing import CliRunner

    from kinko.notifications.cli import bounce

    app = typer.Typer()
    app.command()(bounce)
    app.command("unused")(lambda: None)
    url = db.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(app, ["bounce", "Hanako@Example.jp", "--reason",
                                      "DSN 5.1.1", "--database-url", url])
    assert result.exit_code == 0, result.output
    assert "undeliverable since 2026-11-20 12:00" in result.output
    assert db.run(bounced_since, "hanako@example.jp") == clock.now()
    blank = CliRunner().invoke(app, ["bounce", " ", "--database-url", url])
    assert blank.exit_code == 2 and blank.output.startswith("エラー / error: ")
