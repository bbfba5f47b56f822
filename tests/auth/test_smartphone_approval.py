"""AUTH-12: smartphone authentication signs the exact operation details (WebAuthn)."""

from __future__ import annotations

import pytest

from kinko import clock
from kinko.auth import approvals, login, otp, policy, stepup, tokens
from kinko.auth.approvals import RelyingParty
from kinko.auth.errors import ChallengeInvalid, FactorNotAvailable
from kinko.auth.models import Product, TokenKind
from kinko.auth.outcomes import Failed, LoggedIn, MustChangeCredentials, SteppedUp
from kinko.auth.policy import Factor, Operation
from kinko.auth.rules import operation_digest
from kinko.db import Database
from tests.auth import builders
from tests.auth.soft_authenticator import SoftAuthenticator

RP = RelyingParty(id="bank.example.jp", name="Kinko Bank", origin="https://bank.example.jp")
DETAILS = {"payee": "0001-002-7654321", "payee_name": "ｶ)ｷﾝｺｼｮｳｼﾞ", "amount": 980_000}


def _user_with_phone(db: Database) -> tuple[int, str, SoftAuthenticator]:
    corp = db.run(lambda s: builders.corporate(s, token_kind=TokenKind.SOFT,
                                               smartphone_auth=True))
    user_id = corp.master.id
    from kinko.auth import enrolment
    from kinko.ledger.models import AccountType

    db.run(enrolment.register_login_id, branch_code=corp.branch_code,
           account_type=AccountType.ORDINARY, account_number=corp.account_number,
           temporary_login_password="Kari1Login", temporary_confirmation_password="Kari2Kaku",
           login_id="keiri01")
    forced = db.run(login.login_corporate, login_id="keiri01", password="Kari1Login")
    assert isinstance(forced, MustChangeCredentials)
    session = db.run(login.change_credentials, session_token=forced.session_token,
                     current_password="Kari1Login", new_password="Houjin5Login",
                     current_confirmation_password="Kari2Kaku",
                     new_confirmation_password="Kakunin9Word")
    assert isinstance(session, LoggedIn)
    with pytest.raises(FactorNotAvailable):   # a soft token comes first (002 第12条1)
        db.run(approvals.begin_device_registration, user_id=user_id, rp=RP)
    prov = db.run(tokens.provision_soft_token, user_id=user_id)
    token = db.run(lambda s: tokens.repo.token_by_serial(s, prov.serial))
    db.run(tokens.confirm_soft_token, user_id=user_id, serial=prov.serial,
           code=otp.code_at(token, clock.now()))
    phone = SoftAuthenticator(rp_id=RP.id, origin=RP.origin)
    start = db.run(approvals.begin_device_registration, user_id=user_id, rp=RP)
    db.run(approvals.finish_device_registration, user_id=user_id,
           challenge_id=start.challenge_id, credential=phone.register(start.options_json),
           rp=RP, label="iPhone")
    return user_id, session.session_token, phone


@pytest.mark.req("AUTH-12")
def test_phone_approves_exactly_what_it_was_shown(db: Database) -> None:
    user_id, session_token, phone = _user_with_phone(db)
    request = db.run(approvals.request_approval, user_id=user_id,
                     operation=Operation.TRANSFER, details=DETAILS, rp=RP)
    # The phone lists what the bank holds, not what the browser shows.
    listed = db.run(approvals.pending_approvals, user_id)
    assert [(a.approval_id, a.details["amount"]) for a in listed] == [(request.approval_id,
                                                                       980_000)]
    assert request.operation_digest == operation_digest("transfer", DETAILS)
    db.run(approvals.submit_approval, approval_id=request.approval_id,
           credential=phone.assert_(request.options_json), rp=RP)
    profile = policy.with_profile(Product.CORPORATE_002,
                                  step_up={Operation.TRANSFER: (Factor.SMARTPHONE,)})
    with policy.overridden(profiles={Product.CORPORATE_002: profile}):
        # A man in the browser swaps the payee: the approval does not cover it.
        tampered = {**DETAILS, "payee": "0005-999-0000001"}
        bad = db.run(stepup.verify, session_token=session_token, operation=Operation.TRANSFER,
                     details=tampered, answers=stepup.Answers(approval_id=request.approval_id))
        assert isinstance(bad, Failed)
        # The approval was spent by that attempt; a new one for the real details works.
        again = db.run(approvals.request_approval, user_id=user_id,
                       operation=Operation.TRANSFER, details=DETAILS, rp=RP)
        db.run(approvals.submit_approval, approval_id=again.approval_id,
               credential=phone.assert_(again.options_json), rp=RP)
        ok = db.run(stepup.verify, session_token=session_token, operation=Operation.TRANSFER,
                    details=DETAILS, answers=stepup.Answers(approval_id=again.approval_id))
        assert isinstance(ok, SteppedUp)


@pytest.mark.req("AUTH-12")
def test_a_signature_over_other_details_or_a_replay_is_refused(db: Database) -> None:
    user_id, _, phone = _user_with_phone(db)
    request = db.run(approvals.request_approval, user_id=user_id,
                     operation=Operation.TRANSFER, details=DETAILS, rp=RP)
    other = approvals.approval_challenge(operation_digest("transfer", {"amount": 1}),
                                         bytes(16))
    with pytest.raises(ChallengeInvalid):
        db.run(approvals.submit_approval, approval_id=request.approval_id,
               credential=phone.assert_(request.options_json, challenge_override=other), rp=RP)
    good = phone.assert_(request.options_json)
    db.run(approvals.submit_approval, approval_id=request.approval_id, credential=good, rp=RP)
    with pytest.raises(ChallengeInvalid):   # decided once
        db.run(approvals.submit_approval, approval_id=request.approval_id,
               credential=phone.assert_(request.options_json), rp=RP)
    # A cloned key, whose signature counter does not move forward, is refused.
    second = db.run(approvals.request_approval, user_id=user_id,
                    operation=Operation.TRANSFER, details=DETAILS, rp=RP)
    clone = SoftAuthenticator(rp_id=RP.id, origin=RP.origin, key=phone.key,
                              credential_id=phone.credential_id, sign_count=1)
    with pytest.raises(ChallengeInvalid):   # counter 2 again: the bank has seen 2
        db.run(approvals.submit_approval, approval_id=second.approval_id,
               credential=clone.assert_(second.options_json), rp=RP)


@pytest.mark.req("AUTH-12")
def test_a_rejection_on_the_phone_confirms_nothing(db: Database) -> None:
    user_id, _, phone = _user_with_phone(db)
    request = db.run(approvals.request_approval, user_id=user_id,
                     operation=Operation.TRANSFER, details=DETAILS, rp=RP)
    db.run(approvals.submit_approval, approval_id=request.approval_id,
           credential=phone.assert_(request.options_json), rp=RP, approve=False)
    digest = operation_digest("transfer", DETAILS)

    def spend(s):  # type: ignore[no-untyped-def]
        from kinko.auth.users import get_user

        return approvals.consume_approval(s, get_user(s, user_id), request.approval_id,
                                          operation_digest=digest)
    assert db.run(spend) is False
