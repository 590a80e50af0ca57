"""Activities and trainings: recorded through the API and the page, counted from the records."""

from __future__ import annotations

from tests.support.app import bearer, build_world, csrf_token, login
from tests.support.stats import YEAR


def test_record_and_list_activities_through_the_api(app, client):
    world = build_world(app)
    host = bearer(world.host_token)
    with app.app_context():
        from library.accounts import schools

        school_id = schools.create_school("城南小学", weak=True).id
    response = client.post("/api/v1/studios/wang-math/activities", headers=host, json={
        "title": "新课标解读培训", "kind": "training", "held_on": f"{YEAR}-04-12", "participants": 86,
        "school_ids": [school_id], "description": "全县小学数学教师"})
    assert response.status_code == 201, response.json
    body = response.json
    assert body["participants"] == 86 and body["schools"] == [{"id": school_id, "name": "城南小学"}]
    listed = client.get(f"/api/v1/studios/wang-math/activities?year={YEAR}", headers=host).json["items"]
    assert [a["id"] for a in listed] == [body["id"]]
    assert client.get(f"/api/v1/studios/wang-math/activities?year={YEAR - 1}", headers=host).json["items"] == []
    stats = client.get(f"/api/v1/studios/wang-math/stats?year={YEAR}", headers=host).json
    assert stats["activities"] == 1 and stats["participants"] == 86 and stats["schools_reached"] == 1
    # Bad input: every wrong field is named, in Chinese (the schema's fields first, then the rows).
    response = client.post("/api/v1/studios/wang-math/activities", headers=host, json={
        "title": "", "kind": "party", "held_on": "2024/4/12", "participants": -3, "school_ids": [999]})
    assert response.status_code == 400
    error = response.json["error"]
    assert error["code"] == "invalid_input"
    assert set(error["fields"]) == {"title", "kind", "held_on", "participants"}
    assert "活动名称：请填写此项" in error["message"] and "2024-05-03" in error["fields"]["held_on"]
    response = client.post("/api/v1/studios/wang-math/activities", headers=host, json={
        "title": "x", "held_on": "2024-04-12", "school_ids": [999]})
    assert response.status_code == 400 and set(response.json["error"]["fields"]) == {"school_ids"}
    # Materials must be the studio's own outputs; members and teachers cannot record.
    response = client.post("/api/v1/studios/wang-math/activities", headers=host, json={
        "title": "x", "held_on": "2024-04-12", "resource_ids": "abc"})
    assert response.status_code == 400 and "相关成果：应为数字" in response.json["error"]["message"]
    for token in (world.member_token, world.teacher_token):
        response = client.post("/api/v1/studios/wang-math/activities", headers=bearer(token),
                               json={"title": "x", "held_on": "2024-04-12"})
        assert response.status_code == 403
    assert client.get("/api/v1/studios/wang-math/activities", headers=bearer(world.teacher_token)).status_code == 403


def test_record_an_activity_on_the_page(app, client, sample_dir):
    world = build_world(app)
    from tests.support.app import upload

    resource_id = upload(client, world.host_token, [sample_dir / "教学设计.docx"], title="分数的初步认识").json["id"]
    login(client, "wangli")
    token = csrf_token(client, "/studios/wang-math/activities")
    response = client.post("/studios/wang-math/activities", follow_redirects=True, data={
        "csrf_token": token, "title": "同课异构教研", "kind": "teaching_research", "held_on": f"{YEAR}-10-09",
        "participants": "42", "resource_ids": str(resource_id), "description": ""})
    html = response.get_data(as_text=True)
    assert "活动已登记" in html and "同课异构教研" in html and "分数的初步认识" in html and "<td class=\"num\">42</td>" in html
    response = client.post("/studios/wang-math/activities", follow_redirects=True, data={
        "csrf_token": token, "title": "缺日期的活动", "participants": "3"})
    assert "活动日期：请填写此项" in response.get_data(as_text=True)
    stats = client.get(f"/api/v1/studios/wang-math/stats?year={YEAR}", headers=bearer(world.host_token)).json
    assert stats["participants"] == 42 and stats["activities"] == 1
