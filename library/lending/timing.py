"""The moment a lending rule is judged at, and its calendar day in the county."""

from __future__ import annotations

from datetime import date, datetime

from library import clock
from library.db import utcnow


def now_and_today(now: datetime | None) -> tuple[datetime, date]:
    """The moment (naive UTC, as stored) and the county's calendar day of it, which loans and
    agreements are judged by (like policy.loan_is_active); tests inject `now`."""
    now = now or utcnow()
    return now, clock.local_day(now)
