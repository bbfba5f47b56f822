"""Contracts, users and their initial credentials (AUTH-7).

- Retail 001: the customer files a login password with the bank (当行所定の方法により届出);
  the bank issues the member number and the members card with its confirmation numbers.
- Retail 003: the bank issues an initial user ID and password by mail; the first login forces
  changing both (003 第二条, 第四条1(1)).
- Corporate Basic/Comprehensive: the application files a temporary login password and a
  temporary confirmation password; at first use the customer registers a login ID by entering
  the representative account and both temporary passwords; the first login then forces both
  passwords to change (002 第2条2(3)-(5)).
- Corporate Light: online sign-up with the account (branch, type, number) and its cash card
  PIN, registering login ID, login password and confirmation password (002 第2条1(1)).
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass

from sqlalchemy.orm import Session

from kinko import clock
from kinko.auth import lockout
from kinko.auth import repository as repo
from kinko.auth.crypto import constant_time_equals, hasher
from kinko.auth.effects import audit, user_actor
from kinko.auth.errors import InvalidCredentials, LoginIdRejected
from kinko.auth.models import (
    AccountPin,
    AuthContract,
    AuthUser,
    Course,
    Product,
    SecretKind,
    TokenKind,
    UserRole,
)
from kinko.auth.outcomes import Done, Failed, Rejected
from kinko.auth.passwords import (
    check_new_secret,
    password_policy,
    random_password,
    rejection,
    set_secret,
    verify_secret,
)
from kinko.auth.policy import AuthRules, rules_for
from kinko.auth.rules import PasswordProblem, login_id_problems, password_problems
from kinko.errors import Conflict, ValidationFailed
from kinko.ledger.models import Account, AccountType
from kinko.ledger.repository import find_account
from kinko.parties.models import Customer
from kinko.policy import current_policy


@dataclass(frozen=True)
class InitialCredentials:
    """Bank-issued credentials, to be printed and mailed once; never stored in clear."""

    user_id: int
    login_id: str
    password: str


def open_contract(session: Session, *, customer_id: int, product: Product,
                  course: Course | None = None, token_kind: TokenKind | None = None,
                  certificate_login: bool = False, smartphone_auth: bool = False,
                  representative_account_id: int | None = None, actor: str) -> AuthContract:
    """Record a customer's internet banking contract and its authentication choices."""
    if session.get(Customer, customer_id) is None:
        raise ValidationFailed(detail=f"customer {customer_id} does not exist")
    if (product is Product.CORPORATE_002) != (course is not None):
        raise ValidationFailed(detail="a course is chosen for the corporate product only")
    rules = rules_for(product, course)
    if rules.otp_required() and token_kind is None:
        raise ValidationFailed(detail="this course needs a hard or soft token (CRED-3)")
    if not rules.otp_required() and token_kind is not None:
        raise ValidationFailed(detail="this course uses no one-time password (CRED-3)")
    if course is Course.LIGHT and certificate_login:
        raise ValidationFailed(detail="the Light course logs in with ID and password only")
    if smartphone_auth and token_kind is not TokenKind.SOFT:
        raise ValidationFailed(detail="smartphone authentication needs a soft token (AUTH-12)")
    contract = AuthContract(customer_id=customer_id, product=product, course=course,
                            token_kind=token_kind, certificate_login=certificate_login,
                            smartphone_auth=smartphone_auth,
                            representative_account_id=representative_account_id,
                            created_at=clock.now())
    session.add(contract)
    session.flush()
    audit(session, actor=actor, action="auth.contract_opened", subject_type="auth_contract",
          subject_id=contract.id, product=product.value,
          course=None if course is None else course.value,
          token_kind=None if token_kind is None else token_kind.value)
    return contract


def _new_user(session: Session, contract: AuthContract, *, login_id: str | None,
              role: UserRole, display_name: str = "", email: str | None = None) -> AuthUser:
    if login_id is not None and repo.user_by_login_id(session, contract.product,
                                                       login_id) is not None:
        raise LoginIdRejected(detail="this ID is already in use")
    user = AuthUser(contract_id=contract.id, customer_id=contract.customer_id,
                    product=contract.product, login_id=login_id, role=role,
                    display_name=display_name, email=email, created_at=clock.now())
    session.add(user)
    session.flush()
    return user


