"""audit links: the chain in an append-only table, so that sealing never rewrites an event

Revision ID: 0015_audit_links
Revises: 0014_corporate_services
Create Date: 2026-12-04 17:40:00

* audit_links (seq, event_id, prev_hash, hash): one narrow row per sealed event, written with
  COPY; the links already sealed move over from audit_events unchanged (same positions, same
  hashes, so the chain verifies as before).
* audit_events loses chain_seq, prev_hash, hash, the unique index on chain_seq and the partial
  index of unsealed events: an event row is written once and never updated.
* audit_chain_head gains floor_id (every event up to it is linked) and the pending bound.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0015_audit_links'
down_revision = '0014_corporate_services'
branch_labels = None
depends_on = None

_UNSEALED = sa.text("chain_seq IS NULL")


def upgrade() -> None:
    op.create_table('audit_links',
    sa.Column('seq', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('event_id', sa.BigInteger(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_audit_links')),
    sa.UniqueConstraint('event_id', name=op.f('uq_audit_links_event_id'))
    )
    op.execute("INSERT INTO audit_links (seq, event_id, prev_hash, hash) "
               "SELECT chain_seq, id, prev_hash, hash FROM audit_events "
               "WHERE chain_seq IS NOT NULL")
    with op.batch_alter_table('audit_chain_head', schema=None) as batch_op:
        batch_op.add_column(sa.Column('floor_id', sa.BigInteger(), server_default='0',
                                      nullable=False))
        batch_op.add_column(sa.Column('pending_id', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('pending_holders', sa.Text(), nullable=True))
    # Every event below the oldest unsealed one is linked.
    op.execute("UPDATE audit_chain_head SET floor_id = coalesce("
               "(SELECT min(id) - 1 FROM audit_events WHERE chain_seq IS NULL), "
               "(SELECT max(id) FROM audit_events), 0)")
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_events_unsealed_id',
                            postgresql_where=_UNSEALED, sqlite_where=_UNSEALED)
        batch_op.drop_constraint('uq_audit_events_chain_seq', type_='unique')
        batch_op.drop_column('hash')
        batch_op.drop_column('prev_hash')
        batch_op.drop_column('chain_seq')


def downgrade() -> None:
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('chain_seq', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('prev_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('hash', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint('uq_audit_events_chain_seq', ['chain_seq'])
        batch_op.create_index('ix_audit_events_unsealed_id', ['id'], unique=False,
                              postgresql_where=_UNSEALED, sqlite_where=_UNSEALED)
    op.execute("UPDATE audit_events SET "
               "chain_seq = (SELECT seq FROM audit_links l WHERE l.event_id = audit_events.id), "
               "prev_hash = (SELECT prev_hash FROM audit_links l "
               "             WHERE l.event_id = audit_events.id), "
               "hash = (SELECT hash FROM audit_links l WHERE l.event_id = audit_events.id)")
    with op.batch_alter_table('audit_chain_head', schema=None) as batch_op:
        batch_op.drop_column('pending_holders')
        batch_op.drop_column('pending_id')
        batch_op.drop_column('floor_id')
    op.drop_table('audit_links')
