"""Hard and soft token lifecycle (CRED-1, CRED-2, CRED-3).

Hard tokens are lent by the bank (it owns them): issued to a contract, registered by the user
who received one with its first code, replaced before expiry (free), after a defect (free) or
after loss (fee), and stopped at once when reported lost. A further token costs the extra-issue
fee; fees are debited through the ledger in the same transaction.

Soft tokens live on one smartphone per user: provisioned (the seed is shown once as a QR
code), confirmed with a first code, deregistered when the phone changes. A user never holds a
hard and a soft token at once; switching kinds is an application the bank carries out.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.orm import Session

from kinko import clock
from kinko.auth import lockout, otp
from kinko.auth import repository as repo
from kinko.auth.effects import audit, notify, user_actor
from kinko.auth.errors import FactorNotAvailable, TokenStateError
from kinko.auth.models import (
    AuthContract,
    OtpToken,
    TokenIssueReason,
    TokenKind,
    TokenState,
)
from kinko.auth.outcomes import Done, Failed, Rejected
from kinko.auth.policy import rules_for
from kinko.auth.rules import token_fee
from kinko.auth.users import get_user, rules_for_user
from kinko.errors import ValidationFailed

_FEE_TEXT = "ﾄｰｸﾝﾊｯｺｳﾃｽｳﾘｮｳ"   # statement text: トークン発行手数料


@dataclass(frozen=True)
class FeeAccounts:
    """Where a token fee goes: the customer's account (default: the contract's representative
    account) and the bank's fee-income account."""

    income_account_id: int
    debit_account_id: int | None = None


@dataclass(frozen=True)
class IssuedToken:
    token_id: int
    serial: str
    fee_yen: int
    fee_entry_id: int | None
    expires_on: date | None


@dataclass(frozen=True)
class SoftTokenProvisioning:
    """Shown to the user once (as a QR code); the seed is not kept in clear anywhere."""

    token_id: int
    serial: str
    provisioning_uri: str


def _contract(session: Session, contract_id: int) -> AuthContract:
    found = repo.contract(session, contract_id)
    if found is None:
        raise ValidationFailed(detail=f"contract {contract_id} does not exist")
    return found


def _charge(session: Session, contract: AuthContract, fee: int, serial: str,
            accounts: FeeAccounts | None, actor: str) -> int | None:
    if fee == 0:
        return None
    if accounts is None:
        raise ValidationFailed(detail=f"a fee of {fee} yen applies: fee accounts are needed")
    debit = accounts.debit_account_id or contract.representative_account_id
    if debit is None:
        raise ValidationFailed(detail="no account to debit the token fee from")
    from kinko.ledger.rules import Leg
    from kinko.ledger.service import EntryRequest, post

    posted = post(session, EntryRequest(
        kind="token_fee",
        legs=[Leg(debit, -fee, _FEE_TEXT), Leg(accounts.income_account_id, fee, _FEE_TEXT)],
        memo=f"hard token {serial}",
        idempotency_key=f"token-fee:{serial}",
    ), actor=actor)
    return posted.entry_id


def issue_hard_token(session: Session, *, contract_id: int, serial: str,
                     reason: TokenIssueReason, seed: bytes | None = None,
                     user_id: int | None = None, activate: bool = False,
                     replaces_serial: str | None = None, fee_accounts: FeeAccounts | None = None,
                     actor: str) -> IssuedToken:
    """Lend a hard token to a contract (and mail it), charging the fee its reason calls for.

    ``seed`` is the vendor's seed for this serial (a new random one if omitted). ``activate``
    binds it to ``user_id`` at once (the 003 product mails a ready token with the initial
    credentials); otherwise the user registers it with its first code.
    """
    contract = _contract(session, contract_id)
    if contract.token_kind is not TokenKind.HARD:
        raise FactorNotAvailable(detail="this contract does not use hard tokens")
    if not serial or len(serial) > 32 or repo.token_by_serial(session, serial) is not None:
        raise ValidationFailed(detail="the serial is empty, too long or already known")
    replaced = None
    if replaces_serial is not None:
        replaced = repo.token_by_serial(session, replaces_serial)
        if replaced is None or replaced.contract_id != contract_id:
            raise ValidationFailed(detail="the replaced token is not this contract's")
        user_id = user_id or replaced.user_id
    elif reason in (TokenIssueReason.EXPIRY, TokenIssueReason.DEFECT, TokenIssueReason.LOST):
        raise ValidationFailed(detail="a replacement names the token it replaces")
    rules = rules_for(contract.product, contract.course)
    fee = token_fee(reason, contract_tokens_before=repo.hard_tokens_issued(session, contract_id),
                    extra_issue_fee=rules.token_extra_issue_fee,
                    reissue_fee=rules.token_reissue_fee)
    now = clock.now()
    token = OtpToken(contract_id=contract_id, user_id=user_id, kind=TokenKind.HARD,
                     serial=serial, seed_ciphertext=otp.seal_seed(seed or otp.new_seed(), serial),
                     state=TokenState.LENT, issue_reason=reason, fee_yen=fee, issued_at=now,
                     expires_on=now.date() + timedelta(days=rules.hard_token_validity_days),
                     replaces_id=None if replaced is None else replaced.id)
    session.add(token)
    session.flush()
    token.fee_entry_id = _charge(session, contract, fee, serial, fee_accounts, actor)
    audit(session, actor=actor, action="auth.token_issued", subject_type="otp_token",
          subject_id=token.id, contract_id=contract_id, serial=serial, reason=reason.value,
          fee_yen=fee, replaces=replaces_serial)
    if activate:
        if user_id is None:
            raise ValidationFailed(detail="activating a token needs its user")
        _activate(session, token, user_id, actor=actor)
    return IssuedToken(token.id, serial, fee, token.fee_entry_id, token.expires_on)


