"""sign-in sessions kept on the server (ended by signing out); sign-in attempts recorded before
their password is checked (the throttle holds under parallel guesses)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-10 09:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

# Sessions signed in before this migration carried `user id:password stamp`; they name no row
# here, so everyone signs in once more.


def upgrade() -> None:
    op.create_table('sign_in_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('remember', sa.Boolean(), nullable=False),
    sa.Column('ip', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('ended_at', sa.DateTime(), nullable=True),
    sa.Column('end_reason', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_sign_in_sessions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sign_in_sessions')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_sign_in_sessions_token_hash'))
    )
    op.create_index(op.f('ix_sign_in_sessions_user_id'), 'sign_in_sessions', ['user_id'], unique=False)
    op.create_index(op.f('ix_sign_in_sessions_expires_at'), 'sign_in_sessions', ['expires_at'], unique=False)
    op.create_table('sign_in_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account', sa.String(length=64), nullable=False),
    sa.Column('ip', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sign_in_attempts'))
    )
    op.create_index(op.f('ix_sign_in_attempts_account'), 'sign_in_attempts', ['account'], unique=False)
    op.create_index(op.f('ix_sign_in_attempts_ip'), 'sign_in_attempts', ['ip'], unique=False)
    op.create_index(op.f('ix_sign_in_attempts_created_at'), 'sign_in_attempts', ['created_at'], unique=False)


def downgrade() -> None:
    op.drop_table('sign_in_attempts')
    op.drop_table('sign_in_sessions')
