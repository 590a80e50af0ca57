"""The notifications page and the unread count in the header."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import login_required

from library.accounts.auth import current_actor, signed_in_user
from library.notifications import service as notifications
from library.notifications.schemas import MarkRead
from library.validation import parse

bp = Blueprint("notifications", __name__)


@bp.app_template_global()
def unread_notifications() -> int:
    """The header's unread badge."""
    return notifications.unread_count(current_actor())


@bp.route("/notifications", methods=["GET", "POST"])
@login_required
def notification_list():
    actor = signed_in_user()
    if request.method == "POST":
        ids = parse(MarkRead, {"ids": request.form.getlist("id")}).ids
        notifications.mark_read(actor, ids or None)
        return redirect(url_for("notifications.notification_list"))
    return render_template("lending/notifications.html", items=notifications.list_for(actor))
