"""Parties: the bank's branches and its customers (PRD-1, PRD-5)."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, String, func
from sqlalchemy.orm import Mapped, mapped_column

from kinko.db.base import Base, BigId, UtcDateTime, value_enum


class CustomerKind(enum.StrEnum):
    INDIVIDUAL = "individual"   # 個人
    CORPORATE = "corporate"     # 法人・個人事業主・任意団体


class Branch(Base):
    __tablename__ = "branches"
    __table_args__ = (CheckConstraint("length(code) = 3", name="code_3_digits"),)

    code: Mapped[str] = mapped_column(String(3), primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    name_kana: Mapped[str] = mapped_column(String(15))


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    number: Mapped[str] = mapped_column(String(10), unique=True)  # 顧客番号 / CIF
    kind: Mapped[CustomerKind] = mapped_column(
        value_enum(CustomerKind, 12)
    )
    name: Mapped[str] = mapped_column(String(120))
    name_kana: Mapped[str] = mapped_column(String(48))
    branch_code: Mapped[str] = mapped_column(ForeignKey("branches.code"))
    birth_date: Mapped[date | None] = mapped_column(Date)
    phone: Mapped[str | None] = mapped_column(String(20))
    # Where the bank mails credentials (AUTH-7, CRED-5): 〒 number and the address lines.
    postal_code: Mapped[str | None] = mapped_column(String(8))
    address: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    resident: Mapped[bool] = mapped_column(default=True)  # PRD-5 居住者
    residency_changed_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, server_default=func.now())
