"""jobs: the background job queue; the processing state of resource files

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 10:05:00.000000
"""
import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

# Plain ALTER TABLE for the new column (as in 0005): a batch "move and copy" of resource_files would
# fire the ON DELETE CASCADE of the tables pointing at it. Files uploaded before this revision were
# derived in their request, so they are all 'ready'.


def upgrade() -> None:
    op.create_table('jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('max_attempts', sa.Integer(), nullable=False),
    sa.Column('run_after', sa.DateTime(), nullable=False),
    sa.Column('lease_until', sa.DateTime(), nullable=True),
    sa.Column('locked_by', sa.String(length=128), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_jobs'))
    )
    op.create_index('ix_jobs_state_run_after', 'jobs', ['state', 'run_after'], unique=False)
    op.add_column('resource_files', sa.Column('state', sa.String(length=16), server_default='ready', nullable=False))


def downgrade() -> None:
    op.drop_column('resource_files', 'state')
    op.drop_index('ix_jobs_state_run_after', table_name='jobs')
    op.drop_table('jobs')
