"""Search in the JSON API."""

from __future__ import annotations

from flask import jsonify, request

from library.accounts.auth import current_actor
from library.resources.serialise import resource_json
from library.search import service as search
from library.web.api import api


@api.get("/search")
def search_resources():
    page = search.search(current_actor(), request.args)
    return jsonify(
        total=page.total,
        page=page.page,
        per_page=page.per_page,
        hits=[
            {
                "id": row.id,
                "title": row.title,
                "kind": row.kind,
                "subject": row.subject_code,
                "stage": row.stage_code,
                "studio": row.studio.slug,
                "year": row.year,
                "award_level": row.award_level,
                "highlight": highlights,
                "url": resource_json(row)["url"],
            }
            for row, highlights in page.hits
        ],
        facets=page.facets,
        match=page.match,
        did_you_mean=page.did_you_mean,
        related=page.related,
    )
