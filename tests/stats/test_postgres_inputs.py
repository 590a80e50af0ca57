"""Issue 14 on a real PostgreSQL, which refuses NUL in any text: a NUL in an activity title, an
indicator name or a school name is a 400 naming the field, a NUL in a studio or subject path is a
404, and a control character already stored in a title never breaks the exports."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from library.db import get_session
from library.resources.models import Resource
from tests.support.app import bearer, csrf_token, make_app
from tests.support.stats import YEAR, build_known_year

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_known(tmp_path, pg_url, sample_dir):
    app = make_app(tmp_path / "i", DATABASE_URL=pg_url)
    try:
        assert app.extensions["db_engine"].dialect.name == "postgresql"
        yield app, build_known_year(app, sample_dir)
    finally:
        app.extensions["db_engine"].dispose()


@pytest.mark.parametrize("bad", ["\x00", "\x01"])
def test_control_characters_are_a_400_naming_the_field_on_postgresql(pg_known, bad):
    """NUL is refused by the app-wide guard (a JSON body is named "body"), \x01 by the field's schema."""
    app, known = pg_known
    named = (lambda field: {field, "body"}) if bad == "\x00" else (lambda field: {field})
    client = app.test_client()
    response = client.post("/api/v1/studios/wang-math/activities", headers=bearer(known.tokens["host"]), json={
        "title": f"送教{bad}下乡", "held_on": "2024-06-01", "participants": 3})
    assert response.status_code == 400 and set(response.json["error"]["fields"]) <= named("title")
    admin = bearer(known.tokens["admin"])
    response = client.post("/api/v1/indicators", headers=admin, json={
        "code": "live_count", "name": f"直播{bad}课", "rule": {"source": "activities"}})
    assert response.status_code == 400 and set(response.json["error"]["fields"]) <= named("name")
    response = client.patch("/api/v1/indicators/papers", headers=admin, json={"name": f"论文{bad}"})
    assert response.status_code == 400 and set(response.json["error"]["fields"]) <= named("name")
    assert client.patch("/api/v1/indicators/pa%00pers", headers=admin, json={"points": 1}).status_code == 404
    login_page = csrf_token(client, "/login")
    client.post("/login", data={"username": "admin", "password": "correct horse battery", "csrf_token": login_page})
    token = csrf_token(client, "/admin/schools")
    response = client.post("/admin/schools", data={"csrf_token": token, "name": f"希望{bad}小学"})
    assert response.status_code == 400 and "不能包含控制字符" in response.get_data(as_text=True)
    assert bad == "\x00" or "学校名称：" in response.get_data(as_text=True)
    for path in ("/studios/wang%00math", "/subjects/ma%00th", "/api/v1/studios/wang%00math/stats",
                 "/api/v1/studios/wang%00math/activities", "/studios/wang-math/dashboard?year=20%0024",
                 "/studios/wang-math?kind=pa%00per", "/admin/studios/wang%00math"):
        assert client.get(path, headers=admin).status_code in (400, 404), path
    assert client.get("/studios/wang-math").status_code == 200 and client.get("/subjects/math").status_code == 200


def test_a_stored_control_character_never_breaks_the_exports_on_postgresql(pg_known):
    app, known = pg_known
    with app.app_context():
        get_session().get(Resource, known.ids["paper1"]).title = "论文\x01标题"
        get_session().commit()
    client = app.test_client()
    admin = bearer(known.tokens["admin"])
    book = client.get(f"/api/v1/assessment/{YEAR}.xlsx", headers=admin)
    assert book.status_code == 200
    titles = [c.value for r in load_workbook(io.BytesIO(book.data))["王丽数学名师工作室"].iter_rows() for c in r]
    assert "论文标题" in titles
    text = client.get(f"/api/v1/assessment/{YEAR}.csv", headers=admin).get_data(as_text=True)
    assert len(list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))) == 1 + 22
