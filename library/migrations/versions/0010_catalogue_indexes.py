"""catalogue indexes: the home, subject, studio and resource pages' lists served in order by an
index range (newest or most downloaded first, per status; a studio's drafts; one's own uploads)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 14:00:00
"""
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

# Declared on library.resources.models.Resource.__table_args__ (tests/models/test_explain.py
# checks that the two agree).
INDEXES = [
    ('ix_resources_status_created', ['status', 'created_at', 'id']),
    ('ix_resources_status_downloads', ['status', 'download_count', 'id']),
    ('ix_resources_subject_status_created', ['subject_code', 'status', 'created_at', 'id']),
    ('ix_resources_subject_status_downloads', ['subject_code', 'status', 'download_count', 'id']),
    ('ix_resources_studio_status_created', ['studio_id', 'status', 'created_at', 'id']),
    ('ix_resources_studio_status_downloads', ['studio_id', 'status', 'download_count', 'id']),
    ('ix_resources_uploader_status_visibility', ['uploader_id', 'status', 'visibility']),
]


def upgrade() -> None:
    for name, columns in INDEXES:
        op.create_index(name, 'resources', columns, unique=False)


def downgrade() -> None:
    for name, _columns in reversed(INDEXES):
        op.drop_index(name, table_name='resources')
