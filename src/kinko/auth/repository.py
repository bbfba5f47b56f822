"""Every authentication query.

The statements that decide security under concurrency are single conditional UPDATEs with
RETURNING, so the database serialises them on the row and no two requests can both pass a
check that only one of them should pass:

- :func:`count_failure` / :func:`reset_failures`: the lockout counters (AUTH-6);
- :func:`accept_otp_step`: an OTP time step is accepted at most once (AUTH-5);
- :func:`consume_challenge`: a challenge is used at most once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    ColumnElement,
    MetaData,
    Select,
    Table,
    and_,
    bindparam,
    case,
    delete,
    func,
    insert,
    literal,
    null,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from kinko.auth.models import (
    AuthContract,
    AuthSecret,
    AuthSecretHistory,
    AuthSession,
    AuthUser,
    CardState,
    Challenge,
    ChallengeKind,
    ConfirmationCard,
    LoginThrottle,
    OtpToken,
    Product,
    SecretKind,
    ThrottleKind,
    TokenKind,
    TokenState,
    UserState,
)
from kinko.auth.rules import Counters, LockoutLimits
from kinko.db.base import UtcDateTime, table_of
from kinko.parties.models import Customer
from kinko.parties.restrictions import flag_generation, remember, restricted_column

# --- users ----------------------------------------------------------------------------------


def user_by_login_id(session: Session, product: Product, login_id: str) -> AuthUser | None:
    return session.execute(
        select(AuthUser).where(AuthUser.product == product, AuthUser.login_id == login_id)
    ).scalar_one_or_none()


def user_with_customer_by_login_id(session: Session, product: Product, login_id: str
                                   ) -> AuthUser | None:
    """:func:`user_by_login_id`, loading in the same statement what a login reads next: the
    user's customer (the login notice's address), contract (the rules, the contract's state)
    and stored login password. They are kept for the transaction (``session.info``), so
    ``session.get`` finds the customer and the contract, and :func:`secret` the password,
    without a statement. An unknown ID runs the very same statement, and its (absent)
    password is remembered alike, so both still cost the same (AUTH-10)."""
    found = session.execute(
        select(AuthUser, Customer, AuthContract, AuthSecret)
        .join(Customer, Customer.id == AuthUser.customer_id)
        .join(AuthContract, AuthContract.id == AuthUser.contract_id)
        .outerjoin(AuthSecret, and_(AuthSecret.user_id == AuthUser.id,
                                    AuthSecret.kind == SecretKind.LOGIN_PASSWORD))
        .where(AuthUser.product == product, AuthUser.login_id == login_id)
    ).one_or_none()
    preloaded = session.info.setdefault(PRELOADED_SECRETS, {})
    if found is None:
        preloaded[(0, SecretKind.LOGIN_PASSWORD)] = None
        return None
    session.info.setdefault(PINNED, []).extend((found[1], found[2]))
    preloaded[(found[0].id, SecretKind.LOGIN_PASSWORD)] = found[3]
    return found[0]


# Secrets read with their user (:func:`user_with_customer_by_login_id`), by (user id, kind):
# each is handed out once by :func:`secret`, to the check that follows the lookup; any later
# read (after a change of the secret, say) goes to the database.
PRELOADED_SECRETS = "kinko.auth.repository.preloaded_secrets"


# Objects loaded alongside others, kept referenced until the transaction ends (the identity
# map holds them only weakly).
PINNED = "kinko.auth.users.pinned"


def user(session: Session, user_id: int) -> AuthUser | None:
    return session.get(AuthUser, user_id)


def contract(session: Session, contract_id: int) -> AuthContract | None:
    return session.get(AuthContract, contract_id)


def contract_by_account(session: Session, account_id: int, product: Product
                        ) -> AuthContract | None:
    return session.execute(
        select(AuthContract).where(AuthContract.representative_account_id == account_id,
                                   AuthContract.product == product)
    ).scalar_one_or_none()


def users_of_contract(session: Session, contract_id: int) -> Sequence[AuthUser]:
    return session.execute(
        select(AuthUser).where(AuthUser.contract_id == contract_id).order_by(AuthUser.id)
    ).scalars().all()


def _active_or_lapsed(now: datetime, u: Any = None) -> ColumnElement[bool]:
    u = table_of(AuthUser).c if u is None else u
    return or_(u.state == UserState.ACTIVE.value,
               and_(u.state == UserState.LOCKED.value, u.locked_until.is_not(None),
                    u.locked_until <= now))


def _failure_values(u: Any, limits: LockoutLimits, now: datetime) -> dict[str, Any]:
    """The SET clause of one counted failure over a row with the lockout columns."""
    reached = u.failure_count + 1 >= limits.max_failures
    blocks = u.lockout_count + 1 >= limits.lockouts_before_block
    # With no duration the lockout is open-ended: locked_until is simply NULL (a CASE of
    # two NULLs would have no type on PostgreSQL).
    until: Any = (None if limits.lockout_duration is None
                  else case((and_(reached, ~blocks),
                             literal(now + limits.lockout_duration, UtcDateTime())),
                            else_=null()))
    return {
        "failure_count": case((reached, 0), else_=u.failure_count + 1),
        "lockout_count": case((reached, u.lockout_count + 1), else_=u.lockout_count),
        "state": case((and_(reached, blocks), UserState.BLOCKED.value),
                      (reached, UserState.LOCKED.value),
                      else_=UserState.ACTIVE.value),
        "locked_until": until,
    }


def count_failure(session: Session, user_id: int, limits: LockoutLimits, now: datetime
                  ) -> Counters | None:
    """Count one wrong entry in one statement; None when the user was not active.

    Every right-hand side reads the row as it was before this UPDATE (standard SQL, on both
    databases), and PostgreSQL re-evaluates the WHERE on the newest row version after waiting
    for a concurrent writer — so N parallel wrong guesses lock at exactly the N-th.
    """
    t = table_of(AuthUser)
    u = t.c
    stmt = (
        update(t)
        .where(u.id == user_id, _active_or_lapsed(now))
        .values(**_failure_values(u, limits, now))
        .returning(u.state, u.failure_count, u.lockout_count, u.locked_until)
    )
    row = session.execute(stmt).one_or_none()
    if row is None:
        _expire(session, AuthUser, user_id)
        return None
    _set_loaded(session, AuthUser, user_id, state=UserState(row.state),
                failure_count=row.failure_count, lockout_count=row.lockout_count,
                locked_until=row.locked_until)
    return Counters(UserState(row.state), row.failure_count, row.lockout_count,
                    row.locked_until)


def reset_failures(session: Session, user_id: int, now: datetime) -> bool:
    """A correct entry: both counters to zero; False when the user may not log in now."""
    t = table_of(AuthUser)
    u = t.c
    stmt = (
        update(t)
        .where(u.id == user_id, _active_or_lapsed(now))
        .values(failure_count=0, lockout_count=0, state=UserState.ACTIVE.value,
                locked_until=None)
        .returning(u.id)
    )
    done = session.execute(stmt).one_or_none() is not None
    if done:
        _set_loaded(session, AuthUser, user_id, failure_count=0, lockout_count=0,
                    state=UserState.ACTIVE, locked_until=None)
    else:
        _expire(session, AuthUser, user_id)
    return done


def set_user_state(session: Session, user_id: int, state: UserState, *, reason: str | None,
                   from_states: Sequence[UserState]) -> bool:
    """Move a user between states only from the expected ones (a concurrent change wins)."""
    t = table_of(AuthUser)
    u = t.c
    values: dict[str, object] = {"state": state.value, "state_reason": reason}
    if state is UserState.ACTIVE:
        # Only the consecutive-failure count starts again: the lockout count survives a
        # release, so M consecutive lockouts still block (AUTH-6) even where each lockout
        # lasts until released. A correct entry (:func:`reset_failures`) clears both.
        values.update(failure_count=0, locked_until=None)
    stmt = (update(t)
            .where(u.id == user_id, u.state.in_([s.value for s in from_states]))
            .values(**values).returning(u.id))
    done = session.execute(stmt).one_or_none() is not None
    _expire(session, AuthUser, user_id)
    return done


def _set_loaded(session: Session, model: type[object], key: int, **values: Any) -> None:
    """A Core UPDATE whose new values are known: put them on the loaded object (if any) as
    committed state, instead of expiring it (which would cost a SELECT when next read)."""
    obj = session.identity_map.get(session.identity_key(model, key))
    if obj is not None:
        for name, value in values.items():
            set_committed_value(obj, name, value)


def _expire(session: Session, model: type[object], key: int) -> None:
    """Core UPDATEs bypass the identity map: make a loaded object reload its row."""
    obj = session.identity_map.get(session.identity_key(model, key))
    if obj is not None:
        session.expire(obj)


# --- secrets --------------------------------------------------------------------------------


def secret(session: Session, user_id: int, kind: SecretKind) -> AuthSecret | None:
    preloaded: dict[tuple[int, SecretKind], AuthSecret | None] | None = session.info.get(
        PRELOADED_SECRETS)
    if preloaded and (user_id, kind) in preloaded:
        return preloaded.pop((user_id, kind))
    return session.execute(
        select(AuthSecret).where(AuthSecret.user_id == user_id, AuthSecret.kind == kind)
    ).scalar_one_or_none()


def recent_history(session: Session, user_id: int, kind: SecretKind, limit: int
                   ) -> Sequence[str]:
    if limit <= 0:
        return []
    return session.execute(
        select(AuthSecretHistory.hash)
        .where(AuthSecretHistory.user_id == user_id, AuthSecretHistory.kind == kind)
        .order_by(AuthSecretHistory.id.desc()).limit(limit)
    ).scalars().all()


# --- OTP tokens -----------------------------------------------------------------------------


def active_token(session: Session, user_id: int) -> OtpToken | None:
    preloaded: dict[int, OtpToken | None] | None = session.info.get(PRELOADED_TOKENS)
    if preloaded and user_id in preloaded:
        token = preloaded.pop(user_id)
        changing = any(isinstance(o, OtpToken) for o in (*session.new, *session.dirty))
        if not changing and (token is None or token.state is TokenState.ACTIVE):
            return token
    return session.execute(
        select(OtpToken).where(OtpToken.user_id == user_id,
                               OtpToken.state == TokenState.ACTIVE)
    ).scalar_one_or_none()


def token_by_serial(session: Session, serial: str) -> OtpToken | None:
    return session.execute(select(OtpToken).where(OtpToken.serial == serial)
                           ).scalar_one_or_none()


def tokens_of_user(session: Session, user_id: int, states: Sequence[TokenState]
                   ) -> Sequence[OtpToken]:
    return session.execute(
        select(OtpToken).where(OtpToken.user_id == user_id, OtpToken.state.in_(states))
        .order_by(OtpToken.id)
    ).scalars().all()


def hard_tokens_issued(session: Session, contract_id: int) -> int:
    return int(session.execute(
        select(func.count()).select_from(OtpToken)
        .where(OtpToken.contract_id == contract_id, OtpToken.kind == TokenKind.HARD)
    ).scalar_one())


def tokens_expiring(session: Session, on_or_before: object) -> Sequence[OtpToken]:
    return session.execute(
        select(OtpToken).where(OtpToken.kind == TokenKind.HARD,
                               OtpToken.state == TokenState.ACTIVE,
                               OtpToken.expires_on <= on_or_before)
        .order_by(OtpToken.id)
    ).scalars().all()


def has_successor(session: Session, token_id: int) -> bool:
    """Whether a replacement was already issued for the token (so none is mailed twice)."""
    return session.execute(select(OtpToken.id).where(OtpToken.replaces_id == token_id)
                           ).first() is not None


def accept_otp_step(session: Session, token_id: int, step: int) -> bool:
    """Record ``step`` as used, only if no equal or later step was accepted (AUTH-5)."""
    t = table_of(OtpToken)
    c = t.c
    stmt = (
        update(t)
        .where(c.id == token_id, c.state == TokenState.ACTIVE.value,
               or_(c.last_step.is_(None), c.last_step < step))
        .values(last_step=step)
        .returning(c.id)
    )
    done = session.execute(stmt).one_or_none() is not None
    if done:
        _set_loaded(session, OtpToken, token_id, last_step=step)
    else:
        _expire(session, OtpToken, token_id)
    return done


def rotate_spending_otp_step(session: Session, session_id: int, values: dict[str, Any],
                             token_id: int, step: int) -> bool:
    """:func:`accept_otp_step` and the session's UPDATE to ``values`` (the step-up's
    rotation) in one statement — a data-modifying CTE on PostgreSQL, the view
    ``proc_step_up_rotation``'s trigger on SQLite: the session is written only
    if the step was still unspent, and both happen or neither. False if another request
    spent the step (or a later one) first."""
    if session.get_bind().dialect.name == "sqlite":
        done = _sqlite_rotate_spending_otp_step(session, session_id, values, token_id, step)
    else:
        params = _session_params(session_id, values) | {"token_id_": token_id, "step_": step}
        done = session.execute(_rotate_spending_statement(tuple(values)),
                               params).one_or_none() is not None
    if done:
        _set_loaded(session, OtpToken, token_id, last_step=step)
        _set_loaded(session, AuthSession, session_id, **values)
    else:
        _expire(session, OtpToken, token_id)
    return done


@cache
def _rotate_spending_statement(names: tuple[str, ...]) -> Any:
    """The statement of :func:`rotate_spending_otp_step`, built once per set of columns:
    :func:`_session_update_statement`, only if the step was spent by its CTE."""
    o = table_of(OtpToken)
    step = bindparam("step_", type_=o.c.last_step.type)
    spent = (update(o)
             .where(o.c.id == bindparam("token_id_"), o.c.state == TokenState.ACTIVE.value,
                    or_(o.c.last_step.is_(None), o.c.last_step < step))
             .values(last_step=step).returning(o.c.id).cte("spent_step"))
    return (_session_update_statement(names).where(select(spent.c.id).exists())
            .returning(table_of(AuthSession).c.id))


def rotate_spending_card_challenge(session: Session, session_id: int, values: dict[str, Any],
                                   *, public_id: str, user_id: int, operation_digest: str,
                                   answers_hash: str, now: datetime) -> bool:
    """The session's UPDATE to ``values`` (the step-up's rotation) only if the card challenge
    ``public_id`` is live, unused, this user's and session's, for this operation, and kept
    with ``answers_hash`` (the answers are right) — and that challenge spent by the same
    statement (a data-modifying CTE). PostgreSQL only: on SQLite, and whenever any of that
    fails, this writes nothing and returns False, and the caller checks the answers the usual
    way (:func:`consume_challenge`, then the rotation)."""
    if session.get_bind().dialect.name != "postgresql":
        return False
    params = _session_params(session_id, values) | {
        "card_public_id_": public_id, "card_kind_": ChallengeKind.CARD_CELLS.value,
        "card_user_id_": user_id, "card_digest_": operation_digest,
        "card_answers_hash_": answers_hash, "card_now_": now}
    done = session.execute(_rotate_spending_card_statement(tuple(values)),
                           params).one_or_none() is not None
    if done:
        _set_loaded(session, AuthSession, session_id, **values)
    return done


@cache
def _rotate_spending_card_statement(names: tuple[str, ...]) -> Any:
    """The statement of :func:`rotate_spending_card_challenge`, built once per set of
    columns: :func:`_session_update_statement`, only if its CTE spent the challenge."""
    t = table_of(Challenge)
    c = t.c
    now = bindparam("card_now_", type_=c.consumed_at.type)
    used = (update(t)
            .where(c.public_id == bindparam("card_public_id_"),
                   c.kind == bindparam("card_kind_"), c.consumed_at.is_(None),
                   c.expires_at > now, c.user_id == bindparam("card_user_id_"),
                   c.session_id == bindparam("session_id_"),
                   c.operation_digest == bindparam("card_digest_"),
                   c.answer_hash == bindparam("card_answers_hash_"))
            .values(consumed_at=now).returning(c.id).cte("used_card_challenge"))
    return (_session_update_statement(names).where(select(used.c.id).exists())
            .returning(table_of(AuthSession).c.id))


# SQLite: the view whose INSTEAD OF trigger spends the step and rotates the session in one
# statement (migration 0020); typed like the columns it writes. Not in the models' metadata.
_ROTATED = ("token_hash", "rotated_at", "last_seen_at", "stepped_up_at", "stepped_up_for")
_SQLITE_ROTATION = Table(
    "proc_step_up_rotation", MetaData(),
    Column("session_id", BigInteger), Column("token_id", BigInteger), Column("step", BigInteger),
    *(Column(name, table_of(AuthSession).c[name].type) for name in _ROTATED),
)


@cache
def _sqlite_rotation_statement() -> Any:
    """The INSERT into ``proc_step_up_rotation``, built once (every column bound)."""
    return (insert(_SQLITE_ROTATION)
            .values({c.name: bindparam(c.name, type_=c.type) for c in _SQLITE_ROTATION.c})
            .returning(_SQLITE_ROTATION.c.session_id))


def _sqlite_rotate_spending_otp_step(session: Session, session_id: int,
                                     values: dict[str, Any], token_id: int, step: int) -> bool:
    """One INSERT into ``proc_step_up_rotation``: its trigger checks that the step is still
    unspent (or writes nothing and returns no row), spends it and writes the session's
    rotation — both or neither, in one statement, as PostgreSQL's CTE."""
    if set(values) != set(_ROTATED):
        raise ValueError(f"the rotation writes exactly {_ROTATED}, not {sorted(values)}")
    return session.execute(_sqlite_rotation_statement(), {
        "session_id": session_id, "token_id": token_id, "step": step, **values,
    }).one_or_none() is not None


