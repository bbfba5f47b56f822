"""Tables of the business net: a contract's settings (densai/FX applications, approval
modes), its usage accounts (利用口座), and each user's grants (services, limits, accounts)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kinko.db.base import Base, BigId, UtcDateTime


class CorporateSettings(Base):
    """Per contract: the separate applications (002 第1条2(2)) and the approval mode of each
    kind of request (APR-1: "none", "single" or "double")."""

    __tablename__ = "corporate_settings"

    contract_id: Mapped[int] = mapped_column(ForeignKey("auth_contracts.id"), primary_key=True)
    densai_applied: Mapped[bool] = mapped_column(Boolean, default=False)
    fx_applied: Mapped[bool] = mapped_column(Boolean, default=False)
    approval_bulk: Mapped[str] = mapped_column(String(8), default="single")
    approval_payroll: Mapped[str] = mapped_column(String(8), default="single")
    # Single transfers (振込) of the business net: "none" keeps the retail behaviour.
    approval_transfer: Mapped[str] = mapped_column(String(8), default="none",
                                                   server_default="none")
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class UsageAccount(Base):
    """An account registered for the contract (利用口座): the contractor's own, at this bank
    (002 第1条4(2)). The representative account is ``auth_contracts.representative_account_id``
    and is always a usage account too."""

    __tablename__ = "corporate_usage_accounts"
    __table_args__ = (UniqueConstraint("account_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("auth_contracts.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    added_at: Mapped[datetime] = mapped_column(UtcDateTime)


class UserGrant(Base):
    """What a general user may use (PRD-4): services as letters, own limits (NULL = the
    contract's), set by the master or an admin user."""

    __tablename__ = "corporate_user_grants"

    user_id: Mapped[int] = mapped_column(ForeignKey("auth_users.id"), primary_key=True)
    services: Mapped[str] = mapped_column(String(14), default="")
    per_transaction_limit: Mapped[int | None] = mapped_column(BigInteger)
    daily_limit: Mapped[int | None] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class UserAccount(Base):
    """One usage account a general user may see and use."""

    __tablename__ = "corporate_user_accounts"

    user_id: Mapped[int] = mapped_column(ForeignKey("auth_users.id"), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), primary_key=True)


class TransferApproval(Base):
    """A business-net transfer (振込) waiting for its approvals (APR-1). The instruction
    itself stays ``accepted`` and nothing is scheduled until the last approval; ``version``
    grows with every edit, so approvals of an earlier version no longer count."""

    __tablename__ = "corporate_transfer_approvals"

    instruction_id: Mapped[int] = mapped_column(ForeignKey("instructions.id"), primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("auth_contracts.id"), index=True)
    maker_user_id: Mapped[int] = mapped_column(ForeignKey("auth_users.id"))
    mode: Mapped[str] = mapped_column(String(8))             # single / double
    # waiting / approved / rejected / expired / withdrawn
    state: Mapped[str] = mapped_column(String(12))
    version: Mapped[int] = mapped_column(Integer, default=1)
    digest: Mapped[str] = mapped_column(String(64))          # of what an approver signs now
    cutoff_at: Mapped[datetime] = mapped_column(UtcDateTime)
    reason: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class TransferApprovalStep(Base):
    """One approval step of a transfer; unique per instruction, version and step, so two
    approvers racing for the same step cannot both record it."""

    __tablename__ = "corporate_transfer_steps"
    __table_args__ = (UniqueConstraint("instruction_id", "version", "step"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    instruction_id: Mapped[int] = mapped_column(ForeignKey("instructions.id"))
    version: Mapped[int] = mapped_column(Integer)
    step: Mapped[str] = mapped_column(String(8))             # single / first / final
    user_id: Mapped[int] = mapped_column(ForeignKey("auth_users.id"))
    digest: Mapped[str] = mapped_column(String(64))
    via_phone: Mapped[bool] = mapped_column(Boolean)
    approved_at: Mapped[datetime] = mapped_column(UtcDateTime)


class TokenApplication(Base):
    """A user's application (002 第11条3, 11; CRED-2): switch the contract's tokens hard ↔
    soft, or deregister the user's smartphone (soft token and approval key). The bank
    carries it out through the operators' four-eyes approval."""

    __tablename__ = "corporate_token_applications"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("auth_contracts.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("auth_users.id"))
    kind: Mapped[str] = mapped_column(String(20))            # to_soft / to_hard / deregister_phone
    state: Mapped[str] = mapped_column(String(12))           # pending / done / withdrawn
    note: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(40))
