"""What the notifications API takes and answers."""

from __future__ import annotations

from pydantic import BaseModel, Field

from library.validation import Ids, Schema, label


class MarkRead(Schema):
    """Which notifications to mark read: `ids`, or every unread one when `ids` is left out (or null)."""

    ids: Ids | None = Field(None, title=label("通知编号"))


class NotificationOut(BaseModel):
    id: int
    kind: str
    subject_type: str
    subject_id: int | None
    text: str
    link: str
    created_at: str | None
    read: bool
    email_status: str | None


class NotificationList(BaseModel):
    unread: int
    notifications: list[NotificationOut]


class Marked(BaseModel):
    marked: int
