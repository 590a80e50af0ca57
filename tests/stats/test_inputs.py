"""Issue 14 for statistics, the assessment, notifications, studios and the admin forms: every bad
input a 400 naming the field, and every declared answer exactly what the route returns.

A NUL is refused by the app-wide guard before any view (library/web/guard.py: a JSON body is named
"body", a form field by its name); any other control character by the field's schema, by its title."""

from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator
from sqlalchemy import select

from library.accounts.models import School
from library.assessment.models import Indicator
from library.db import get_session
from library.stats.models import Activity
from library.studios import service as studios
from tests.support.app import bearer, csrf_token, login
from tests.support.stats import YEAR

ACTIVITY = {"title": "送教下乡", "kind": "outreach", "held_on": "2024-06-01", "participants": 10}


def test_years_are_ascii_digits(client, known):
    admin = bearer(known.tokens["admin"])
    for path in ("/api/v1/studios/wang-math/stats?year=２０２４", "/api/v1/stats?year=２０２４",
                 "/api/v1/studios/wang-math/activities?year=２０２４", "/api/v1/stats?year=²"):
        response = client.get(path, headers=admin)
        assert response.status_code == 400, path
        assert "year" in response.json["error"]["fields"] and "年份" in response.json["error"]["message"]
    assert client.get("/api/v1/assessment/２０２４", headers=admin).status_code == 404
    login(client, "admin")
    for path in ("/stats?year=２０２４", "/studios/wang-math/dashboard?year=２０２４", "/stats?sort=%00"):
        assert client.get(path).status_code == 400, path


@pytest.mark.parametrize("bad", ["\x00", "\x01"])
def test_a_control_character_in_an_activity_title_is_a_400_naming_it(app, client, known, bad):
    response = client.post("/api/v1/studios/wang-math/activities", headers=bearer(known.tokens["host"]),
                           json={**ACTIVITY, "title": f"送教{bad}下乡"})
    assert response.status_code == 400
    if bad == "\x00":
        assert set(response.json["error"]["fields"]) <= {"title", "body"}
    else:
        assert set(response.json["error"]["fields"]) == {"title"} and "活动名称" in response.json["error"]["message"]
    login(client, "wangli")
    token = csrf_token(client, "/studios/wang-math/activities")
    html = client.post("/studios/wang-math/activities", follow_redirects=True,
                       data={**ACTIVITY, "title": f"送教{bad}下乡", "csrf_token": token}).get_data(as_text=True)
    assert ("不能包含控制字符" if bad == "\x00" else "活动名称：不能包含控制字符") in html
    with app.app_context():
        assert not get_session().scalars(select(Activity).where(Activity.title.like("送教%下乡"))).all()


def test_activity_ids_typed_in_one_box_and_ticked_schools(app, client, known):
    login(client, "wangli")
    token = csrf_token(client, "/studios/wang-math/activities")
    client.post("/studios/wang-math/activities", data={
        **ACTIVITY, "csrf_token": token, "title": "多份材料的教研",
        "resource_ids": f"{known.ids['video1']}、{known.ids['paper1']}",
        "school_ids": [str(known.schools["a"]), str(known.schools["b"])]})
    with app.app_context():
        row = get_session().scalars(select(Activity).where(Activity.title == "多份材料的教研")).one()
        assert sorted(r.id for r in row.resources) == sorted([known.ids["video1"], known.ids["paper1"]])
        assert {s.id for s in row.schools} == {known.schools["a"], known.schools["b"]}


@pytest.mark.parametrize("bad", ["\x00", "\x01"])
def test_a_control_character_in_an_indicator_name_is_a_400_naming_it(app, client, known, bad):
    admin = bearer(known.tokens["admin"])
    response = client.post("/api/v1/indicators", headers=admin, json={
        "code": "live_count", "name": f"直播{bad}课", "rule": {"source": "activities", "kind": "live"}})
    named = {"name", "body"} if bad == "\x00" else {"name"}
    assert response.status_code == 400 and set(response.json["error"]["fields"]) <= named
    assert bad == "\x00" or "指标名称" in response.json["error"]["message"]
    response = client.patch("/api/v1/indicators/papers", headers=admin, json={"name": f"论文{bad}"})
    assert response.status_code == 400 and set(response.json["error"]["fields"]) <= named
    for body, field in (({"points": "²"}, "points"), ({"points": float("nan")}, "points"), ({"cap": "-1"}, "cap"),
                        ({"active": "maybe"}, "active"), ({"level_points": {"galactic": 1}}, "level_points"),
                        ({"rule": {"source": "resources", "kind": f"x{bad}"}}, "rule"), ({"position": "①"}, "position")):
        response = client.patch("/api/v1/indicators/papers", headers=admin, json=body)
        fields = response.json["error"]["fields"]
        assert response.status_code == 400 and (field in fields or bad == "\x00" and "body" in fields), body
    assert client.patch("/api/v1/indicators/pa%00pers", headers=admin, json={"points": 1}).status_code == 404
    with app.app_context():
        assert get_session().scalar(select(Indicator).where(Indicator.code == "papers")).name == "论文文章"
        assert get_session().scalar(select(Indicator).where(Indicator.code == "live_count")) is None


