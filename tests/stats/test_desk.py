"""The bureau's desk (issue 19, part 4): the assessment ranked by total (ties share a rank) beside last
year's total and rank, and the dashboards opening on the latest year that has data."""

from __future__ import annotations

import re

from library.assessment import scores
from library.db import get_session
from library.resources.models import Resource
from library.studios import service as studios
from tests.support.app import login
from tests.support.stats import YEAR


def _lines(html: str) -> list[tuple[str, str, str, str]]:
    """(studio, rank, total, last year's cell) of each row of the assessment table, in order."""
    body = html[html.index('<table class="table stats-table" id="assessment-table">'):]
    body = body[:body.index("</table>")]
    found = []
    for slug, rank, row in re.findall(r'<tr data-studio="([\w-]+)" data-rank="(\d+)">(.*?)</tr>', body, re.S):
        total = re.search(r'<td class="num total"><strong>([\d.]+)</strong>', row).group(1)
        last = re.search(r'<td class="num last-year">(.*?)</td>', row, re.S).group(1)
        found.append((slug, rank, total, re.sub(r"<[^>]+>", " ", last).split()))
    return found


def test_competition_ranks_share_a_place_on_a_tie():
    assert scores.competition_ranks([]) == []
    assert scores.competition_ranks([9, 7, 7, 5, 5, 5, 1]) == [1, 2, 2, 4, 4, 4, 7]


def test_the_assessment_is_ranked_by_total_with_ties_and_last_year(app, client, known):
    with app.app_context():
        # Two studios with nothing in either year: a tie for third (then by name), and a tie last year.
        for slug, name in (("zz-empty", "阿丁音乐名师工作室"), ("aa-empty", "张三体育名师工作室")):
            studios.create_studio(slug, name, "math", "primary")
        get_session().commit()
        before = {r.figures.studio.slug: r.total for r in scores.evaluate(YEAR - 1, rows=False)}
    login(client, "zhaoyx")
    html = client.get(f"/assessment/{YEAR}").get_data(as_text=True)
    lines = _lines(html)
    # By total, highest first — not by name, which would put 李明 first.
    assert [(slug, rank, total) for slug, rank, total, _last in lines] == [
        ("wang-math", "1", "62.5"), ("li-chinese", "2", "2"), ("aa-empty", "3", "0"), ("zz-empty", "3", "0")]
    assert '<th scope="col" class="num rank">名次</th>' in html and "上年总分（名次）" in html
    # Last year (2023, under today's indicators): wang-math had a paper, a training, a loan and an
    # agreement running; the others nothing, so they share second place.
    assert before["wang-math"] > 0 and before["li-chinese"] == before["zz-empty"] == 0
    last = {slug: cell for slug, _rank, _total, cell in lines}
    assert last["wang-math"] == [f"{before['wang-math']:g}", "第", "1", "名"]
    assert last["li-chinese"] == last["zz-empty"] == last["aa-empty"] == ["0", "第", "2", "名"]
    # The page counts in SQL: no output is listed by title.
    assert "成果 paper1" not in html


def test_every_indicator_is_a_column_and_no_code_is_shown(client, known):
    login(client, "zhaoyx")
    html = client.get(f"/assessment/{YEAR}").get_data(as_text=True)
    head = html[html.index("<thead>"):html.index("</thead>")]
    assert "帮扶学校" in head and "协议内借阅" in head and "培训教师人次" in head
    assert 'title="papers"' not in head and "schools_helped" not in head