def check_login_id(candidate: str, rules: AuthRules, password: str | None = None) -> None:
    problems = login_id_problems(candidate, min_length=rules.login_id_min_length,
                                 max_length=rules.login_id_max_length, password=password)
    if problems:
        raise LoginIdRejected(detail=", ".join(p.value for p in problems),
                              reasons=[p.value for p in problems])


def enrol_retail_001(session: Session, *, customer_id: int, member_number: str,
                     password: str, actor: str) -> AuthUser:
    """Register a 001 customer: member number issued by the bank, password filed by them."""
    if not (member_number.isdigit() and 8 <= len(member_number) <= 12):
        raise ValidationFailed(detail="a member number is 8 to 12 digits")
    contract = open_contract(session, customer_id=customer_id, product=Product.RETAIL_001,
                             actor=actor)
    user = _new_user(session, contract, login_id=member_number, role=UserRole.HOLDER)
    check_new_secret(session, user, SecretKind.LOGIN_PASSWORD, password,
                     rules_for(Product.RETAIL_001))
    set_secret(session, user, SecretKind.LOGIN_PASSWORD, password)
    audit(session, actor=actor, action="auth.user_enrolled", user=user,
          product=Product.RETAIL_001.value)
    return user


def enrol_retail_003(session: Session, *, customer_id: int, actor: str
                     ) -> InitialCredentials:
    """Issue the initial user ID and password of a 003 customer (to be mailed)."""
    rules = rules_for(Product.RETAIL_003)
    contract = open_contract(session, customer_id=customer_id, product=Product.RETAIL_003,
                             token_kind=TokenKind.HARD, actor=actor)
    while True:
        login_id = "U" + "".join(secrets.choice(string.digits) for _ in range(9))
        if repo.user_by_login_id(session, Product.RETAIL_003, login_id) is None:
            break
    user = _new_user(session, contract, login_id=login_id, role=UserRole.HOLDER)
    password = random_password(rules)
    set_secret(session, user, SecretKind.LOGIN_PASSWORD, password, temporary=True)
    user.must_change_login_id = True
    audit(session, actor=actor, action="auth.user_enrolled", user=user,
          product=Product.RETAIL_003.value, initial_credentials="issued")
    return InitialCredentials(user.id, login_id, password)


def enrol_corporate(session: Session, *, customer_id: int, course: Course,
                    representative_account_id: int, temporary_login_password: str,
                    temporary_confirmation_password: str, token_kind: TokenKind | None,
                    certificate_login: bool = False, smartphone_auth: bool = False,
                    display_name: str = "", email: str | None = None, actor: str) -> AuthUser:
    """A Basic/Comprehensive contract from its paper application: the master user holds the
    filed temporary passwords and no login ID until first use."""
    if course is Course.LIGHT:
        raise ValidationFailed(detail="the Light course signs up online (signup_light)")
    account = session.get(Account, representative_account_id)
    if account is None or account.customer_id != customer_id:
        raise ValidationFailed(detail="the representative account must be the customer's own")
    if temporary_login_password == temporary_confirmation_password:
        raise rejection([PasswordProblem.SAME_AS_OTHER_SECRET])
    contract = open_contract(session, customer_id=customer_id,
                             product=Product.CORPORATE_002, course=course,
                             token_kind=token_kind, certificate_login=certificate_login,
                             smartphone_auth=smartphone_auth,
                             representative_account_id=representative_account_id,
                             actor=actor)
    user = _new_user(session, contract, login_id=None, role=UserRole.MASTER,
                     display_name=display_name, email=email)
    set_secret(session, user, SecretKind.LOGIN_PASSWORD, temporary_login_password,
               temporary=True)
    set_secret(session, user, SecretKind.CONFIRMATION_PASSWORD,
               temporary_confirmation_password, temporary=True)
    audit(session, actor=actor, action="auth.user_enrolled", user=user,
          product=Product.CORPORATE_002.value, course=course.value, role="master")
    return user


def _account_of(session: Session, branch_code: str, account_type: AccountType,
                account_number: str) -> Account | None:
    account = find_account(session, branch_code, account_number)
    if account is None or account.type is not account_type:
        return None
    return account


FIRST_USE = "first-use"   # the throttle and unknown-ID scope of first use


