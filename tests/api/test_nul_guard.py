"""NUL (U+0000) never reaches the database: PostgreSQL refuses it in text, which was a 500 for
anyone on `GET /studios/wang%00math`, `GET /subjects/ma%00th` and `POST /login`."""

from __future__ import annotations

import pytest

from tests.support.app import build_world, make_app

PROBES = [
    ("get", "/studios/wang%00math", None, 404),
    ("get", "/subjects/ma%00th", None, 404),
    ("get", "/api/v1/search?q=%00", None, 400),
    ("get", "/search?q=a%00b", None, 400),
    ("get", "/?stage=%00", None, 400),
    ("post", "/login", {"username": "wang\x00li", "password": "x"}, 400),
]


def _probe(app):
    client = app.test_client()
    for method, url, data, status in PROBES:
        response = getattr(client, method)(url, data=data)
        assert response.status_code == status, (url, response.status_code)
    api = client.get("/api/v1/search?q=%00").get_json()["error"]
    assert api["code"] == "invalid_input" and set(api["fields"]) == {"q"}
    as_json = client.post("/api/v1/loans", json={"purpose": "上课\x00用"})
    assert as_json.status_code == 400 and as_json.get_json()["error"]["code"] == "invalid_input"


def test_nul_is_refused_before_any_view_on_sqlite(app):
    build_world(app)
    _probe(app)


@pytest.mark.postgres
def test_nul_is_refused_before_any_view_on_postgresql(tmp_path, pg_url):
    app = make_app(tmp_path / "i", DATABASE_URL=pg_url)
    build_world(app)
    _probe(app)
    app.extensions["db_engine"].dispose()
