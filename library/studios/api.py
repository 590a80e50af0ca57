"""Studios and subjects in the JSON API."""

from __future__ import annotations

from flask import jsonify

from library.accounts.auth import current_actor
from library.resources import catalogue
from library.studios import service as studios
from library.studios.models import Studio
from library.studios.schemas import StudioList, Vocabularies
from library.web.api import api
from library.web.openapi import operation


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
@operation("工作室列表 (the studios)", response=StudioList, auth="optional", tags=("studios",),
           description="每个工作室及其主持人；resource_count 为调用者可见的成果数。")
def list_studios():
    counts = catalogue.count_visible(current_actor(), ("studio",)).of("studio")
    rows = studios.studios_with_counts(counts)
    return jsonify(studios=[studio_json(s, n) for s, n in rows])


@api.get("/subjects")
@operation("学科与学段 (subjects and stages)", response=Vocabularies, auth="optional", tags=("studios",),
           description="按显示顺序。")
def list_subjects():
    subjects, stages = studios.vocabularies()
    return jsonify(
        subjects=[{"code": s.code, "name": s.name_zh, "name_en": s.name_en} for s in subjects],
        stages=[{"code": s.code, "name": s.name_zh, "name_en": s.name_en} for s in stages],
    )
