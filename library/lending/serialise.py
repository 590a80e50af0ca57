"""Agreements, loans, feedback and notifications as JSON."""

from __future__ import annotations

from dataclasses import asdict

from flask import url_for

from library import clock, policy
from library.accounts.auth import current_actor
from library.lending import agreements, links, loans, progress
from library.lending.models import Agreement, Loan, LoanFeedback
from library.web.api import day, utc_time


def agreement_json(row: Agreement, with_progress: bool = False) -> dict:
    """An agreement with its scope, frequency and confirmations (and progress on request)."""
    data = {
        "id": row.id,
        "studio": row.studio.slug,
        "studio_name": row.studio.name,
        "school": row.school.name,
        "school_id": row.school_id,
        "subjects": row.subjects,
        "scope": {"type": row.scope, "resource_ids": row.scope_resource_ids, "kinds": row.scope_kinds,
                  "subjects": row.scope_subjects},
        "starts_on": day(row.starts_on),
        "ends_on": day(row.ends_on),
        "frequency": {"count": row.frequency_count, "per": row.frequency_period,
                      "text": f"{row.frequency_count}/{row.frequency_period}"},
        "outcomes": row.outcomes,
        "status": row.status,
        "state": agreements.agreement_state(row),
        "in_force": agreements.in_force(row, clock.today()),
        "studio_confirmed_at": utc_time(row.studio_confirmed_at),
        "school_confirmed_at": utc_time(row.school_confirmed_at),
        "created_at": utc_time(row.created_at),
        "url": url_for("lending.agreement", agreement_id=row.id, _external=True),
    }
    if with_progress:
        figures = progress.progress(row)
        data["progress"] = {**figures, "months": [asdict(m) for m in figures["months"]]}
    return data


def loan_json(row: Loan, with_feedback: bool = False) -> dict:
    """A loan; while its links work (links.usable) the borrowing school also gets them and the kit."""
    actor = current_actor()
    state = loans.loan_state(row)
    data = {
        "id": row.id,
        "resource_id": row.resource_id,
        "title": row.resource.title,
        "studio": row.resource.studio.slug,
        "school": row.school.name,
        "agreement_id": row.agreement_id,
        "purpose": row.purpose,
        "class_period": row.class_period,
        "status": state,
        "requested_at": utc_time(row.requested_at),
        "decided_at": utc_time(row.decided_at),
        "decline_reason": row.decline_reason,
        "granted_at": utc_time(row.granted_at),
        "due_on": day(row.due_on),
        "renewals": row.renewals,
        "can_renew": state == "active" and row.renewals < 1,
        "ended_at": utc_time(row.ended_at),
        "url": url_for("api.get_loan", loan_id=row.id, _external=True),
    }
    if state == "active" and policy.is_school_of(actor, row.school_id) and links.usable(row):
        from library.resources.serialise import file_json

        data["kit_url"] = url_for("api.loan_kit", loan_id=row.id, _external=True)
        data["files"] = [file_json(f, row) for f in row.resource.files]
    if with_feedback:
        data["feedback"] = [feedback_json(f) for f in row.feedback]
    return data


def feedback_json(row: LoanFeedback) -> dict:
    return {"id": row.id, "loan_id": row.loan_id, "lessons": row.lessons, "rating": row.rating,
            "comment": row.comment, "created_at": utc_time(row.created_at)}
