"""Authentication tables (AUTH-1..13, CRED-1..6).

Every secret a customer types (login password, confirmation password, secret phrase, cash
card PIN) is stored only as an argon2id hash; TOTP seeds, confirmation-number card grids and
the bank CA's private key are stored encrypted (AES-GCM) because the bank must read them back
to verify a code. Session tokens and one-time challenge answers are stored as keyed hashes,
so a copy of the database lets nobody log in.

Counters that decide lockout live on ``auth_users`` and change only through conditional
UPDATE statements (see :mod:`kinko.auth.lockout`), never read-modify-write in Python.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    Enum,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from kinko.db.base import Base, BigId, UtcDateTime, value_enum


def _enum(cls: type[enum.Enum], length: int = 24) -> Enum:
    return value_enum(cls, length)


class Product(enum.StrEnum):
    """The internet banking products of PRD-2; their factor combinations are policy."""

    RETAIL_001 = "retail-001"        # member number + password + card + phone call
    RETAIL_003 = "retail-003"        # user ID + password + E-TOKEN OTP + confirmation code
    CORPORATE_002 = "corporate-002"  # business net, three courses


class Course(enum.StrEnum):
    LIGHT = "light"
    BASIC = "basic"
    COMPREHENSIVE = "comprehensive"


class ContractState(enum.StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"      # stopped at once on a compromise report (CRED-6) or SUSP-1
    TERMINATED = "terminated"


class TokenKind(enum.StrEnum):
    HARD = "hard"   # key fob lent by the bank (CRED-1)
    SOFT = "soft"   # smartphone app (CRED-2)


class UserRole(enum.StrEnum):
    HOLDER = "holder"     # the individual customer of a retail product
    MASTER = "master"     # マスターユーザ
    ADMIN = "admin"       # 管理者ユーザ
    GENERAL = "general"   # 一般ユーザ


class UserState(enum.StrEnum):
    ACTIVE = "active"
    LOCKED = "locked"          # ロックアウト: until locked_until, or until released if NULL
    BLOCKED = "blocked"        # 利用閉塞: until an operator releases it (four eyes)
    SUSPENDED = "suspended"    # stopped by a compromise report or the bank (CRED-6, SUSP-1)


class SecretKind(enum.StrEnum):  # names of secrets, not secrets: S105 is a false positive
    LOGIN_PASSWORD = "login_password"  # noqa: S105  # 利用パスワード / ログインパスワード
    CONFIRMATION_PASSWORD = "confirmation_password"  # noqa: S105  # 確認用パスワード (corporate)
    SECRET_PHRASE = "secret_phrase"  # noqa: S105  # 合言葉


class TokenState(enum.StrEnum):
    LENT = "lent"              # hard token mailed to the contract, not yet registered
    PENDING = "pending"        # soft token provisioned, waiting for the first code
    ACTIVE = "active"
    STOPPED = "stopped"        # reported lost/stolen: refused from that moment
    REPLACED = "replaced"      # superseded by a new token (expiry, defect, loss)
    DEREGISTERED = "deregistered"  # soft token removed (phone change, switch to hard)
    EXPIRED = "expired"


class TokenIssueReason(enum.StrEnum):
    INITIAL = "initial"    # the first token of a contract: free (CRED-1)
    EXTRA = "extra"        # a further token: fee
    EXPIRY = "expiry"      # replacement before expiry: free
    DEFECT = "defect"      # product defect / dead battery: free
    LOST = "lost"          # loss, theft or damage by the customer: fee
    RETURNED = "returned"  # the mailed token came back undelivered: resent free (CRED-5)


class CardState(enum.StrEnum):
    ACTIVE = "active"
    REVOKED = "revoked"


class ChallengeKind(enum.StrEnum):
    CONFIRMATION_CODE = "confirmation_code"   # 確認コード at login (003)
    CARD_CELLS = "card_cells"                 # お取引確認番号 cells (001)
    PHONE_CALL = "phone_call"                 # 電話による認証 (001 2(5))
    WEBAUTHN_REGISTER = "webauthn_register"
    WEBAUTHN_APPROVE = "webauthn_approve"     # スマホ認証 of one operation (AUTH-12)


class SessionScope(enum.StrEnum):
    FULL = "full"
    SECOND_FACTOR = "second_factor"            # first factor passed; waiting for the next
    CHANGE_CREDENTIALS = "change_credentials"  # expired or temporary credentials: change only


class CompromiseScope(enum.StrEnum):
    USER = "user"
    CONTRACT = "contract"


class CertificateState(enum.StrEnum):
    ACTIVE = "active"
    REVOKED = "revoked"
    SUPERSEDED = "superseded"   # renewed


class DeviceState(enum.StrEnum):
    ACTIVE = "active"
    REMOVED = "removed"


class AuthContract(Base):
    """The authentication side of one internet banking contract of one customer.

    OTP use, smartphone authentication and the login method are chosen per contract, not per
    user (002 第11条6, 第12条2), so they live here and every user of the contract follows them.
    """

    __tablename__ = "auth_contracts"
    __table_args__ = (UniqueConstraint("customer_id", "product"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    product: Mapped[Product] = mapped_column(_enum(Product))
    course: Mapped[Course | None] = mapped_column(_enum(Course))
    token_kind: Mapped[TokenKind | None] = mapped_column(_enum(TokenKind))
    certificate_login: Mapped[bool] = mapped_column(Boolean, default=False)
    smartphone_auth: Mapped[bool] = mapped_column(Boolean, default=False)
    # The corporate representative account (代表口座): first-use registration and token fees.
    representative_account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    state: Mapped[ContractState] = mapped_column(_enum(ContractState),
                                                 default=ContractState.ACTIVE)
    state_reason: Mapped[str | None] = mapped_column(String(200))
    state_changed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class AuthUser(Base):
    """A person who logs in: the retail customer, or a user of a corporate contract."""

    __tablename__ = "auth_users"
    __table_args__ = (
        UniqueConstraint("product", "login_id"),
        CheckConstraint("failure_count >= 0", name="failure_count_not_negative"),
        CheckConstraint("lockout_count >= 0", name="lockout_count_not_negative"),
        Index("ix_auth_users_contract", "contract_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("auth_contracts.id"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    product: Mapped[Product] = mapped_column(_enum(Product))
    # Member number (001), user ID (003) or login ID (002). NULL until a corporate master
    # user registers one at first use (AUTH-7).
    login_id: Mapped[str | None] = mapped_column(String(32))
    role: Mapped[UserRole] = mapped_column(_enum(UserRole), default=UserRole.HOLDER)
    display_name: Mapped[str] = mapped_column(String(120), default="")
    email: Mapped[str | None] = mapped_column(String(254))
    state: Mapped[UserState] = mapped_column(_enum(UserState), default=UserState.ACTIVE)
    state_reason: Mapped[str | None] = mapped_column(String(200))
    failure_count: Mapped[int] = mapped_column(Integer, default=0)
    lockout_count: Mapped[int] = mapped_column(Integer, default=0)
    # NULL while LOCKED means "until released" (the 001 product).
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    must_change_login_id: Mapped[bool] = mapped_column(Boolean, default=False)
    must_change_confirmation_password: Mapped[bool] = mapped_column(Boolean, default=False)
    password_changed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_login_place: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class AuthSecret(Base):
    """The current hash of one typed secret of a user (AUTH-10)."""

    __tablename__ = "auth_secrets"
    __table_args__ = (UniqueConstraint("user_id", "kind"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("auth_users.id"))
    kind: Mapped[SecretKind] = mapped_column(_enum(SecretKind))
    hash: Mapped[str] = mapped_column(String(255))
    # Issued by the bank or filed on paper: must be changed at the first login (AUTH-7).
    temporary: Mapped[bool] = mapped_column(Boolean, default=False)
    set_at: Mapped[datetime] = mapped_column(UtcDateTime)


class AuthSecretHistory(Base):
    """Past hashes, so a new password can be refused when it repeats one of the last N."""

    __tablename__ = "auth_secret_history"
    __table_args__ = (Index("ix_auth_secret_history_user_kind", "user_id", "kind", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("auth_users.id"))
    kind: Mapped[SecretKind] = mapped_column(_enum(SecretKind))
    hash: Mapped[str] = mapped_column(String(255))
    set_at: Mapped[datetime] = mapped_column(UtcDateTime)


class AccountPin(Base):
    """The cash card PIN of an account, as an argon2id hash (AUTH-1, the Light sign-up)."""

    __tablename__ = "auth_account_pins"
    __table_args__ = (CheckConstraint("failure_count >= 0", name="failure_count_not_negative"),)

    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    hash: Mapped[str] = mapped_column(String(255))
    failure_count: Mapped[int] = mapped_column(Integer, default=0)
    locked: Mapped[bool] = mapped_column(Boolean, default=False)
    set_at: Mapped[datetime] = mapped_column(UtcDateTime)


class OtpToken(Base):
    """A hard or soft TOTP token (AUTH-5, CRED-1..3)."""

    __tablename__ = "auth_otp_tokens"
    __table_args__ = (
        # A user holds at most one usable token; hard and soft at once is impossible (CRED-2).
        Index("uq_auth_otp_tokens_one_active", "user_id", unique=True,
              postgresql_where=text("state = 'active'"),
              sqlite_where=text("state = 'active'")),
        Index("ix_auth_otp_tokens_contract", "contract_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("auth_contracts.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("auth_users.id"))
    kind: Mapped[TokenKind] = mapped_column(_enum(TokenKind))
    serial: Mapped[str] = mapped_column(String(32), unique=True)
    device_label: Mapped[str | None] = mapped_column(String(80))
    seed_ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    digits: Mapped[int] = mapped_column(Integer, default=6)
    period: Mapped[int] = mapped_column(Integer, default=30)
    # The last accepted TOTP time step; only ever raised by a conditional UPDATE (AUTH-5).
    last_step: Mapped[int | None] = mapped_column(BigInteger)
    state: Mapped[TokenState] = mapped_column(_enum(TokenState))
    issue_reason: Mapped[TokenIssueReason] = mapped_column(_enum(TokenIssueReason))
    fee_yen: Mapped[int] = mapped_column(BigInteger, default=0)
    fee_entry_id: Mapped[int | None] = mapped_column(ForeignKey("journal_entries.id"))
    expires_on: Mapped[date | None] = mapped_column(Date)
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime)
    registered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("auth_otp_tokens.id"))


class ConfirmationCard(Base):
    """お取引確認番号 card: a grid of digits printed on the members card (AUTH-1, 001 2(3))."""

    __tablename__ = "auth_confirmation_cards"
    __table_args__ = (
        Index("uq_auth_confirmation_cards_one_active", "user_id", unique=True,
              postgresql_where=text("state = 'active'"),
              sqlite_where=text("state = 'active'")),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("auth_users.id"))
    serial: Mapped[str] = mapped_column(String(32), unique=True)
    rows: Mapped[int] = mapped_column(Integer)
    cols: Mapped[int] = mapped_column(Integer)
    grid_ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    state: Mapped[CardState] = mapped_column(_enum(CardState), default=CardState.ACTIVE)
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class AuthSession(Base):
    """A login session; the browser holds the token, the database only its keyed hash."""

    __tablename__ = "auth_sessions"
    __table_args__ = (Index("ix_auth_sessions_user_open", "user_id", "ended_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("auth_users.id"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scope: Mapped[SessionScope] = mapped_column(_enum(SessionScope))
    channel: Mapped[str] = mapped_column(String(16), default="pc")   # pc / smartphone / app
    login_method: Mapped[str] = mapped_column(String(24), default="password")
    ip: Mapped[str | None] = mapped_column(String(64))
    place: Mapped[str | None] = mapped_column(String(120))
    user_agent: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime)
    absolute_expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # Fixed when the session starts, so checking a request needs no policy lookup.
    idle_seconds: Mapped[int] = mapped_column(Integer)
    stepped_up_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # The digest of the operation the last step-up approved, so it cannot approve another.
    stepped_up_for: Mapped[str | None] = mapped_column(String(64))
    rotated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    end_reason: Mapped[str | None] = mapped_column(String(40))


class Challenge(Base):
    """A single-use challenge: a confirmation code, card cells, a phone call, a WebAuthn nonce.

    Consumed by a conditional UPDATE (``consumed_at IS NULL``) so that two requests cannot both
    use it.
    """

    __tablename__ = "auth_challenges"
    __table_args__ = (Index("ix_auth_challenges_user_kind", "user_id", "kind"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    public_id: Mapped[str] = mapped_column(String(43), unique=True)
    kind: Mapped[ChallengeKind] = mapped_column(_enum(ChallengeKind))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("auth_users.id"))
    session_id: Mapped[int | None] = mapped_column(ForeignKey("auth_sessions.id"))
    answer_hash: Mapped[str | None] = mapped_column(String(64))
    data: Mapped[str] = mapped_column(Text, default="{}")
    operation_digest: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)   # e.g. call arrived
    consumed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class PhoneCallEvent(Base):
    """A telephony provider's report of an incoming call; the event id refuses replays."""

    __tablename__ = "auth_phone_call_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(80), unique=True)
    caller: Mapped[str] = mapped_column(String(20))
    callee: Mapped[str] = mapped_column(String(20))
    called_at: Mapped[datetime] = mapped_column(UtcDateTime)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    challenge_id: Mapped[int | None] = mapped_column(ForeignKey("auth_challenges.id"))


