"""favourites (issue 19, part 8): a teacher's shelf

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 22:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'favourites',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('resource_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['resource_id'], ['resources.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', 'resource_id'),
    )
    op.create_index('ix_favourites_user_created', 'favourites', ['user_id', 'created_at'])


def downgrade() -> None:
    op.drop_index('ix_favourites_user_created', table_name='favourites')
    op.drop_table('favourites')
