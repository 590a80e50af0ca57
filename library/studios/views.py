"""The studios: a list, and each studio's page."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from library import policy
from library.accounts.auth import current_actor
from library.resources import catalogue
from library.studios import service as studios
from library.studios.schemas import StudioPageQuery
from library.validation import parse
from library.web.listing import page_number, sort_choice, stage_choice, stage_list

bp = Blueprint("studios", __name__)


@bp.get("/studios/")
def studio_list():
    stages = stage_list()
    stage = stage_choice(stages)
    counts = catalogue.count_visible(current_actor(), ("studio",)).of("studio")
    return render_template("studios.html", studios=studios.studios_with_counts(counts, stage), stage=stage,
                           stages=stages)


@bp.get("/studios/<slug>")
def studio(slug: str):
    actor = current_actor()
    row = studios.get_studio(slug)
    kind = parse(StudioPageQuery, request.args).kind
    sort = sort_choice()
    kinds = catalogue.kind_counts(actor, row)
    listing = catalogue.list_resources(actor, page=page_number(), sort=sort, studio=row, kind=kind,
                                       total=kinds.get(kind, 0) if kind else sum(kinds.values()))
    return render_template(
        "studio.html",
        studio=row,
        listing=listing,
        kind=kind,
        sort=sort,
        kind_counts=kinds,
        awards=catalogue.award_wall(actor, row.id),
        projects=catalogue.projects_by_status(actor, row.id),
        can_upload=policy.can_upload(actor, row),
    )