def update_session(session: Session, row: AuthSession, values: dict[str, Any]) -> None:
    """Write ``values`` to the session's row now (a Core UPDATE built once per set of
    columns, not a flush of the unit of work) and put them on ``row`` as committed state."""
    session.execute(_session_update_statement(tuple(values)), _session_params(row.id, values))
    for name, value in values.items():
        set_committed_value(row, name, value)


def _session_params(session_id: int, values: dict[str, Any]) -> dict[str, Any]:
    """The parameters of :func:`_session_update_statement` for ``values``."""
    return {"session_id_": session_id} | {f"set_{name}": value for name, value in values.items()}


@cache
def _session_update_statement(names: tuple[str, ...]) -> Any:
    """UPDATE one session's ``names`` columns, built once per set of columns."""
    t = table_of(AuthSession)
    return (update(t).where(t.c.id == bindparam("session_id_"))
            .values({name: bindparam(f"set_{name}") for name in names}))


# --- cards ----------------------------------------------------------------------------------


def active_card(session: Session, user_id: int) -> ConfirmationCard | None:
    preloaded: dict[int, ConfirmationCard | None] | None = session.info.get(PRELOADED_CARDS)
    if preloaded and user_id in preloaded:
        card = preloaded.pop(user_id)
        changing = any(isinstance(o, ConfirmationCard) for o in (*session.new, *session.dirty))
        if not changing and (card is None or card.state is CardState.ACTIVE):
            return card
    return session.execute(
        select(ConfirmationCard).where(ConfirmationCard.user_id == user_id,
                                       ConfirmationCard.state == CardState.ACTIVE)
    ).scalar_one_or_none()


