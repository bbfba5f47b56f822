"""E-mail notices over real SMTP to the local sink; bounces and retries (NOTIF-1, CTR-2)."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from kinko import clock
from kinko.audit.models import AuditEvent
from kinko.batch.handlers import load_handlers
from kinko.batch.service import run_due
from kinko.catalogue import english
from kinko.db import Database
from kinko.notifications import templates
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
from kinko.notifications.templates import (
    MAIL,
    MailTemplate,
    render,
    render_in,
    sentence,
    template,
    template_names,
)
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


def test_queue_email_renders_a_data_shape_once_and_still_refuses_a_new_shape(
        db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every transfer queues a notice: the template is rendered to check its data the first
    time data of that shape (fields and their types) comes, not every time; data missing a
    field is another shape, still refused before anything is queued."""
    from kinko.notifications import service as notices

    rendered: list[str] = []
    real = notices.render

    def counting(name: str, data: dict[str, Any]) -> Any:
        rendered.append(name)
        return real(name, data)

    monkeypatch.setattr(notices, "render", counting)
    monkeypatch.setattr(notices, "_RENDERED_SHAPES", set())
    data = SAMPLES["transfer.not_established"]
    for amount in (1_000, 2_000, 3_000):
        db.run(lambda s, a=amount: queue_email(s, to="a@example.jp",  # type: ignore[misc]
                                               template="transfer.not_established",
                                               data=data | {"amount": a}))
    assert rendered == ["transfer.not_established"]
    with pytest.raises(TemplateDataMissing):
        db.run(lambda s: queue_email(s, to="a@example.jp", template="transfer.not_established",
                                     data={k: v for k, v in data.items() if k != "payee"}))
    assert len(_outbox(db)) == 3


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


def _sample(name: str) -> dict[str, Any]:
    return SAMPLES.get(name) or {"at": LOCKED["at"], "reference": "T-1", "amount": 12_345,
                                 "payee": "三菱ＵＦＪ 本店 普通 2222222 ﾀﾅｶ ﾊﾅｺ",
                                 "value_date": "2026-11-24", "fee": 330}


# The other side of each notice's conditions, so that every sentence is rendered once.
VARIANTS: dict[str, list[dict[str, Any]]] = {
    "auth.login": [{"at": LOCKED["at"]}],
    "auth.locked": [LOCKED],
    "auth.settings_changed": [{"at": LOCKED["at"]}],
    "transfer.incoming": [{"amount": 50_000, "account": "001-1234567", "remitter": "ﾀﾅｶ ﾊﾅｺ",
                           "value_date": "2026-11-20", "bank": "Mizuho", "branch": "Tokyo",
                           "edi": "INV-42"}],
    "verification.documents_requested": [{"reason": "mismatch", "restricted": False}],
    "bulk.lines_recalled": [{"reference": "B-1", "kind_ja": "総合振込",
                             "kind_en": "Bulk transfer", "value_date": "2026-11-20",
                             "count": 3, "amount": 30_000, "fee": 990, "recalled": 3,
                             "recall_fee": 1_760, "kept": 0, "reason": "by request"}],
    "time_deposit.opened": [{"reference": "D-1", "amount": 1_000_000,
                             "maturity_date": "2027-11-20"}],
    "time_deposit.matured": [{"reference": "D-1", "amount": 1_000_000, "net_interest": 797}],
    "payeasy.cancelled_by_agency": [{"reference": "P-1", "payee": "Tokyo Gas",
                                     "amount": 5_000, "reason": "duplicate"}],
}
_JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff\u3000-\u303f\uff01-\uff5e]")


def _japanese_words(ja: str) -> list[str]:
    """The Japanese runs of a catalogue sentence around its placeholders."""
    return [part for part in re.split(r"\{[^}]*\}", ja) if _JAPANESE.search(part)]


@pytest.mark.req("NOTIF-1")
@pytest.mark.parametrize("name", template_names())
def test_every_sentence_of_a_notice_has_its_english(name: str) -> None:
    """A notice is written once in Japanese; each of its sentences has an English entry under
    msgctxt "mail", in English, that uses no placeholder the Japanese does not give."""
    sentences = template(name).sentences()
    assert sentences, "a notice speaks through the catalogue"
    for ja in sentences:
        found = english().get((MAIL, ja))
        assert found, f"{name}: {ja!r} has no English in messages.po (msgctxt \"mail\")"
        assert not _japanese_words(found), f"{name}: {found!r} is not English"
        assert set(re.findall(r"\{(\w+)", found)) <= set(re.findall(r"\{(\w+)", ja))