def _activate(session: Session, token: OtpToken, user_id: int, *, actor: str) -> None:
    """Make ``token`` the user's one usable token, ending any token it supersedes."""
    now = clock.now()
    for other in repo.tokens_of_user(session, user_id, (TokenState.ACTIVE, TokenState.PENDING)):
        if other.id == token.id:
            continue
        if other.kind is not token.kind:
            raise TokenStateError(detail="a user cannot hold a hard and a soft token at once")
        other.state = TokenState.REPLACED
        other.ended_at = now
    # The partial unique index allows one active token per user: end the old one first.
    session.flush()
    token.user_id = user_id
    token.state = TokenState.ACTIVE
    token.registered_at = now
    session.flush()
    audit(session, actor=actor, action="auth.token_activated", subject_type="otp_token",
          subject_id=token.id, user_id=user_id, kind=token.kind.value)


def register_hard_token(session: Session, *, user_id: int, serial: str, code: str
                        ) -> Rejected | Done:
    """利用開始登録: the user binds a lent token by typing its current code (002 第11条4)."""
    user = get_user(session, user_id)
    refused = lockout.refusal(user)
    if refused is not None:
        return refused
    token = repo.token_by_serial(session, serial)
    if (token is None or token.contract_id != user.contract_id
            or token.state is not TokenState.LENT
            or (token.user_id is not None and token.user_id != user_id)):
        raise TokenStateError(detail="no token with this serial is waiting for registration")
    if any(t.kind is TokenKind.SOFT for t in repo.tokens_of_user(
            session, user_id, (TokenState.ACTIVE, TokenState.PENDING))):
        raise TokenStateError(detail="deregister the soft token first (CRED-2)")
    rules = rules_for_user(session, user)
    step = otp.matching_step(token, code, clock.now(), rules.otp_window)
    if step is None:
        return lockout.register_failure(session, user, rules, factor="otp",
                                        context="token_registration")
    _activate(session, token, user_id, actor=user_actor(user))
    if not repo.accept_otp_step(session, token.id, step):  # pragma: no cover - fresh token
        return Failed()
    return Done()


def report_lost(session: Session, *, user_id: int, actor: str) -> int | None:
    """Stop the user's token at once (lost, stolen, or a phone gone); returns its id."""
    user = get_user(session, user_id)
    stopped = None
    for token in repo.tokens_of_user(session, user_id, (TokenState.ACTIVE, TokenState.PENDING,
                                                        TokenState.LENT)):
        token.state = TokenState.STOPPED
        token.ended_at = clock.now()
        stopped = token.id
        audit(session, actor=actor, action="auth.token_stopped", subject_type="otp_token",
              subject_id=token.id, user_id=user_id, serial=token.serial)
    if stopped is not None:
        notify(session, user, "auth.token_stopped", at=clock.now().isoformat())
    return stopped


def tokens_due_for_renewal(session: Session, *, within: timedelta = timedelta(days=60)
                           ) -> list[OtpToken]:
    """Active hard tokens that expire within ``within``: a new one is mailed (CRED-1)."""
    limit = clock.today() + within
    return [t for t in repo.tokens_expiring(session, limit)
            if not repo.has_successor(session, t.id)]


def _new_serial(prefix: str) -> str:
    return prefix + secrets.token_hex(6).upper()


