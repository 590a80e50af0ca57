"""Search in the JSON API."""

from __future__ import annotations

from flask import jsonify

from library.accounts.auth import current_actor
from library.resources.serialise import resource_url
from library.search import service as search
from library.search.schemas import SearchQuery, SearchResults
from library.web.api import api
from library.web.openapi import operation


@api.get("/search")
@operation("检索成果 (search the outputs)", query=SearchQuery, response=SearchResults, auth="optional",
           errors=(503,), tags=("search",),
           description="按登录身份只返回可见的成果；facets 为全部匹配结果的分面计数"
                       "（visibility 的 lendable 即帮扶学校可以申请借阅的成果数，visibility=lendable 只看这些）。")
def search_resources(query: SearchQuery):
    page = search.search(current_actor(), query)
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
                "url": resource_url(row),  # not resource_json: its files and loans are not shown here
            }
            for row, highlights in page.hits
        ],
        facets={**page.facets, "visibility": page.visibility},
        match=page.match,
        did_you_mean=page.did_you_mean,
        related=page.related,
        understood=[{"word": u.word, "field": u.field, "value": u.value} for u in page.understood],
    )
