"""Login per product (AUTH-1, 2, 5, 7, 8, 11, 13), returning a typed :data:`LoginResult`.

One shape for every product: find the user by the identifier, verify every factor the
product's profile asks for at this step (always all of them, so the work and the answer do not
depend on which one is wrong, and an unknown identifier costs a dummy argon2 verification),
then either count a failure (AUTH-6) or reset the counters and decide what the new session may
do: a second step (attribute check, 合言葉), a forced change of temporary or expired
credentials, or everything. Sessions are always created fresh at login (rotation).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from sqlalchemy.orm import Session

from kinko import clock
from kinko.auth import certificates, challenges, lockout, otp, sessions
from kinko.auth import repository as repo
from kinko.auth.effects import audit, notify, user_actor
from kinko.auth.enrolment import check_login_id
from kinko.auth.errors import (
    ConfirmationCodeMismatch,
    FactorNotAvailable,
    LoginIdRejected,
    Suspended,
)
from kinko.auth.models import (
    AuthUser,
    ContractState,
    Product,
    SecretKind,
    SessionScope,
)
from kinko.auth.outcomes import (
    Failed,
    LoggedIn,
    LoginResult,
    MustChangeCredentials,
    NeedsSecondFactor,
    Rejected,
    SuspendedOut,
)
from kinko.auth.passwords import (
    check_new_secret,
    has_secret,
    rejection,
    set_secret,
    verify_secret,
)
from kinko.auth.policy import AuthRules, Factor, rules_for
from kinko.auth.rules import PasswordProblem, attribute_matches, password_expired
from kinko.auth.users import contract_of, get_user, rules_for_user
from kinko.errors import ValidationFailed
from kinko.parties.models import Customer


@dataclass(frozen=True)
class Client:
    """Where a login comes from, as the web layer saw it."""

    ip: str | None = None
    place: str | None = None        # e.g. resolved "東京都" or the IP; shown at next login
    user_agent: str | None = None
    channel: str = "pc"             # pc / smartphone / app


# --- shared steps ---------------------------------------------------------------------------


def _contract_refusal(session: Session, user: AuthUser) -> Rejected | None:
    if contract_of(session, user).state is not ContractState.ACTIVE:
        return SuspendedOut(error=Suspended())
    return None


def _second_step(session: Session, user: AuthUser, rules: AuthRules) -> tuple[Factor, ...]:
    """The second-step factors that apply to this user (configured and registered)."""
    # Asked only for the factors the profile names (a secret phrase is a query).
    applies = {
        Factor.ATTRIBUTE: lambda: bool(rules.profile.login_attributes),
        Factor.SECRET_PHRASE: lambda: has_secret(session, user, SecretKind.SECRET_PHRASE),
    }
    return tuple(f for f in rules.profile.login_second_step
                 if f in applies and applies[f]())


def required_changes(user: AuthUser, rules: AuthRules) -> tuple[frozenset[str], bool]:
    """What must change before the user may do anything else, and whether it is expiry."""
    change: set[str] = set()
    if user.must_change_password:
        change.add("login_password")
    if user.must_change_login_id:
        change.add("login_id")
    if user.must_change_confirmation_password:
        change.add("confirmation_password")
    expired = (not user.must_change_password
               and password_expired(user.password_changed_at, clock.now(),
                                    rules.password_expiry))
    if expired:
        change.add("login_password")
    return frozenset(change), expired


def _after_first_factors(session: Session, user: AuthUser, rules: AuthRules, client: Client,
                         *, method: str, second_step_done: bool = False) -> LoginResult:
    """Every factor of this step was right: reset counters and open the right session."""
    # Counters already clear in this transaction's read: nothing to reset (see stepup).
    refused = ((None if lockout.clean(user) else lockout.register_success(session, user))
               or _contract_refusal(session, user))
    if refused is not None:
        return refused
    if not second_step_done:
        pending = _second_step(session, user, rules)
        if pending:
            token, row = sessions.start(session, user, rules, scope=SessionScope.SECOND_FACTOR,
                                        channel=client.channel, login_method=method,
                                        ip=client.ip, place=client.place,
                                        user_agent=client.user_agent)
            return NeedsSecondFactor(token, row.id, user.id, pending)
    change, expired = required_changes(user, rules)
    if change:
        token, row = sessions.start(session, user, rules,
                                    scope=SessionScope.CHANGE_CREDENTIALS,
                                    channel=client.channel, login_method=method, ip=client.ip,
                                    place=client.place, user_agent=client.user_agent)
        audit(session, actor=user_actor(user), action="auth.change_required", user=user,
              change=sorted(change), expired=expired)
        return MustChangeCredentials(token, row.id, user.id, change, expired)
    return _logged_in(session, user, rules, client, method=method)


def _logged_in(session: Session, user: AuthUser, rules: AuthRules, client: Client, *,
               method: str) -> LoggedIn:
    now = clock.now()
    previous_at, previous_place = user.last_login_at, user.last_login_place
    user.last_login_at = now
    user.last_login_place = (client.place or client.ip or "")[:120] or None
    token, row = sessions.start(session, user, rules, scope=SessionScope.FULL,
                                channel=client.channel, login_method=method, ip=client.ip,
                                place=client.place, user_agent=client.user_agent)
    audit(session, actor=user_actor(user), action="auth.login", user=user, method=method,
          channel=client.channel, ip=client.ip, session_id=row.id)
    if rules.notify_login:
        notify(session, user, "auth.login", at=now.isoformat(), ip=client.ip or "—",
               place=user.last_login_place,
               channel=client.channel)
    return LoggedIn(token, row.id, user.id, previous_at, previous_place)


def _check_attributes(session: Session, user: AuthUser, rules: AuthRules,
                      given: Mapping[str, str]) -> bool:
    customer = session.get(Customer, user.customer_id)
    if customer is None:
        return False
    ok = True
    for kind in rules.profile.login_attributes:
        expected = {"phone": customer.phone, "name": customer.name,
                    "name_kana": customer.name_kana}.get(kind)
        ok = attribute_matches(expected, given.get(kind, ""), kind=kind) and ok
    return ok


def _load(session: Session, product: Product, login_id: str
          ) -> tuple[AuthUser | None, AuthRules]:
    """The user and their rules; for an unknown ID the product's rules, which is where an
    unknown ID's lockout counters take the place of the user's (:func:`_unknown`)."""
    # With the user's customer in the same statement (the login notice's address): an
    # unknown ID runs the very same statement, so both still cost the same.
    user = repo.user_with_customer_by_login_id(session, product, login_id.strip())
    return user, rules_for(product) if user is None else rules_for_user(session, user)


def _unknown(session: Session, product: Product, login_id: str, rules: AuthRules, *,
             factor: str = "password", check: Callable[[], object] | None = None
             ) -> Rejected:
    """An ID that is not registered fails like a registered one with a wrong password:
    counted toward its own lockout, locked and blocked at the same counts, with the same
    answers and the same statements (AUTH-6, AUTH-10). ``check`` runs the further factor
    checks a known user's attempt would run (on no user), once the ID may be tried."""
    key = lockout.unknown_key(product.value, login_id.strip())
    refused = lockout.unknown_refusal(session, key)
    if refused is not None:
        return refused
    if check is not None:
        check()
    return lockout.register_unknown_failure(session, key, rules, factor=factor)


