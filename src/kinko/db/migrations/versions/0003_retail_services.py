"""retail services: Pay-easy agencies and bills, time deposits, debit cards, residency history

Revision ID: 0003_retail
Revises: 0003_clearing
Create Date: 2026-11-21 23:21:33.260677
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import kinko.db.base


revision = '0003_retail'
down_revision = '0003_clearing'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('payeasy_agencies',
    sa.Column('code', sa.String(length=5), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('name_kana', sa.String(length=30), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.CheckConstraint('length(code) = 5', name=op.f('ck_payeasy_agencies_code_5_digits')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_payeasy_agencies'))
    )
    op.create_table('residency_changes',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('resident', sa.Boolean(), nullable=False),
    sa.Column('effective_on', sa.Date(), nullable=False),
    sa.Column('recorded_at', kinko.db.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('recorded_by', sa.String(length=80), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_residency_changes_customer_id_customers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_residency_changes'))
    )
    with op.batch_alter_table('residency_changes', schema=None) as batch_op:
        batch_op.create_index('ix_residency_changes_customer_effective', ['customer_id', 'effective_on'], unique=False)

    op.create_table('debit_cards',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('number_digest', sa.String(length=64), nullable=False),
    sa.Column('last4', sa.String(length=4), nullable=False),
    sa.Column('state', sa.Enum('active', 'cancelled', name='cardstate', native_enum=False, length=12), nullable=False),
    sa.Column('active_account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('active_digest', sa.String(length=64), nullable=True),
    sa.Column('registered_at', kinko.db.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('registered_by', sa.String(length=80), nullable=False),
    sa.Column('cancelled_at', kinko.db.base.UtcDateTime(timezone=True), nullable=True),
    sa.Column('cancelled_by', sa.String(length=80), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_debit_cards_account_id_accounts')),
    sa.ForeignKeyConstraint(['active_account_id'], ['accounts.id'], name=op.f('fk_debit_cards_active_account_id_accounts')),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_debit_cards_customer_id_customers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_debit_cards')),
    sa.UniqueConstraint('active_account_id', name=op.f('uq_debit_cards_active_account_id')),
    sa.UniqueConstraint('active_digest', name=op.f('uq_debit_cards_active_digest'))
    )
    with op.batch_alter_table('debit_cards', schema=None) as batch_op:
        batch_op.create_index('ix_debit_cards_customer', ['customer_id', 'id'], unique=False)

    op.create_table('payeasy_bills',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('agency_code', sa.String(length=5), nullable=False),
    sa.Column('customer_number', sa.String(length=20), nullable=False),
    sa.Column('confirmation_number', sa.String(length=6), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('payee_name', sa.String(length=60), nullable=False),
    sa.Column('description', sa.String(length=100), nullable=False),
    sa.Column('state', sa.Enum('unpaid', 'paid', 'cancelled', name='billstate', native_enum=False, length=12), nullable=False),
    sa.Column('issued_at', kinko.db.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('paid_at', kinko.db.base.UtcDateTime(timezone=True), nullable=True),
    sa.Column('paid_instruction_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('paid_account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('paid_entry_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('cancelled_at', kinko.db.base.UtcDateTime(timezone=True), nullable=True),
    sa.Column('cancel_reason', sa.String(length=200), nullable=True),
    sa.Column('refund_entry_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.CheckConstraint('amount > 0', name=op.f('ck_payeasy_bills_amount_positive')),
    sa.ForeignKeyConstraint(['agency_code'], ['payeasy_agencies.code'], name=op.f('fk_payeasy_bills_agency_code_payeasy_agencies')),
    sa.ForeignKeyConstraint(['paid_account_id'], ['accounts.id'], name=op.f('fk_payeasy_bills_paid_account_id_accounts')),
    sa.ForeignKeyConstraint(['paid_entry_id'], ['journal_entries.id'], name=op.f('fk_payeasy_bills_paid_entry_id_journal_entries')),
    sa.ForeignKeyConstraint(['paid_instruction_id'], ['instructions.id'], name=op.f('fk_payeasy_bills_paid_instruction_id_instructions')),
    sa.ForeignKeyConstraint(['refund_entry_id'], ['journal_entries.id'], name=op.f('fk_payeasy_bills_refund_entry_id_journal_entries')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payeasy_bills')),
    sa.UniqueConstraint('agency_code', 'customer_number', name=op.f('uq_payeasy_bills_agency_code_customer_number')),
    sa.UniqueConstraint('paid_instruction_id', name=op.f('uq_payeasy_bills_paid_instruction_id'))
    )
    op.create_table('time_deposits',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('payout_account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('open_instruction_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('principal', sa.BigInteger(), nullable=False),
    sa.Column('term_months', sa.Integer(), nullable=False),
    sa.Column('annual_rate_per_100k', sa.Integer(), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('maturity_date', sa.Date(), nullable=False),
    sa.Column('state', sa.Enum('active', 'matured', 'cancelled', name='depositstate', native_enum=False, length=12), nullable=False),
    sa.Column('opened_at', kinko.db.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('closed_on', sa.Date(), nullable=True),
    sa.Column('close_instruction_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('applied_rate_per_100k', sa.Integer(), nullable=True),
    sa.Column('gross_interest', sa.BigInteger(), nullable=True),
    sa.Column('national_tax', sa.BigInteger(), nullable=True),
    sa.Column('local_tax', sa.BigInteger(), nullable=True),
    sa.Column('payout_entry_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('paid_to_suspense', sa.Boolean(), nullable=False),
    sa.CheckConstraint('annual_rate_per_100k >= 0', name=op.f('ck_time_deposits_rate_not_negative')),
    sa.CheckConstraint('principal > 0', name=op.f('ck_time_deposits_principal_positive')),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_time_deposits_account_id_accounts')),
    sa.ForeignKeyConstraint(['close_instruction_id'], ['instructions.id'], name=op.f('fk_time_deposits_close_instruction_id_instructions')),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_time_deposits_customer_id_customers')),
    sa.ForeignKeyConstraint(['open_instruction_id'], ['instructions.id'], name=op.f('fk_time_deposits_open_instruction_id_instructions')),
    sa.ForeignKeyConstraint(['payout_account_id'], ['accounts.id'], name=op.f('fk_time_deposits_payout_account_id_accounts')),
    sa.ForeignKeyConstraint(['payout_entry_id'], ['journal_entries.id'], name=op.f('fk_time_deposits_payout_entry_id_journal_entries')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_time_deposits')),
    sa.UniqueConstraint('account_id', name=op.f('uq_time_deposits_account_id')),
    sa.UniqueConstraint('close_instruction_id', name=op.f('uq_time_deposits_close_instruction_id')),
    sa.UniqueConstraint('open_instruction_id', name=op.f('uq_time_deposits_open_instruction_id'))
    )
    with op.batch_alter_table('time_deposits', schema=None) as batch_op:
        batch_op.create_index('ix_time_deposits_customer', ['customer_id', 'id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('time_deposits', schema=None) as batch_op:
        batch_op.drop_index('ix_time_deposits_customer')

    op.drop_table('time_deposits')
    op.drop_table('payeasy_bills')
    with op.batch_alter_table('debit_cards', schema=None) as batch_op:
        batch_op.drop_index('ix_debit_cards_customer')

    op.drop_table('debit_cards')
    with op.batch_alter_table('residency_changes', schema=None) as batch_op:
        batch_op.drop_index('ix_residency_changes_customer_effective')

    op.drop_table('residency_changes')
    op.drop_table('payeasy_agencies')