@pytest.mark.req("NOTIF-1")
@pytest.mark.parametrize("name", template_names())
def test_the_english_half_has_no_sentence_left_in_japanese(name: str) -> None:
    words = sorted({w for (ctx, ja) in english() if ctx == MAIL for w in _japanese_words(ja)},
                   key=len, reverse=True)
    for data in [_sample(name), *VARIANTS.get(name, [])]:
        ja, en = render_in(name, "ja", data), render_in(name, "en", data)
        english_half = f"{en.subject}\n{en.body}"
        for value in data.values():                 # the customer's data may be Japanese
            english_half = english_half.replace(str(value), "")
        left = [w for w in words if len(w) > 1 and w in english_half]
        assert not left, f"{name}: {left} in {en.body!r}"
        assert _JAPANESE.search(ja.body) and not _JAPANESE.search(english_half)
        whole = render(name, data)
        assert whole.subject == f"【Kinko】{ja.subject} / {en.subject}"
        assert whole.body.startswith(f"{ja.body}\n\n―― English ――\n\n{en.body}\n\n――")


@pytest.mark.req("NOTIF-1")
def test_a_notice_keeps_its_layout_and_each_language_its_formats() -> None:
    data = {"reference": "T-9", "amount": 1_234_567, "payee": "ﾀﾅｶ ﾊﾅｺ", "fee": 330,
            "value_date": "2026-11-24"}
    mail = render("transfer.accepted", data)
    assert mail.subject == "【Kinko】お振込のご依頼を受け付けました / Transfer instruction received"
    ja, rest = mail.body.split("\n\n―― English ――\n\n")
    assert ja.splitlines() == [
        "以下のお振込のご依頼を受け付けました。まだ確定していません。", "",
        "受付番号：T-9", "振込先：ﾀﾅｶ ﾊﾅｺ", "金額：1,234,567円", "手数料：330円",
        "振込指定日：2026年11月24日"]
    assert rest.splitlines()[:8] == [
        "We received the transfer instruction below. It is not confirmed yet.", "",
        "Reference: T-9", "Payee: ﾀﾅｶ ﾊﾅｺ", "Amount: JPY 1,234,567", "Fee: JPY 330",
        "Value date: 24 Nov 2026", ""]
    assert rest.rstrip().endswith("never through a link in an e-mail.")
    secret = render("auth.secret_changed", {"kind": "secret_phrase", "at": LOCKED["at"]})
    assert secret.subject == "【Kinko】合言葉変更のお知らせ / Your secret phrase was changed"
    assert "日時：2026年11月20日 12:00" in secret.body
    assert "Time: 20 Nov 2026 12:00 JST" in secret.body
    bulk = render("bulk.approval_step", {**SAMPLES["bulk.approved"], "step": "1/2"})
    assert "総合振込のご依頼が承認されました（1/2）" in bulk.subject
    assert "Bulk transfer request approved (1/2)" in bulk.subject
    assert "種別：総合振込" in bulk.body and "Kind: Bulk transfer" in bulk.body


@pytest.mark.req("NOTIF-1")
def test_a_placeholder_the_notice_does_not_fill_is_an_error(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(templates._templates, "test.unfilled",
                        MailTemplate(sentence("ログインのお知らせ"), sentence("日時：{at}")))
    with pytest.raises(TemplateDataMissing, match="at"):
        render("test.unfilled", {"at": LOCKED["at"]})
    with pytest.raises(TemplateDataMissing):
        render("auth.secret_changed", {"at": LOCKED["at"]})      # no kind
    with pytest.raises(ValueError, match="one line"):
        sentence('"引用"の文')


@pytest.mark.req("NOTIF-1")
@pytest.mark.parametrize("name", template_names())
def test_every_notice_renders_in_japanese_then_english(name: str) -> None:
    data = _sample(name)
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
