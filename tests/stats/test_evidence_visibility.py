"""The assessment's evidence follows policy.can_view: a coordinator who liaises with no studio sees a
studio-only output counted, not named, in every format; the studio's side sees it named."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from library.accounts import service as accounts
from library.resources.service import IncomingFile, create_resource
from tests.support.app import bearer, login
from tests.support.stats import YEAR, coded_csv_rows

SECRET = "工作室内部论文：未公开的课题数据"


def _studio_only_paper(app, sample_dir) -> int:
    with app.app_context():
        return create_resource(accounts.get_user("wangli"), {
            "title": SECRET, "kind": "paper", "subject": "math", "stage": "primary", "studio": "wang-math",
            "year": str(YEAR), "authors": "王丽", "publish": "true", "visibility": "studio",
        }, [IncomingFile.from_path(sample_dir / "校园植物.png")]).id


def _papers_sheet_rows(data: bytes) -> list[list]:
    sheet = load_workbook(io.BytesIO(data))["王丽数学名师工作室"]
    return [[c.value for c in row][:6] for row in sheet.iter_rows(min_row=18) if row[0].value == "论文文章"]


def test_a_coordinator_of_no_studio_sees_studio_only_outputs_counted_not_named(app, client, known, sample_dir):
    rid = _studio_only_paper(app, sample_dir)
    outsider, liaison = bearer(known.tokens["other_coordinator"]), bearer(known.tokens["coordinator"])
    # The API refuses the output itself to the outsider …
    assert client.get(f"/api/v1/resources/{rid}", headers=outsider).status_code == 404
    # … so the assessment counts it (the same score for everyone) without naming it.
    for headers in (outsider, liaison):
        body = client.get(f"/api/v1/assessment/{YEAR}", headers=headers).json
        papers = next(s for s in body["studios"] if s["studio"] == "wang-math")["scores"]["papers"]
        assert (papers["count"], papers["score"]) == (3, 6)
        named = headers is liaison
        assert (f"resource:{rid}" in papers["evidence"]) is named and papers["hidden"] == (0 if named else 1)
        assert len(papers["evidence"]) == (3 if named else 2)

    hidden = _papers_sheet_rows(client.get(f"/api/v1/assessment/{YEAR}.xlsx", headers=outsider).data)
    assert ["论文文章", "成果", None, "（不公开的成果 1 项）", 1, 2] in hidden
    assert not [r for r in hidden if r[2] == rid or r[3] == SECRET]
    assert sum(r[4] * r[5] for r in hidden) == 6  # the score is still the sum of its evidence
    shown = _papers_sheet_rows(client.get(f"/api/v1/assessment/{YEAR}.xlsx", headers=liaison).data)
    assert ["论文文章", "成果", rid, SECRET, 1, 2] in shown and len(shown) == 3

    text = client.get(f"/api/v1/assessment/{YEAR}.csv?codes=1", headers=outsider).get_data(as_text=True)
    assert SECRET not in text
    assert SECRET not in client.get(f"/api/v1/assessment/{YEAR}.csv", headers=outsider).get_data(as_text=True)
    row = next(r for r in coded_csv_rows(text)
               if r["studio"] == "wang-math" and r["indicator"] == "papers")
    assert f"resource:{rid}" not in row["evidence"].split() and row["evidence_hidden"] == "1" and row["count"] == "3"

    # The page's export follows the same rule.
    login(client, "qianyx")
    page = client.get(f"/assessment/{YEAR}/export.xlsx")
    assert page.status_code == 200 and SECRET not in [r[3] for r in _papers_sheet_rows(page.data)]


def test_the_studios_host_sees_the_output_on_the_dashboard_not_the_assessment(app, client, known, sample_dir):
    rid = _studio_only_paper(app, sample_dir)
    host = bearer(known.tokens["host"])
    assert client.get(f"/api/v1/resources/{rid}", headers=host).status_code == 200
    assert client.get(f"/api/v1/assessment/{YEAR}.xlsx", headers=host).status_code == 403  # as before
    stats = client.get(f"/api/v1/studios/wang-math/stats?year={YEAR}", headers=host).json
    assert rid in stats["resource_ids"] and stats["papers"] == 3
    # A loan of a studio-only output names it only to those who may see it (here: made studio-only later).
    from library.db import get_session
    from library.resources.models import Resource

    with app.app_context():
        get_session().get(Resource, known.ids["video1"]).visibility = "studio"
        get_session().commit()
    outsider = bearer(known.tokens["other_coordinator"])
    rows = load_workbook(io.BytesIO(client.get(f"/api/v1/assessment/{YEAR}.xlsx", headers=outsider).data))["王丽数学名师工作室"]
    labels = [row[3].value for row in rows.iter_rows(min_row=18) if row[0].value == "协议内借阅"]
    assert labels == ["（不公开成果的借阅 1 项）"]
    admin = load_workbook(io.BytesIO(client.get(f"/api/v1/assessment/{YEAR}.xlsx",
                                                headers=bearer(known.tokens["admin"])).data))["王丽数学名师工作室"]
    assert [row[3].value for row in admin.iter_rows(min_row=18) if row[0].value == "协议内借阅"] == \
        ["成果 video1 → 城南小学"]
