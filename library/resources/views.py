"""Browsing pages: home, a subject, a resource."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from library import policy
from library.accounts.auth import current_actor
from library.resources import catalogue, review
from library.resources import service as resources
from library.stats import usage
from library.shelf import service as shelf
from library.studios import service as studios
from library.textbooks import service as textbooks
from library.web.listing import page_number, sort_choice, stage_choice, stage_list
from library.web.visitor import visitor

bp = Blueprint("resources", __name__)


@bp.get("/")
def home():
    subjects, stages = studios.vocabularies()
    actor = current_actor()
    stage = stage_choice(stages)
    counts = catalogue.count_visible(actor, ("studio", "subject"), stage_code=stage)
    return render_template(
        "home.html",
        stage=stage,
        stages=stages,
        subjects=studios.subjects_with_counts(subjects, counts.of("subject")),
        studios=studios.studios_with_counts(counts.of("studio"), stage),
        newest=catalogue.first(actor, 8, stage_code=stage),
        popular=[
            r for r in catalogue.first(actor, 6, sort="downloads", files=False, stage_code=stage) if r.download_count
        ],
        pinned=textbooks.pinned(actor),
    )


@bp.get("/subjects/<code>")
def subject(code: str):
    stages = stage_list()
    row = studios.get_subject(code)
    sort, stage = sort_choice(), stage_choice(stages)
    listing = catalogue.list_resources(
        current_actor(), page=page_number(), sort=sort, subject_code=code, stage_code=stage
    )
    return render_template("subject.html", subject=row, listing=listing, sort=sort, stage=stage, stages=stages)


@bp.get("/resources/<int:resource_id>")
def resource(resource_id: int):
    actor = current_actor()
    if resources.asks_sign_in(actor, resource_id):
        flash(_("这个成果登录后可见：请先登录，登录后会回到这里。"), "info")
        return redirect(url_for("auth.login", next=url_for("resources.resource", resource_id=resource_id)))
    row = resources.get_resource(actor, resource_id)
    page = render_template(
        "resource.html",
        resource=row,
        can_download=policy.can_download(actor, row),
        related=catalogue.related(actor, row),
        favourite=shelf.is_favourite(actor, row.id),
        # Why it came back, for the author who mends it and the reviewers (no one else reads it).
        returned=review.latest_return(row)
        if row.status == "returned" and policy.can_read_review_notes(actor, row) else None,
    )
    # Counted after rendering: the count's commit expires the session's rows, which the page
    # would otherwise read again.
    if request.method == "GET":  # HEAD only asks about the page
        usage.record_view(actor, row, **visitor())
    return page
