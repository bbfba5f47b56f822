"""AUTH-7, PRD-3, CRED-1: enrolment in each product, with what the bank mails, and the forced
change of both issued credentials at the first login."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kinko import clock
from kinko.auth import challenges, login
from kinko.auth import repository as auth_repo
from kinko.auth.enrolment import set_account_pin
from kinko.auth.models import AuthContract, AuthUser, OtpToken, TokenIssueReason, TokenState
from kinko.auth.otp import code_at
from kinko.auth.outcomes import Failed, LoggedIn, MustChangeCredentials
from kinko.db import Database
from kinko.errors import ValidationFailed
from kinko.ledger.models import Account
from kinko.onboarding import customers, mail, products
from kinko.onboarding.errors import OnboardingRefused
from kinko.onboarding.models import ContractAccount, Shipment, ShipmentKind
from tests.onboarding.conftest import Bank
from tests.onboarding.helpers import pdf_text, person


def _retail_003_login(db: Database, user_id: int, login_id: str, password: str
                      ) -> login.LoginResult:
    def run(s: Session) -> login.LoginResult:
        code = challenges.issue_confirmation_code(s)
        token = auth_repo.active_token(s, user_id)
        assert token is not None
        return login.login_retail_003(s, user_id=login_id, password=password,
                                      otp_code=code_at(token, clock.now()),
                                      challenge_id=code.challenge_id,
                                      confirmation_code=code.code)
    return db.run(run)


def _letter(db: Database, shipment_id: int) -> str:
    return pdf_text(db.run(mail.print_pdf, shipment_id=shipment_id, actor="operator:1"))


@pytest.mark.req("AUTH-7")
def test_retail_003_letter_carries_the_issued_credentials_and_first_login_forces_both(
        db: Database, bank: Bank) -> None:
    cid, _ = person(db)
    enrolled = db.run(lambda s: products.enrol_retail_003(s, customer_id=cid, actor="op"))
    letter_id, token_id = enrolled.shipments
    text = _letter(db, letter_id)
    assert enrolled.login_id is not None and enrolled.login_id in text
    password = re.search(r"Initial password\s*(\S+)", text)
    assert password, text
    assert "〒100-0001" in text and "佐藤 花子" in text
    # The token is in its own parcel, ready (003 mails an activated token).
    parcel = db.run(lambda s: s.get(Shipment, token_id))
    assert parcel.kind is ShipmentKind.TOKEN and parcel.reference in _letter(db, token_id)
    result = _retail_003_login(db, enrolled.user_id, enrolled.login_id, password.group(1))
    assert isinstance(result, MustChangeCredentials)
    assert result.change == {"login_id", "login_password"}
    # Changing only the password is refused: both issued credentials must change.
    with pytest.raises(ValidationFailed):
        db.run(lambda s: login.change_credentials(
            s, session_token=result.session_token, current_password=password.group(1),
            new_password="Atarashii9Pass"))
    done = db.run(lambda s: login.change_credentials(
        s, session_token=result.session_token, current_password=password.group(1),
        new_password="Atarashii9Pass", new_login_id="hanako2026"))
    assert isinstance(done, LoggedIn)
    clock.set_now(clock.now() + timedelta(minutes=1))   # a fresh one-time password
    again = _retail_003_login(db, enrolled.user_id, "hanako2026", "Atarashii9Pass")
    assert isinstance(again, LoggedIn)


@pytest.mark.req("AUTH-7")
def test_retail_001_mails_a_confirmation_card_whose_grid_is_printed(db: Database,
                                                                    bank: Bank) -> None:
    cid, _ = person(db)
    enrolled = db.run(lambda s: products.enrol_retail_001(s, customer_id=cid,
                                                          password="Todoke5Pass", actor="op"))
    assert enrolled.login_id is not None and len(enrolled.login_id) == 10
    text = _letter(db, enrolled.shipments[0])
    assert re.search(r"\b1\s+\d+\s+\d+", text)   # row 1 of the grid
    result = db.run(login.login_retail_001, member_number=enrolled.login_id,
                    password="Todoke5Pass")
    assert not isinstance(result, Failed)


@pytest.mark.req("PRD-1")
def test_retail_products_are_for_individuals_and_corporate_for_companies(
        db: Database, bank: Bank) -> None:
    company, _ = person(db, corporate=True)
    with pytest.raises(OnboardingRefused):
        db.run(lambda s: products.enrol_retail_003(s, customer_id=company, actor="op"))
    individual, account = person(db)
    with pytest.raises(OnboardingRefused):
        db.run(lambda s: products.open_corporate_contract(
            s, customer_id=individual, course="basic", representative_account_id=account,
            usage_account_ids=[], temporary_login_password="Kari3Login",
            temporary_confirmation_password="Kari5Kakunin", token_kind="hard", actor="op"))
    assert db.run(lambda s: s.execute(select(func.count()).select_from(AuthContract))
                  .scalar_one()) == 0


@pytest.mark.req("PRD-3")
@pytest.mark.req("CRED-1")
def test_corporate_contract_records_usage_accounts_and_lends_tokens_first_free(
        db: Database, bank: Bank) -> None:
    company, representative = person(db, corporate=True, balance=50_000)
    other = db.run(lambda s: customers.open_customer_account(
        s, customer_id=company, account_type="checking", actor="t").id)
    enrolled = db.run(lambda s: products.open_corporate_contract(
        s, customer_id=company, course="comprehensive",
        representative_account_id=representative, usage_account_ids=[other],
        temporary_login_password="Kari3Login", temporary_confirmation_password="Kari5Kakunin",
        token_kind="hard", tokens=2, actor="op"))
    links = db.run(lambda s: {(r.account_id, r.representative) for r in s.execute(
        select(ContractAccount).where(ContractAccount.contract_id == enrolled.contract_id)
    ).scalars()})
    assert links == {(representative, True), (other, False)}
    fees = db.run(lambda s: [t.fee_yen for t in s.execute(select(OtpToken).where(
        OtpToken.contract_id == enrolled.contract_id).order_by(OtpToken.id)).scalars()])
    assert fees == [0, 2_200]   # the first token free, a further one at the extra-issue fee
    balance = db.run(lambda s: s.get(Account, representative).balance)
    assert balance == 50_000 - 2_200
    assert len(enrolled.shipments) == 2


@pytest.mark.req("PRD-3")
def test_usage_accounts_must_be_the_contractors_own(db: Database, bank: Bank) -> None:
    company, representative = person(db, corporate=True)
    _, strangers = person(db)
    for usage in ([strangers], [representative + 1000]):
        with pytest.raises(OnboardingRefused):
            db.run(lambda s, usage=usage: products.open_corporate_contract(
                s, customer_id=company, course="basic",
                representative_account_id=representative, usage_account_ids=usage,
                temporary_login_password="Kari3Login",
                temporary_confirmation_password="Kari5Kakunin", token_kind="hard",
                actor="op"))
    with pytest.raises(OnboardingRefused):   # Light signs up online
        db.run(lambda s: products.open_corporate_contract(
            s, customer_id=company, course="light", representative_account_id=representative,
            usage_account_ids=[], temporary_login_password="Kari3Login",
            temporary_confirmation_password="Kari5Kakunin", token_kind=None, actor="op"))
    assert db.run(lambda s: s.execute(select(func.count()).select_from(AuthUser))
                  .scalar_one()) == 0


def _signup(db: Database, number: str, **proof: str | None) -> object:
    return db.run(lambda s: products.signup_light(
        s, branch_code="001", account_number=number, login_id="kinkoshoji",
        login_password="Light1Pass", confirmation_password="Kakunin2Pass",
        **{"pin": None, "passbook_last4": None, **proof}))


@pytest.mark.req("AUTH-7")
@pytest.mark.req("PRD-3")
def test_light_signup_with_the_passbook_balance_digits(db: Database, bank: Bank) -> None:
    _company, account = person(db, corporate=True, balance=1_234_567)
    number = db.run(lambda s: s.get(Account, account).number)
    assert isinstance(_signup(db, number, passbook_last4="0000"), Failed)
    user = _signup(db, number, passbook_last4="4567")
    assert isinstance(user, AuthUser)
    links = db.run(lambda s: s.execute(select(ContractAccount.account_id,
                                              ContractAccount.representative)).all())
    assert [tuple(r) for r in links] == [(account, True)]


@pytest.mark.req("AUTH-7")
def test_light_signup_with_the_cash_card_pin_locks_after_wrong_pins(db: Database,
                                                                     bank: Bank) -> None:
    _company, account = person(db, corporate=True, balance=1_000)
    number = db.run(lambda s: s.get(Account, account).number)
    db.run(lambda s: set_account_pin(s, account, "2468", actor="card-system"))
    for _ in range(5):
        assert isinstance(_signup(db, number, pin="1111"), Failed)
    # Locked now: even the right PIN, or the passbook digits, are refused.
    assert isinstance(_signup(db, number, pin="2468"), Failed)
    assert isinstance(_signup(db, number, passbook_last4="1000"), Failed)
    with pytest.raises(ValidationFailed):
        _signup(db, number, pin="2468", passbook_last4="1000")
    with pytest.raises(ValidationFailed):
        _signup(db, number)
    assert db.run(lambda s: s.execute(select(func.count()).select_from(AuthUser))
                  .scalar_one()) == 0


@pytest.mark.req("CRED-1")
def test_extra_token_costs_the_fee_and_is_queued_for_the_post(db: Database,
                                                               bank: Bank) -> None:
    cid, account = person(db, balance=10_000)
    enrolled = db.run(lambda s: products.enrol_retail_003(s, customer_id=cid, actor="op"))
    parcel = db.run(lambda s: products.lend_extra_token(s, contract_id=enrolled.contract_id,
                                                        actor="op").id)
    token = db.run(lambda s: s.get(OtpToken, s.get(Shipment, parcel).token_id))
    assert token.issue_reason is TokenIssueReason.EXTRA and token.fee_yen == 2_200
    assert token.state is TokenState.LENT
    assert db.run(lambda s: s.get(Account, account).balance) == 10_000 - 2_200
