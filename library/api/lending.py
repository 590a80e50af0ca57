"""API endpoints of agreements, loans, borrow kits and notifications (issue 6)."""

from __future__ import annotations

from flask import Response, current_app, jsonify, request, url_for
from flask_babel import gettext as _

from library.api import api
from library.api.lending_json import agreement_json, feedback_json, loan_json, notification_json
from library.auth import current_actor
from library.db import is_row_id
from library.services import kit, lending, notifications
from library.services.errors import InvalidInput, Unauthenticated


def _signed_in():
    actor = current_actor()
    if actor is None:
        raise Unauthenticated(_("请使用 Authorization: Bearer 令牌"))
    return actor


def _body() -> dict:
    data = request.get_json(silent=True)
    if data is None:
        data = request.form.to_dict()
    if not isinstance(data, dict):
        raise InvalidInput(_("请求体应是一个 JSON 对象"))
    return data


@api.post("/agreements")
def create_agreement():
    agreement = lending.create_agreement(_signed_in(), _body())
    return jsonify(agreement_json(agreement, with_progress=True)), 201


@api.get("/agreements")
def list_agreements():
    return jsonify(agreements=[agreement_json(a) for a in lending.list_agreements(_signed_in())])


@api.get("/agreements/<int:agreement_id>")
def get_agreement(agreement_id: int):
    return jsonify(agreement_json(lending.get_agreement(_signed_in(), agreement_id), with_progress=True))


@api.post("/agreements/<int:agreement_id>/confirm")
def confirm_agreement(agreement_id: int):
    return jsonify(agreement_json(lending.confirm_agreement(_signed_in(), agreement_id), with_progress=True))


@api.post("/agreements/<int:agreement_id>/end")
def end_agreement(agreement_id: int):
    return jsonify(agreement_json(lending.end_agreement(_signed_in(), agreement_id), with_progress=True))


@api.post("/loans")
def request_loan():
    data = _body()
    try:
        resource_id = int(data.get("resource_id"))
        if not is_row_id(resource_id):
            raise ValueError
    except (TypeError, ValueError):
        raise InvalidInput(_("请提供要借阅的成果编号 resource_id"),
                           fields={"resource_id": _("应为成果编号（数字）")}) from None
    loan = lending.request_loan(_signed_in(), resource_id, str(data.get("purpose") or ""),
                                str(data.get("class_period") or ""))
    response = jsonify(loan_json(loan))
    response.headers["Location"] = url_for("api.get_loan", loan_id=loan.id, _external=True)
    return response, 201


@api.get("/loans")
def list_loans():
    actor = _signed_in()
    rows = lending.school_loans(actor) if actor.role == "school" else lending.studio_loans(actor)
    return jsonify(loans=[loan_json(loan) for loan in rows])


@api.get("/loans/<int:loan_id>")
def get_loan(loan_id: int):
    loan = lending.get_loan(_signed_in(), loan_id)
    return jsonify(loan_json(loan, with_feedback=True))


@api.post("/loans/<int:loan_id>/approve")
def approve_loan(loan_id: int):
    return jsonify(loan_json(lending.approve_loan(_signed_in(), loan_id)))


@api.post("/loans/<int:loan_id>/decline")
def decline_loan(loan_id: int):
    return jsonify(loan_json(lending.decline_loan(_signed_in(), loan_id, str(_body().get("reason") or ""))))


@api.post("/loans/<int:loan_id>/renew")
def renew_loan(loan_id: int):
    return jsonify(loan_json(lending.renew_loan(_signed_in(), loan_id)))


@api.post("/loans/<int:loan_id>/return")
def return_loan(loan_id: int):
    return jsonify(loan_json(lending.return_loan(_signed_in(), loan_id)))


@api.post("/loans/<int:loan_id>/feedback")
def add_feedback(loan_id: int):
    return jsonify(feedback_json(lending.add_feedback(_signed_in(), loan_id, _body()))), 201


def kit_response(loans) -> Response:
    """Stream a borrow kit (the pages' buttons use it too)."""
    entries = kit.plan(loans)
    # The plan holds everything the stream needs: the request (and its database session) ends when
    # this view returns, so a download of several GB holds no database connection.
    body = kit.stream(entries, current_app.extensions["storage"])
    response = Response(body, content_type="application/zip", direct_passthrough=True)
    response.headers["Content-Disposition"] = f'attachment; filename="{kit.filename(loans)}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@api.get("/loans/<int:loan_id>/kit")
def loan_kit(loan_id: int):
    return kit_response(kit.kit_loans(_signed_in(), loan_id))


@api.get("/loans/kit")
def school_kit():
    return kit_response(kit.kit_loans(_signed_in()))


@api.get("/notifications")
def list_notifications():
    actor = _signed_in()
    rows = notifications.list_for(actor)
    return jsonify(unread=notifications.unread_count(actor), notifications=[notification_json(n) for n in rows])


@api.post("/notifications/read")
def read_notifications():
    data = _body()
    ids = data.get("ids")
    if ids is not None and (not isinstance(ids, list) or not all(is_row_id(i) for i in ids)):
        raise InvalidInput(_("ids 应为通知编号的列表"), fields={"ids": _("应为数字列表")})
    changed = notifications.mark_read(_signed_in(), ids)
    return jsonify(marked=changed)
