"""operators sign in with password + TOTP, server-side console sessions, console policy changes

Replaces the operator access key (``access_key_hash``): operators get an argon2id password
hash, an encrypted TOTP seed, lockout counters and server-side sessions; approved policy
changes from the console are stored in ``policy_changes``. Operators that existed before have
no password: create their credentials again (``kinko operators create`` while setting up, or
the console's four-eyes "reset operator").

Revision ID: 0009_backoffice_operators
Revises: 0006_operator_keys
Create Date: 2026-12-04 14:30:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import kinko.db.base


revision = '0009_backoffice_operators'
down_revision = '0006_operator_keys'
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    with op.batch_alter_table('backoffice_operators', schema=None) as batch_op:
        batch_op.drop_column('access_key_issued_at')
        batch_op.drop_column('access_key_hash')
        batch_op.add_column(sa.Column('password_hash', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('password_changed_at',
                                      kinko.db.base.UtcDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('must_change_password', sa.Boolean(), nullable=False,
                                      server_default=sa.true()))
        batch_op.add_column(sa.Column('totp_seed', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('totp_last_step', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('failed_attempts', sa.Integer(), nullable=False,
                                      server_default='0'))
        batch_op.add_column(sa.Column('locked_until', kinko.db.base.UtcDateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('locked', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    with op.batch_alter_table('backoffice_operators', schema=None) as batch_op:
        batch_op.alter_column('must_change_password', server_default=None)
        batch_op.alter_column('failed_attempts', server_default=None)
        batch_op.alter_column('locked', server_default=None)

    op.create_table(
        'backoffice_operator_sessions',
        sa.Column('id', _ID, autoincrement=True, nullable=False),
        sa.Column('token_digest', sa.String(length=64), nullable=False),
        sa.Column('operator_id', _ID, nullable=False),
        sa.Column('started_at', kinko.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column('last_seen_at', kinko.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column('ended_at', kinko.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column('end_reason', sa.String(length=20), nullable=True),
        sa.ForeignKeyConstraint(['operator_id'], ['backoffice_operators.id'], name=op.f(
            'fk_backoffice_operator_sessions_operator_id_backoffice_operators')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_backoffice_operator_sessions')),
        sa.UniqueConstraint('token_digest',
                            name=op.f('uq_backoffice_operator_sessions_token_digest')),
    )
    op.create_index('ix_backoffice_operator_sessions_operator', 'backoffice_operator_sessions',
                    ['operator_id'], unique=False)

    op.create_table(
        'policy_changes',
        sa.Column('id', _ID, autoincrement=True, nullable=False),
        sa.Column('effective_from', kinko.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column('overrides', sa.Text(), nullable=False),
        sa.Column('note', sa.String(length=500), nullable=False),
        sa.Column('notice_ja', sa.Text(), nullable=False),
        sa.Column('notice_en', sa.Text(), nullable=False),
        sa.Column('approval_request_id', sa.BigInteger(), nullable=True),
        sa.Column('requested_by', sa.BigInteger(), nullable=True),
        sa.Column('approved_by', sa.BigInteger(), nullable=True),
        sa.Column('approved_at', kinko.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_policy_changes')),
        sa.UniqueConstraint('effective_from', name=op.f('uq_policy_changes_effective_from')),
    )


def downgrade() -> None:
    op.drop_table('policy_changes')
    op.drop_index('ix_backoffice_operator_sessions_operator',
                  table_name='backoffice_operator_sessions')
    op.drop_table('backoffice_operator_sessions')
    with op.batch_alter_table('backoffice_operators', schema=None) as batch_op:
        for column in ('locked', 'locked_until', 'failed_attempts', 'totp_last_step',
                       'totp_seed', 'must_change_password', 'password_changed_at',
                       'password_hash'):
            batch_op.drop_column(column)
        batch_op.add_column(sa.Column('access_key_hash', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('access_key_issued_at',
                                      kinko.db.base.UtcDateTime(timezone=True), nullable=True))
