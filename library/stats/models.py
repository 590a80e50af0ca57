"""Usage events (views, downloads) and studio activities."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Column, ForeignKey, Index, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from library.db import Base, utcnow

USAGE_KINDS = ("view", "download")


# Why an event does not count (an empty reason means it counts).
USAGE_REASONS = ("", "repeat", "range", "bot", "uploader")


ACTIVITY_KINDS = ("training", "teaching_research", "live", "outreach", "other")


class UsageEvent(Base):
    """One resource-page view or file download, kept raw (with user agent and range) so it can be recounted.

    `counted` says whether it counts under the rule (once per person per resource — per file for
    downloads — per day; no bots, no uploader, no later byte ranges); `reason` says why not.
    `dedupe_key` is set on counted events only and is unique, so two concurrent requests cannot both count.
    """

    __tablename__ = "usage_events"
    # A studio's counted views and downloads by day (stats.figures.gather), read from the index alone (0011).
    __table_args__ = (Index("ix_usage_events_studio_day", "studio_id", "counted", "day", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"), index=True)
    file_id: Mapped[int | None] = mapped_column(ForeignKey("resource_files.id", ondelete="SET NULL"))
    studio_id: Mapped[int] = mapped_column(ForeignKey("studios.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    role: Mapped[str] = mapped_column(String(16), default="anonymous")
    school_id: Mapped[int | None] = mapped_column(ForeignKey("schools.id", ondelete="SET NULL"))
    visitor: Mapped[str] = mapped_column(String(64))  # "u:<user id>" or "a:<hash of address, agent, day>"
    user_agent: Mapped[str] = mapped_column(String(300), default="")
    range_start: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), default=0)
    day: Mapped[date] = mapped_column(index=True)
    counted: Mapped[bool] = mapped_column(default=False, index=True)
    reason: Mapped[str] = mapped_column(String(16), default="")
    dedupe_key: Mapped[str | None] = mapped_column(String(160), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


activity_schools = Table(
    "activity_schools",
    Base.metadata,
    Column("activity_id", ForeignKey("activities.id", ondelete="CASCADE"), primary_key=True),
    Column("school_id", ForeignKey("schools.id", ondelete="CASCADE"), primary_key=True),
)


activity_resources = Table(
    "activity_resources",
    Base.metadata,
    Column("activity_id", ForeignKey("activities.id", ondelete="CASCADE"), primary_key=True),
    Column("resource_id", ForeignKey("resources.id", ondelete="CASCADE"), primary_key=True),
)


class Activity(Base):
    """A training, teaching-research activity or live session a studio held (培训、教研活动、直播)."""

    __tablename__ = "activities"
    __table_args__ = (Index("ix_activities_studio_held", "studio_id", "held_on"),)  # a studio's year (0011)

    id: Mapped[int] = mapped_column(primary_key=True)
    studio_id: Mapped[int] = mapped_column(ForeignKey("studios.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(32), default="training")
    held_on: Mapped[date] = mapped_column(index=True)
    participants: Mapped[int] = mapped_column(default=0)
    description: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    studio = relationship("Studio", lazy="joined")
    schools = relationship("School", secondary=activity_schools, order_by="School.name")
    resources = relationship("Resource", secondary=activity_resources, order_by="Resource.id")
    created_by = relationship("User")
