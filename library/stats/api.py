"""Statistics and activities in the JSON API."""

from __future__ import annotations

from flask import jsonify

from library.stats import activities
from library.stats import figures as stats
from library.stats.schemas import ActivityBody, ActivityList, ActivityOut, CityFigures, StudioFigures, YearQuery
from library.studios import service as studios
from library.web.api import api, signed_in
from library.web.openapi import operation


@api.get("/studios/<slug>/stats")
@operation("一个工作室的年度统计 (a studio's figures for a year)", query=YearQuery, response=StudioFigures,
           errors=(404,), tags=("stats",),
           description="管理员、联系该工作室的研训员和主持人可看；不写 year 为今年。协议内同一学校同一成果在协议频次的"
                       "同一周期（周、月或学期）内重复借阅只计一次，其余列在 repeat_loans。")
def studio_stats(slug: str, query: YearQuery):
    actor = signed_in()
    year = query.year or stats.default_year()
    return jsonify(stats.studio_year(actor, studios.get_studio(slug), year).as_json())


@api.get("/stats")
@operation("全县各工作室的年度统计 (every studio's figures)", query=YearQuery, response=CityFigures,
           tags=("stats",), description="教育局管理员和研训员可看。")
def city_stats(query: YearQuery):
    year = query.year or stats.default_year()
    rows = stats.city_overview(signed_in(), year)
    return jsonify(year=year, studios=[row.as_json() for row in rows])


@api.get("/studios/<slug>/activities")
@operation("工作室的活动记录 (a studio's activities)", query=YearQuery, response=ActivityList, errors=(404,),
           tags=("stats",), description="新的在前；给出 year 只列那一年的活动。")
def list_activities(slug: str, query: YearQuery):
    actor = signed_in()
    rows = activities.list_activities(actor, studios.get_studio(slug), query.year)
    return jsonify(items=[activities.activity_json(a) for a in rows])


@api.post("/studios/<slug>/activities")
@operation("登记一次活动 (record an activity)", body=ActivityBody, response=ActivityOut, status=201,
           errors=(404,), tags=("stats",),
           description="主持人、联系的研训员和管理员可登记；school_ids、resource_ids 为编号列表（或“3, 5”）。")
def create_activity(slug: str, body: ActivityBody):
    activity = activities.record_activity(signed_in(), studios.get_studio(slug), body)
    return jsonify(activities.activity_json(activity)), 201