# --- products -------------------------------------------------------------------------------


def login_retail_001(session: Session, *, member_number: str, password: str,
                     attributes: Mapping[str, str] | None = None,
                     client: Client = Client()) -> LoginResult:
    """Member number + login password; registered attributes when the policy asks (AUTH-2),
    in the same request or as a second step."""
    user, rules = _load(session, Product.RETAIL_001, member_number)
    ok = verify_secret(session, user, SecretKind.LOGIN_PASSWORD, password)
    if user is None:
        return _unknown(session, Product.RETAIL_001, member_number, rules)
    refused = lockout.refusal(user)
    if refused is not None:
        return refused
    if not ok:
        return lockout.register_failure(session, user, rules, factor="password")
    if attributes is not None and rules.profile.login_attributes:
        if not _check_attributes(session, user, rules, attributes):
            return lockout.register_failure(session, user, rules, factor="attribute")
        return _after_first_factors(session, user, rules, client, method="password",
                                    second_step_done=True)
    return _after_first_factors(session, user, rules, client, method="password")


def login_retail_003(session: Session, *, user_id: str, password: str, otp_code: str,
                     challenge_id: str, confirmation_code: str,
                     client: Client = Client()) -> LoginResult:
    """User ID + password + one-time password + confirmation code (003 第四条2(1))."""
    if not challenges.check_confirmation_code(session, challenge_id, confirmation_code):
        return Failed(error=ConfirmationCodeMismatch())
    user, rules = _load(session, Product.RETAIL_003, user_id)
    ok_password = verify_secret(session, user, SecretKind.LOGIN_PASSWORD, password)
    if user is None:
        return _unknown(session, Product.RETAIL_003, user_id, rules, check=lambda: otp.verify(
            session, None, otp_code, window=rules.otp_window))
    refused = lockout.refusal(user)
    # The OTP is checked only for a user who may log in, so a locked user's codes are not
    # burnt; it is checked even when the password was wrong, so that both cost the same.
    ok_otp = refused is None and otp.verify(session, user, otp_code, window=rules.otp_window)
    if refused is not None:
        return refused
    if not (ok_password and ok_otp):
        return lockout.register_failure(session, user, rules,
                                        factor="password" if not ok_password else "otp")
    return _after_first_factors(session, user, rules, client, method="password+otp")


