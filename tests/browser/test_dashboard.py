"""A studio host opens the dashboard in a real browser and sees its charts drawn."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import LiveServer, _require_browser, screenshot
from tests.support.app import PASSWORD, build_world, make_app
from tests.support.stats import YEAR, build_known_year


@pytest.fixture(scope="module")
def stats_server(tmp_path_factory, migrated_sqlite, sample_dir):
    """The known year of tests/stats served over HTTP."""
    _require_browser()
    app = make_app(tmp_path_factory.mktemp("dash") / "instance", migrated_sqlite)
    build_known_year(app, sample_dir, build_world(app))
    server = LiveServer(app)
    yield server
    server.stop()
    app.extensions["db_engine"].dispose()


@pytest.fixture
def dash_page(browser, stats_server):
    context = browser.new_context(base_url=stats_server.url, locale="zh-CN", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(20_000)
    context.route(lambda url: not url.startswith(stats_server.url), lambda route: route.abort())
    page = context.new_page()
    yield page
    context.close()


def _sign_in(page, username: str) -> None:
    page.goto("/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/$"))


def test_host_sees_the_dashboard_charts(dash_page):
    page = dash_page
    _sign_in(page, "wangli")
    page.get_by_role("link", name="统计看板").first.click()  # the header link of a host
    page.wait_for_url(re.compile(r"/studios/wang-math/dashboard"))
    page.goto(f"/studios/wang-math/dashboard?year={YEAR}")
    assert page.locator('.kpi[data-key="outputs"] strong').inner_text() == "16"
    assert page.locator('.kpi[data-key="schools_helped"] strong').inner_text() == "3"
    for chart in ("chart-kinds", "chart-awards", "chart-project-levels", "chart-project-status", "chart-usage"):
        svg = page.locator(f"#{chart} svg")
        box = svg.bounding_box()
        assert box and box["width"] > 200 and box["height"] > 50, chart
    # Bars are drawn with a real size on screen, in proportion to their numbers.
    bars = page.locator("#chart-kinds rect.chart-bar")
    assert bars.count() == 6
    widths = [bars.nth(i).bounding_box()["width"] for i in range(6)]
    assert all(w > 0 for w in widths) and widths[1] == max(widths)  # award cases (5) is the longest
    assert abs(widths[0] / widths[1] - 2 / 5) < 0.02
    columns = page.locator("#chart-usage rect.chart-bar")
    assert columns.count() == 24
    heights = {columns.nth(i).get_attribute("data-value"): columns.nth(i).bounding_box()["height"]
               for i in range(24) if columns.nth(i).get_attribute("data-value") != "0"}
    assert heights and all(h > 10 for h in heights.values())
    # The numbers behind the charts are on the page too.
    assert page.locator("#chart-usage table tbody tr").first.inner_text().split()[-1] == "3"
    screenshot(page, "dashboard")


def test_coordinator_sees_the_city_overview(dash_page):
    page = dash_page
    _sign_in(page, "zhaoyx")
    page.get_by_role("link", name="统计", exact=True).click()
    page.goto(f"/stats?year={YEAR}")
    page.get_by_role("link", name=re.compile("^帮扶学校")).click()
    page.wait_for_url(re.compile(r"sort=schools_helped"))
    assert page.locator("#city-table tbody tr").first.get_attribute("data-studio") == "wang-math"
    assert page.locator("#help-map td.helped").count() == 3
    box = page.locator("#chart-city-outputs rect.chart-bar").first.bounding_box()
    assert box and box["width"] > 0
    screenshot(page, "city-overview")
    page.get_by_role("link", name="年度考核").click()
    page.wait_for_url(re.compile(rf"/assessment/{YEAR}$"))
    total = page.locator('#assessment-table tr[data-studio="wang-math"] td.total').inner_text()
    assert total == "62.5"
    with page.expect_download() as info:
        page.get_by_role("button", name="下载 Excel（XLSX）").click()
    assert info.value.suggested_filename == f"{YEAR}年度名师工作室考核.xlsx"
    screenshot(page, "assessment")
