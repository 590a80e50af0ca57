"""Agreements, loans, feedback and borrow kits in the JSON API."""

from __future__ import annotations

from flask import Response, jsonify, render_template, url_for
from flask_babel import gettext as _

from library.db import is_row_id
from library.errors import InvalidInput
from library.lending import agreements, kit, loans
from library.lending.serialise import agreement_json, feedback_json, loan_json
from library.web.api import api, request_object, signed_in


@api.post("/agreements")
def create_agreement():
    agreement = agreements.create_agreement(signed_in(), request_object())
    return jsonify(agreement_json(agreement, with_progress=True)), 201


@api.get("/agreements")
def list_agreements():
    return jsonify(agreements=[agreement_json(a) for a in agreements.list_agreements(signed_in())])


@api.get("/agreements/<int:agreement_id>")
def get_agreement(agreement_id: int):
    return jsonify(agreement_json(agreements.get_agreement(signed_in(), agreement_id), with_progress=True))


@api.post("/agreements/<int:agreement_id>/confirm")
def confirm_agreement(agreement_id: int):
    return jsonify(agreement_json(agreements.confirm_agreement(signed_in(), agreement_id), with_progress=True))


@api.post("/agreements/<int:agreement_id>/end")
def end_agreement(agreement_id: int):
    return jsonify(agreement_json(agreements.end_agreement(signed_in(), agreement_id), with_progress=True))


@api.post("/loans")
def request_loan():
    data = request_object()
    try:
        resource_id = int(data["resource_id"])
        if not is_row_id(resource_id):
            raise ValueError
    except (KeyError, TypeError, ValueError):
        raise InvalidInput(_("请提供要借阅的成果编号 resource_id"),
                           fields={"resource_id": _("应为成果编号（数字）")}) from None
    loan = loans.request_loan(signed_in(), resource_id, str(data.get("purpose") or ""),
                                str(data.get("class_period") or ""))
    response = jsonify(loan_json(loan))
    response.headers["Location"] = url_for("api.get_loan", loan_id=loan.id, _external=True)
    return response, 201


@api.get("/loans")
def list_loans():
    actor = signed_in()
    rows = loans.school_loans(actor) if actor.role == "school" else loans.studio_loans(actor)
    return jsonify(loans=[loan_json(loan) for loan in rows])


@api.get("/loans/<int:loan_id>")
def get_loan(loan_id: int):
    loan = loans.get_loan(signed_in(), loan_id)
    return jsonify(loan_json(loan, with_feedback=True))


@api.post("/loans/<int:loan_id>/approve")
def approve_loan(loan_id: int):
    return jsonify(loan_json(loans.approve_loan(signed_in(), loan_id)))


@api.post("/loans/<int:loan_id>/decline")
def decline_loan(loan_id: int):
    return jsonify(loan_json(loans.decline_loan(signed_in(), loan_id, str(request_object().get("reason") or ""))))


@api.post("/loans/<int:loan_id>/renew")
def renew_loan(loan_id: int):
    return jsonify(loan_json(loans.renew_loan(signed_in(), loan_id)))


@api.post("/loans/<int:loan_id>/return")
def return_loan(loan_id: int):
    return jsonify(loan_json(loans.return_loan(signed_in(), loan_id)))


@api.post("/loans/<int:loan_id>/feedback")
def add_feedback(loan_id: int):
    return jsonify(feedback_json(loans.add_feedback(signed_in(), loan_id, request_object()))), 201


def kit_response(loans) -> Response:
    """Stream a borrow kit (the pages' buttons use it too)."""
    def render_index(items: list[dict], stamp: dict) -> str:
        return render_template("lending/kit_index.html", items=items, stamp=stamp)

    response = Response(kit.archive(loans, render_index), content_type="application/zip", direct_passthrough=True)
    response.headers["Content-Disposition"] = f'attachment; filename="{kit.filename(loans)}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@api.get("/loans/<int:loan_id>/kit")
def loan_kit(loan_id: int):
    return kit_response(kit.kit_loans(signed_in(), loan_id))


@api.get("/loans/kit")
def school_kit():
    return kit_response(kit.kit_loans(signed_in()))