# --- challenges -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ConsumedChallenge:
    id: int
    user_id: int | None
    session_id: int | None
    answer_hash: str | None
    data: str
    operation_digest: str | None
    completed_at: datetime | None


def consume_challenge(session: Session, public_id: str, kind: ChallengeKind, now: datetime,
                      *, require_completed: bool = False) -> ConsumedChallenge | None:
    """Use a live challenge once; None if unknown, expired, of another kind or used."""
    row = session.execute(_consume_statement(require_completed),
                          {"public_id_": public_id, "kind_": kind.value, "now_": now}
                          ).one_or_none()
    if row is None:
        return None
    return ConsumedChallenge(row.id, row.user_id, row.session_id, row.answer_hash, row.data,
                             row.operation_digest, row.completed_at)


@cache
def _consume_statement(require_completed: bool) -> Any:
    """The conditional UPDATE of :func:`consume_challenge`, built once."""
    t = table_of(Challenge)
    c = t.c
    now = bindparam("now_", type_=c.consumed_at.type)
    conditions = [c.public_id == bindparam("public_id_"), c.kind == bindparam("kind_"),
                  c.consumed_at.is_(None), c.expires_at > now]
    if require_completed:
        conditions.append(c.completed_at.is_not(None))
    return (update(t).where(*conditions).values(consumed_at=now)
            .returning(c.id, c.user_id, c.session_id, c.answer_hash, c.data,
                       c.operation_digest, c.completed_at))


