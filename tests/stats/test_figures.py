"""Every dashboard figure of a known year, through the API and on the page; who may see them."""

from __future__ import annotations

import re

from tests.support.app import bearer, login
from tests.support.stats import YEAR

EXPECTED_BY_KIND = {"lesson_video": 2, "award_case": 5, "excellent_case": 3, "research_project": 3,
                    "paper": 2, "other": 1}


def test_studio_stats_api_gives_every_figure(client, known):
    response = client.get(f"/api/v1/studios/wang-math/stats?year={YEAR}", headers=bearer(known.tokens["host"]))
    assert response.status_code == 200, response.json
    body = response.json
    assert body["year"] == YEAR and body["studio"] == "wang-math"
    # Only published outputs of the year: the draft national award and the 2023 paper are left out.
    assert body["by_kind"] == EXPECTED_BY_KIND
    assert body["outputs"] == 16
    assert set(body["resource_ids"]) == {known.ids[n] for n in known.ids
                                         if n not in ("award_draft", "paper_2023", "li_paper")}
    assert body["awards_by_level"] == {"national": 1, "provincial": 2, "prefecture": 1, "county": 1, "school": 0}
    assert body["projects"] == {
        "by_level": {"national": 0, "provincial": 1, "prefecture": 1, "county": 1, "school": 0},
        "by_status": {"approved": 1, "ongoing": 1, "concluded": 1},
    }
    assert body["papers"] == 2
    # Views: teacher on 5 and 6 March (the second view on the 5th is the same person's), one anonymous
    # visitor in July; the crawler, the uploader and the 2023 view are not counted.
    assert body["views"] == 3
    assert body["views_by_month"] == [0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0, 0]
    # Downloads: the teacher once (the seek and the repeat are not new), the member once; curl is a bot.
    assert body["downloads"] == 2
    assert body["downloads_by_month"] == [0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0]
    # Loans granted in 2024: one under the active agreement, one without; the 2023, requested and
    # declined ones do not count.
    assert body["loans"] == 2 and body["loans_under_agreements"] == 1
    assert sorted(body["loan_ids"]) == sorted([known.loans["under"], known.loans["plain"]])
    # Agreements overlapping 2024 that were confirmed: the active one and the one ended in March.
    assert sorted(body["agreement_ids"]) == sorted([known.agreements["active"], known.agreements["ended"]])
    # Schools helped: a (agreement + loan), b (ended agreement), c (loan); d has only a draft agreement.
    assert body["schools_helped"] == 3
    assert [s["name"] for s in body["schools"]] == sorted(["城南小学", "河西小学", "山区中心校"])
    assert body["activities"] == 3 and body["participants"] == 555
    assert body["activities_by_kind"] == {"training": 1, "teaching_research": 1, "live": 1}
    assert body["schools_reached"] == 3


def test_other_year_and_other_studio(client, known):
    body = client.get("/api/v1/studios/wang-math/stats?year=2023", headers=bearer(known.tokens["admin"])).json
    assert body["by_kind"]["paper"] == 1 and body["outputs"] == 1
    assert body["views"] == 1 and body["downloads"] == 0
    assert body["loans"] == 1 and body["loans_under_agreements"] == 1
    assert body["schools_helped"] == 2  # the ended agreement ran through 2023, and the 2023 loan
    assert body["activities"] == 1 and body["participants"] == 80
    li = client.get(f"/api/v1/studios/li-chinese/stats?year={YEAR}", headers=bearer(known.tokens["li_host"])).json
    assert li["by_kind"]["paper"] == 1 and li["outputs"] == 1 and li["loans"] == 0 and li["schools_helped"] == 0


def test_who_may_see_a_studios_figures(client, known):
    url = f"/api/v1/studios/wang-math/stats?year={YEAR}"
    for who in ("admin", "host", "coordinator"):
        assert client.get(url, headers=bearer(known.tokens[who])).status_code == 200, who
    for who in ("teacher", "member", "other_coordinator", "li_host"):
        response = client.get(url, headers=bearer(known.tokens[who]))
        assert response.status_code == 403, who
        assert response.json["error"]["code"] == "forbidden" and "主持人" in response.json["error"]["message"]
    assert client.get(url).status_code == 401
    city = client.get(f"/api/v1/stats?year={YEAR}", headers=bearer(known.tokens["coordinator"]))
    assert city.status_code == 200 and {s["studio"] for s in city.json["studios"]} == {"wang-math", "li-chinese"}
    assert next(s for s in city.json["studios"] if s["studio"] == "wang-math")["schools_helped"] == 3
    assert client.get(f"/api/v1/stats?year={YEAR}", headers=bearer(known.tokens["host"])).status_code == 403


def test_bad_year_is_a_clear_error(client, known):
    response = client.get("/api/v1/studios/wang-math/stats?year=二〇二四", headers=bearer(known.tokens["host"]))
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_input" and "年份" in response.json["error"]["message"]
    assert client.get("/api/v1/studios/nope/stats?year=2024", headers=bearer(known.tokens["admin"])).status_code == 404


