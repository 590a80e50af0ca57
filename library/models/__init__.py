"""SQLAlchemy models, one module per aggregate; no Flask imports here."""

from library.models.audit import AuditEntry, ResourceEvent
from library.models.changelog import ChangeLog
from library.models.lending import Agreement, Loan, LoanFeedback, Notification
from library.models.resource import Resource, ResourceFile
from library.models.school import School
from library.models.stats import Activity, Indicator, UsageEvent
from library.models.studio import Membership, Studio
from library.models.user import ApiToken, User
from library.models.vocab import Stage, Subject

__all__ = [
    "Activity",
    "Indicator",
    "UsageEvent",
    "Agreement",
    "Loan",
    "LoanFeedback",
    "Notification",
    "ApiToken",
    "AuditEntry",
    "ResourceEvent",
    "School",
    "ChangeLog",
    "Membership",
    "Resource",
    "ResourceFile",
    "Stage",
    "Studio",
    "Subject",
    "User",
]