def pending_challenge(session: Session, kind: ChallengeKind, *, user_id: int,
                      session_id: int | None, operation_digest: str,
                      now: datetime) -> Challenge | None:
    """The newest live, unused challenge of this kind for this session and operation."""
    return session.execute(
        select(Challenge).where(Challenge.kind == kind, Challenge.user_id == user_id,
                                Challenge.session_id == session_id,
                                Challenge.operation_digest == operation_digest,
                                Challenge.consumed_at.is_(None), Challenge.expires_at > now)
        .order_by(Challenge.id.desc()).limit(1)
    ).scalar_one_or_none()


def challenge(session: Session, public_id: str) -> Challenge | None:
    return session.execute(select(Challenge).where(Challenge.public_id == public_id)
                           ).scalar_one_or_none()


# --- sessions -------------------------------------------------------------------------------


def session_by_token_hash(session: Session, token_hash: str | Sequence[str]
                          ) -> AuthSession | None:
    """The session whose token hashes to ``token_hash`` (or to any of several: the digests
    under the current and the previous secret keys during a key rotation)."""
    hashes = [token_hash] if isinstance(token_hash, str) else list(token_hash)
    match = (AuthSession.token_hash == hashes[0] if len(hashes) == 1
             else AuthSession.token_hash.in_(hashes))
    return session.execute(select(AuthSession).where(match)).scalar_one_or_none()


