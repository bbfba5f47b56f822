"""bulk lines: no foreign key from bulk_lines.request_id to bulk_requests, no state index;
bulk_requests.chunks_left, the run's chunks still to pay

The lines of a request are written only by the request's own transaction (one COPY in
kinko.bulk.service._insert_lines, right after the request row), so PostgreSQL's row-by-row
check of that key proved nothing and was half the cost of storing 100,000 lines. The index on
(request_id, state, line_no) was only read by the run, which now walks the unique
(request_id, line_no) index from the chunk's first line; every line's state UPDATE wrote an
entry into it. A run's chunks are now all enqueued at once, so that runners side by side
pay them at the same time; ``chunks_left`` counts them down.

Revision ID: 0018_bulk_speed
Revises: 0017_debit_mandates
Create Date: 2026-12-04 20:40:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0018_bulk_speed'
down_revision = '0017_debit_mandates'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('bulk_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('chunks_left', sa.Integer(), nullable=True))
    with op.batch_alter_table('bulk_lines', schema=None) as batch_op:
        batch_op.drop_index('ix_bulk_lines_request_state')
        batch_op.drop_constraint('fk_bulk_lines_request_id_bulk_requests', type_='foreignkey')
    if op.get_bind().dialect.name == 'postgresql':
        # Every line is written once by COPY and updated once (its state) by the run: half of
        # each page left free lets that UPDATE put the new row version on the same page
        # without touching any index (a HOT update; the state is no longer indexed).
        op.execute('ALTER TABLE bulk_lines SET (fillfactor = 50)')


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ALTER TABLE bulk_lines RESET (fillfactor)')
    with op.batch_alter_table('bulk_lines', schema=None) as batch_op:
        batch_op.create_foreign_key('fk_bulk_lines_request_id_bulk_requests', 'bulk_requests',
                                    ['request_id'], ['id'])
        batch_op.create_index('ix_bulk_lines_request_state', ['request_id', 'state', 'line_no'],
                              unique=False)
    with op.batch_alter_table('bulk_requests', schema=None) as batch_op:
        batch_op.drop_column('chunks_left')
