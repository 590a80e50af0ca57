"""indexes for the signed-in work pages (issue 15): review queue, loans, statistics, assessment,
notifications — each page's queries are ranges of an index, not scans of the library

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 14:00:00
"""
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

# (name, table, columns): the same as the models' __table_args__.
INDEXES = [
    ('ix_resources_studio_year', 'resources', ['studio_id', 'status', 'year', 'published_at', 'kind', 'award_level',
                                               'project_level', 'project_status']),
    ('ix_resources_status_updated', 'resources', ['status', 'updated_at']),
    ('ix_loans_studio_granted', 'loans', ['studio_id', 'granted_at']),
    ('ix_loans_school_requested', 'loans', ['school_id', 'requested_at']),
    ('ix_loans_studio_requested', 'loans', ['studio_id', 'requested_at']),
    ('ix_loans_status_requested', 'loans', ['status', 'requested_at']),
    ('ix_loans_requested', 'loans', ['requested_at', 'id']),
    ('ix_usage_events_studio_day', 'usage_events', ['studio_id', 'counted', 'day', 'kind']),
    ('ix_activities_studio_held', 'activities', ['studio_id', 'held_on']),
    ('ix_notifications_user_created', 'notifications', ['user_id', 'created_at', 'id']),
    ('ix_notifications_user_unread', 'notifications', ['user_id', 'read_at']),
]


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    for name, table, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