def _session_with_user_statement(one_hash: bool) -> Select[*tuple[Any, ...]]:
    """The statement of :func:`session_with_user_by_token_hash`, built once per shape.

    Six entities, four joins and the restriction flag's subquery: building it and computing
    its cache key took longer than PostgreSQL took to answer it, on every request. The token
    hashes are bound parameters, so one statement object serves every request; it is built
    again when the restriction flag changes (:func:`flag_generation`)."""
    key = (flag_generation(), one_hash)
    found = _SESSION_STATEMENTS.get(key)
    if found is not None:
        return found
    match = (AuthSession.token_hash == bindparam("token_hash") if one_hash
             else AuthSession.token_hash.in_(bindparam("token_hashes", expanding=True)))
    # Whether a registered restriction (KYC-4) may refuse the customer, in the same statement:
    # the fund movements' check then needs none for a customer it cannot refuse.
    restricted = restricted_column(Customer.id)
    extra = [] if restricted is None else [restricted.label("restricted")]
    # The user's active OTP token and confirmation card too (at most one each: unique
    # partial indexes), which the step-up of every fund movement reads: :func:`active_token`
    # and :func:`active_card` then need no statement.
    statement = (
        select(AuthSession, AuthUser, AuthContract, Customer, OtpToken, ConfirmationCard,
               *extra)
        .join(AuthUser, AuthUser.id == AuthSession.user_id)
        .join(AuthContract, AuthContract.id == AuthUser.contract_id)
        .join(Customer, Customer.id == AuthUser.customer_id)
        .outerjoin(OtpToken, and_(OtpToken.user_id == AuthUser.id,
                                  OtpToken.state == TokenState.ACTIVE))
        .outerjoin(ConfirmationCard, and_(ConfirmationCard.user_id == AuthUser.id,
                                          ConfirmationCard.state == CardState.ACTIVE))
        .where(match)
    )
    _SESSION_STATEMENTS[key] = statement
    return statement


