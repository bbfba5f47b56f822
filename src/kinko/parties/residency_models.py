"""The history of residency changes (PRD-5): one row per change, with its effective date.

``customers.resident`` is the status now; this table answers "resident on which date?" (e.g.
for the withholding tax on a time deposit's interest) and keeps the declarations the seed
asks the customer to make (003 第三条2(2)).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from kinko.db.base import Base, BigId, UtcDateTime


class ResidencyChange(Base):
    __tablename__ = "residency_changes"
    __table_args__ = (Index("ix_residency_changes_customer_effective", "customer_id",
                            "effective_on"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    resident: Mapped[bool]
    effective_on: Mapped[date] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)
    recorded_by: Mapped[str] = mapped_column(String(80))