def login_corporate(session: Session, *, login_id: str, password: str,
                    client: Client = Client()) -> LoginResult:
    """ID/password method (002 第2条2(1)①); always the method from a smartphone."""
    user, rules = _load(session, Product.CORPORATE_002, login_id)
    ok = verify_secret(session, user, SecretKind.LOGIN_PASSWORD, password)
    if user is None:
        return _unknown(session, Product.CORPORATE_002, login_id, rules)
    refused = lockout.refusal(user)
    if refused is not None:
        return refused
    if not ok:
        return lockout.register_failure(session, user, rules, factor="password")
    if (contract_of(session, user).certificate_login and client.channel == "pc"
            and certificates.has_active(session, user.id)):
        # A certificate-method user logs in from a PC with the certificate once one is
        # installed; before that, ID/password is how they get in to obtain it (002 第2条2(6)).
        # The password was right, so saying so reveals nothing new.
        return Rejected(error=FactorNotAvailable(detail="log in with the client certificate"))
    return _after_first_factors(session, user, rules, client, method="password")


def login_corporate_certificate(session: Session, *, certificate_pem: str, password: str,
                                client: Client = Client()) -> LoginResult:
    """Certificate method (002 第2条2(1)②): the client certificate the TLS terminator
    verified, plus the login password. PC only (AUTH-11)."""
    if client.channel != "pc":
        return Rejected(error=FactorNotAvailable(detail="smartphones log in with ID/password"))
    user_id = certificates.user_for_certificate(session, certificate_pem)
    user = None if user_id is None else get_user(session, user_id)
    rules = None if user is None else rules_for_user(session, user)
    ok = verify_secret(session, user, SecretKind.LOGIN_PASSWORD, password)
    if user is None or rules is None:
        return Failed()
    refused = lockout.refusal(user)
    if refused is not None:
        return refused
    if not ok:
        return lockout.register_failure(session, user, rules, factor="password")
    return _after_first_factors(session, user, rules, client, method="certificate")


def complete_second_step(session: Session, *, session_token: str,
                         attributes: Mapping[str, str] | None = None,
                         secret_phrase: str | None = None,
                         client: Client = Client()) -> LoginResult:
    """Finish a login that answered :class:`NeedsSecondFactor`."""
    pending = sessions.authenticate(session, session_token, scope=SessionScope.SECOND_FACTOR)
    user = get_user(session, pending.user_id)
    rules = rules_for_user(session, user)
    refused = lockout.refusal(user)
    if refused is not None:
        return refused
    ok = True
    factors = _second_step(session, user, rules)
    if Factor.ATTRIBUTE in factors:
        ok = _check_attributes(session, user, rules, attributes or {}) and ok
    if Factor.SECRET_PHRASE in factors:
        ok = verify_secret(session, user, SecretKind.SECRET_PHRASE, secret_phrase or "") and ok
    if not ok:
        return lockout.register_failure(session, user, rules, factor="second_step")
    sessions.end(session, session_token, reason="second_step_done")
    return _after_first_factors(session, user, rules, client, method=pending.login_method,
                                second_step_done=True)