def test_dashboards_open_on_the_latest_year_with_data(app, client, known):
    login(client, "wangli")
    # The known county's outputs, loans and activities are of 2023 and 2024; today is later.
    html = client.get("/studios/wang-math/dashboard").get_data(as_text=True)
    assert '<strong aria-current="true">2024 年</strong>' in html
    assert '<div class="kpi" data-key="outputs"><strong>16</strong>' in html
    # The year switcher still works.
    html = client.get("/studios/wang-math/dashboard?year=2023").get_data(as_text=True)
    assert '<strong aria-current="true">2023 年</strong>' in html and 'href="/studios/wang-math/dashboard?year=2024"' in html
    with app.app_context():
        # An output dated in the future by mistake does not move the dashboard past this year.
        get_session().get(Resource, known.ids["paper2"]).year = 2090
        get_session().commit()
        from library.stats import figures

        current = figures.default_year()
        assert figures.latest_year(studios.get_studio("wang-math")) == 2024
        empty = studios.create_studio("empty-one", "空工作室", "math", "primary")
        assert figures.latest_year(empty) == current  # nothing yet: this year
    login(client, "zhaoyx")
    assert '<strong aria-current="true">2024 年</strong>' in client.get("/stats").get_data(as_text=True)
    response = client.get("/assessment/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/assessment/2024")


def test_stats_pages_say_county_and_carry_what_print_needs(client, known):
    login(client, "admin")
    for path in (f"/stats?year={YEAR}", f"/assessment/{YEAR}", f"/studios/wang-math/dashboard?year={YEAR}"):
        html = client.get(path).get_data(as_text=True)
        assert "全市" not in html, path
        assert '<p class="print-meta">' in html and "生成于" in html and f"{YEAR} 年" in html, path
    assert "<h1>全县统计</h1>" in client.get(f"/stats?year={YEAR}").get_data(as_text=True)


def test_sheet_names_follow_excels_rules(app):
    from library.assessment.exports import sheet_name

    with app.test_request_context():
        used: set[str] = set()
        long = "县第一实验小学语文与阅读素养提升名师工作室（2024—2026 年周期）"
        names = [sheet_name(n, used) for n in ("王丽[数学]:名师*工作室?/\\", long, long, "汇总", "'引号'", "HISTORY", "")]
    assert names[0] == "王丽数学名师工作室"
    assert names[1] == long[:31] and len(names[2]) == 31 and names[2].endswith("(2)") and names[1] != names[2]
    assert names[3] == "汇总(2)" and names[4] == "引号" and names[5] == "HISTORY(2)" and names[6] == "工作室"
    assert all(len(n) <= 31 and not set(n) & set("[]:*?/\\") for n in names)


def test_a_studio_with_a_long_or_odd_name_gets_a_sheet_excel_opens(app, client, known):
    import io

    from openpyxl import load_workbook

    with app.app_context():
        studios.create_studio("odd-1", "县第一实验小学语文与阅读素养提升名师工作室：甲组/乙组", "math", "primary")
        studios.create_studio("odd-2", "县第一实验小学语文与阅读素养提升名师工作室：甲组?丙组", "math", "primary")
    login(client, "zhaoyx")
    book = load_workbook(io.BytesIO(client.get(f"/assessment/{YEAR}/export.xlsx").data))
    odd = [n for n in book.sheetnames if n.startswith("县第一")]
    assert len(odd) == 2 and len(set(odd)) == 2 and all(len(n) <= 31 for n in odd)
    assert book.sheetnames[0] == "汇总" and all(book[n].freeze_panes == "B3" for n in odd)


def test_the_command_line_csv_for_people_and_with_codes(app, runner, known, tmp_path):
    out = tmp_path / "考核.csv"
    assert runner.invoke(args=["assessment", "export", str(YEAR), "--out", str(out)]).exit_code == 0
    lines = out.read_text(encoding="utf-8").lstrip("\ufeff").splitlines()
    assert lines[0].startswith("年度,工作室,指标,") and "wang-math" not in out.read_text(encoding="utf-8")
    assert runner.invoke(args=["assessment", "export", str(YEAR), "--out", str(out), "--codes"]).exit_code == 0
    lines = out.read_text(encoding="utf-8").lstrip("\ufeff").splitlines()
    assert lines[0].startswith("年度,工作室代码,") and lines[1].startswith("year,studio,studio_name,indicator,")
