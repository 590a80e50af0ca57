"""API endpoints over resources, search and vocabularies."""

from __future__ import annotations

from flask import jsonify, request

from library import policy
from library.api import api
from library.api.serialise import resource_json, studio_json
from library.auth import current_actor
from library.services import resources, search, studios
from library.uploads import incoming_files


@api.post("/resources")
def create_resource():
    resource = resources.create_resource(current_actor(), request.form, incoming_files(request.files.getlist("file")))
    return jsonify(resource_json(resource)), 201


@api.get("/resources/<int:resource_id>")
def get_resource(resource_id: int):
    return jsonify(resource_json(resources.get_resource(current_actor(), resource_id)))


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


@api.get("/studios")
def list_studios():
    rows = studios.list_studios(policy.visible_clause(current_actor()))
    return jsonify(studios=[studio_json(s, n) for s, n in rows])


@api.get("/subjects")
def list_subjects():
    subjects, stages = studios.vocabularies()
    return jsonify(
        subjects=[{"code": s.code, "name": s.name_zh, "name_en": s.name_en} for s in subjects],
        stages=[{"code": s.code, "name": s.name_zh, "name_en": s.name_en} for s in stages],
    )
