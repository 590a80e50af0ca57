"""Studios and subjects in the JSON API."""

from __future__ import annotations

from flask import jsonify

from library import policy
from library.accounts.auth import current_actor
from library.studios import service as studios
from library.studios.models import Studio
from library.web.api import api


def studio_json(studio: Studio, count: int) -> dict:
    """A studio with its host(s) and visible output count."""
    return {
        "slug": studio.slug,
        "name": studio.name,
        "subject": studio.subject_code,
        "stage": studio.stage_code,
        "hosts": [u.name for u in studio.members_with_role("host")],
        "resource_count": count,
    }


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