class CertificateAuthority(Base):
    """The bank's client-certificate CA (AUTH-11, CRED-4); its key is encrypted at rest."""

    __tablename__ = "auth_certificate_authorities"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(120))
    certificate_pem: Mapped[str] = mapped_column(Text)
    key_ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ClientCertificate(Base):
    __tablename__ = "auth_client_certificates"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("auth_users.id"), index=True)
    ca_id: Mapped[int] = mapped_column(ForeignKey("auth_certificate_authorities.id"))
    serial: Mapped[str] = mapped_column(String(40), unique=True)       # hex
    fingerprint: Mapped[str] = mapped_column(String(64), unique=True)  # SHA-256 of the DER
    subject: Mapped[str] = mapped_column(String(300))
    not_before: Mapped[datetime] = mapped_column(UtcDateTime)
    not_after: Mapped[datetime] = mapped_column(UtcDateTime)
    state: Mapped[CertificateState] = mapped_column(_enum(CertificateState))
    certificate_pem: Mapped[str] = mapped_column(Text)
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    revocation_reason: Mapped[str | None] = mapped_column(String(80))


class ApprovalDevice(Base):
    """A smartphone's WebAuthn credential used for スマホ認証 (AUTH-12)."""

    __tablename__ = "auth_approval_devices"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("auth_users.id"), index=True)
    credential_id: Mapped[str] = mapped_column(String(255), unique=True)   # base64url
    public_key: Mapped[bytes] = mapped_column(LargeBinary)                  # COSE key
    sign_count: Mapped[int] = mapped_column(BigInteger, default=0)
    label: Mapped[str] = mapped_column(String(80), default="")
    state: Mapped[DeviceState] = mapped_column(_enum(DeviceState), default=DeviceState.ACTIVE)
    registered_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class CompromiseReport(Base):
    """A report of loss, theft or misuse of a credential or device (CRED-6, SUSP-1)."""

    __tablename__ = "auth_compromise_reports"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("auth_contracts.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("auth_users.id"))
    scope: Mapped[CompromiseScope] = mapped_column(_enum(CompromiseScope))
    credential: Mapped[str] = mapped_column(String(40))   # password / token / card / device …
    channel: Mapped[str] = mapped_column(String(20))      # phone / web / branch
    note: Mapped[str] = mapped_column(String(500), default="")
    reported_at: Mapped[datetime] = mapped_column(UtcDateTime)
    resumed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # The four-eyes request that resumed service; no foreign key, because the back office
    # sits above auth and auth must not depend on it.
    resumed_by_request_id: Mapped[int | None] = mapped_column(BigInteger)


class ThrottleKind(enum.StrEnum):
    ADDRESS = "address"        # failed attempts from one client address
    TARGET = "target"          # failed attempts on one typed login ID (or first-use account)
    UNKNOWN_ID = "unknown_id"  # the lockout counters of an ID that is not registered


class LoginThrottle(Base):
    """Failed-attempt counters that are not a user's own (see :mod:`kinko.auth.throttle`).

    ``key`` is a keyed digest of the kind and what it counts (an address, a product and a typed
    ID), so the table holds no address or typed ID in clear. Address and target rows count
    failures in a fixed window (``window_start``, ``failures``); an unknown-ID row carries the
    same lockout counters as :class:`AuthUser`, so that an ID that does not exist locks, and
    answers, exactly like one that does (AUTH-6, AUTH-10).
    """

    __tablename__ = "auth_login_throttle"
    __table_args__ = (
        CheckConstraint("failures >= 0", name="failures_not_negative"),
        Index("ix_auth_login_throttle_kind_updated", "kind", "updated_at"),
    )

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[ThrottleKind] = mapped_column(_enum(ThrottleKind, 12))
    window_start: Mapped[datetime] = mapped_column(UtcDateTime)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    state: Mapped[UserState] = mapped_column(_enum(UserState), default=UserState.ACTIVE)
    failure_count: Mapped[int] = mapped_column(Integer, default=0)
    lockout_count: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
