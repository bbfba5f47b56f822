"""verification: cases, encrypted face images

Periodic user verification by face (KYC-1..6): ``verification_cases`` (due -> outcome) and
``verification_images`` (AES-GCM ciphertext of document faces, selfies and capture frames;
the bytes are removed at the end of their retention, the row stays for the audit).

Revision ID: 0012_verification
Revises: 0011_claims
Create Date: 2026-12-04 14:18:06.226754
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import kinko.db.base


revision = '0012_verification'
down_revision = '0011_claims'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('verification_cases',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('state', sa.Enum('due', 'review', 'passed', 'failed', 'overdue', 'resubmitted', name='casestate', native_enum=False, length=16), nullable=False),
    sa.Column('due_at', kinko.db.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('deadline_at', kinko.db.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('matcher', sa.String(length=16), nullable=True),
    sa.Column('outcome', sa.String(length=24), nullable=True),
    sa.Column('distance_milli', sa.Integer(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('restricted', sa.Boolean(), nullable=False),
    sa.Column('decided_at', kinko.db.base.UtcDateTime(timezone=True), nullable=True),
    sa.Column('decided_by', sa.String(length=64), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('created_at', kinko.db.base.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_verification_cases_customer_id_customers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_verification_cases'))
    )
    with op.batch_alter_table('verification_cases', schema=None) as batch_op:
        batch_op.create_index('ix_verification_cases_customer_state', ['customer_id', 'state'], unique=False)

    op.create_table('verification_images',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('customer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('case_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('kind', sa.Enum('document_face', 'selfie', 'frame', 'resubmitted_document', name='imagekind', native_enum=False, length=24), nullable=False),
    sa.Column('ciphertext', sa.LargeBinary(), nullable=True),
    sa.Column('content_type', sa.String(length=40), nullable=False),
    sa.Column('current', sa.Boolean(), nullable=False),
    sa.Column('created_at', kinko.db.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', kinko.db.base.UtcDateTime(timezone=True), nullable=True),
    sa.Column('deleted_at', kinko.db.base.UtcDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['verification_cases.id'], name=op.f('fk_verification_images_case_id_verification_cases')),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_verification_images_customer_id_customers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_verification_images'))
    )
    with op.batch_alter_table('verification_images', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_verification_images_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index('ix_verification_images_expiry', ['deleted_at', 'expires_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('verification_images', schema=None) as batch_op:
        batch_op.drop_index('ix_verification_images_expiry')
        batch_op.drop_index(batch_op.f('ix_verification_images_customer_id'))

    op.drop_table('verification_images')
    with op.batch_alter_table('verification_cases', schema=None) as batch_op:
        batch_op.drop_index('ix_verification_cases_customer_state')

    op.drop_table('verification_cases')