@pytest.mark.parametrize("bad", ["\x00", "\x01"])
def test_a_control_character_in_a_school_name_is_a_400_naming_it(app, client, known, bad):
    login(client, "admin")
    token = csrf_token(client, "/admin/schools")
    response = client.post("/admin/schools", data={"csrf_token": token, "name": f"希望{bad}小学", "weak": "1"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    if bad == "\x00":
        assert "不能包含控制字符" in html
    else:
        assert "学校名称：不能包含控制字符" in html and 'aria-invalid="true"' in html
    with app.app_context():
        assert get_session().scalar(select(School).where(School.name.like("希望%"))) is None


def test_the_coordinators_box_takes_any_list_separator(app, client, known):
    login(client, "admin")
    token = csrf_token(client, "/admin/studios/wang-math")
    client.post("/admin/studios/wang-math", data={"csrf_token": token, "action": "coordinators",
                                                  "coordinators": "zhaoyx、qianyx"})
    with app.app_context():
        assert sorted(u.username for u in studios.get_studio("wang-math").coordinators) == ["qianyx", "zhaoyx"]


def test_notification_ids_are_row_ids_and_a_broken_body_marks_nothing(app, client, known):
    from library.accounts import service as accounts
    from library.notifications import service as notifications

    host = bearer(known.tokens["host"])
    with app.app_context():
        notifications.notify([accounts.get_user("wangli")], "loan.requested", "loan", 1, "城南小学申请借阅")
        get_session().commit()
    for ids in (["²"], "abc", [10**25], [True]):
        response = client.post("/api/v1/notifications/read", headers=host, json={"ids": ids})
        assert response.status_code == 400 and "ids" in response.json["error"]["fields"], ids
    # A body that is not JSON is refused, not read as "no ids", which means "mark all".
    response = client.post("/api/v1/notifications/read", headers={**host, "Content-Type": "application/json"},
                           data=b"\x00")
    assert response.status_code == 400
    assert client.get("/api/v1/notifications", headers=host).json["unread"] == 1
    assert client.post("/api/v1/notifications/read", headers=host, json={"ids": "1, 2"}).status_code == 200


def _validator(doc: dict, path: str, method: str, status: str) -> Draft202012Validator:
    content = doc["paths"][path][method]["responses"][status]["content"]["application/json"]
    return Draft202012Validator({**content["schema"], "components": doc["components"]})


def test_declared_answers_match_what_the_routes_return(client, known):
    """Every key and type, as the fuzzer checks them (a null where a number is declared fails)."""
    doc = client.get("/api/v1/openapi.json").json
    admin = bearer(known.tokens["admin"])
    checks = [
        ("/api/v1/studios/wang-math/stats?year=2024", "/api/v1/studios/{slug}/stats", admin),
        ("/api/v1/stats?year=2024", "/api/v1/stats", admin),
        ("/api/v1/studios/wang-math/activities", "/api/v1/studios/{slug}/activities", admin),
        (f"/api/v1/assessment/{YEAR}", "/api/v1/assessment/{year}", admin),
        (f"/api/v1/assessment/{YEAR}.json", "/api/v1/assessment/{year}.json", admin),
        ("/api/v1/indicators", "/api/v1/indicators", admin),
        ("/api/v1/notifications", "/api/v1/notifications", bearer(known.tokens["host"])),
        ("/api/v1/studios", "/api/v1/studios", {}),
        ("/api/v1/subjects", "/api/v1/subjects", {}),
    ]
    for url, path, headers in checks:
        response = client.get(url, headers=headers)
        assert response.status_code == 200, url
        errors = list(_validator(doc, path, "get", "200").iter_errors(response.json))
        assert not errors, (url, [e.message for e in errors[:3]])
    posts = [
        ("/api/v1/studios/wang-math/activities", "/api/v1/studios/{slug}/activities", "201", ACTIVITY),
        ("/api/v1/indicators", "/api/v1/indicators", "201",
         {"code": "live_count", "name": "直播课", "rule": {"source": "activities", "kind": "live"}}),
        ("/api/v1/notifications/read", "/api/v1/notifications/read", "200", {"ids": [1, 2]}),
    ]
    for url, path, status, body in posts:
        response = client.post(url, headers=admin, json=body)
        assert str(response.status_code) == status, (url, response.json)
        errors = list(_validator(doc, path, "post", status).iter_errors(response.json))
        assert not errors, (url, [e.message for e in errors[:3]])
    response = client.patch("/api/v1/indicators/papers", headers=admin, json={"cap": None, "name_en": ""})
    assert response.status_code == 200 and response.json["cap"] is None
    assert not list(_validator(doc, "/api/v1/indicators/{code}", "patch", "200").iter_errors(response.json))
    declared = {(p, m) for p, ops in doc["paths"].items() for m in ops}
    assert {("/api/v1/assessment/{year}", "get"), ("/api/v1/assessment/{year}.xlsx", "get"), ("/api/v1/indicators", "post"), ("/api/v1/indicators/{code}", "patch"),
            ("/api/v1/notifications/read", "post"), ("/api/v1/studios/{slug}/activities", "post"),
            ("/api/v1/stats", "get"), ("/api/v1/subjects", "get")} <= declared
