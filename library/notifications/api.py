"""Notifications in the JSON API."""

from __future__ import annotations

from flask import jsonify
from flask_babel import gettext as _

from library.db import is_row_id
from library.errors import InvalidInput
from library.notifications import service as notifications
from library.notifications.models import Notification
from library.web.api import api, request_object, signed_in, utc_time


@api.get("/notifications")
def list_notifications():
    actor = signed_in()
    rows = notifications.list_for(actor)
    return jsonify(unread=notifications.unread_count(actor), notifications=[notification_json(n) for n in rows])


@api.post("/notifications/read")
def read_notifications():
    data = request_object()
    ids = data.get("ids")
    if ids is not None and (not isinstance(ids, list) or not all(is_row_id(i) for i in ids)):
        raise InvalidInput(_("ids 应为通知编号的列表"), fields={"ids": _("应为数字列表")})
    changed = notifications.mark_read(signed_in(), ids)
    return jsonify(marked=changed)


def notification_json(row: Notification) -> dict:
    return {"id": row.id, "kind": row.kind, "subject_type": row.subject_type, "subject_id": row.subject_id,
            "text": row.text, "link": row.link, "created_at": utc_time(row.created_at), "read": row.read_at is not None,
            "email_status": row.email_status}
