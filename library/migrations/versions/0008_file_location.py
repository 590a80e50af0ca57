"""file location: an original staged on local disk until its move job puts it into the bucket

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 09:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Every existing original is in the storage backend.
    with op.batch_alter_table('resource_files') as batch:
        batch.add_column(sa.Column('location', sa.String(length=8), server_default='stored', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('resource_files') as batch:
        batch.drop_column('location')
