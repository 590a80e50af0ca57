"""Browsing pages: home, subjects, studios, resources and search."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from sqlalchemy import select

from library import policy
from library.auth import current_actor
from library.db import get_session
from library.models import Subject
from library.services import catalogue, resources, search, studios

bp = Blueprint("pages", __name__)


def _page() -> int:
    return request.args.get("page", 1, type=int) or 1


@bp.get("/")
def home():
    actor = current_actor()
    visible = policy.visible_clause(actor)
    return render_template(
        "home.html",
        subjects=studios.list_subjects(visible),
        studios=studios.list_studios(visible),
        newest=catalogue.list_resources(actor, per_page=8).items,
    )


@bp.get("/search")
def search_page():
    result = search.search(current_actor(), request.args)
    return render_template("search.html", result=result, studio_names=_studio_names(), subjects=_subjects())


@bp.get("/subjects/<code>")
def subject(code: str):
    row = get_session().get(Subject, code)
    if row is None:
        abort(404)
    sort = request.args.get("sort", "newest")
    listing = catalogue.list_resources(current_actor(), page=_page(), sort=sort, subject_code=code)
    return render_template("subject.html", subject=row, listing=listing, sort=sort)


@bp.get("/studios/")
def studio_list():
    return render_template("studios.html", studios=studios.list_studios(policy.visible_clause(current_actor())))


@bp.get("/studios/<slug>")
def studio(slug: str):
    actor = current_actor()
    row = studios.get_studio(slug)
    kind = request.args.get("kind") or None
    listing = catalogue.list_resources(actor, page=_page(), studio_id=row.id, kind=kind)
    return render_template(
        "studio.html",
        studio=row,
        listing=listing,
        kind=kind,
        kind_counts=catalogue.kind_counts(actor, studio_id=row.id),
        can_upload=policy.can_upload(actor, row),
    )


@bp.get("/resources/<int:resource_id>")
def resource(resource_id: int):
    actor = current_actor()
    row = resources.get_resource(actor, resource_id)
    return render_template("resource.html", resource=row, can_download=policy.can_download(actor, row))


def _studio_names() -> dict[str, str]:
    return {s.slug: s.name for s, _ in studios.list_studios(policy.visible_clause(current_actor()))}


def _subjects() -> dict[str, Subject]:
    return {s.code: s for s in get_session().scalars(select(Subject))}