def first_use_target(branch_code: str, account_type: AccountType | str,
                     account_number: str) -> str:
    """What a first-use attempt names: the representative account as typed."""
    kind = account_type.value if isinstance(account_type, AccountType) else account_type
    return f"{branch_code.strip()}-{kind}-{account_number.strip()}"


def register_login_id(session: Session, *, branch_code: str, account_type: AccountType,
                      account_number: str, temporary_login_password: str,
                      temporary_confirmation_password: str, login_id: str
                      ) -> Rejected | Done:
    """First use of a Basic/Comprehensive contract: register the master user's login ID.

    Wrong temporary passwords count toward the master user's lockout. Anything that does not
    match reads the same (no hint whether the account has a contract): the same queries run
    (on id 0 when there is nothing to find), and an account with no master user to register
    counts toward a lockout of its own, answered like the master user's (AUTH-6, AUTH-10).
    """
    account = _account_of(session, branch_code, account_type, account_number)
    contract = repo.contract_by_account(session, 0 if account is None else account.id,
                                        Product.CORPORATE_002)
    master = next((u for u in repo.users_of_contract(session, 0 if contract is None
                                                     else contract.id)
                   if u.role is UserRole.MASTER and u.login_id is None), None)
    ok_login = verify_secret(session, master, SecretKind.LOGIN_PASSWORD,
                             temporary_login_password)
    ok_confirm = verify_secret(session, master, SecretKind.CONFIRMATION_PASSWORD,
                               temporary_confirmation_password)
    rules = rules_for(Product.CORPORATE_002, contract.course if contract else None)
    if master is None:
        key = lockout.unknown_key(FIRST_USE, first_use_target(branch_code, account_type,
                                                              account_number))
        return (lockout.unknown_refusal(session, key)
                or lockout.register_unknown_failure(session, key, rules,
                                                    factor="temporary_password",
                                                    context="register_login_id"))
    refused = lockout.refusal(master)
    if refused is not None:
        return refused
    if not (ok_login and ok_confirm):
        return lockout.register_failure(session, master, rules, factor="temporary_password",
                                        context="register_login_id")
    check_login_id(login_id, rules, temporary_login_password)
    if repo.user_by_login_id(session, Product.CORPORATE_002, login_id) is not None:
        raise LoginIdRejected(detail="this ID is already in use")
    refused = lockout.register_success(session, master)
    if refused is not None:
        return refused
    master.login_id = login_id
    session.flush()
    audit(session, actor=user_actor(master), action="auth.login_id_registered", user=master)
    return Done()


def set_account_pin(session: Session, account_id: int, pin: str, *, actor: str) -> None:
    """Record a cash card PIN hash (the card system's registration, also used by the demo)."""
    if not (len(pin) == 4 and pin.isdigit()):
        raise ValidationFailed(detail="a cash card PIN is 4 digits")
    now = clock.now()
    row = session.get(AccountPin, account_id)
    digest = hasher().hash(pin)
    if row is None:
        session.add(AccountPin(account_id=account_id, hash=digest, set_at=now))
    else:
        row.hash, row.set_at, row.failure_count, row.locked = digest, now, 0, False
    session.flush()
    audit(session, actor=actor, action="auth.pin_set", subject_type="account",
          subject_id=account_id)


def _check_pin(session: Session, account: Account | None, pin: str) -> bool | None:
    """True/False for a right/wrong PIN; None when the PIN is locked or unknown."""
    row = None if account is None else session.get(AccountPin, account.id)
    if row is None:
        hasher().dummy_verify(pin)
        return None
    if row.locked:
        hasher().dummy_verify(pin)
        return None
    if hasher().verify(row.hash, pin).ok:
        row.failure_count = 0
        return True
    # Row-level counter: SQLite serialises writers and PostgreSQL row-locks this UPDATE, and
    # a Light sign-up is rare enough that the ORM's read-then-write here is not contended.
    row.failure_count += 1
    # Wrong cash-card PINs before the PIN is refused: policy auth.signup_pin_attempts.
    row.locked = row.failure_count >= current_policy().auth.signup_pin_attempts
    return False


