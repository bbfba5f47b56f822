"""Join the parallel 0003 branches (transfers, clearing and notifications, retail services)
into one head, so `alembic upgrade head` and `alembic check` see a single line again.

Revision ID: 0004
Revises: 0003_transfers, 0003_clearing, 0003_retail
"""
from __future__ import annotations

revision = "0004"
down_revision = ("0003_transfers", "0003_clearing", "0003_retail")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
