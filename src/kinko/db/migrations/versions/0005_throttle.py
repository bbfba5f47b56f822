"""login throttle: failed attempts per address and target, unknown-ID lockout counters

Revision ID: 0005_throttle
Revises: 0003_retail
Create Date: 2026-12-04 11:24:39.012099

One table, ``auth_login_throttle`` (kinko.auth.throttle): failed logins per client address and
per typed ID in a window, and the lockout counters of IDs that are not registered.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import kinko.db.base


revision = '0005_throttle'
down_revision = '0004_scale'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('auth_login_throttle',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.Enum('address', 'target', 'unknown_id', name='throttlekind', native_enum=False, length=12), nullable=False),
    sa.Column('window_start', kinko.db.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('state', sa.Enum('active', 'locked', 'blocked', 'suspended', name='userstate', native_enum=False, length=24), nullable=False),
    sa.Column('failure_count', sa.Integer(), nullable=False),
    sa.Column('lockout_count', sa.Integer(), nullable=False),
    sa.Column('locked_until', kinko.db.base.UtcDateTime(timezone=True), nullable=True),
    sa.Column('updated_at', kinko.db.base.UtcDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('failures >= 0', name=op.f('ck_auth_login_throttle_failures_not_negative')),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_auth_login_throttle'))
    )
    with op.batch_alter_table('auth_login_throttle', schema=None) as batch_op:
        batch_op.create_index('ix_auth_login_throttle_kind_updated', ['kind', 'updated_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('auth_login_throttle', schema=None) as batch_op:
        batch_op.drop_index('ix_auth_login_throttle_kind_updated')

    op.drop_table('auth_login_throttle')
