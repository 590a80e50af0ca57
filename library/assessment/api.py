"""The assessment and its indicators in the JSON API."""

from __future__ import annotations

import re

from flask import Response, jsonify, request
from flask_babel import gettext as _

from library.assessment import exports, indicators, scores
from library.assessment.schemas import Assessment, ExportQuery, IndicatorChange, IndicatorList, IndicatorNew, IndicatorOut, YearPath
from library.errors import NotFound
from library.validation import parse
from library.web.api import api, signed_in
from library.web.openapi import operation

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


ASCII_YEAR = re.compile(r"/assessment/[0-9]{4}(?:\.[a-z]+)?$")


def _year_and_rows(year: int):
    """The year (four ASCII digits in the path, 1900–2100) and its scores, for the caller."""
    if not ASCII_YEAR.search(request.path):  # the int converter also takes "２０２４"
        raise NotFound(_("考核地址应为 /api/v1/assessment/2024、2024.xlsx 或 2024.csv"))
    year = parse(YearPath, {"year": year}).year
    actor = signed_in()
    return year, scores.assessment(actor, year), scores.shown_to(actor)


SHOWN = "教育局管理员和研训员可看；依据中调用者无权查看的成果只计数、不列名。"


@api.get("/assessment/<int:year>")
@operation("年度考核结果 (the year's assessment)", response=Assessment, errors=(400, 404), tags=("assessment",),
           description="每个工作室每项指标的计数、得分和依据编号（hidden 为不列名的依据条数）。" + SHOWN
                       + "同样的内容：/assessment/2024.json；工作簿：2024.xlsx；长表：2024.csv。")
def assessment_scores(year: int):
    return _scores_json(year)


@api.get("/assessment/<int:year>.json")
@operation("年度考核结果 JSON (the year's assessment, as a .json address)", response=Assessment, errors=(400, 404),
           tags=("assessment",), description="与 /assessment/2024 相同。")
def assessment_scores_json(year: int):
    return _scores_json(year)


def _scores_json(year: int):
    year, rows, shown = _year_and_rows(year)
    return jsonify(scores.assessment_json(year, rows, shown))


@api.get("/assessment/<int:year>.xlsx")
@operation("年度考核工作簿 (the assessment workbook)", media_type=XLSX, errors=(400, 404), tags=("assessment",),
           description="“汇总”表（按总分排名的工作室 × 指标得分），每个工作室一张以其名称命名的表：各项计数、分值、"
                       "得分和依据；表头冻结，不含代码。文件名 2024年度名师工作室考核.xlsx。" + SHOWN)
def assessment_xlsx(year: int):
    year, rows, shown = _year_and_rows(year)
    return Response(exports.export_xlsx(year, rows, shown), mimetype=XLSX,
                    headers={"Content-Disposition": exports.content_disposition(year, "xlsx")})


@api.get("/assessment/<int:year>.csv")
@operation("年度考核长表 CSV (the assessment as CSV)", query=ExportQuery, media_type="text/csv", errors=(400, 404),
           tags=("assessment",),
           description="每行一个工作室的一项指标（UTF-8 带 BOM），中文列名；依据为可见的依据（“成果 12、活动 3”），"
                       "“未列名的依据条数”为不列名的条数。codes=1：供程序读取，第二行为字段名（year, studio, "
                       "studio_name, indicator, indicator_name, count, points_before_cap, cap, score, evidence, "
                       "evidence_hidden），含工作室代码和指标代码，evidence 为 resource:12 形式。")
def assessment_csv(year: int, query: ExportQuery):
    year, rows, shown = _year_and_rows(year)
    return Response(exports.export_csv(year, rows, shown, codes=query.codes), mimetype="text/csv",
                    headers={"Content-Disposition": exports.content_disposition(year, "csv")})


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
