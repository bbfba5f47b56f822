"""Retail 001 step-up: confirmation-number card cells (AUTH-1) and phone-call authentication
(AUTH-4) with a signed webhook from a fake telephony provider."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from kinko import clock
from kinko.auth import cards, login, phone, policy, stepup
from kinko.auth.errors import WebhookRejected
from kinko.auth.models import AuthUser, Product
from kinko.auth.outcomes import Failed, LoggedIn, Rejected, SteppedUp
from kinko.auth.policy import Factor, Operation
from kinko.auth.rules import parse_cell
from kinko.db import Database
from tests.auth import builders
from tests.auth.builders import PASSWORD

DETAILS = {"payee": "0009-123-1111111", "amount": 45_000}


def _enrol(db: Database) -> tuple[int, cards.IssuedCard, str]:
    def make(s):  # type: ignore[no-untyped-def]
        user = builders.retail_001(s)
        card = cards.issue_card(s, user, policy.rules_for(Product.RETAIL_001), actor="test")
        return user.id, card
    user_id, card = db.run(make)
    session = db.run(login.login_retail_001, member_number="12345678", password=PASSWORD)
    assert isinstance(session, LoggedIn)
    return user_id, card, session.session_token


def _answers(card: cards.IssuedCard, cells: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for cell in cells:
        r, c = parse_cell(cell, len(card.grid), len(card.grid[0]))
        out[cell] = card.grid[r][c]
    return out


@pytest.mark.req("AUTH-1")
def test_card_cells_are_random_single_use_and_bound_to_the_operation(db: Database) -> None:
    _, card, token = _enrol(db)
    assert len(card.grid) == 5 and all(len(row) == 6 for row in card.grid)
    plan = db.run(stepup.begin, session_token=token, operation=Operation.TRANSFER,
                  details=DETAILS)
    assert plan.factors == (Factor.CARD,) and plan.card is not None
    assert len(set(plan.card.cells)) == 2
    right = _answers(card, plan.card.cells)
    up = db.run(stepup.verify, session_token=token, operation=Operation.TRANSFER,
                details=DETAILS, answers=stepup.Answers(card_challenge_id=plan.card.challenge_id,
                                                        card_answers=right))
    assert isinstance(up, SteppedUp)
    # The same challenge cannot be used again, even with the right answers.
    again = db.run(stepup.verify, session_token=up.session_token,
                   operation=Operation.TRANSFER, details=DETAILS,
                   answers=stepup.Answers(card_challenge_id=plan.card.challenge_id,
                                          card_answers=right))
    assert isinstance(again, Failed)
    # Cells issued for one payment do not confirm another.
    plan2 = db.run(stepup.begin, session_token=up.session_token,
                   operation=Operation.TRANSFER, details=DETAILS)
    assert plan2.card is not None
    other = db.run(stepup.verify, session_token=up.session_token,
                   operation=Operation.TRANSFER, details={**DETAILS, "amount": 1},
                   answers=stepup.Answers(card_challenge_id=plan2.card.challenge_id,
                                          card_answers=_answers(card, plan2.card.cells)))
    assert isinstance(other, Failed)


@pytest.mark.req("AUTH-1")
@pytest.mark.req("AUTH-6")
def test_wrong_card_answers_count_toward_lockout(db: Database) -> None:
    user_id, _card, token = _enrol(db)
    for _ in range(5):
        plan = db.run(stepup.begin, session_token=token, operation=Operation.PAY_EASY,
                      details=DETAILS)
        assert plan.card is not None
        result = db.run(stepup.verify, session_token=token, operation=Operation.PAY_EASY,
                        details=DETAILS, answers=stepup.Answers(
                            card_challenge_id=plan.card.challenge_id,
                            card_answers=dict.fromkeys(plan.card.cells, "xx")))
        assert isinstance(result, Failed)
    assert result.locked_now
    with db.transaction() as s:
        user = s.get(AuthUser, user_id)
        assert user is not None and user.state.value == "locked"


@pytest.mark.req("AUTH-1")
@pytest.mark.req("AUTH-5")
def test_right_card_answers_spent_with_the_rotation_and_anything_else_the_usual_way(
        db: Database) -> None:
    """A confirmation (``spend=True``): right answers spend the challenge in the session's
    rotation statement on PostgreSQL (one statement; the usual two on SQLite); wrong digits,
    a cell missing, another card or a used challenge are refused as before, the challenge
    used up and the wrong answer counted; an extra cell is ignored as before."""
    from tests.querycount import counting

    user_id, card, token = _enrol(db)

    def plan(session_token: str) -> stepup.StepUpPlan:
        p = db.run(stepup.begin, session_token=session_token, operation=Operation.TRANSFER,
                   details=DETAILS)
        assert p.card is not None
        return p

    def confirm(session_token: str, p: stepup.StepUpPlan, answers: dict[str, str]) -> object:
        assert p.card is not None
        return db.run(stepup.verify, session_token=session_token, spend=True,
                      operation=Operation.TRANSFER, details=DETAILS, answers=stepup.Answers(
                          card_challenge_id=p.card.challenge_id, card_answers=answers))

    first = plan(token)
    assert first.card is not None
    with counting(db.engine) as found:
        up = confirm(token, first, _answers(card, first.card.cells))
    assert isinstance(up, SteppedUp)
    spent_with_rotation = [q for q in found.seen if "used_card_challenge" in q]
    assert len(spent_with_rotation) == (1 if db.dialect == "postgresql" else 0), found
    assert isinstance(confirm(up.session_token, first, _answers(card, first.card.cells)),
                      Failed)   # used
    token = up.session_token
    failures = 1
    # A cell more than asked is ignored, as the usual check always did.
    p = plan(token)
    assert p.card is not None
    extra = _answers(card, p.card.cells) | {"F5": card.grid[4][5], "A1": card.grid[0][0]}
    up = confirm(token, p, extra)
    assert isinstance(up, SteppedUp)
    token = up.session_token
    for wrong in ("digit", "missing"):
        p = plan(token)
        assert p.card is not None
        answers = _answers(card, p.card.cells)
        cell = p.card.cells[0]
        if wrong == "digit":
            answers[cell] = "9" if answers[cell] != "9" else "8"
        else:
            del answers[cell]
        assert isinstance(confirm(token, p, answers), Failed)
        failures += 1
        # The challenge was used up by the refusal: the right answers now fail too.
        assert isinstance(confirm(token, p, _answers(card, p.card.cells)), Failed)
        failures += 1
    from sqlalchemy import func, select

    from kinko.audit.models import AuditEvent

    with db.transaction() as s:
        counted = s.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "auth.failure", AuditEvent.subject_id == str(user_id)))
    assert counted == failures


@pytest.mark.req("AUTH-1")
def test_answers_from_a_replaced_card_do_not_confirm(db: Database) -> None:
    """Cells asked of the old card, answered from it after a new card was issued: refused
    (the challenge was made for the old card's serial)."""
    user_id, card, token = _enrol(db)
    p = db.run(stepup.begin, session_token=token, operation=Operation.TRANSFER,
               details=DETAILS)
    assert p.card is not None

    def reissue(s):  # type: ignore[no-untyped-def]
        cards.issue_card(s, s.get(AuthUser, user_id), policy.rules_for(Product.RETAIL_001),
                         actor="test")

    db.run(reissue)
    result = db.run(stepup.verify, session_token=token, spend=True,
                    operation=Operation.TRANSFER, details=DETAILS, answers=stepup.Answers(
                        card_challenge_id=p.card.challenge_id,
                        card_answers=_answers(card, p.card.cells)))
    assert isinstance(result, Failed)


def _call(db: Database, *, caller: str, callee: str = "+81120000000", event: str = "ev-1",
          secret: bytes | None = None, sent: int | None = None) -> phone.WebhookResult:
    body = json.dumps({"event_id": event, "caller": caller, "callee": callee,
                       "called_at": clock.now().isoformat()}).encode()
    ts = int(clock.now().timestamp()) if sent is None else sent
    return db.run(phone.handle_webhook, body=body, timestamp=str(ts),
                  signature=phone.sign(body, ts, secret))


@pytest.mark.req("AUTH-4")
def test_phone_call_from_the_registered_number_completes_the_step_up(db: Database) -> None:
    _, card, token = _enrol(db)
    profile = policy.with_profile(Product.RETAIL_001,
                                  phone_call_operations=frozenset({Operation.TRANSFER,
                                                                   Operation.PAY_EASY}))
    with policy.overridden(profiles={Product.RETAIL_001: profile}, phone_call_enabled=True):
        plan = db.run(stepup.begin, session_token=token, operation=Operation.TRANSFER,
                      details=DETAILS)
        assert plan.factors == (Factor.CARD, Factor.PHONE_CALL)
        assert plan.phone_call is not None and plan.card is not None
        answers = stepup.Answers(card_challenge_id=plan.card.challenge_id,
                                 card_answers=_answers(card, plan.card.cells),
                                 phone_challenge_id=plan.phone_call.challenge_id)
        # A call from another number does not count.
        assert not _call(db, caller="080-9999-0000", event="ev-0").matched
        assert db.run(phone.status, plan.phone_call.challenge_id) == "pending"
        clock.advance(timedelta(seconds=20))
        assert _call(db, caller="+81 90-1234-5678").matched   # E.164 caller ID
        assert db.run(phone.status, plan.phone_call.challenge_id) == "completed"
        up = db.run(stepup.verify, session_token=token, operation=Operation.TRANSFER,
                    details=DETAILS, answers=answers)
        assert isinstance(up, SteppedUp)
        assert db.run(phone.status, plan.phone_call.challenge_id) == "used"


@pytest.mark.req("AUTH-4")
def test_step_up_waits_for_the_call(db: Database) -> None:
    _, card, token = _enrol(db)
    profile = policy.with_profile(Product.RETAIL_001,
                                  phone_call_operations=frozenset({Operation.TRANSFER}))
    with policy.overridden(profiles={Product.RETAIL_001: profile}, phone_call_enabled=True):
        plan = db.run(stepup.begin, session_token=token, operation=Operation.TRANSFER,
                      details=DETAILS)
        assert plan.card is not None and plan.phone_call is not None
        result = db.run(stepup.verify, session_token=token, operation=Operation.TRANSFER,
                        details=DETAILS, answers=stepup.Answers(
                            card_challenge_id=plan.card.challenge_id,
                            card_answers=_answers(card, plan.card.cells),
                            phone_challenge_id=plan.phone_call.challenge_id))
        assert isinstance(result, Rejected) and isinstance(result.error, phone.PhoneCallPending)
        # Waiting spent nothing: the same card challenge works once the call is through.
        assert _call(db, caller="09012345678", event="ev-2").matched
        done = db.run(stepup.verify, session_token=token, operation=Operation.TRANSFER,
                      details=DETAILS, answers=stepup.Answers(
                          card_challenge_id=plan.card.challenge_id,
                          card_answers=_answers(card, plan.card.cells),
                          phone_challenge_id=plan.phone_call.challenge_id))
        assert isinstance(done, SteppedUp)
        plan = db.run(stepup.begin, session_token=done.session_token,
                      operation=Operation.TRANSFER, details=DETAILS)
        assert plan.phone_call is not None
        # A call after the window does not complete it.
        clock.advance(timedelta(minutes=6))
        assert not _call(db, caller="09012345678").matched


@pytest.mark.req("AUTH-4")
def test_webhook_signature_timestamp_and_replay(db: Database) -> None:
    _enrol(db)
    with pytest.raises(WebhookRejected):
        _call(db, caller="09012345678", secret=b"not-the-shared-secret")
    with pytest.raises(WebhookRejected):
        _call(db, caller="09012345678", sent=int(clock.now().timestamp()) - 301)
    first = _call(db, caller="09012345678", event="ev-9")
    assert not first.duplicate
    assert _call(db, caller="09012345678", event="ev-9").duplicate
    with pytest.raises(WebhookRejected):
        db.run(phone.handle_webhook, body=b"{}", timestamp="soon", signature="v1=00")
