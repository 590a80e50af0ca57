"""The known year on a real PostgreSQL: the same figures, scores and workbook as on SQLite."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from tests.stats.test_assessment import WANG, WANG_TOTAL, _check_workbook
from tests.stats.test_figures import EXPECTED_BY_KIND
from tests.support.app import bearer, make_app
from tests.support.stats import YEAR, build_known_year

pytestmark = pytest.mark.postgres


def test_known_year_on_postgresql(tmp_path, pg_url, sample_dir):
    app = make_app(tmp_path / "i", DATABASE_URL=pg_url)
    try:
        assert app.extensions["db_engine"].dialect.name == "postgresql"
        known = build_known_year(app, sample_dir)
        client = app.test_client()
        body = client.get(f"/api/v1/studios/wang-math/stats?year={YEAR}", headers=bearer(known.tokens["host"])).json
        assert body["by_kind"] == EXPECTED_BY_KIND
        assert (body["views"], body["downloads"], body["loans"], body["schools_helped"]) == (3, 2, 2, 3)
        assert body["views_by_month"][2] == 2 and body["downloads_by_month"][4] == 2
        scores = client.get(f"/api/v1/assessment/{YEAR}", headers=bearer(known.tokens["admin"])).json
        wang = next(s for s in scores["studios"] if s["studio"] == "wang-math")
        assert {code: s["score"] for code, s in wang["scores"].items()} == {c: v[2] for c, v in WANG.items()}
        assert wang["total"] == WANG_TOTAL
        book = client.get(f"/api/v1/assessment/{YEAR}.xlsx", headers=bearer(known.tokens["admin"]))
        _check_workbook(load_workbook(io.BytesIO(book.data)), known)
    finally:
        app.extensions["db_engine"].dispose()