def change_credentials(session: Session, *, session_token: str, current_password: str,
                       new_password: str | None = None, new_login_id: str | None = None,
                       current_confirmation_password: str | None = None,
                       new_confirmation_password: str | None = None,
                       client: Client = Client()) -> LoginResult:
    """The only thing a change-credentials session can do (AUTH-7, AUTH-8).

    Needs the current password (the old one must match the latest), and every credential the
    login said must change. Success ends the limited session and opens a full one.
    """
    limited = sessions.authenticate(session, session_token,
                                    scope=SessionScope.CHANGE_CREDENTIALS)
    user = get_user(session, limited.user_id)
    rules = rules_for_user(session, user)
    refused = lockout.refusal(user)
    if refused is not None:
        return refused
    change, _ = required_changes(user, rules)
    missing = [name for name, value in (("login_password", new_password),
                                        ("login_id", new_login_id),
                                        ("confirmation_password", new_confirmation_password))
               if name in change and not value]
    if missing:
        raise ValidationFailed(detail="required: " + ", ".join(missing), fields=missing)
    ok = verify_secret(session, user, SecretKind.LOGIN_PASSWORD, current_password)
    if new_confirmation_password is not None:
        ok = verify_secret(session, user, SecretKind.CONFIRMATION_PASSWORD,
                           current_confirmation_password or "") and ok
    if not ok:
        return lockout.register_failure(session, user, rules, factor="password",
                                        context="change")
    _validate_changes(session, user, rules, new_password=new_password,
                      new_login_id=new_login_id,
                      new_confirmation_password=new_confirmation_password,
                      current_password=current_password)
    if new_login_id is not None:
        user.login_id = new_login_id
        user.must_change_login_id = False
    if new_password is not None:
        set_secret(session, user, SecretKind.LOGIN_PASSWORD, new_password)
    if new_confirmation_password is not None:
        set_secret(session, user, SecretKind.CONFIRMATION_PASSWORD, new_confirmation_password)
    session.flush()
    audit(session, actor=user_actor(user), action="auth.credentials_changed", user=user,
          changed=sorted(n for n, v in (("login_password", new_password),
                                        ("login_id", new_login_id),
                                        ("confirmation_password", new_confirmation_password))
                         if v is not None))
    notify(session, user, "auth.settings_changed", at=clock.now().isoformat(),
           setting="ID・パスワード / ID and password")
    sessions.end(session, session_token, reason="credentials_changed")
    return _logged_in(session, user, rules, client, method=limited.login_method)


def _validate_changes(session: Session, user: AuthUser, rules: AuthRules, *,
                      new_password: str | None, new_login_id: str | None,
                      new_confirmation_password: str | None, current_password: str) -> None:
    """Raise if any new credential breaks a rule; nothing is written before all pass."""
    login_id = user.login_id
    if new_login_id is not None:
        check_login_id(new_login_id, rules, new_password or current_password)
        if new_login_id != user.login_id and repo.user_by_login_id(
                session, user.product, new_login_id) is not None:
            raise LoginIdRejected(detail="this ID is already in use")
        if new_login_id == user.login_id:
            raise LoginIdRejected(detail="choose an ID different from the issued one")
        login_id = new_login_id
    if new_password is not None:
        check_new_secret(session, user, SecretKind.LOGIN_PASSWORD, new_password, rules,
                         login_id=login_id)
    if new_confirmation_password is not None:
        if new_password is not None and new_confirmation_password == new_password:
            raise rejection([PasswordProblem.SAME_AS_OTHER_SECRET])
        check_new_secret(session, user, SecretKind.CONFIRMATION_PASSWORD,
                         new_confirmation_password, rules, login_id=login_id)
