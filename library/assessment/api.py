"""The assessment and its indicators in the JSON API."""

from __future__ import annotations

import re

from flask import Response, jsonify
from flask_babel import gettext as _

from library.assessment import exports, indicators, scores
from library.assessment.schemas import Assessment, IndicatorChange, IndicatorList, IndicatorNew, IndicatorOut, YearPath
from library.errors import NotFound
from library.validation import parse
from library.web.api import api, signed_in
from library.web.openapi import operation

EXPORT = re.compile(r"^([0-9]{4})(?:\.(xlsx|csv|json))?$")


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@api.get("/assessment/<spec>")
@operation("年度考核结果 (the year's assessment)", response=Assessment, errors=(404,), tags=("assessment",),
           description="spec 为年份：2024 答 JSON（application/json）；2024.xlsx 答 Excel 工作簿（" + XLSX + "，"
                       "Summary 表和每个工作室一张表及其依据）；2024.csv 答长表 CSV（text/csv，UTF-8 带 BOM）。"
                       "教育局管理员和研训员可看；依据中调用者无权查看的成果只计数、不列名（hidden）。")
def assessment_export(spec: str):
    match = EXPORT.match(spec)
    if match is None:
        raise NotFound(_("考核地址应为 /api/v1/assessment/2024、2024.xlsx 或 2024.csv"))
    year = parse(YearPath, {"year": match.group(1)}).year
    actor = signed_in()
    rows = scores.assessment(actor, year)
    shown = scores.shown_to(actor)
    fmt = match.group(2) or "json"
    if fmt == "xlsx":
        return Response(exports.export_xlsx(year, rows, shown), mimetype=XLSX,
                        headers={"Content-Disposition": f'attachment; filename="assessment-{year}.xlsx"'})
    if fmt == "csv":
        return Response(exports.export_csv(year, rows, shown), mimetype="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="assessment-{year}.csv"'})
    return jsonify(scores.assessment_json(year, rows, shown))


@api.get("/indicators")
@operation("考核指标 (the indicators)", response=IndicatorList, tags=("assessment",),
           description="全部指标，含已停用的，按排序位置。")
def list_indicators():
    signed_in()
    return jsonify(items=[indicators.indicator_json(i) for i in indicators.indicators(include_inactive=True)])


@api.post("/indicators")
@operation("新增考核指标 (add an indicator)", body=IndicatorNew, response=IndicatorOut, status=201, errors=(409,),
           tags=("assessment",), description="教育局管理员可用。rule 为计数规则对象，如 "
                                              "{\"source\": \"resources\", \"kind\": \"award_case\"}。")
def create_indicator(body: IndicatorNew):
    return jsonify(indicators.indicator_json(indicators.save_indicator(signed_in(), body))), 201


@api.patch("/indicators/<code>")
@operation("修改考核指标 (change an indicator)", body=IndicatorChange, response=IndicatorOut, errors=(404,),
           tags=("assessment",), description="只改给出的字段；指标代码不能改。")
def update_indicator(code: str, body: IndicatorChange):
    return jsonify(indicators.indicator_json(indicators.save_indicator(signed_in(), body, code)))
