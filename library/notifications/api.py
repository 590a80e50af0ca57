"""Notifications in the JSON API."""

from __future__ import annotations

from flask import jsonify

from library.notifications import service as notifications
from library.notifications.models import Notification
from library.notifications.schemas import Marked, MarkRead, NotificationList
from library.web.api import api, signed_in, utc_time
from library.web.openapi import operation


@api.get("/notifications")
@operation("我的通知 (my notifications)", response=NotificationList, tags=("notifications",),
           description="最新的 100 条，新的在前；unread 为未读总数。")
def list_notifications():
    actor = signed_in()
    rows = notifications.list_for(actor)
    return jsonify(unread=notifications.unread_count(actor), notifications=[notification_json(n) for n in rows])


@api.post("/notifications/read")
@operation("标为已读 (mark notifications read)", body=MarkRead, response=Marked, tags=("notifications",),
           description="ids 为通知编号列表；不给 ids 则全部标为已读。marked 为这次改变的条数。")
def read_notifications(body: MarkRead):
    changed = notifications.mark_read(signed_in(), body.ids)
    return jsonify(marked=changed)


def notification_json(row: Notification) -> dict:
    return {"id": row.id, "kind": row.kind, "subject_type": row.subject_type, "subject_id": row.subject_id,
            "text": row.text, "link": row.link, "created_at": utc_time(row.created_at), "read": row.read_at is not None,
            "email_status": row.email_status}
