"""user e-mail; notifications as the e-mail outbox

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 16:23:10.258144
"""
import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

# Plain ALTER TABLE rather than batch mode: SQLite (>= 3.35) adds and drops these columns in place,
# whereas a batch "move and copy" of `users` would fire the ON DELETE CASCADE of every table
# pointing at it. Existing notifications keep email_status NULL, so turning mail on later sends
# no history.


def upgrade() -> None:
    op.add_column('users', sa.Column('email', sa.String(length=254), nullable=True))
    op.add_column('notifications', sa.Column('email_status', sa.String(length=16), nullable=True))
    op.add_column('notifications', sa.Column('emailed_at', sa.DateTime(), nullable=True))
    op.create_index(op.f('ix_notifications_email_status'), 'notifications', ['email_status'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_notifications_email_status'), table_name='notifications')
    op.drop_column('notifications', 'emailed_at')
    op.drop_column('notifications', 'email_status')
    op.drop_column('users', 'email')
