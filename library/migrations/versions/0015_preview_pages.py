"""preview pages (issue 19, part 9): how many page images a DOCX or PPTX has

Revision ID: 0015_preview_pages
Revises: 0014
Create Date: 2026-12-04 15:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0015_preview_pages'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('resource_files') as batch:
        batch.add_column(sa.Column('preview_pages', sa.Integer(), server_default='0', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('resource_files') as batch:
        batch.drop_column('preview_pages')
