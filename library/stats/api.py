"""Statistics and activities in the JSON API."""

from __future__ import annotations

from flask import jsonify, request

from library.stats import activities
from library.stats import figures as stats
from library.studios import service as studios
from library.web.api import api, request_object, signed_in


@api.get("/studios/<slug>/stats")
def studio_stats(slug: str):
    actor = signed_in()
    year = stats.parse_year(request.args.get("year", stats.default_year()))
    return jsonify(stats.studio_year(actor, studios.get_studio(slug), year).as_json())


@api.get("/stats")
def city_stats():
    year = stats.parse_year(request.args.get("year", stats.default_year()))
    rows = stats.city_overview(signed_in(), year)
    return jsonify(year=year, studios=[row.as_json() for row in rows])


@api.get("/studios/<slug>/activities")
def list_activities(slug: str):
    actor = signed_in()
    year = request.args.get("year")
    rows = activities.list_activities(actor, studios.get_studio(slug), stats.parse_year(year) if year else None)
    return jsonify(items=[activities.activity_json(a) for a in rows])


@api.post("/studios/<slug>/activities")
def create_activity(slug: str):
    activity = activities.record_activity(signed_in(), studios.get_studio(slug), request_object())
    return jsonify(activities.activity_json(activity)), 201
