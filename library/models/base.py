"""Small helpers shared by the models."""

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Naive UTC now, the form every timestamp column stores."""
    return datetime.now(UTC).replace(tzinfo=None)
