"""Showing a confirmation screen again asks the same challenge (issue 10 finding 7, AUTH-1,
AUTH-4): the same card cells and the same phone call for the same operation in the same
session, until answered or expired; another operation gets its own."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kinko import clock
from kinko.auth import policy, stepup
from kinko.auth.models import Product
from kinko.auth.outcomes import Rejected
from kinko.auth.policy import Operation
from kinko.db import Database
from tests.auth.test_cards_and_phone import DETAILS, _enrol


@pytest.mark.req("AUTH-1")
@pytest.mark.req("AUTH-4")
def test_the_same_cells_and_call_until_answered_or_expired(db: Database) -> None:
    _, _card, token = _enrol(db)
    profile = policy.with_profile(Product.RETAIL_001,
                                  phone_call_operations=frozenset({Operation.TRANSFER}))
    def begin(details: dict[str, object]) -> stepup.StepUpPlan:
        return db.run(stepup.begin, session_token=token, operation=Operation.TRANSFER,
                      details=details)

    with policy.overridden(profiles={Product.RETAIL_001: profile}, phone_call_enabled=True):
        first, again = begin(DETAILS), begin(DETAILS)
        assert first.card is not None and first.phone_call is not None
        assert again.card == first.card
        assert again.phone_call is not None
        assert again.phone_call.challenge_id == first.phone_call.challenge_id
        other = begin({**DETAILS, "amount": 1})
        assert other.card is not None and other.card.challenge_id != first.card.challenge_id
    # Without the call: a wrong answer uses the cells, and the next screen asks new ones.
    shown = begin(DETAILS)
    assert shown.card == first.card
    wrong = db.run(stepup.verify, session_token=token, operation=Operation.TRANSFER,
                   details=DETAILS, answers=stepup.Answers(
                       card_challenge_id=shown.card.challenge_id,
                       card_answers=dict.fromkeys(shown.card.cells, "0000")))
    assert isinstance(wrong, Rejected)
    after_wrong = begin(DETAILS)
    assert after_wrong.card is not None
    assert after_wrong.card.challenge_id != shown.card.challenge_id
    assert begin(DETAILS).card == after_wrong.card
    # Expired, new cells are drawn.
    clock.advance(timedelta(minutes=6))
    assert begin(DETAILS).card != after_wrong.card
