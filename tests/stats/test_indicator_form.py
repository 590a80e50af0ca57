"""The indicator editor as a form (issue 19, part 5): no JSON to type, clear Chinese errors, and
nothing typed makes it answer 500."""

from __future__ import annotations

import pytest

from tests.support.app import bearer, build_world, csrf_token, login


def _fields(token, **changes):
    body = {"csrf_token": token, "original_code": "awards_high", "name": "省级及以上获奖课例", "name_en": "",
            "source": "resources", "kind": "award_case", "level_min": "provincial", "level_max": "",
            "activity_kind": "", "measure": "count", "points": "5", "cap": "24", "position": "1",
            "lp_national": "8", "lp_provincial": "5", "lp_prefecture": "", "lp_county": "", "lp_school": "",
            "active": "1"}
    body.update(changes)
    return body


def _indicator(client, admin, code):
    return next(i for i in client.get("/api/v1/indicators", headers=bearer(admin)).json["items"] if i["code"] == code)


def test_the_page_is_a_form_without_json_or_codes(app, client):
    build_world(app)
    login(client, "admin")
    page = client.get("/assessment/indicators").get_data(as_text=True)
    assert "JSON" not in page and "{&#34;" not in page and "textarea" not in page
    assert '<option value="award_case" selected>获奖课例</option>' in page
    assert '<option value="provincial" selected>省级</option>' in page
    assert 'name="lp_national" value="8"' in page
    assert "<code>" not in page and ">awards_high<" not in page


def test_saving_the_fields_builds_the_rule(app, client):
    world = build_world(app)
    login(client, "admin")
    token = csrf_token(client, "/assessment/indicators")
    saved = client.post("/assessment/indicators", follow_redirects=True,
                        data=_fields(token, level_min="prefecture", lp_county="2", cap=""))
    assert "指标已保存" in saved.get_data(as_text=True)
    row = _indicator(client, world.admin_token, "awards_high")
    assert row["rule"] == {"source": "resources", "kind": "award_case", "award_level_min": "prefecture"}
    assert row["level_points"] == {"national": 8, "provincial": 5, "county": 2} and row["cap"] is None
    # Research projects take the project levels and statuses; activities their kind and measure.
    client.post("/assessment/indicators", data=_fields(token, kind="research_project", level_min="county",
                                                       project_status=["approved", "ongoing"]))
    assert _indicator(client, world.admin_token, "awards_high")["rule"] == {
        "source": "resources", "kind": "research_project", "project_level_min": "county",
        "project_status": ["approved", "ongoing"]}
    client.post("/assessment/indicators", data=_fields(token, original_code="activities", source="activities",
                                                       activity_kind="live", measure="participants"))
    assert _indicator(client, world.admin_token, "activities")["rule"] == {
        "source": "activities", "kind": "live", "measure": "participants"}
    # A new indicator from the same fields.
    made = client.post("/assessment/indicators", follow_redirects=True, data=_fields(
        token, original_code="", code="loans_all", name="全部借阅", source="loans", under_agreement="1"))
    assert "指标已保存" in made.get_data(as_text=True)
    assert _indicator(client, world.admin_token, "loans_all")["rule"] == {"source": "loans", "under_agreement": True}


@pytest.mark.parametrize("changes,message", [
    ({"points": "五"}, "每单位分值：应为数字"),
    ({"points": "-1"}, "每单位分值"),
    ({"cap": "1e9"}, "上限"),
    ({"lp_national": "八"}, "按级别分值：应为数字"),
    ({"lp_school": "99999999"}, "按级别分值"),
    ({"source": "weather"}, "计数规则"),
    ({"kind": "poem"}, "计数规则里有未知的代码：poem"),
    ({"level_min": "galactic"}, "计数规则里有未知的代码"),
    ({"measure": "\x00"}, "不能包含控制字符"),
    ({"name": ""}, "指标名称"),
    ({"name": "x" * 500}, "指标名称"),
    ({"position": "٣"}, "排序位置"),
    ({"original_code": "nope"}, "没有考核指标 nope"),
    ({"original_code": "", "code": "Bad Code"}, "指标代码"),
])
def test_bad_input_is_a_clear_chinese_error_never_a_500(app, client, changes, message):
    world = build_world(app)
    login(client, "admin")
    token = csrf_token(client, "/assessment/indicators")
    before = _indicator(client, world.admin_token, "awards_high")
    response = client.post("/assessment/indicators", data=_fields(token, **changes), follow_redirects=True)
    assert response.status_code in (200, 400, 404), response.status_code
    page = response.get_data(as_text=True)
    assert message in page and "指标已保存" not in page
    assert _indicator(client, world.admin_token, "awards_high") == before
