"""The assessment of a known year: each indicator's count and score, the JSON, the XLSX read back
cell by cell, the CSV, the command line, and editing the indicator set."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from tests.support.app import bearer, csrf_token, login
from tests.support.stats import YEAR

# indicator → (count, points before the cap, score) for wang-math in 2024
WANG = {
    "lesson_videos": (2, 2, 2),
    "awards_high": (3, 18, 18),          # national 8 + provincial 5 × 2
    "awards_local": (2, 5, 5),           # prefecture 3 + county 2
    "excellent_cases": (3, 3, 3),
    "projects_approved": (2, 7, 7),      # provincial approved 5 + county ongoing 2
    "projects_concluded": (1, 4, 4),     # prefecture concluded
    "papers": (2, 4, 4),
    "activities": (3, 3, 3),
    "teachers_trained": (555, 11.1, 10),  # 555 attendances × 0.02, capped at 10
    "loans_under_agreements": (1, 0.5, 0.5),
    "schools_helped": (3, 6, 6),
}
WANG_TOTAL = 62.5
CODES = list(WANG)


def _evidence(known) -> dict[str, list[str]]:
    r = lambda *names: [f"resource:{known.ids[n]}" for n in names]  # noqa: E731
    a = [f"activity:{known.activities[k]}" for k in ("training", "research", "live")]
    return {
        "lesson_videos": r("video1", "video2"),
        "awards_high": r("award_nat", "award_prov1", "award_prov2"),
        "awards_local": r("award_pref", "award_county"),
        "excellent_cases": r("excellent1", "excellent2", "excellent3"),
        "projects_approved": r("project_prov", "project_county"),
        "projects_concluded": r("project_pref"),
        "papers": r("paper1", "paper2"),
        "activities": a,
        "teachers_trained": a,
        "loans_under_agreements": [f"loan:{known.loans['under']}"],
        # schools by name: 城南小学 (a), 山区中心校 (c), 河西小学 (b)
        "schools_helped": [f"school:{known.schools[k]}" for k in sorted("abc", key=lambda k: {"a": "城南小学", "b": "河西小学", "c": "山区中心校"}[k])],
    }


def test_assessment_json_counts_and_scores(client, known):
    response = client.get(f"/api/v1/assessment/{YEAR}", headers=bearer(known.tokens["coordinator"]))
    assert response.status_code == 200, response.json
    body = response.json
    assert [i["code"] for i in body["indicators"]] == CODES
    studios = {s["studio"]: s for s in body["studios"]}
    wang = studios["wang-math"]
    for code, (count, raw, score) in WANG.items():
        got = wang["scores"][code]
        assert (got["count"], got["raw"], got["score"]) == (count, raw, score), code
    assert wang["total"] == WANG_TOTAL
    evidence = _evidence(known)
    for code in CODES:
        assert wang["scores"][code]["evidence"] == evidence[code], code
    li = studios["li-chinese"]
    assert li["scores"]["papers"] == {"count": 1, "raw": 2, "score": 2, "evidence": [f"resource:{known.ids['li_paper']}"],
                                     "hidden": 0}
    assert li["total"] == 2
    # Teachers, hosts and anonymous callers do not see the assessment.
    assert client.get(f"/api/v1/assessment/{YEAR}", headers=bearer(known.tokens["host"])).status_code == 403
    assert client.get(f"/api/v1/assessment/{YEAR}").status_code == 401
    bad = client.get("/api/v1/assessment/20x4.xlsx", headers=bearer(known.tokens["admin"]))
    assert bad.status_code == 404 and bad.json["error"]["code"] == "not_found"


NAMES = ["录课视频", "省级及以上获奖课例", "州市级及以下获奖课例", "优秀课例", "课题立项与在研", "课题结题", "论文文章",
         "培训与教研活动", "培训教师人次", "协议内借阅", "帮扶学校"]
NAME = dict(zip(CODES, NAMES, strict=True))
TYPES = {"resource": "成果", "activity": "活动", "loan": "借阅", "school": "帮扶学校"}


def _check_workbook(book, known):
    # 汇总 first, then one sheet per studio named by its Chinese name, in the summary's (ranked) order.
    assert book.sheetnames == ["汇总", "王丽数学名师工作室", "李明语文名师工作室"]
    summary = book["汇总"]
    assert summary["A1"].value == f"{YEAR} 年度名师工作室考核汇总"
    assert summary.freeze_panes == "C3"
    header = [c.value for c in summary[2]]
    assert header == ["名次", "工作室", "总分", *NAMES]
    rows = [[c.value for c in summary[r]] for r in (3, 4)]
    assert rows[0] == [1, "王丽数学名师工作室", WANG_TOTAL, *[WANG[c][2] for c in CODES]]
    assert rows[1] == [2, "李明语文名师工作室", 2, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0]
    assert summary.max_row == 4
    # No codes anywhere a person reads: no studio code, no indicator code, no evidence type code.
    cells = [c.value for ws in book for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    for code in (*CODES, "wang-math", "li-chinese", "resource", "activity", "loan", "total", "Summary"):
        assert code not in cells, code
    assert not [v for v in cells if v.startswith("{")]  # per-level points are not JSON

    sheet = book["王丽数学名师工作室"]
    assert sheet["A1"].value == f"王丽数学名师工作室 · {YEAR} 年度考核"
    assert sheet.freeze_panes == "B3"
    assert [c.value for c in sheet[2]] == ["指标", "计数", "每单位分值", "按级别分值", "计分（封顶前）", "上限", "得分"]
    expected_points = {"lesson_videos": (1, None, 10), "awards_high": (5, "国家级 8 分、省级 5 分", 24),
                       "teachers_trained": (0.02, None, 10), "schools_helped": (2, None, 10)}
    for offset, code in enumerate(CODES):
        row = [c.value for c in sheet[3 + offset]]
        count, raw, score = WANG[code]
        assert row[0] == NAME[code] and row[1] == count and row[4] == raw and row[6] == score, row
        if code in expected_points:
            points, level_points, cap = expected_points[code]
            assert (row[2], row[3] or None, row[5]) == (points, level_points, cap), row
    assert [c.value for c in sheet[14]] == ["总分", None, None, None, None, None, WANG_TOTAL]
    assert sheet["A16"].value == "依据"
    assert [c.value for c in sheet[17]] == ["指标", "类型", "编号", "名称", "数量", "每单位分值", None]
    evidence_rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=18)]
    assert all(r[6:] == [None] for r in evidence_rows)
    evidence_rows = [r[:6] for r in evidence_rows]
    expected = _evidence(known)
    flat = [(NAME[code], item) for code in CODES for item in expected[code]]
    assert [(r[0], r[1], r[2]) for r in evidence_rows] == \
        [(name, TYPES[item.split(":")[0]], int(item.split(":")[1])) for name, item in flat]
    by_ref = {(r[0], r[1], r[2]): r for r in evidence_rows}
    assert by_ref[("省级及以上获奖课例", "成果", known.ids["award_nat"])][3:] == ["成果 award_nat", 1, 8]
    assert by_ref[("培训教师人次", "活动", known.activities["live"])][3:] == ["线上直播课", 400, 0.02]
    assert by_ref[("协议内借阅", "借阅", known.loans["under"])][3] == "成果 video1 → 城南小学"
    # Each figure is the sum of its evidence: count = Σ units, points before the cap = Σ units × points.
    for offset, code in enumerate(CODES):
        mine = [r for r in evidence_rows if r[0] == NAME[code]]
        assert sheet.cell(row=3 + offset, column=2).value == sum(r[4] for r in mine)
        assert abs(sheet.cell(row=3 + offset, column=5).value - sum(r[4] * r[5] for r in mine)) < 1e-9
    # Columns sized to their contents: the names column is wide, the counts narrow.
    assert sheet.column_dimensions["A"].width >= 20 and sheet.column_dimensions["B"].width <= 12
    assert book["李明语文名师工作室"].freeze_panes == "B3"


def test_xlsx_export_read_back_cell_by_cell(client, known):
    response = client.get(f"/api/v1/assessment/{YEAR}.xlsx", headers=bearer(known.tokens["admin"]))
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    # The Chinese name for browsers (RFC 5987), an ASCII one for the others.
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="assessment-{YEAR}.xlsx"; '
        "filename*=UTF-8''2024%E5%B9%B4%E5%BA%A6%E5%90%8D%E5%B8%88%E5%B7%A5%E4%BD%9C%E5%AE%A4%E8%80%83%E6%A0%B8.xlsx")
    _check_workbook(load_workbook(io.BytesIO(response.data)), known)


def test_csv_export_for_people_has_chinese_headers(client, known):
    response = client.get(f"/api/v1/assessment/{YEAR}.csv", headers=bearer(known.tokens["coordinator"]))
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "filename*=UTF-8''2024%E5%B9%B4" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")  # Excel reads UTF-8 only with the BOM
    lines = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert lines[0] == ["年度", "工作室", "指标", "计数", "计分（封顶前）", "上限", "得分", "依据", "未列名的依据条数"]
    assert len(lines) == 1 + 2 * len(CODES)
    rows = [dict(zip(lines[0], line, strict=True)) for line in lines[1:]]
    wang = {r["指标"]: r for r in rows if r["工作室"] == "王丽数学名师工作室"}
    assert wang["论文文章"]["依据"] == f"成果 {known.ids['paper1']}、成果 {known.ids['paper2']}"
    assert (wang["培训教师人次"]["计数"], wang["培训教师人次"]["得分"], wang["培训教师人次"]["上限"]) == ("555", "10", "10")
    for code in (*CODES, "wang-math", "resource:"):
        assert code not in text, code


def test_csv_export_long_format(client, known):
    # ?codes=1: the long format for programs — Chinese titles, then the field names, then the rows.
    response = client.get(f"/api/v1/assessment/{YEAR}.csv?codes=1", headers=bearer(known.tokens["coordinator"]))
    assert response.status_code == 200 and response.mimetype == "text/csv"
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    first, rest = text.lstrip("\ufeff").split("\r\n", 1)
    assert first.split(",") == ["年度", "工作室代码", "工作室", "指标代码", "指标", "计数", "计分（封顶前）", "上限", "得分",
                                "依据", "未列名的依据条数"]
    rows = list(csv.DictReader(io.StringIO(rest)))
    assert len(rows) == 2 * len(CODES)
    evidence = _evidence(known)
    wang = {r["indicator"]: r for r in rows if r["studio"] == "wang-math"}
    for code, (count, raw, score) in WANG.items():
        row = wang[code]
        assert (int(row["count"]), float(row["points_before_cap"]), float(row["score"])) == (count, raw, score)
        assert row["evidence"].split() == evidence[code] and row["year"] == str(YEAR)
    assert wang["teachers_trained"]["cap"] == "10.0" and wang["papers"]["indicator_name"] == "论文文章"
    page = client.get(f"/api/v1/assessment/{YEAR}.csv?codes=maybe", headers=bearer(known.tokens["coordinator"]))
    assert page.status_code == 400 and "codes" in page.json["error"]["fields"]


def test_cli_writes_the_same_workbook(app, runner, known, tmp_path):
    out = tmp_path / "考核.xlsx"
    result = runner.invoke(args=["assessment", "export", str(YEAR), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "2 studios, 11 indicators" in result.output
    _check_workbook(load_workbook(out), known)
    bad = runner.invoke(args=["assessment", "export", "next-year", "--out", str(out)])
    assert bad.exit_code != 0 and "年份" in bad.output


def test_pages_offer_the_exports(client, known):
    login(client, "zhaoyx")
    html = client.get(f"/assessment/{YEAR}").get_data(as_text=True)
    assert f"/assessment/{YEAR}/export.xlsx" in html and f"/assessment/{YEAR}/export.csv" in html
    assert "编辑考核指标" not in html  # coordinators see, admins edit
    wang = html[html.index('data-studio="wang-math"'):]
    wang = wang[:wang.index("</tr>")]
    assert '<td class="num" data-indicator="teachers_trained" title="计数 555">10<br><small>(555)</small></td>' in wang
    assert "<strong>62.5</strong>" in wang
    book = client.get(f"/assessment/{YEAR}/export.xlsx")
    assert book.status_code == 200
    _check_workbook(load_workbook(io.BytesIO(book.data)), known)
    assert client.get("/assessment/indicators").status_code == 403


def test_admin_edits_indicators_and_scores_follow(client, known):
    admin = bearer(known.tokens["admin"])
    # Papers: 3 points each, capped at 5 → wang-math 2 papers = min(6, 5).
    response = client.patch("/api/v1/indicators/papers", json={"points": 3, "cap": 5}, headers=admin)
    assert response.status_code == 200 and response.json["points"] == 3.0
    # A new indicator, the example: award cases of provincial level or above, 1 point each.
    response = client.post("/api/v1/indicators", headers=admin, json={
        "code": "awards_provincial_up", "name": "省级以上获奖", "points": 1,
        "rule": {"source": "resources", "kind": "award_case", "award_level_min": "provincial"}})
    assert response.status_code == 201, response.json
    scores = client.get(f"/api/v1/assessment/{YEAR}", headers=admin).json
    wang = next(s for s in scores["studios"] if s["studio"] == "wang-math")
    assert wang["scores"]["papers"]["score"] == 5 and wang["scores"]["papers"]["raw"] == 6
    assert wang["scores"]["awards_provincial_up"]["count"] == 3 and wang["scores"]["awards_provincial_up"]["score"] == 3
    assert wang["total"] == WANG_TOTAL - 4 + 5 + 3
    # Bad definitions are refused with the field named, in Chinese.
    for body, field in (({"code": "x1", "name": "n", "rule": {"source": "magic"}}, "rule"),
                        ({"code": "x2", "name": "n", "rule": {"source": "resources", "kind": "poem"}}, "rule"),
                        ({"code": "x3", "name": "n", "rule": {"source": "resources"}, "points": "many"}, "points"),
                        ({"code": "x4", "name": "", "rule": {"source": "loans"}}, "name"),
                        ({"code": "Bad Code", "name": "n", "rule": {"source": "loans"}}, "code")):
        response = client.post("/api/v1/indicators", json=body, headers=admin)
        assert response.status_code == 400, body
        assert field in response.json["error"]["fields"], response.json
    assert client.post("/api/v1/indicators", json={"code": "papers", "name": "n", "rule": {"source": "loans"}},
                       headers=admin).status_code == 409
    refused = client.patch("/api/v1/indicators/papers", json={"points": 1}, headers=bearer(known.tokens["coordinator"]))
    assert refused.status_code == 403
    # Switching an indicator off on the page takes it out of the set.
    login(client, "admin")
    token = csrf_token(client, "/assessment/indicators")
    response = client.post("/assessment/indicators", data={
        "csrf_token": token, "original_code": "schools_helped", "name": "帮扶学校", "rule": '{"source": "schools_helped"}',
        "points": "2", "level_points": "", "cap": "10", "position": "10"}, follow_redirects=True)
    assert "指标已保存" in response.get_data(as_text=True)
    codes = [i["code"] for i in client.get(f"/api/v1/assessment/{YEAR}", headers=admin).json["indicators"]]
    assert "schools_helped" not in codes
    response = client.post("/assessment/indicators", data={
        "csrf_token": token, "original_code": "papers", "name": "论文", "rule": "{not json", "points": "1"},
        follow_redirects=True)
    assert "不是有效的 JSON" in response.get_data(as_text=True)


def test_admin_adds_an_indicator_on_the_page(client, known):
    login(client, "admin")
    token = csrf_token(client, "/assessment/indicators")
    response = client.post("/assessment/indicators", follow_redirects=True, data={
        "csrf_token": token, "code": "live_sessions", "name": "直播课", "active": "1",
        "rule": '{"source": "activities", "kind": "live", "measure": "count"}', "points": "2",
        "level_points": "", "cap": "", "position": ""})
    assert "指标已保存" in response.get_data(as_text=True)
    scores = client.get(f"/api/v1/assessment/{YEAR}", headers=bearer(known.tokens["admin"])).json
    wang = next(s for s in scores["studios"] if s["studio"] == "wang-math")
    assert wang["scores"]["live_sessions"] == {"count": 1, "raw": 2, "score": 2,
                                                "evidence": [f"activity:{known.activities['live']}"], "hidden": 0}
    assert scores["indicators"][-1]["code"] == "live_sessions" and scores["indicators"][-1]["cap"] is None
