"""CRED-1..3: hard-token lifecycle and fees through the ledger, soft tokens, one kind at once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from kinko import clock
from kinko.auth import otp, tokens
from kinko.auth.errors import FactorNotAvailable, TokenStateError
from kinko.auth.models import (
    AuthUser,
    Course,
    OtpToken,
    TokenIssueReason,
    TokenKind,
    TokenState,
)
from kinko.auth.outcomes import Done, Failed
from kinko.auth.tokens import FeeAccounts
from kinko.db import Database
from kinko.errors import ValidationFailed
from kinko.ledger.models import Account
from tests import factories
from tests.auth import builders

SEED = bytes(range(20))


def _state(db: Database, serial: str) -> OtpToken:
    with db.transaction() as s:
        token = s.execute(select(OtpToken).where(OtpToken.serial == serial)).scalar_one()
        s.expunge(token)
        return token


def _balance(db: Database, account_id: int) -> int:
    with db.transaction() as s:
        account = s.get(Account, account_id)
        assert account is not None
        return account.balance


def _setup(db: Database) -> tuple[builders.Corporate, int]:
    def make(s):  # type: ignore[no-untyped-def]
        corp = builders.corporate(s)
        income = factories.account(s)
        return corp, income
    return db.run(make)


def _issue(db: Database, corp: builders.Corporate, serial: str, reason: TokenIssueReason,
           income: int, replaces: str | None = None) -> tokens.IssuedToken:
    return db.run(tokens.issue_hard_token, contract_id=corp.master.contract_id, serial=serial,
                  reason=reason, seed=SEED, replaces_serial=replaces,
                  fee_accounts=FeeAccounts(income_account_id=income), actor="operator:1")


def _register(db: Database, user_id: int, serial: str) -> object:
    token = _state(db, serial)
    return db.run(tokens.register_hard_token, user_id=user_id, serial=serial,
                  code=otp.code_at(token, clock.now()))


@pytest.mark.req("CRED-1")
def test_hard_token_fees_through_the_ledger(db: Database) -> None:
    corp, income = _setup(db)
    first = _issue(db, corp, "HT0001", TokenIssueReason.INITIAL, income)
    assert first.fee_yen == 0 and first.fee_entry_id is None
    extra = _issue(db, corp, "HT0002", TokenIssueReason.EXTRA, income)
    assert extra.fee_yen == 2_200 and extra.fee_entry_id is not None
    assert _balance(db, corp.account_id) == 100_000 - 2_200
    assert _balance(db, income) == 2_200
    assert _register(db, corp.master.id, "HT0001") == Done()
    clock.advance(timedelta(seconds=30))
    # Expiry and defect replacements are free; a lost token's reissue costs the fee.
    expiry = _issue(db, corp, "HT0003", TokenIssueReason.EXPIRY, income, replaces="HT0001")
    defect = _issue(db, corp, "HT0004", TokenIssueReason.DEFECT, income, replaces="HT0001")
    lost = _issue(db, corp, "HT0005", TokenIssueReason.LOST, income, replaces="HT0001")
    assert (expiry.fee_yen, defect.fee_yen, lost.fee_yen) == (0, 0, 2_200)
    assert _balance(db, corp.account_id) == 100_000 - 4_400
    assert expiry.expires_on == clock.today() + timedelta(days=5 * 365)
    with pytest.raises(ValidationFailed):   # a replacement names what it replaces
        _issue(db, corp, "HT0006", TokenIssueReason.LOST, income)


@pytest.mark.req("CRED-1")
def test_register_replace_and_stop(db: Database) -> None:
    corp, income = _setup(db)
    _issue(db, corp, "HT0001", TokenIssueReason.INITIAL, income)
    wrong = db.run(tokens.register_hard_token, user_id=corp.master.id, serial="HT0001",
                   code="000000")
    assert isinstance(wrong, Failed)
    assert _register(db, corp.master.id, "HT0001") == Done()
    assert _state(db, "HT0001").state is TokenState.ACTIVE
    # A new token before expiry: the old one works until the new one is registered.
    with db.transaction() as s:
        due = tokens.tokens_due_for_renewal(s, within=timedelta(days=5 * 365))
        assert [t.serial for t in due] == ["HT0001"]
    _issue(db, corp, "HT0002", TokenIssueReason.EXPIRY, income, replaces="HT0001")
    with db.transaction() as s:
        assert tokens.tokens_due_for_renewal(s, within=timedelta(days=5 * 365)) == []
    assert _state(db, "HT0001").state is TokenState.ACTIVE
    clock.advance(timedelta(seconds=30))
    assert _register(db, corp.master.id, "HT0002") == Done()
    assert _state(db, "HT0001").state is TokenState.REPLACED
    assert _state(db, "HT0002").state is TokenState.ACTIVE
    # Reported lost: refused from that moment.
    stopped = db.run(tokens.report_lost, user_id=corp.master.id, actor="operator:1")
    assert stopped == _state(db, "HT0002").id
    token = _state(db, "HT0002")
    assert token.state is TokenState.STOPPED
    clock.advance(timedelta(seconds=30))
    with db.transaction() as s:
        user = s.get(AuthUser, corp.master.id)
        assert not otp.verify(s, user, otp.code_at(token, clock.now()), window=1)


@pytest.mark.req("CRED-1")
def test_an_expired_token_is_refused(db: Database) -> None:
    corp, income = _setup(db)
    _issue(db, corp, "HT0001", TokenIssueReason.INITIAL, income)
    _register(db, corp.master.id, "HT0001")
    clock.advance(timedelta(days=5 * 365 + 1))
    token = _state(db, "HT0001")
    with db.transaction() as s:
        assert not otp.check_token(s, s.get(OtpToken, token.id), otp.code_at(token, clock.now()),
                                   window=1)


@pytest.mark.req("CRED-2")
def test_soft_token_one_phone_per_user_and_never_with_a_hard_one(db: Database) -> None:
    corp = db.run(lambda s: builders.corporate(s, token_kind=TokenKind.SOFT))
    user_id = corp.master.id
    prov = db.run(tokens.provision_soft_token, user_id=user_id, device_label="iPhone")
    assert prov.provisioning_uri.startswith("otpauth://totp/")
    token = _state(db, prov.serial)
    assert token.state is TokenState.PENDING
    assert db.run(tokens.confirm_soft_token, user_id=user_id, serial=prov.serial,
                  code=otp.code_at(token, clock.now())) == Done()
    with pytest.raises(TokenStateError):   # one smartphone per user
        db.run(tokens.provision_soft_token, user_id=user_id)
    with pytest.raises(FactorNotAvailable):   # a soft contract lends no hard tokens
        db.run(tokens.issue_hard_token, contract_id=corp.master.contract_id, serial="HT9",
               reason=TokenIssueReason.INITIAL, actor="operator:1")
    # Changing phones: deregister, then register the new one.
    db.run(tokens.deregister_soft_token, user_id=user_id, actor=f"user:{user_id}")
    assert _state(db, prov.serial).state is TokenState.DEREGISTERED
    new = db.run(tokens.provision_soft_token, user_id=user_id, device_label="Pixel")
    assert db.run(tokens.confirm_soft_token, user_id=user_id, serial=new.serial,
                  code=otp.code_at(_state(db, new.serial), clock.now())) == Done()
    # Switching the contract to hard tokens ends the soft one (an application to the bank).
    assert db.run(tokens.switch_token_kind, contract_id=corp.master.contract_id,
                  to=TokenKind.HARD, actor="operator:1") == 1
    assert _state(db, new.serial).state is TokenState.DEREGISTERED


@pytest.mark.req("CRED-3")
def test_otp_is_per_contract_light_course_has_none(db: Database) -> None:
    with pytest.raises(ValidationFailed):
        db.run(lambda s: builders.corporate(s, course=Course.BASIC, token_kind=None))
    with pytest.raises(ValidationFailed):
        db.run(lambda s: builders.corporate(s, course=Course.COMPREHENSIVE, token_kind=None))


@pytest.mark.req("AUTH-10")
def test_a_check_without_a_token_computes_what_a_check_with_one_does(
        db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """An unknown ID (or a user without a token) has no seed to check the code with; the
    check still decrypts a seed and computes the code of every step of the window, so that
    it does not answer sooner than a real one."""
    decrypted: list[str] = []
    generated: list[int] = []
    real_decrypt, real_generate = otp.decrypt, otp.pyotp.TOTP.generate_otp

    def counting_decrypt(purpose: str, blob: bytes, *, context: str) -> bytes:
        decrypted.append(context)
        return real_decrypt(purpose, blob, context=context)

    def counting_generate(self: otp.pyotp.TOTP, step: int) -> str:
        generated.append(step)
        return real_generate(self, step)

    monkeypatch.setattr(otp, "decrypt", counting_decrypt)
    monkeypatch.setattr(otp.pyotp.TOTP, "generate_otp", counting_generate)
    with db.transaction() as s:
        assert otp.verify(s, None, "123456", window=1) is False
    assert len(decrypted) == 1
    assert len(generated) == 3      # now − 1, now, now + 1
