"""The assessment and its indicators in the JSON API."""

from __future__ import annotations

import re

from flask import Response, jsonify
from flask_babel import gettext as _

from library.assessment import exports, indicators, scores
from library.errors import NotFound
from library.stats import figures as stats
from library.web.api import api, request_object, signed_in

EXPORT = re.compile(r"^(\d{4})(?:\.(xlsx|csv|json))?$")


@api.get("/assessment/<spec>")
def assessment_export(spec: str):
    match = EXPORT.match(spec)
    if match is None:
        raise NotFound(_("考核地址应为 /api/v1/assessment/2024、2024.xlsx 或 2024.csv"))
    year = stats.parse_year(match.group(1))
    rows = scores.assessment(signed_in(), year)
    fmt = match.group(2) or "json"
    if fmt == "xlsx":
        return Response(exports.export_xlsx(year, rows),
                        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"Content-Disposition": f'attachment; filename="assessment-{year}.xlsx"'})
    if fmt == "csv":
        return Response(exports.export_csv(year, rows), mimetype="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="assessment-{year}.csv"'})
    return jsonify(scores.assessment_json(year, rows))


@api.get("/indicators")
def list_indicators():
    signed_in()
    return jsonify(items=[indicators.indicator_json(i) for i in indicators.indicators(include_inactive=True)])


@api.post("/indicators")
def create_indicator():
    return jsonify(indicators.indicator_json(indicators.save_indicator(signed_in(), request_object()))), 201


@api.patch("/indicators/<code>")
def update_indicator(code: str):
    return jsonify(indicators.indicator_json(indicators.save_indicator(signed_in(), request_object(), code)))
