"""Resources and their files as JSON."""

from __future__ import annotations

from flask import url_for

from library.resources.models import Resource, ResourceFile
from library.textbooks import positions
from library.web.api import utc_time


def file_json(row: ResourceFile, loan=None) -> dict:
    """A file with its download and derived-image URLs; under a school's active loan the download
    URL is a short-lived link bound to the loan (issue 6)."""
    data = {
        "id": row.id,
        "name": row.original_name,
        "size": row.size,
        "sha256": row.sha256,
        "content_type": row.content_type,
        "download_url": url_for("files.download", file_id=row.id, _external=True),
        "state": row.state,  # processing (a derive job is queued), ready or failed (see derive_error)
        "location": row.location,  # staged (on the server's disk, a move job queued) or stored
    }
    if loan is not None:
        from library.lending import links

        token = links.token_for(loan, row)
        data["download_url"] = url_for("files.loan_download", token=token, _external=True)
        data["preview_url"] = url_for("files.loan_download", token=token, inline=1, _external=True)
        data["loan_id"], data["loan_due_on"] = loan.id, loan.due_on.isoformat()
    if row.thumbnail_key:
        data["thumbnail_url"] = url_for("files.derived_image", file_id=row.id, which="thumbnail", _external=True)
    if row.poster_key:
        data["poster_url"] = url_for("files.derived_image", file_id=row.id, which="poster", _external=True)
    if row.duration_seconds is not None:
        data["duration_seconds"] = round(row.duration_seconds, 2)
    if row.derive_error:
        data["derive_error"] = row.derive_error
    return data


def resource_url(row: Resource) -> str:
    """The resource page's absolute URL (the API's `url`)."""
    return url_for("resources.resource", resource_id=row.id, _external=True)


def resource_json(row: Resource) -> dict:
    """Every DESIGN.md field of a resource, with its files."""
    loan = None
    if row.visibility == "lendable":
        from library import policy
        from library.accounts.auth import current_actor

        loan = policy.active_loan(current_actor(), row)
    return {
        "id": row.id,
        "title": row.title,
        "kind": row.kind,
        "subject": row.subject_code,
        "stage": row.stage_code,
        "grade": row.grade,
        "edition": row.edition_code,
        "volume": row.volume,
        "unit": positions.unit_label(row.unit_number, row.unit_title),
        "unit_number": row.unit_number,
        "lesson": row.lesson,
        "textbook_guessed": row.textbook_guessed,
        "studio": row.studio.slug,
        "authors": row.authors,
        "abstract": row.abstract,
        "keywords": row.keywords,
        "year": row.year,
        "award_level": row.award_level,
        "award_name": row.award_name,
        "project_level": row.project_level,
        "project_status": row.project_status,
        "project_number": row.project_number,
        "publication": row.publication,
        "visibility": row.visibility,
        "status": row.status,
        "download_count": row.download_count,
        "created_at": utc_time(row.created_at),
        "url": resource_url(row),
        "files": [file_json(f, loan) for f in row.files],
    }
