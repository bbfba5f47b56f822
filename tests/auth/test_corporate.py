"""Corporate 002: first-use registration of the login ID, forced change of the temporary
passwords, step-up with confirmation password (+ OTP for Basic/Comprehensive), Light sign-up,
certificate login (AUTH-7, AUTH-11, CRED-3, CRED-4)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from kinko import clock
from kinko.auth import certificates, enrolment, login, otp, passwords, stepup, tokens
from kinko.auth.errors import (
    CertificateRejected,
    FactorNotAvailable,
    InvalidCredentials,
    LoginIdRejected,
    PasswordRejected,
)
from kinko.auth.login import Client
from kinko.auth.models import Course, SecretKind, TokenIssueReason, TokenKind
from kinko.auth.outcomes import (
    Done,
    Failed,
    LoggedIn,
    MustChangeCredentials,
    NeedsSecondFactor,
    Rejected,
    SteppedUp,
)
from kinko.auth.policy import Factor, Operation
from kinko.db import Database
from kinko.errors import ValidationFailed
from kinko.ledger.models import Account, AccountType
from tests import factories
from tests.auth import builders

LOGIN_PW = "Houjin5Login"
CONFIRM_PW = "Kakunin9Word"
DETAILS = {"payee": "0001-002-7654321", "amount": 120_000}


def _register(db: Database, corp: builders.Corporate, *, login_id: str = "keiri01",
              temp: str = "Kari1Login") -> object:
    return db.run(enrolment.register_login_id, branch_code=corp.branch_code,
                  account_type=AccountType.ORDINARY, account_number=corp.account_number,
                  temporary_login_password=temp, temporary_confirmation_password="Kari2Kaku",
                  login_id=login_id)


def _ready(db: Database, **kw: object) -> tuple[builders.Corporate, LoggedIn]:
    corp = db.run(lambda s: builders.corporate(s, **kw))
    assert _register(db, corp) == Done()
    forced = db.run(login.login_corporate, login_id="keiri01", password="Kari1Login")
    assert isinstance(forced, MustChangeCredentials)
    done = db.run(login.change_credentials, session_token=forced.session_token,
                  current_password="Kari1Login", new_password=LOGIN_PW,
                  current_confirmation_password="Kari2Kaku",
                  new_confirmation_password=CONFIRM_PW)
    assert isinstance(done, LoggedIn)
    return corp, done


@pytest.mark.req("AUTH-7")
def test_first_use_registers_the_login_id_then_forces_both_passwords_to_change(db: Database
                                                                               ) -> None:
    corp = db.run(builders.corporate)
    # Wrong temporary passwords count toward the master user's lockout.
    assert isinstance(_register(db, corp, temp="Wrong1Pass"), Failed)
    with pytest.raises(LoginIdRejected):
        _register(db, corp, login_id="12345678")       # an ID needs a letter
    assert _register(db, corp) == Done()
    forced = db.run(login.login_corporate, login_id="keiri01", password="Kari1Login")
    assert isinstance(forced, MustChangeCredentials)
    assert forced.change == frozenset({"login_password", "confirmation_password"})
    with pytest.raises(Exception, match="confirmation_password"):
        db.run(login.change_credentials, session_token=forced.session_token,
               current_password="Kari1Login", new_password=LOGIN_PW)
    with pytest.raises(PasswordRejected):    # both the same is refused
        db.run(login.change_credentials, session_token=forced.session_token,
               current_password="Kari1Login", new_password=LOGIN_PW,
               current_confirmation_password="Kari2Kaku", new_confirmation_password=LOGIN_PW)
    done = db.run(login.change_credentials, session_token=forced.session_token,
                  current_password="Kari1Login", new_password=LOGIN_PW,
                  current_confirmation_password="Kari2Kaku",
                  new_confirmation_password=CONFIRM_PW)
    assert isinstance(done, LoggedIn)
    assert isinstance(db.run(login.login_corporate, login_id="keiri01", password=LOGIN_PW),
                      LoggedIn)
    # The account details no longer register anything.
    assert isinstance(_register(db, corp, login_id="keiri02"), Failed)


@pytest.mark.req("CRED-3")
@pytest.mark.req("AUTH-3")
def test_basic_course_step_up_needs_confirmation_password_and_otp(db: Database) -> None:
    corp, session = _ready(db)
    # Every user registers a token before transacting.
    with pytest.raises(FactorNotAvailable):
        db.run(stepup.begin, session_token=session.session_token,
               operation=Operation.TRANSFER, details=DETAILS)
    db.run(tokens.issue_hard_token, contract_id=corp.master.contract_id, serial="HT0001",
           reason=TokenIssueReason.INITIAL, seed=bytes(20), actor="operator:1")
    token = db.run(lambda s: tokens.repo.token_by_serial(s, "HT0001"))
    assert db.run(tokens.register_hard_token, user_id=corp.master.id, serial="HT0001",
                  code=otp.code_at(token, clock.now())) == Done()
    plan = db.run(stepup.begin, session_token=session.session_token,
                  operation=Operation.TRANSFER, details=DETAILS)
    assert plan.factors == (Factor.CONFIRMATION_PASSWORD, Factor.OTP)
    clock.advance(timedelta(seconds=30))
    only_password = db.run(stepup.verify, session_token=session.session_token,
                           operation=Operation.TRANSFER, details=DETAILS,
                           answers=stepup.Answers(confirmation_password=CONFIRM_PW))
    assert isinstance(only_password, Failed)
    up = db.run(stepup.verify, session_token=session.session_token,
                operation=Operation.TRANSFER, details=DETAILS,
                answers=stepup.Answers(confirmation_password=CONFIRM_PW,
                                       otp_code=otp.code_at(token, clock.now())))
    assert isinstance(up, SteppedUp)
    # Settings need the confirmation password only.
    assert db.run(stepup.begin, session_token=up.session_token, operation=Operation.SETTINGS,
                  details={"email": "x"}).factors == (Factor.CONFIRMATION_PASSWORD,)


@pytest.mark.req("AUTH-7")
@pytest.mark.req("CRED-3")
def test_light_course_signs_up_online_and_uses_no_otp(db: Database) -> None:
    def account(s):  # type: ignore[no-untyped-def]
        c = builders.customer(s, birth_date=None, phone=None, email="shop@example.jp")
        account_id = factories.account(s, balance=10_000)
        acc = s.get(Account, account_id)
        acc.customer_id = c.id
        enrolment.set_account_pin(s, account_id, "4821", actor="test")
        return acc.branch_code, acc.number
    branch, number = db.run(account)
    wrong = db.run(enrolment.signup_light, branch_code=branch, account_number=number,
                   pin="1111", login_id="shop01", login_password=LOGIN_PW,
                   confirmation_password=CONFIRM_PW)
    assert isinstance(wrong, Rejected) and isinstance(wrong.error, InvalidCredentials)
    user = db.run(enrolment.signup_light, branch_code=branch, account_number=number,
                  pin="4821", login_id="shop01", login_password=LOGIN_PW,
                  confirmation_password=CONFIRM_PW)
    assert not isinstance(user, Rejected)
    session = db.run(login.login_corporate, login_id="shop01", password=LOGIN_PW)
    assert isinstance(session, LoggedIn)
    plan = db.run(stepup.begin, session_token=session.session_token,
                  operation=Operation.TRANSFER, details=DETAILS)
    assert plan.factors == (Factor.CONFIRMATION_PASSWORD,)
    up = db.run(stepup.verify, session_token=session.session_token,
                operation=Operation.TRANSFER, details=DETAILS,
                answers=stepup.Answers(confirmation_password=CONFIRM_PW))
    assert isinstance(up, SteppedUp)


@pytest.mark.req("AUTH-1")
def test_secret_phrase_is_a_second_step_where_configured(db: Database) -> None:
    corp, _ = _ready(db)
    with db.transaction() as s:
        user = s.get(type(corp.master), corp.master.id)
        passwords.set_secret(s, user, SecretKind.SECRET_PHRASE, "はじめてのペット")
    first = db.run(login.login_corporate, login_id="keiri01", password=LOGIN_PW)
    assert isinstance(first, NeedsSecondFactor) and first.factors == (Factor.SECRET_PHRASE,)
    assert isinstance(db.run(login.complete_second_step, session_token=first.session_token,
                             secret_phrase="ちがう"), Failed)
    assert isinstance(db.run(login.complete_second_step, session_token=first.session_token,
                             secret_phrase="はじめてのペット"), LoggedIn)


def _csr(common_name: str = "pc") -> tuple[ec.EllipticCurvePrivateKey, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    csr = (x509.CertificateSigningRequestBuilder()
           .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
           .sign(key, hashes.SHA256()))
    return key, csr.public_bytes(serialization.Encoding.PEM).decode()


@pytest.mark.req("AUTH-11")
@pytest.mark.req("CRED-4")
def test_certificate_method_renewal_and_revocation(db: Database) -> None:
    corp, _ = _ready(db, certificate_login=True)
    _, csr = _csr()
    issued = db.run(certificates.issue, user_id=corp.master.id, csr_pem=csr,
                    actor=f"user:{corp.master.id}")
    pc = Client(channel="pc")
    # From a PC, a certificate contract logs in with the certificate, not the ID.
    refused = db.run(login.login_corporate, login_id="keiri01", password=LOGIN_PW, client=pc)
    assert isinstance(refused, Rejected) and isinstance(refused.error, FactorNotAvailable)
    ok = db.run(login.login_corporate_certificate, certificate_pem=issued.certificate_pem,
                password=LOGIN_PW, client=pc)
    assert isinstance(ok, LoggedIn)
    # From a smartphone always ID/password.
    phone = Client(channel="smartphone")
    assert isinstance(db.run(login.login_corporate, login_id="keiri01", password=LOGIN_PW,
                             client=phone), LoggedIn)
    assert isinstance(db.run(login.login_corporate_certificate,
                             certificate_pem=issued.certificate_pem, password=LOGIN_PW,
                             client=phone), Rejected)
    # A certificate from someone else's CA is not ours.
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "keiri01")])
    forged = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
              .public_key(key.public_key()).serial_number(1)
              .not_valid_before(clock.now() - timedelta(days=1))
              .not_valid_after(clock.now() + timedelta(days=1)).sign(key, hashes.SHA256()))
    assert isinstance(db.run(login.login_corporate_certificate, certificate_pem=forged
                             .public_bytes(serialization.Encoding.PEM).decode(),
                             password=LOGIN_PW, client=pc), Failed)
    # Renewal opens in the window before expiry.
    _, csr2 = _csr()
    with pytest.raises(ValidationFailed):
        db.run(certificates.renew, serial=issued.serial, csr_pem=csr2, actor="u")
    clock.advance(timedelta(days=340))
    renewed = db.run(certificates.renew, serial=issued.serial, csr_pem=csr2, actor="u")
    assert isinstance(db.run(login.login_corporate_certificate,
                             certificate_pem=issued.certificate_pem, password=LOGIN_PW,
                             client=pc), Failed)
    assert isinstance(db.run(login.login_corporate_certificate,
                             certificate_pem=renewed.certificate_pem, password=LOGIN_PW,
                             client=pc), MustChangeCredentials)   # 340 days: password expired
    # Revoked before disposing of the PC.
    db.run(certificates.revoke, serial=renewed.serial, reason="pc disposed", actor="u")
    assert isinstance(db.run(login.login_corporate_certificate,
                             certificate_pem=renewed.certificate_pem, password=LOGIN_PW,
                             client=pc), Failed)
    with pytest.raises(CertificateRejected):
        db.run(certificates.renew, serial=renewed.serial, csr_pem=csr2, actor="u")


def test_light_course_cannot_choose_the_certificate_method(db: Database) -> None:
    with pytest.raises(ValidationFailed):
        db.run(lambda s: builders.corporate(s, course=Course.LIGHT, token_kind=None,
                                            certificate_login=True))
    with pytest.raises(ValidationFailed):   # smartphone approval needs soft tokens
        db.run(lambda s: builders.corporate(s, token_kind=TokenKind.HARD,
                                            smartphone_auth=True))
