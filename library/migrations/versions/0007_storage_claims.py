"""storage claims: objects an upload in flight uses, or one being deleted

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 08:20:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'storage_claims',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=255), nullable=False),
        sa.Column('purpose', sa.String(length=8), nullable=False),
        sa.Column('token', sa.String(length=32), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_storage_claims')),
    )
    op.create_index(op.f('ix_storage_claims_key'), 'storage_claims', ['key'], unique=False)
    op.create_index(op.f('ix_storage_claims_token'), 'storage_claims', ['token'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_storage_claims_token'), table_name='storage_claims')
    op.drop_index(op.f('ix_storage_claims_key'), table_name='storage_claims')
    op.drop_table('storage_claims')