def _cells(html: str, table_id: str) -> str:
    start = html.index(f'id="{table_id}"')
    return html[start:html.index("</table>", start)]


def test_dashboard_page_shows_the_figures_and_charts(client, known):
    login(client, "wangli")
    html = client.get(f"/studios/wang-math/dashboard?year={YEAR}").get_data(as_text=True)
    kpis = dict(re.findall(r'data-key="(\w+)"><strong>(\d+)</strong>', html))
    assert kpis == {"outputs": "16", "views": "3", "downloads": "2", "loans": "2", "loans_under_agreements": "1",
                    "schools_helped": "3", "activities": "3", "participants": "555"}
    # Each chart is an SVG with one bar per category, and the numbers behind it in a table.
    kinds = html[html.index('id="chart-kinds"'):html.index('id="chart-awards"')]
    assert re.findall(r'<rect class="chart-bar s\d" [^>]*data-value="(\d+)"', kinds) == ["2", "5", "3", "3", "2", "1"]
    widths = [float(w) for w in re.findall(r'<rect class="chart-bar[^>]* width="([\d.]+)"', kinds)]
    # The longest bar fills the scale (what the labels leave of the drawing); the rest in proportion.
    assert widths[1] == max(widths) == 249.0 and widths[0] == round(249 * 2 / 5, 1)
    assert "<th scope=\"col\">获奖课例</th>" in kinds and "<td>5</td>" in kinds  # the numbers behind the chart
    awards = html[html.index('id="chart-awards"'):html.index('id="chart-project-levels"')]
    assert re.findall(r'data-value="(\d+)"', awards) == ["1", "2", "1", "1", "0"]
    usage_chart = html[html.index('id="chart-usage"'):]
    values = re.findall(r'data-value="(\d+)"', usage_chart)
    assert values[:6] == ["0", "0", "0", "0", "2", "0"]  # Jan–Mar: views, downloads side by side
    assert "城南小学" in html and "山区中心校" in html and "北关小学" not in html
    assert "成果 award_draft" not in html and "成果 paper_2023" not in html and "成果 award_nat" in html
    # The studio page links to its dashboard for the host, not for a teacher.
    assert "/studios/wang-math/dashboard" in client.get("/studios/wang-math").get_data(as_text=True)


def test_pages_refuse_people_without_the_right(client, known):
    login(client, "zhangsan")
    for path in (f"/studios/wang-math/dashboard?year={YEAR}", f"/stats?year={YEAR}", f"/assessment/{YEAR}",
                 "/studios/wang-math/activities", "/assessment/indicators", f"/assessment/{YEAR}/export.xlsx"):
        response = client.get(path)
        assert response.status_code == 403, path
        assert "没有权限" in response.get_data(as_text=True) or "只有" in response.get_data(as_text=True)
    assert "/studios/wang-math/dashboard" not in client.get("/studios/wang-math").get_data(as_text=True)
    response = client.get("/studios/wang-math/dashboard?year=abc")
    assert response.status_code == 400 and "年份" in response.get_data(as_text=True)


def test_city_overview_sorts_and_maps_who_helps_whom(client, known):
    login(client, "zhaoyx")
    html = client.get(f"/stats?year={YEAR}&sort=outputs&dir=desc").get_data(as_text=True)
    order = re.findall(r'<tr data-studio="([\w-]+)"', html)
    assert order == ["wang-math", "li-chinese"]
    row = html[html.index('data-studio="wang-math"'):]
    row = row[:row.index("</tr>")]
    cells = dict(re.findall(r'data-key="(\w+)">(\d+)<', row))
    assert cells == {"outputs": "16", "lesson_video": "2", "award_case": "5", "excellent_case": "3",
                     "research_project": "3", "paper": "2", "views": "3", "downloads": "2", "loans": "2",
                     "loans_under_agreements": "1", "schools_helped": "3", "activities": "3", "participants": "555"}
    ascending = client.get(f"/stats?year={YEAR}&sort=outputs&dir=asc").get_data(as_text=True)
    assert re.findall(r'<tr data-studio="([\w-]+)"', ascending) == ["li-chinese", "wang-math"]
    help_map = _cells(html, "help-map")
    assert "城南小学" in help_map and "协议 1 · 借阅 1" in help_map and "协议 1 · 借阅 0" in help_map
    assert "协议 0 · 借阅 1" in help_map and "北关小学" not in help_map
    assert "李明语文名师工作室" not in help_map  # a studio that helped nobody gets no row


def test_dashboard_in_english(client, known):
    login(client, "admin")
    html = client.get(f"/studios/wang-math/dashboard?year={YEAR}&lang=en").get_data(as_text=True)
    assert "Outputs by kind" in html and "Views and downloads by month" in html and "Award-winning lessons by level" in html
    assert "统计看板" not in html
