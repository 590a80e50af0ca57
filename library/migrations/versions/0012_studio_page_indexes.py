"""indexes for a studio page's award wall and research projects (issue 15): the newest of each
award level and of each project status is one index range, whatever the studio's size

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 18:00:00
"""
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

# (name, table, columns): the same as the models' __table_args__.
INDEXES = [
    ('ix_resources_studio_award_year', 'resources', ['studio_id', 'award_level', 'year', 'id']),
    ('ix_resources_studio_kind_project_year', 'resources', ['studio_id', 'kind', 'project_status', 'year', 'id']),
]


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    for name, table, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
