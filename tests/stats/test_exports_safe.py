"""Exports are safe to open: characters XML 1.0 forbids never reach a cell (one stored in a title
made the XLSX a 500 for everyone), and a value starting with = + - @ is never a formula."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from library.db import get_session
from library.resources.models import Resource
from library.studios import service as studios
from tests.support.app import bearer, login
from tests.support.stats import YEAR, coded_csv_rows


def _store_directly(app, known):
    """Legacy rows (or another path in) carrying control characters: written straight to the
    database, past every form."""
    with app.app_context():
        session = get_session()
        session.get(Resource, known.ids["paper1"]).title = "论文\x01标题"
        session.get(Resource, known.ids["paper2"]).title = "\x02=HYPERLINK(\"http://evil.example\")\ufffe"
        studios.get_studio("li-chinese").name = "李明\x1f语文\x0b名师工作室"
        session.commit()


def _cells(book) -> list:
    return [c.value for ws in book for row in ws.iter_rows() for c in row if isinstance(c.value, str)]


def test_a_control_character_in_a_stored_title_is_dropped_from_the_workbook(app, client, known):
    _store_directly(app, known)
    for url, headers in ((f"/api/v1/assessment/{YEAR}.xlsx", bearer(known.tokens["admin"])),
                         (f"/assessment/{YEAR}/export.xlsx", None)):
        if headers is None:
            login(client, "zhaoyx")
        response = client.get(url, headers=headers or {})
        assert response.status_code == 200, url
        book = load_workbook(io.BytesIO(response.data))
        cells = _cells(book)
        assert "论文标题" in cells and "李明语文名师工作室" in cells
        formula = [c for ws in book for row in ws.iter_rows() for c in row if c.value == '=HYPERLINK("http://evil.example")']
        assert len(formula) == 1 and formula[0].data_type == "s"  # text, not a formula
        assert not [v for v in cells if any(ord(ch) < 32 and ch not in "\t\n\r" for ch in v) or "\ufffe" in v]


def test_a_control_character_in_a_stored_name_is_dropped_from_the_csv(app, client, known):
    _store_directly(app, known)
    with app.app_context():
        studios.get_studio("wang-math").name = "\x01=1+2 工作室"
        get_session().commit()
    for query in ("", "?codes=1"):
        response = client.get(f"/api/v1/assessment/{YEAR}.csv{query}", headers=bearer(known.tokens["admin"]))
        assert response.status_code == 200
        text = response.get_data(as_text=True)
        assert not [ch for ch in text if ord(ch) < 32 and ch not in "\t\n\r"] and "\ufffe" not in text
    names = {r["studio"]: r["studio_name"] for r in coded_csv_rows(text)}
    assert names == {"li-chinese": "李明语文名师工作室", "wang-math": "'=1+2 工作室"}
