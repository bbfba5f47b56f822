"""operators: per-operator access keys, stored only as argon2id hashes

Revision ID: 0006_operator_keys
Revises: 0003_retail
Create Date: 2026-12-04 11:40:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import kinko.db.base


revision = '0006_operator_keys'
down_revision = '0003_retail'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('backoffice_operators', schema=None) as batch_op:
        batch_op.add_column(sa.Column('access_key_hash', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('access_key_issued_at',
                                      kinko.db.base.UtcDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('backoffice_operators', schema=None) as batch_op:
        batch_op.drop_column('access_key_issued_at')
        batch_op.drop_column('access_key_hash')
