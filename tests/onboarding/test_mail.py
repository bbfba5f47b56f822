"""CRED-5, CRED-1, AUTH-7: the mail room's queue — print, send, returned mail voids the
credential and queues a reissue; undeliverable initial credentials make a termination
candidate; the batch mails a new token before the old one expires."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from kinko import clock
from kinko.auth.models import AuthUser, OtpToken, SecretKind, TokenIssueReason, TokenState
from kinko.auth.passwords import verify_secret
from kinko.batch.service import run_due
from kinko.db import Database
from kinko.onboarding import mail, products
from kinko.onboarding.errors import OnboardingRefused, ShipmentStateError
from kinko.onboarding.models import Shipment, ShipmentKind, ShipmentState
from tests.onboarding.conftest import Bank
from tests.onboarding.helpers import pdf_text, person


def _password_in(db: Database, shipment_id: int) -> str:
    text = pdf_text(db.run(mail.print_pdf, shipment_id=shipment_id, actor="operator:1"))
    found = re.search(r"Initial password\s*(\S+)", text)
    assert found, text
    return found.group(1)


def _shipment(db: Database, shipment_id: int) -> Shipment:
    return db.run(lambda s: s.get(Shipment, shipment_id))


@pytest.mark.req("AUTH-7")
def test_a_letter_is_printed_then_sent_and_its_secret_is_wiped(db: Database,
                                                               bank: Bank) -> None:
    cid, _ = person(db)
    enrolled = db.run(lambda s: products.enrol_retail_003(s, customer_id=cid, actor="op"))
    letter = enrolled.shipments[0]
    with pytest.raises(ShipmentStateError):      # not printed yet
        db.run(mail.mark_sent, shipment_id=letter, actor="op")
    first = _password_in(db, letter)
    assert _password_in(db, letter) == first     # printed again after a jam: the same letter
    db.run(mail.mark_sent, shipment_id=letter, actor="op")
    row = _shipment(db, letter)
    assert row.state is ShipmentState.SENT and row.sealed is None
    with pytest.raises(ShipmentStateError):      # nothing left to print
        db.run(mail.print_pdf, shipment_id=letter, actor="op")


@pytest.mark.req("CRED-5")
def test_returned_initial_credentials_are_voided_reissued_and_a_termination_candidate(
        db: Database, bank: Bank) -> None:
    cid, _ = person(db)
    enrolled = db.run(lambda s: products.enrol_retail_003(s, customer_id=cid, actor="op"))
    letter = enrolled.shipments[0]
    old_password = _password_in(db, letter)
    db.run(mail.mark_sent, shipment_id=letter, actor="op")
    with pytest.raises(OnboardingRefused):       # a reason is required; nothing changes
        db.run(mail.record_returned, shipment_id=letter, reason=" ", actor="op")
    assert _shipment(db, letter).state is ShipmentState.SENT
    again = db.run(lambda s: mail.record_returned(s, shipment_id=letter,
                                                  reason="宛所に尋ねあたりません", actor="op").id)
    returned = _shipment(db, letter)
    assert returned.state is ShipmentState.RETURNED and returned.termination_candidate
    assert [r.id for r in db.run(mail.termination_candidates)] == [letter]
    reissue = _shipment(db, again)
    assert reissue.kind is ShipmentKind.INITIAL_CREDENTIALS and reissue.replaces_id == letter
    new_password = _password_in(db, again)
    assert new_password != old_password

    def check(s: Session) -> tuple[bool, bool]:
        user = s.get(AuthUser, enrolled.user_id)
        return (verify_secret(s, user, SecretKind.LOGIN_PASSWORD, old_password),
                verify_secret(s, user, SecretKind.LOGIN_PASSWORD, new_password))
    assert db.run(check) == (False, True)   # the letter in the post opens nothing now
    with pytest.raises(ShipmentStateError):  # returned once only
        db.run(mail.record_returned, shipment_id=letter, reason="again", actor="op")


@pytest.mark.req("CRED-5")
@pytest.mark.req("CRED-1")
def test_a_returned_token_is_stopped_and_a_new_one_lent_free(db: Database, bank: Bank) -> None:
    cid, _ = person(db)
    enrolled = db.run(lambda s: products.enrol_retail_003(s, customer_id=cid, actor="op"))
    parcel = enrolled.shipments[1]
    db.run(mail.print_pdf, shipment_id=parcel, actor="op")
    db.run(mail.mark_sent, shipment_id=parcel, actor="op")
    again = db.run(lambda s: mail.record_returned(s, shipment_id=parcel, reason="転居先不明",
                                                  actor="op").id)
    old = db.run(lambda s: s.get(OtpToken, s.get(Shipment, parcel).token_id))
    new = db.run(lambda s: s.get(OtpToken, s.get(Shipment, again).token_id))
    assert old.state is TokenState.STOPPED
    assert new.issue_reason is TokenIssueReason.RETURNED and new.fee_yen == 0
    assert new.state is TokenState.ACTIVE and new.user_id == enrolled.user_id
    assert not _shipment(db, parcel).termination_candidate


@pytest.mark.req("CRED-5")
def test_a_returned_card_is_revoked_and_a_new_card_mailed(db: Database, bank: Bank) -> None:
    cid, _ = person(db)
    enrolled = db.run(lambda s: products.enrol_retail_001(s, customer_id=cid,
                                                          password="Todoke5Pass", actor="op"))
    letter = enrolled.shipments[0]
    first = pdf_text(db.run(mail.print_pdf, shipment_id=letter, actor="op"))
    db.run(mail.mark_sent, shipment_id=letter, actor="op")
    again = db.run(lambda s: mail.record_returned(s, shipment_id=letter, reason="不在",
                                                  actor="op").id)
    second = pdf_text(db.run(mail.print_pdf, shipment_id=again, actor="op"))
    old_serial = _shipment(db, letter).reference
    assert old_serial in first and old_serial not in second

    from kinko.auth import repository as auth_repo

    active = db.run(lambda s: auth_repo.active_card(s, enrolled.user_id))
    assert active is not None and active.serial == _shipment(db, again).reference


@pytest.mark.req("CRED-1")
def test_the_batch_mails_a_new_token_before_the_old_one_expires(db: Database,
                                                                bank: Bank) -> None:
    cid, _ = person(db)
    enrolled = db.run(lambda s: products.enrol_retail_003(s, customer_id=cid, actor="op"))
    token = db.run(lambda s: s.execute(select(OtpToken).where(
        OtpToken.user_id == enrolled.user_id)).scalar_one())
    assert token.expires_on is not None
    # Far from expiry: nothing to renew.
    assert run_due(db).tokens_renewed == 0
    clock.set_now(clock.now() + (token.expires_on - clock.today()) - timedelta(days=59))
    report = run_due(db)
    assert report.tokens_renewed == 1
    assert run_due(db).tokens_renewed == 0      # running twice renews nothing twice
    renewal = db.run(lambda s: s.execute(select(Shipment).where(
        Shipment.kind == ShipmentKind.TOKEN_RENEWAL)).scalar_one())
    new = db.run(lambda s: s.get(OtpToken, renewal.token_id))
    assert new.issue_reason is TokenIssueReason.EXPIRY and new.fee_yen == 0
    assert new.state is TokenState.LENT and new.user_id == enrolled.user_id
    text = pdf_text(db.run(mail.print_pdf, shipment_id=renewal.id, actor="op"))
    assert token.serial in text and new.serial in text
    # The old token keeps working until the customer registers the new one.
    assert db.run(lambda s: s.get(OtpToken, token.id).state) is TokenState.ACTIVE


@pytest.mark.req("CRED-1")
@pytest.mark.req("OPS-1")
def test_a_lost_token_is_reissued_by_post_for_the_fee_after_a_second_operators_approval(
        db: Database, bank: Bank) -> None:
    from kinko.auth import tokens
    from kinko.backoffice import approvals
    from kinko.backoffice.errors import FourEyesViolation
    from kinko.errors import ValidationFailed
    from kinko.ledger.models import Account
    from kinko.onboarding import reissue

    cid, account = person(db, balance=10_000)
    enrolled = db.run(lambda s: products.enrol_retail_003(s, customer_id=cid, actor="op"))
    db.run(lambda s: tokens.report_lost(s, user_id=enrolled.user_id, actor="op"))
    with pytest.raises(ValidationFailed):
        db.run(lambda s: approvals.request(
            s, action=reissue.REISSUE_ACTION, subject_type="auth_user",
            subject_id=enrolled.user_id, payload={"user_id": enrolled.user_id,
                                                  "reason": "whim"},
            reason="紛失", requested_by=bank.teller))
    request = db.run(lambda s: approvals.request(
        s, action=reissue.REISSUE_ACTION, subject_type="auth_user",
        subject_id=enrolled.user_id, payload={"user_id": enrolled.user_id, "reason": "lost"},
        reason="紛失の届出（電話）", requested_by=bank.teller).id)
    with pytest.raises(FourEyesViolation):
        db.run(approvals.approve, request_id=request, approver_id=bank.teller)
    db.run(approvals.approve, request_id=request, approver_id=bank.security)
    parcel = db.run(lambda s: s.execute(select(Shipment).where(
        Shipment.kind == ShipmentKind.TOKEN).order_by(Shipment.id.desc())).scalars().first())
    new = db.run(lambda s: s.get(OtpToken, parcel.token_id))
    assert new.issue_reason is TokenIssueReason.LOST and new.fee_yen == 2_200
    assert new.state is TokenState.ACTIVE and new.user_id == enrolled.user_id
    assert db.run(lambda s: s.get(Account, account).balance) == 10_000 - 2_200
    assert parcel.state is ShipmentState.QUEUED


def test_a_letter_is_japanese_first_with_the_catalogues_english_below() -> None:
    body = mail.letter_body([("インターネットバンキングのお申込みありがとうございます。", {}),
                             ("現在のトークン（{serial}）は {expires_on} に有効期限を迎えます。",
                              {"serial": "AB123", "expires_on": "2027-03-31"})])
    assert body == ["インターネットバンキングのお申込みありがとうございます。",
                    "現在のトークン（AB123）は 2027-03-31 に有効期限を迎えます。", "",
                    "Thank you for applying for internet banking.",
                    "Your current token (AB123) expires on 2027-03-31."]
    assert mail.both("ユーザID") == "ユーザID / User ID"
    for kind in ShipmentKind:
        title = mail.both(mail.TITLES[kind])
        assert " / " in title and title.split(" / ")[1] != mail.TITLES[kind]


def test_every_sentence_of_the_letters_has_its_english() -> None:
    """Every Japanese text the letter module writes is in the catalogue under "letter"."""
    import ast
    import re
    from pathlib import Path

    from kinko import catalogue

    japanese = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")
    tree = ast.parse(Path(mail.__file__).read_text(encoding="utf-8"))
    docstrings = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Expr)}
    texts = {node.value for node in ast.walk(tree)
             if isinstance(node, ast.Constant) and isinstance(node.value, str)
             and japanese.search(node.value) and id(node) not in docstrings}
    # Not sentences of the letter: the bank's name (already in both), the honorifics and the
    # addressee's number label, the placeholder of a password already sent.
    texts -= {mail.BANK_NAME, "様", "御中", "（送付済）"}
    texts = {t for t in texts if not t.startswith("お客さま番号")}
    missing = sorted(t for t in texts if catalogue.en(t, mail.LETTER) is None)
    assert len(texts) >= 14 and not missing, missing


def test_a_printed_letter_carries_both_languages(db: Database, bank: Bank) -> None:
    cid, _ = person(db)
    enrolled = db.run(lambda s: products.enrol_retail_003(s, customer_id=cid, actor="op"))
    text = pdf_text(db.run(mail.print_pdf, shipment_id=enrolled.shipments[0], actor="op"))
    flat = re.sub(r"\s+", "", text)
    assert "インターネットバンキングのお申込みありがとうございます。" in flat
    assert "Thankyouforapplyingforinternetbanking." in flat
    assert flat.index("インターネットバンキング") < flat.index("Thankyou")