# (flag generation, one hash or several) → the statement; a handful of entries at most.
_SESSION_STATEMENTS: dict[tuple[int, bool], Select[*tuple[Any, ...]]] = {}


def session_with_user_by_token_hash(session: Session, token_hash: Sequence[str]
                                   ) -> tuple[AuthSession, AuthUser, AuthContract,
                                              Customer] | None:
    """:func:`session_by_token_hash` with the session's user, contract and customer, in one
    statement (primary-key joins): what nearly every request reads next.

    While the caller holds them, ``session.get`` (``get_user``, ``contract_of``, the
    residency check, the e-mail address) finds them in the identity map without a statement
    (the identity map holds objects only weakly)."""
    hashes = list(token_hash)
    one_hash = len(hashes) == 1
    params = {"token_hash": hashes[0]} if one_hash else {"token_hashes": hashes}
    statement = _session_with_user_statement(one_hash)
    found = session.execute(statement, params).one_or_none()
    if found is None:
        return None
    if len(found) > 6:
        remember(session, found[3].id, bool(found[6]))
    user_id = found[1].id
    session.info.setdefault(PRELOADED_TOKENS, {})[user_id] = found[4]
    session.info.setdefault(PRELOADED_CARDS, {})[user_id] = found[5]
    session.info.setdefault(PINNED, []).extend(o for o in (found[4], found[5]) if o is not None)
    return (found[0], found[1], found[2], found[3])


