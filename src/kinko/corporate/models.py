"""Tables of the business net: a contract's settings (densai/FX applications, approval
modes), its usage accounts (利用口座), and each user's grants (services, limits, accounts)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, String, UniqueConstraint
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