def _check_passbook(session: Session, account: Account | None, digits: str) -> bool | None:
    """The last 4 digits of the last passbook balance (AUTH-7). Kinko keeps no passbook of
    its own: the balance a passbook shows after its last entry is the ledger balance. Wrong
    answers count on the account's PIN counter when the account has a cash card, and always
    on the sign-up throttle of the web layer (per account and per client address)."""
    row = None if account is None else session.get(AccountPin, account.id)
    if account is None or (row is not None and row.locked):
        constant_time_equals("0000", digits)
        return None
    expected = f"{abs(account.balance) % 10_000:04d}"
    if constant_time_equals(expected, digits) and len(digits) == 4:
        if row is not None:
            row.failure_count = 0
        return True
    if row is not None:
        row.failure_count += 1
        row.locked = row.failure_count >= current_policy().auth.signup_pin_attempts
    return False


def signup_light(session: Session, *, branch_code: str, account_number: str,
                 pin: str | None = None, login_id: str, login_password: str,
                 confirmation_password: str, email: str | None = None,
                 passbook_last4: str | None = None) -> Rejected | AuthUser:
    """Online sign-up of the corporate Light course (002 第2条1(1)): the account is proven
    with its cash card PIN **or** the last 4 digits of the last passbook balance (AUTH-7).

    The account must be an ordinary account of a corporate customer with no contract yet.
    """
    if (pin is None) == (passbook_last4 is None):
        raise ValidationFailed(detail="give the cash card PIN or the passbook digits",
                               fields=["pin", "passbook_last4"])
    rules = rules_for(Product.CORPORATE_002, Course.LIGHT)
    account = _account_of(session, branch_code, AccountType.ORDINARY, account_number)
    verdict = (_check_pin(session, account, pin) if pin is not None
               else _check_passbook(session, account, passbook_last4 or ""))
    if account is None or account.customer_id is None or verdict is not True:
        if account is not None:
            audit(session, actor="anonymous", action="auth.signup_failed",
                  subject_type="account", subject_id=account.id,
                  pin_locked=verdict is None)
        return Failed(error=InvalidCredentials())
    check_login_id(login_id, rules, login_password)
    if login_password == confirmation_password:
        raise rejection([PasswordProblem.SAME_AS_OTHER_SECRET])
    for candidate in (login_password, confirmation_password):
        problems = password_problems(candidate, password_policy(rules))
        if problems:
            raise rejection(problems)
    if repo.contract_by_account(session, account.id, Product.CORPORATE_002) is not None:
        raise Conflict(detail="this account already has a contract")
    contract = open_contract(session, customer_id=account.customer_id,
                             product=Product.CORPORATE_002, course=Course.LIGHT,
                             representative_account_id=account.id, actor="anonymous")
    user = _new_user(session, contract, login_id=login_id, role=UserRole.MASTER, email=email)
    for kind, value in ((SecretKind.LOGIN_PASSWORD, login_password),
                        (SecretKind.CONFIRMATION_PASSWORD, confirmation_password)):
        check_new_secret(session, user, kind, value, rules)
        set_secret(session, user, kind, value)
    audit(session, actor=user_actor(user), action="auth.user_enrolled", user=user,
          product=Product.CORPORATE_002.value, course=Course.LIGHT.value, role="master")
    return user


def add_corporate_user(session: Session, *, contract_id: int, role: UserRole, login_id: str,
                       temporary_login_password: str, temporary_confirmation_password: str,
                       display_name: str = "", email: str | None = None, actor: str
                       ) -> AuthUser:
    """A master or admin user adds a user (PRD-4); the new user changes both temporary
    passwords at the first login."""
    contract = repo.contract(session, contract_id)
    if contract is None or contract.product is not Product.CORPORATE_002:
        raise ValidationFailed(detail="not a corporate contract")
    if role in (UserRole.HOLDER, UserRole.MASTER):
        raise ValidationFailed(detail="a contract has one master user")
    rules = rules_for(contract.product, contract.course)
    check_login_id(login_id, rules, temporary_login_password)
    if temporary_login_password == temporary_confirmation_password:
        raise rejection([PasswordProblem.SAME_AS_OTHER_SECRET])
    user = _new_user(session, contract, login_id=login_id, role=role,
                     display_name=display_name, email=email)
    set_secret(session, user, SecretKind.LOGIN_PASSWORD, temporary_login_password,
               temporary=True)
    set_secret(session, user, SecretKind.CONFIRMATION_PASSWORD,
               temporary_confirmation_password, temporary=True)
    audit(session, actor=actor, action="auth.user_added", user=user, role=role.value)
    return user