def provision_soft_token(session: Session, *, user_id: int, device_label: str = "",
                         issuer: str = "Kinko") -> SoftTokenProvisioning:
    """Start registering a soft token on the user's smartphone (002 第11条5)."""
    user = get_user(session, user_id)
    contract = _contract(session, user.contract_id)
    if contract.token_kind is not TokenKind.SOFT:
        raise FactorNotAvailable(detail="this contract does not use soft tokens")
    current = repo.tokens_of_user(session, user_id, (TokenState.ACTIVE, TokenState.PENDING))
    if any(t.state is TokenState.ACTIVE for t in current):
        raise TokenStateError(detail="one smartphone per user: deregister the current one")
    now = clock.now()
    for pending in current:   # an abandoned earlier attempt
        pending.state = TokenState.DEREGISTERED
        pending.ended_at = now
    seed = otp.new_seed()
    serial = _new_serial("S")
    token = OtpToken(contract_id=contract.id, user_id=user_id, kind=TokenKind.SOFT,
                     serial=serial, device_label=device_label[:80] or None,
                     seed_ciphertext=otp.seal_seed(seed, serial), state=TokenState.PENDING,
                     issue_reason=TokenIssueReason.INITIAL, issued_at=now)
    session.add(token)
    session.flush()
    audit(session, actor=user_actor(user), action="auth.soft_token_provisioned",
          subject_type="otp_token", subject_id=token.id, user_id=user_id)
    uri = otp.provisioning_uri(seed, account_name=user.login_id or f"user-{user_id}",
                               issuer=issuer)
    return SoftTokenProvisioning(token.id, serial, uri)


def confirm_soft_token(session: Session, *, user_id: int, serial: str, code: str
                       ) -> Rejected | Done:
    """利用開始登録 of a soft token: its first code proves the phone holds the seed."""
    user = get_user(session, user_id)
    refused = lockout.refusal(user)
    if refused is not None:
        return refused
    token = repo.token_by_serial(session, serial)
    if token is None or token.user_id != user_id or token.state is not TokenState.PENDING:
        raise TokenStateError(detail="no soft token is waiting for confirmation")
    rules = rules_for_user(session, user)
    step = otp.matching_step(token, code, clock.now(), rules.otp_window)
    if step is None:
        return lockout.register_failure(session, user, rules, factor="otp",
                                        context="token_registration")
    _activate(session, token, user_id, actor=user_actor(user))
    repo.accept_otp_step(session, token.id, step)
    notify(session, user, "auth.soft_token_registered", at=clock.now().isoformat())
    return Done()


def deregister_soft_token(session: Session, *, user_id: int, actor: str) -> None:
    """利用解除: before changing phones (002 第11条11). The caller requires step-up."""
    user = get_user(session, user_id)
    tokens = repo.tokens_of_user(session, user_id, (TokenState.ACTIVE, TokenState.PENDING))
    soft = [t for t in tokens if t.kind is TokenKind.SOFT]
    if not soft:
        raise TokenStateError(detail="no soft token to deregister")
    for token in soft:
        token.state = TokenState.DEREGISTERED
        token.ended_at = clock.now()
        audit(session, actor=actor, action="auth.soft_token_deregistered",
              subject_type="otp_token", subject_id=token.id, user_id=user_id)
    notify(session, user, "auth.soft_token_deregistered", at=clock.now().isoformat())


def switch_token_kind(session: Session, *, contract_id: int, to: TokenKind, actor: str) -> int:
    """Carry out an application to switch the contract between hard and soft tokens
    (002 第11条3): every user's current token ends; each registers the new kind. Returns the
    number of tokens ended."""
    contract = _contract(session, contract_id)
    if contract.token_kind is None:
        raise FactorNotAvailable(detail="this contract uses no one-time password")
    if contract.token_kind is to:
        return 0
    if contract.smartphone_auth and to is TokenKind.HARD:
        raise ValidationFailed(detail="smartphone authentication needs soft tokens")
    ended = 0
    now = clock.now()
    for user in repo.users_of_contract(session, contract_id):
        for token in repo.tokens_of_user(session, user.id, (TokenState.ACTIVE,
                                                             TokenState.PENDING)):
            token.state = (TokenState.DEREGISTERED if token.kind is TokenKind.SOFT
                           else TokenState.REPLACED)
            token.ended_at = now
            ended += 1
    contract.token_kind = to
    audit(session, actor=actor, action="auth.token_kind_switched",
          subject_type="auth_contract", subject_id=contract_id, to=to.value, ended=ended)
    return ended
