"""corporate approvals: transfer approvals (APR-1) and token applications (CRED-2)

Revision ID: 0016_corporate_approvals
Revises: 0015_audit_links
Create Date: 2026-12-04 17:30:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import kinko.db.base

revision = '0016_corporate_approvals'
down_revision = '0015_audit_links'
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
_AT = kinko.db.base.UtcDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table('corporate_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('approval_transfer', sa.String(length=8), nullable=False,
                                      server_default='none'))
    op.create_table('corporate_transfer_approvals',
    sa.Column('instruction_id', _ID, nullable=False),
    sa.Column('contract_id', _ID, nullable=False),
    sa.Column('maker_user_id', _ID, nullable=False),
    sa.Column('mode', sa.String(length=8), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('cutoff_at', _AT, nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=True),
    sa.Column('created_at', _AT, nullable=False),
    sa.Column('finished_at', _AT, nullable=True),
    sa.ForeignKeyConstraint(['instruction_id'], ['instructions.id'], name=op.f('fk_corporate_transfer_approvals_instruction_id_instructions')),
    sa.ForeignKeyConstraint(['contract_id'], ['auth_contracts.id'], name=op.f('fk_corporate_transfer_approvals_contract_id_auth_contracts')),
    sa.ForeignKeyConstraint(['maker_user_id'], ['auth_users.id'], name=op.f('fk_corporate_transfer_approvals_maker_user_id_auth_users')),
    sa.PrimaryKeyConstraint('instruction_id', name=op.f('pk_corporate_transfer_approvals'))
    )
    with op.batch_alter_table('corporate_transfer_approvals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_corporate_transfer_approvals_contract_id'), ['contract_id'], unique=False)
    op.create_table('corporate_transfer_steps',
    sa.Column('id', _ID, autoincrement=True, nullable=False),
    sa.Column('instruction_id', _ID, nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('step', sa.String(length=8), nullable=False),
    sa.Column('user_id', _ID, nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('via_phone', sa.Boolean(), nullable=False),
    sa.Column('approved_at', _AT, nullable=False),
    sa.ForeignKeyConstraint(['instruction_id'], ['instructions.id'], name=op.f('fk_corporate_transfer_steps_instruction_id_instructions')),
    sa.ForeignKeyConstraint(['user_id'], ['auth_users.id'], name=op.f('fk_corporate_transfer_steps_user_id_auth_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_corporate_transfer_steps')),
    sa.UniqueConstraint('instruction_id', 'version', 'step', name=op.f('uq_corporate_transfer_steps_instruction_id_version_step'))
    )
    op.create_table('corporate_token_applications',
    sa.Column('id', _ID, autoincrement=True, nullable=False),
    sa.Column('contract_id', _ID, nullable=False),
    sa.Column('user_id', _ID, nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('created_at', _AT, nullable=False),
    sa.Column('decided_at', _AT, nullable=True),
    sa.Column('decided_by', sa.String(length=40), nullable=True),
    sa.ForeignKeyConstraint(['contract_id'], ['auth_contracts.id'], name=op.f('fk_corporate_token_applications_contract_id_auth_contracts')),
    sa.ForeignKeyConstraint(['user_id'], ['auth_users.id'], name=op.f('fk_corporate_token_applications_user_id_auth_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_corporate_token_applications'))
    )
    with op.batch_alter_table('corporate_token_applications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_corporate_token_applications_contract_id'), ['contract_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('corporate_token_applications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_corporate_token_applications_contract_id'))
    op.drop_table('corporate_token_applications')
    op.drop_table('corporate_transfer_steps')
    with op.batch_alter_table('corporate_transfer_approvals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_corporate_transfer_approvals_contract_id'))
    op.drop_table('corporate_transfer_approvals')
    with op.batch_alter_table('corporate_settings', schema=None) as batch_op:
        batch_op.drop_column('approval_transfer')
