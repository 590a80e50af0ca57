"""textbook positions (issue 18): the edition vocabulary, a resource's edition, grade code, volume,
unit and lesson, the index the textbook tree counts from, and a teacher's pinned textbook

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 20:30:00

The free-text grades written before ("三年级", "初二") become codes ("p3", "j2"); a grade that is
no grade ("三年级组") is kept out: it is emptied, and the title still carries it for search.
"""
import sqlalchemy as sa
from alembic import op

from library.textbooks.positions import parse_grade

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'editions',
        sa.Column('code', sa.String(length=32), nullable=False),
        sa.Column('name_zh', sa.String(length=64), nullable=False),
        sa.Column('name_en', sa.String(length=64), nullable=False),
        sa.Column('aliases', sa.JSON(), nullable=False),
        sa.Column('subjects', sa.JSON(), nullable=False),
        sa.Column('stages', sa.JSON(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('code'),
    )
    op.create_table(
        'textbook_pins',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('subject_code', sa.String(length=32), nullable=False),
        sa.Column('stage_code', sa.String(length=32), nullable=False),
        sa.Column('edition_code', sa.String(length=32), nullable=True),
        sa.Column('grade', sa.String(length=8), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['subject_code'], ['subjects.code'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['stage_code'], ['stages.code'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['edition_code'], ['editions.code'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('user_id'),
    )
    # Plain ALTER TABLE, not a batch copy: on SQLite a batch drops and recreates `resources`, and
    # with foreign keys on, dropping it would cascade to every file, event and loan of it.
    sqlite = op.get_bind().dialect.name == 'sqlite'
    if sqlite:  # Alembic adds no constraint to SQLite without a batch; SQLite takes it inline
        op.execute('ALTER TABLE resources ADD COLUMN edition_code VARCHAR(32) REFERENCES editions (code)')
    else:
        op.add_column('resources', sa.Column('edition_code', sa.String(length=32), nullable=True))
        op.create_foreign_key('fk_resources_edition_code_editions', 'resources', 'editions', ['edition_code'], ['code'])
    op.add_column('resources', sa.Column('volume', sa.String(length=24), server_default='', nullable=False))
    op.add_column('resources', sa.Column('unit_number', sa.Integer(), nullable=True))
    op.add_column('resources', sa.Column('unit_title', sa.String(length=100), server_default='', nullable=False))
    op.add_column('resources', sa.Column('lesson', sa.String(length=200), server_default='', nullable=False))
    op.add_column('resources', sa.Column('textbook_guessed', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_index('ix_resources_textbook', 'resources',
                    ['subject_code', 'stage_code', 'status', 'edition_code', 'grade', 'volume', 'unit_number'])
    bind = op.get_bind()
    resources = sa.table('resources', sa.column('id', sa.Integer), sa.column('grade', sa.String))
    written = bind.execute(sa.select(resources.c.grade).where(resources.c.grade != '').distinct()).scalars()
    for text in list(written):
        bind.execute(resources.update().where(resources.c.grade == text).values(grade=parse_grade(text) or ''))


def downgrade() -> None:
    op.drop_index('ix_resources_textbook', table_name='resources')
    if op.get_bind().dialect.name != 'sqlite':
        op.drop_constraint('fk_resources_edition_code_editions', 'resources', type_='foreignkey')
    for column in ('textbook_guessed', 'lesson', 'unit_title', 'unit_number', 'volume', 'edition_code'):
        op.drop_column('resources', column)  # ALTER TABLE … DROP COLUMN (SQLite ≥ 3.35): no table copy
    op.drop_table('textbook_pins')
    op.drop_table('editions')