# Active OTP tokens read with the session (:func:`session_with_user_by_token_hash`), by user
# id: handed out once by :func:`active_token`, and only while no token of the session is
# being changed (a registration or a stop in the same transaction reads the database).
PRELOADED_TOKENS = "kinko.auth.repository.preloaded_tokens"
# The same for active confirmation cards (:func:`active_card`).
PRELOADED_CARDS = "kinko.auth.repository.preloaded_cards"


def touch_session(session: Session, row: AuthSession, now: datetime, *,
                  stale_before: datetime) -> bool:
    """Move a live session's ``last_seen_at`` to ``now`` if it is not after ``stale_before``,
    without ever waiting: on PostgreSQL the row is taken with ``FOR UPDATE SKIP LOCKED``, so a
    request of the same session that holds it (touching it too, or rotating it) makes this a
    no-op instead of a wait until that request commits. True if the row was moved."""
    t = table_of(AuthSession)
    c = t.c
    conditions = [c.id == row.id, c.ended_at.is_(None), c.last_seen_at <= stale_before]
    if session.get_bind().dialect.name == "postgresql":
        free = select(c.id).where(c.id == row.id).with_for_update(skip_locked=True)
        conditions.append(c.id.in_(free.scalar_subquery()))
    # SQLite needs no such care: a transaction there holds the file's single write lock.
    result = session.execute(update(t).where(*conditions).values(last_seen_at=now))
    moved = bool(getattr(result, "rowcount", 0))
    if moved:
        # The loaded row is right without a reload (a Core UPDATE bypasses the identity map).
        set_committed_value(row, "last_seen_at", now)
    return moved


def open_sessions(session: Session, user_id: int) -> Sequence[AuthSession]:
    return session.execute(
        select(AuthSession).where(AuthSession.user_id == user_id,
                                  AuthSession.ended_at.is_(None))
        .order_by(AuthSession.id)
    ).scalars().all()


def end_sessions(session: Session, user_id: int, now: datetime, reason: str,
                 *, except_id: int | None = None) -> int:
    t = table_of(AuthSession)
    c = t.c
    conditions = [c.user_id == user_id, c.ended_at.is_(None)]
    if except_id is not None:
        conditions.append(c.id != except_id)
    rows = session.execute(
        update(t).where(*conditions).values(ended_at=now, end_reason=reason).returning(c.id)
    ).all()
    for (sid,) in rows:
        _expire(session, AuthSession, sid)
    return len(rows)


# --- throttling and the counters of unknown IDs (kinko.auth.throttle) ----------------------


def _upsert(session: Session) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table_of(LoginThrottle))
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table_of(LoginThrottle))


@dataclass(frozen=True)
class ThrottleRow:
    key: str
    window_start: datetime
    failures: int
    state: UserState
    locked_until: datetime | None


# Throttle rows read earlier in the transaction, by key (None: no row), until a write of the
# key: a login reads the unknown-ID counters of the typed ID with its address and target rows.
THROTTLE_SEEN = "kinko.auth.repository.throttle_seen"


