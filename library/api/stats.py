"""API endpoints of statistics, activities and the assessment."""

from __future__ import annotations

import re

from flask import Response, jsonify, request
from flask_babel import gettext as _

from library.api import api, request_object, signed_in
from library.services import activities, assessment, stats, studios
from library.services.errors import NotFound

EXPORT = re.compile(r"^(\d{4})(?:\.(xlsx|csv|json))?$")


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


@api.get("/assessment/<spec>")
def assessment_export(spec: str):
    match = EXPORT.match(spec)
    if match is None:
        raise NotFound(_("考核地址应为 /api/v1/assessment/2024、2024.xlsx 或 2024.csv"))
    year = stats.parse_year(match.group(1))
    rows = assessment.assessment(signed_in(), year)
    fmt = match.group(2) or "json"
    if fmt == "xlsx":
        return Response(assessment.export_xlsx(year, rows),
                        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"Content-Disposition": f'attachment; filename="assessment-{year}.xlsx"'})
    if fmt == "csv":
        return Response(assessment.export_csv(year, rows), mimetype="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="assessment-{year}.csv"'})
    return jsonify(assessment.assessment_json(year, rows))


@api.get("/indicators")
def list_indicators():
    signed_in()
    return jsonify(items=[assessment.indicator_json(i) for i in assessment.indicators(include_inactive=True)])


@api.post("/indicators")
def create_indicator():
    return jsonify(assessment.indicator_json(assessment.save_indicator(signed_in(), request_object()))), 201


@api.patch("/indicators/<code>")
def update_indicator(code: str):
    return jsonify(assessment.indicator_json(assessment.save_indicator(signed_in(), request_object(), code)))
