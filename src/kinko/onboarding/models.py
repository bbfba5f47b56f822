"""Onboarding tables: a contract's usage accounts (PRD-3) and the mail room's shipments (CRED-5).

``kinko.tables`` imports this module so that Alembic and the tests see the tables.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from kinko.auth import models as _auth_models  # noqa: F401 - the contracts referred to
from kinko.db.base import Base, BigId, UtcDateTime, value_enum
from kinko.ledger import models as _ledger_models  # noqa: F401 - the accounts referred to


class ContractAccount(Base):
    """A usage account (利用口座) of a corporate contract; one is the representative (PRD-3)."""

    __tablename__ = "onboarding_contract_accounts"

    contract_id: Mapped[int] = mapped_column(ForeignKey("auth_contracts.id"), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    representative: Mapped[bool] = mapped_column(Boolean, default=False)
    added_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ShipmentKind(enum.StrEnum):  # names of shipments, not secrets: S105 is a false positive
    INITIAL_CREDENTIALS = "initial_credentials"   # user ID + initial password (003 第二条)
    CONFIRMATION_CARD = "confirmation_card"       # お取引確認番号 card (001)
    TOKEN = "token"  # noqa: S105  # a lent hard token (CRED-1)
    TOKEN_RENEWAL = "token_renewal"  # noqa: S105  # the new token, with a notice, before expiry


class ShipmentState(enum.StrEnum):
    QUEUED = "queued"       # waiting for the mail room
    PRINTED = "printed"     # the letter is printed (the secret is still readable for a reprint)
    SENT = "sent"           # handed to the post; the secret is wiped
    RETURNED = "returned"   # came back undelivered: the credential is void, a reissue queued
    VOIDED = "voided"       # withdrawn before it was sent (superseded)


class Shipment(Base):
    """One letter or parcel the bank mails to a customer (AUTH-7, CRED-1, CRED-5).

    What it carries in confidence (an initial password, a card's grid) is kept encrypted only
    until it is sent, so the letter can be printed again after a jam; sending wipes it.
    """

    __tablename__ = "mail_shipments"
    __table_args__ = (Index("ix_mail_shipments_state", "state", "id"),
                      Index("ix_mail_shipments_customer", "customer_id", "id"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    kind: Mapped[ShipmentKind] = mapped_column(value_enum(ShipmentKind, 24))
    state: Mapped[ShipmentState] = mapped_column(value_enum(ShipmentState, 12),
                                                 default=ShipmentState.QUEUED)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("auth_contracts.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("auth_users.id"))
    token_id: Mapped[int | None] = mapped_column(ForeignKey("auth_otp_tokens.id"))
    reference: Mapped[str] = mapped_column(String(40), default="")   # serial, user ID
    sealed: Mapped[bytes | None] = mapped_column(LargeBinary)          # encrypted contents
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(String(80))
    printed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    returned_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    returned_reason: Mapped[str | None] = mapped_column(String(200))
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("mail_shipments.id"))
    # Initial credentials that could not be delivered let the bank terminate (CRED-5, CTR-2).
    termination_candidate: Mapped[bool] = mapped_column(Boolean, default=False)
