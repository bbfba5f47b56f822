"""scale: indexes that keep statements, lists and the audit sealer flat in history

Revision ID: 0004_scale
Revises: 0003_retail
Create Date: 2026-12-04 11:40:00

* journal_entries (value_date, id): the first entry of each day of a statement period.
* instructions (contract_id, entered_at, id): the contract's instruction list, keyset-paged.
* clearing_incoming (account_id, value_date, id) replaces (account_id, value_date): the
  incoming list's order, keyset-paged, with no sort of a busy day's rows.
* audit_events: a partial index on id of the unsealed events replaces the plain index on
  chain_seq (which duplicated the unique constraint's index and grew with the whole chain).
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004_scale'
down_revision = '0003_retail'
branch_labels = None
depends_on = None

_UNSEALED = sa.text("chain_seq IS NULL")


def upgrade() -> None:
    with op.batch_alter_table('journal_entries', schema=None) as batch_op:
        batch_op.create_index('ix_journal_entries_value_date_id', ['value_date', 'id'],
                              unique=False)
    with op.batch_alter_table('instructions', schema=None) as batch_op:
        batch_op.create_index('ix_instructions_contract_entered',
                              ['contract_id', 'entered_at', 'id'], unique=False)
    with op.batch_alter_table('clearing_incoming', schema=None) as batch_op:
        batch_op.drop_index('ix_clearing_incoming_account_date')
        batch_op.create_index('ix_clearing_incoming_account_date_id',
                              ['account_id', 'value_date', 'id'], unique=False)
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_events_unsealed')
        batch_op.create_index('ix_audit_events_unsealed_id', ['id'], unique=False,
                              postgresql_where=_UNSEALED, sqlite_where=_UNSEALED)


def downgrade() -> None:
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_events_unsealed_id',
                            postgresql_where=_UNSEALED, sqlite_where=_UNSEALED)
        batch_op.create_index('ix_audit_events_unsealed', ['chain_seq'], unique=False)
    with op.batch_alter_table('clearing_incoming', schema=None) as batch_op:
        batch_op.drop_index('ix_clearing_incoming_account_date_id')
        batch_op.create_index('ix_clearing_incoming_account_date', ['account_id', 'value_date'],
                              unique=False)
    with op.batch_alter_table('instructions', schema=None) as batch_op:
        batch_op.drop_index('ix_instructions_contract_entered')
    with op.batch_alter_table('journal_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_journal_entries_value_date_id')
