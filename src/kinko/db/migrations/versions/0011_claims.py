"""claims: compensation claims, their transactions, yearly totals

Revision ID: 0011_claims
Revises: 0010_onboarding
Create Date: 2026-12-04 14:18:20.297097
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import kinko.db.base


revision = '0011_claims'
down_revision = '0010_onboarding'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('claim_compensation_years',
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('total', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('total >= 0', name=op.f('ck_claim_compensation_years_total_not_negative')),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_claim_compensation_years_customer_id_customers')),
    sa.PrimaryKeyConstraint('customer_id', 'year', name=op.f('pk_claim_compensation_years'))
    )
    op.create_table('claims',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('kind', sa.Enum('fraud', 'processing_error', name='claimkind', native_enum=False, length=20), nullable=False),
    sa.Column('state', sa.Enum('received', 'investigating', 'decided', 'paid', 'rejected', name='claimstate', native_enum=False, length=20), nullable=False),
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('contract_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('product', sa.String(length=20), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('notified_on', sa.Date(), nullable=False),
    sa.Column('noticed_on', sa.Date(), nullable=False),
    sa.Column('stolen_on', sa.Date(), nullable=True),
    sa.Column('unavoidable_delay_days', sa.Integer(), nullable=False),
    sa.Column('delay_reason', sa.String(length=500), nullable=False),
    sa.Column('police_report_ref', sa.String(length=60), nullable=False),
    sa.Column('explanation', sa.Text(), nullable=False),
    sa.Column('compromise_report_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('findings', sa.Text(), nullable=True),
    sa.Column('findings_note', sa.Text(), nullable=False),
    sa.Column('case_document', sa.Text(), nullable=True),
    sa.Column('decision', sa.Text(), nullable=True),
    sa.Column('outcome', sa.String(length=10), nullable=True),
    sa.Column('compensation', sa.BigInteger(), nullable=True),
    sa.Column('cap_year', sa.Integer(), nullable=True),
    sa.Column('credit_account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('delayed_amount', sa.BigInteger(), nullable=True),
    sa.Column('delay_days', sa.Integer(), nullable=True),
    sa.Column('reported_by', sa.String(length=80), nullable=False),
    sa.Column('created_at', kinko.db.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('decided_at', kinko.db.base.UtcDateTime(timezone=True), nullable=True),
    sa.Column('decided_by_request_id', sa.BigInteger(), nullable=True),
    sa.Column('paid_at', kinko.db.base.UtcDateTime(timezone=True), nullable=True),
    sa.Column('paid_entry_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('rejection_reason', sa.String(length=500), nullable=True),
    sa.CheckConstraint('compensation IS NULL OR compensation >= 0', name=op.f('ck_claims_compensation_not_negative')),
    sa.CheckConstraint('unavoidable_delay_days >= 0', name=op.f('ck_claims_delay_not_negative')),
    sa.ForeignKeyConstraint(['compromise_report_id'], ['auth_compromise_reports.id'], name=op.f('fk_claims_compromise_report_id_auth_compromise_reports')),
    sa.ForeignKeyConstraint(['contract_id'], ['auth_contracts.id'], name=op.f('fk_claims_contract_id_auth_contracts')),
    sa.ForeignKeyConstraint(['credit_account_id'], ['accounts.id'], name=op.f('fk_claims_credit_account_id_accounts')),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_claims_customer_id_customers')),
    sa.ForeignKeyConstraint(['paid_entry_id'], ['journal_entries.id'], name=op.f('fk_claims_paid_entry_id_journal_entries')),
    sa.ForeignKeyConstraint(['user_id'], ['auth_users.id'], name=op.f('fk_claims_user_id_auth_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_claims'))
    )
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.create_index('ix_claims_customer', ['customer_id', 'created_at'], unique=False)
        batch_op.create_index('ix_claims_state_created', ['state', 'created_at'], unique=False)

    op.create_table('claim_transactions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('claim_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('instruction_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('payee_override', sa.String(length=30), nullable=True),
    sa.Column('payee_note', sa.String(length=500), nullable=False),
    sa.Column('lapsed_amount', sa.BigInteger(), nullable=False),
    sa.Column('subrogated_amount', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('lapsed_amount >= 0 AND subrogated_amount >= 0', name=op.f('ck_claim_transactions_recorded_not_negative')),
    sa.ForeignKeyConstraint(['claim_id'], ['claims.id'], name=op.f('fk_claim_transactions_claim_id_claims')),
    sa.ForeignKeyConstraint(['instruction_id'], ['instructions.id'], name=op.f('fk_claim_transactions_instruction_id_instructions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_claim_transactions')),
    sa.UniqueConstraint('claim_id', 'instruction_id', name=op.f('uq_claim_transactions_claim_id_instruction_id'))
    )
    with op.batch_alter_table('claim_transactions', schema=None) as batch_op:
        batch_op.create_index('ix_claim_transactions_instruction', ['instruction_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('claim_transactions', schema=None) as batch_op:
        batch_op.drop_index('ix_claim_transactions_instruction')

    op.drop_table('claim_transactions')
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.drop_index('ix_claims_state_created')
        batch_op.drop_index('ix_claims_customer')

    op.drop_table('claims')
    op.drop_table('claim_compensation_years')
