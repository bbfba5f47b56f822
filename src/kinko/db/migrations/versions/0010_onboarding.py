"""onboarding: customers' postal address, corporate usage accounts, the mail room's shipments

Revision ID: 0010_onboarding
Revises: 0009_backoffice_operators
Create Date: 2026-12-04 14:12:39.152388
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import kinko.db.base


revision = '0010_onboarding'
down_revision = '0009_backoffice_operators'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('onboarding_contract_accounts',
    sa.Column('contract_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('representative', sa.Boolean(), nullable=False),
    sa.Column('added_at', kinko.db.base.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_onboarding_contract_accounts_account_id_accounts')),
    sa.ForeignKeyConstraint(['contract_id'], ['auth_contracts.id'], name=op.f('fk_onboarding_contract_accounts_contract_id_auth_contracts')),
    sa.PrimaryKeyConstraint('contract_id', 'account_id', name=op.f('pk_onboarding_contract_accounts'))
    )
    op.create_table('mail_shipments',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('kind', sa.Enum('initial_credentials', 'confirmation_card', 'token', 'token_renewal', name='shipmentkind', native_enum=False, length=24), nullable=False),
    sa.Column('state', sa.Enum('queued', 'printed', 'sent', 'returned', 'voided', name='shipmentstate', native_enum=False, length=12), nullable=False),
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('contract_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('token_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('reference', sa.String(length=40), nullable=False),
    sa.Column('sealed', sa.LargeBinary(), nullable=True),
    sa.Column('created_at', kinko.db.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=80), nullable=False),
    sa.Column('printed_at', kinko.db.base.UtcDateTime(timezone=True), nullable=True),
    sa.Column('sent_at', kinko.db.base.UtcDateTime(timezone=True), nullable=True),
    sa.Column('returned_at', kinko.db.base.UtcDateTime(timezone=True), nullable=True),
    sa.Column('returned_reason', sa.String(length=200), nullable=True),
    sa.Column('replaces_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('termination_candidate', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['contract_id'], ['auth_contracts.id'], name=op.f('fk_mail_shipments_contract_id_auth_contracts')),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_mail_shipments_customer_id_customers')),
    sa.ForeignKeyConstraint(['replaces_id'], ['mail_shipments.id'], name=op.f('fk_mail_shipments_replaces_id_mail_shipments')),
    sa.ForeignKeyConstraint(['token_id'], ['auth_otp_tokens.id'], name=op.f('fk_mail_shipments_token_id_auth_otp_tokens')),
    sa.ForeignKeyConstraint(['user_id'], ['auth_users.id'], name=op.f('fk_mail_shipments_user_id_auth_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mail_shipments'))
    )
    with op.batch_alter_table('mail_shipments', schema=None) as batch_op:
        batch_op.create_index('ix_mail_shipments_customer', ['customer_id', 'id'], unique=False)
        batch_op.create_index('ix_mail_shipments_state', ['state', 'id'], unique=False)

    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('postal_code', sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column('address', sa.String(length=200), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('customers', schema=None) as batch_op:
        batch_op.drop_column('address')
        batch_op.drop_column('postal_code')

    with op.batch_alter_table('mail_shipments', schema=None) as batch_op:
        batch_op.drop_index('ix_mail_shipments_state')
        batch_op.drop_index('ix_mail_shipments_customer')

    op.drop_table('mail_shipments')
    op.drop_table('onboarding_contract_accounts')
