"""Browsing pages: home, subjects, studios, resources and search."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from sqlalchemy import and_

from library import policy
from library.auth import current_actor
from library.db import get_session
from library.models import Resource, Stage, Subject
from library.services import catalogue, resources, search, studios, usage
from library.views import visitor

bp = Blueprint("pages", __name__)


def _page() -> int:
    return max(1, request.args.get("page", 1, type=int) or 1)


def _sort() -> str:
    sort = request.args.get("sort", "newest")
    return sort if sort in catalogue.PAGE_SORTS else "newest"


def _stage() -> str | None:
    """The stage switcher's choice (学前/小学/初中/高中), or None for all stages."""
    code = request.args.get("stage") or None
    return code if code is None or get_session().get(Stage, code) is not None else None


def _stages() -> list[Stage]:
    return studios.vocabularies()[1]


@bp.get("/")
def home():
    actor = current_actor()
    stage = _stage()
    visible = policy.visible_clause(actor)
    if stage:
        visible = and_(visible, Resource.stage_code == stage)
    studio_rows = studios.list_studios(visible)
    if stage:
        studio_rows = [(s, n) for s, n in studio_rows if s.stage_code == stage]
    return render_template(
        "home.html",
        stage=stage,
        stages=_stages(),
        subjects=studios.list_subjects(visible),
        studios=studio_rows,
        newest=catalogue.list_resources(actor, per_page=8, stage_code=stage).items,
        popular=[
            r for r in catalogue.list_resources(actor, per_page=6, sort="downloads", stage_code=stage).items
            if r.download_count
        ],
    )


@bp.get("/search")
def search_page():
    result = search.search(current_actor(), request.args)
    subjects, _ = studios.vocabularies()
    return render_template("search.html", result=result, studio_names=studios.studio_names(),
                           subjects={s.code: s for s in subjects})


@bp.get("/subjects/<code>")
def subject(code: str):
    row = get_session().get(Subject, code)
    if row is None:
        abort(404)
    sort, stage = _sort(), _stage()
    listing = catalogue.list_resources(
        current_actor(), page=_page(), sort=sort, subject_code=code, stage_code=stage
    )
    return render_template("subject.html", subject=row, listing=listing, sort=sort, stage=stage, stages=_stages())


@bp.get("/studios/")
def studio_list():
    stage = _stage()
    rows = studios.list_studios(policy.visible_clause(current_actor()))
    if stage:
        rows = [(s, n) for s, n in rows if s.stage_code == stage]
    return render_template("studios.html", studios=rows, stage=stage, stages=_stages())


@bp.get("/studios/<slug>")
def studio(slug: str):
    actor = current_actor()
    row = studios.get_studio(slug)
    kind = request.args.get("kind") or None
    sort = _sort()
    listing = catalogue.list_resources(actor, page=_page(), sort=sort, studio_id=row.id, kind=kind)
    return render_template(
        "studio.html",
        studio=row,
        listing=listing,
        kind=kind,
        sort=sort,
        kind_counts=catalogue.kind_counts(actor, studio_id=row.id),
        awards=catalogue.award_wall(actor, row.id),
        projects=catalogue.projects_by_status(actor, row.id),
        can_upload=policy.can_upload(actor, row),
    )


@bp.get("/resources/<int:resource_id>")
def resource(resource_id: int):
    actor = current_actor()
    row = resources.get_resource(actor, resource_id)
    if request.method == "GET":  # HEAD only asks about the page
        usage.record_view(actor, row, **visitor())
    return render_template(
        "resource.html",
        resource=row,
        can_download=policy.can_download(actor, row),
        related=catalogue.related(actor, row),
    )