def throttle_rows(session: Session, keys: Sequence[str]) -> list[ThrottleRow]:
    """The rows of ``keys`` (one statement, none if this transaction read them all already and
    has not written them since; missing keys have no row)."""
    seen: dict[str, ThrottleRow | None] = session.info.setdefault(THROTTLE_SEEN, {})
    if all(k in seen for k in keys):
        return [row for k in keys if (row := seen[k]) is not None]
    c = table_of(LoginThrottle).c
    rows = [ThrottleRow(r.key, r.window_start, r.failures, UserState(r.state), r.locked_until)
            for r in session.execute(
                select(c.key, c.window_start, c.failures, c.state, c.locked_until)
                .where(c.key.in_(list(keys)))).all()]
    seen.update(dict.fromkeys(keys))
    seen.update((r.key, r) for r in rows)
    return rows


def _forget_throttle(session: Session, keys: Sequence[str]) -> None:
    seen: dict[str, ThrottleRow | None] | None = session.info.get(THROTTLE_SEEN)
    if seen:
        for key in keys:
            seen.pop(key, None)


def count_throttled_failure(session: Session, keys: Sequence[tuple[str, ThrottleKind]],
                            window: timedelta, now: datetime) -> None:
    """One failed attempt on every key, in one statement: a key whose window has ended
    starts a new one. Keys are written in sorted order so that concurrent requests lock the
    same rows in the same order (no deadlock on PostgreSQL)."""
    if not keys:
        return
    _forget_throttle(session, [k for k, _ in keys])
    t = table_of(LoginThrottle)
    c = t.c
    ended = c.window_start <= literal(now - window, UtcDateTime())
    start = literal(now, UtcDateTime())
    stmt = _upsert(session).values([
        {"key": key, "kind": kind.value, "window_start": now, "failures": 1,
         "state": UserState.ACTIVE.value, "failure_count": 0, "lockout_count": 0,
         "locked_until": None, "updated_at": now}
        for key, kind in sorted(keys)])
    stmt = stmt.on_conflict_do_update(index_elements=[c.key], set_={
        "failures": case((ended, 1), else_=c.failures + 1),
        "window_start": case((ended, start), else_=c.window_start),
        "updated_at": start,
    })
    session.execute(stmt)


def count_unknown_failure(session: Session, key: str, limits: LockoutLimits, now: datetime,
                          first: Counters) -> Counters | None:
    """:func:`count_failure` for an ID that is not registered, on its throttle row: one
    upsert, the same counters and the same conditional step; None when it was not active.
    ``first`` is what the first failure makes of fresh counters (the INSERT)."""
    _forget_throttle(session, [key])
    c = table_of(LoginThrottle).c
    stmt = _upsert(session).values(
        key=key, kind=ThrottleKind.UNKNOWN_ID.value, window_start=now, failures=0,
        state=first.state.value, failure_count=first.failures, lockout_count=first.lockouts,
        locked_until=first.locked_until, updated_at=now)
    stmt = stmt.on_conflict_do_update(
        index_elements=[c.key],
        set_={**_failure_values(c, limits, now), "updated_at": literal(now, UtcDateTime())},
        where=_active_or_lapsed(now, c),
    ).returning(c.state, c.failure_count, c.lockout_count, c.locked_until)
    row = session.execute(stmt).one_or_none()
    if row is None:
        return None
    return Counters(UserState(row.state), row.failure_count, row.lockout_count,
                    row.locked_until)


def prune_throttle(session: Session, *, windows_before: datetime,
                   unknown_ids_before: datetime) -> int:
    """Drop address and target rows whose window ended, and unknown-ID rows untouched
    since ``unknown_ids_before``; return how many."""
    t = table_of(LoginThrottle)
    c = t.c
    rows = session.execute(
        delete(t).where(or_(
            and_(c.kind != ThrottleKind.UNKNOWN_ID.value, c.window_start < windows_before),
            and_(c.kind == ThrottleKind.UNKNOWN_ID.value, c.updated_at < unknown_ids_before),
        )).returning(c.key)
    ).all()
    return len(rows)
