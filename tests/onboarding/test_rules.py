"""Pure onboarding rules, as properties (LED-4, CRED-5, PRD-1)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kinko.ledger.models import AccountState
from kinko.onboarding import rules
from kinko.onboarding.errors import AccountStateRefused, ShipmentStateError
from kinko.onboarding.models import ShipmentState

STATES = st.sampled_from(list(AccountState))


@pytest.mark.req("LED-4")
@given(now=STATES, to=STATES, balance=st.integers(-10**6, 10**6), held=st.integers(0, 10**6))
def test_account_moves(now: AccountState, to: AccountState, balance: int, held: int) -> None:
    """A closed account never changes; closure only at zero with nothing held; every move that
    releases money (to active) or freezes it by a third party (seizure) or ends the account
    needs a second operator; a seizure is left only by its release."""
    try:
        rules.check_account_move(now, to, balance=balance, held=held)
    except AccountStateRefused:
        allowed = False
    else:
        allowed = True
    if now is AccountState.CLOSED or now is to:
        assert not allowed
    if allowed and to is AccountState.CLOSED:
        assert balance == 0 and held == 0 and now is AccountState.ACTIVE
    if allowed and now is AccountState.SEIZED:
        assert to is AccountState.ACTIVE
    if to in (AccountState.ACTIVE, AccountState.SEIZED, AccountState.CLOSED):
        assert rules.needs_four_eyes(now, to)
    else:
        assert not rules.needs_four_eyes(now, to)


@pytest.mark.req("CRED-5")
@given(path=st.lists(st.sampled_from(list(ShipmentState)), max_size=6))
def test_a_shipment_is_sent_at_most_once_and_returned_only_after_it_was_sent(
        path: list[ShipmentState]) -> None:
    state = ShipmentState.QUEUED
    seen = [state]
    for to in path:
        try:
            rules.check_shipment_move(state, to)
        except ShipmentStateError:
            continue
        state = to
        seen.append(state)
    assert seen.count(ShipmentState.SENT) <= 1
    if ShipmentState.RETURNED in seen:
        assert seen.index(ShipmentState.SENT) < seen.index(ShipmentState.RETURNED)
    if ShipmentState.SENT in seen:
        assert ShipmentState.PRINTED in seen[:seen.index(ShipmentState.SENT)]


@pytest.mark.req("PRD-1")
@given(st.text(alphabet="アイウエオカキクケコガギグゲゴパピプペポャュョッー　 ", min_size=1,
               max_size=20))
def test_kana_names_become_zengin_half_width(text: str) -> None:
    half = rules.half_width_kana(text)
    assert all(not ("\u30a0" <= ch <= "\u30ff") for ch in half)   # no full-width katakana
    assert half == rules.half_width_kana(half)                     # idempotent


@pytest.mark.req("PRD-1")
@given(st.integers(0, 9_999_998))
def test_account_numbers_follow_in_order(highest: int) -> None:
    number = rules.next_account_number(f"{highest:07d}")
    assert len(number) == 7 and int(number) == highest + 1
