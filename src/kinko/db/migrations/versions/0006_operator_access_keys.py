"""operators: per-operator access keys, stored only as argon2id hashes; no tokens at rest

Also removes the session and CSRF tokens that earlier versions stored inside idempotent
confirmation responses (``idempotency_keys.response``).

Revision ID: 0006_operator_keys
Revises: 0003_retail
Create Date: 2026-12-04 11:40:00
"""
from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

import kinko.db.base


revision = '0006_operator_keys'
down_revision = '0005_throttle'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('backoffice_operators', schema=None) as batch_op:
        batch_op.add_column(sa.Column('access_key_hash', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('access_key_issued_at',
                                      kinko.db.base.UtcDateTime(timezone=True), nullable=True))
    _scrub_stored_tokens()


def _scrub_stored_tokens() -> None:
    keys = sa.table('idempotency_keys', sa.column('scope', sa.String), sa.column('key', sa.String),
                    sa.column('response', sa.Text))
    bind = op.get_bind()
    rows = bind.execute(sa.select(keys.c.scope, keys.c.key, keys.c.response).where(
        keys.c.response.like('%session_token%') | keys.c.response.like('%csrf_token%'))).all()
    for scope, key, response in rows:
        try:
            stored = json.loads(response)
        except ValueError:
            continue
        if not isinstance(stored, dict):
            continue
        kept = {k: v for k, v in stored.items() if k not in ('session_token', 'csrf_token')}
        bind.execute(sa.update(keys).where(keys.c.scope == scope, keys.c.key == key)
                     .values(response=json.dumps(kept, ensure_ascii=False)))


def downgrade() -> None:
    with op.batch_alter_table('backoffice_operators', schema=None) as batch_op:
        batch_op.drop_column('access_key_issued_at')
        batch_op.drop_column('access_key_hash')
