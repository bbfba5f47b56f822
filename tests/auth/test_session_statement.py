"""The authentication's statement (session, user, contract, customer, token, card and the
restriction flag) is built once and reused, and built anew when the flag changes."""

from __future__ import annotations

from sqlalchemy import false

from kinko.auth import repository
from kinko.onboarding import restrictions as service
from kinko.parties.restrictions import flag_changed, flag_generation


def test_one_statement_per_shape_rebuilt_when_a_hold_is_registered_later() -> None:
    before = repository._session_with_user_statement(True)
    assert repository._session_with_user_statement(True) is before
    assert repository._session_with_user_statement(False) is not before  # key rotation: IN
    generation = flag_generation()
    service.hold("test-later-hold", lambda s, customer_id, function: None,
                 flag=lambda customer_id: false())
    try:
        assert flag_generation() > generation
        assert repository._session_with_user_statement(True) is not before
    finally:
        service._holds.pop("test-later-hold")
        flag_changed()
