"""Notifications: what a user is told in the app (and by e-mail when configured)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from library.db import Base, utcnow


class Notification(Base):
    """An in-app message to one user (also e-mailed when mail is configured)."""

    __tablename__ = "notifications"
    # A user's newest notices and the unread badge on every page (0011).
    __table_args__ = (
        Index("ix_notifications_user_created", "user_id", "created_at", "id"),
        Index("ix_notifications_user_unread", "user_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))  # one of notifications.service.KINDS: loan.requested … resource.returned, resource.published
    subject_type: Mapped[str] = mapped_column(String(32), default="")
    subject_id: Mapped[int | None]
    text: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    read_at: Mapped[datetime | None]
    # The outbox: "pending" until mailed ("sent"), refused for good by the server ("refused") or
    # given up as too old ("expired"); None when it was never to be mailed (mail off, no address).
    email_status: Mapped[str | None] = mapped_column(String(16), index=True)
    emailed_at: Mapped[datetime | None]  # sent, or (while pending) the last attempt started
