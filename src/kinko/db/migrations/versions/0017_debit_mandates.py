"""direct debit: the 依頼書 registered by the collecting company (payer name, customer number,
who registered it, when it was withdrawn); the debit day's results one row per chunk
(dd_results, dd_batches.decided_through) instead of an update per item

Revision ID: 0017_debit_mandates
Revises: 0016_corporate_approvals
Create Date: 2026-12-04 17:20:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import kinko.db.base

revision = '0017_debit_mandates'
down_revision = '0016_corporate_approvals'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('dd_mandates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('payer_name', sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column('customer_number', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column(
            'registered_by', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
            nullable=True))
        batch_op.add_column(sa.Column('stopped_at', kinko.db.base.UtcDateTime(timezone=True),
                                      nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_dd_mandates_registered_by_auth_users'),
                                    'auth_users', ['registered_by'], ['id'])
    with op.batch_alter_table('dd_batches', schema=None) as batch_op:
        batch_op.add_column(sa.Column('decided_through', sa.Integer(), server_default='0',
                                      nullable=False))
    op.create_table(
        'dd_results',
        sa.Column('batch_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
                  nullable=False),
        sa.Column('first_seq', sa.Integer(), nullable=False),
        sa.Column('codes', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['batch_id'], ['dd_batches.id'],
                                name=op.f('fk_dd_results_batch_id_dd_batches')),
        sa.PrimaryKeyConstraint('batch_id', 'first_seq', name=op.f('pk_dd_results')))
    with op.batch_alter_table('dd_items', schema=None) as batch_op:
        batch_op.drop_index('ix_dd_items_undecided', postgresql_where=sa.text('result_code IS NULL'),
                            sqlite_where=sa.text('result_code IS NULL'))
        batch_op.drop_column('result_code')


def downgrade() -> None:
    with op.batch_alter_table('dd_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('result_code', sa.String(length=1), nullable=True))
        batch_op.create_index('ix_dd_items_undecided', ['batch_id', 'seq'], unique=False,
                              postgresql_where=sa.text('result_code IS NULL'),
                              sqlite_where=sa.text('result_code IS NULL'))
    op.drop_table('dd_results')
    with op.batch_alter_table('dd_batches', schema=None) as batch_op:
        batch_op.drop_column('decided_through')
    with op.batch_alter_table('dd_mandates', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_dd_mandates_registered_by_auth_users'),
                                 type_='foreignkey')
        batch_op.drop_column('stopped_at')
        batch_op.drop_column('registered_by')
        batch_op.drop_column('customer_number')
        batch_op.drop_column('payer_name')
