"""The county's calendar: timestamps are stored as naive UTC, but a day and a year are China's
(BABEL_DEFAULT_TIMEZONE, Asia/Shanghai), so New Year's morning in the county is not last year."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from flask import current_app


def zone() -> ZoneInfo:
    """The county's time zone."""
    return ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "Asia/Shanghai")


def today() -> date:
    """The county's calendar day now: loans fall due and agreements start and end by it."""
    return local_day(datetime.now(UTC).replace(tzinfo=None))


def local_day(moment: datetime) -> date:
    """The county's calendar day of a stored (naive UTC) moment."""
    return moment.replace(tzinfo=UTC).astimezone(zone()).date()


def utc_start(day: date) -> datetime:
    """The stored (naive UTC) form of the county's midnight at the start of `day`."""
    return datetime.combine(day, time(), tzinfo=zone()).astimezone(UTC).replace(tzinfo=None)
