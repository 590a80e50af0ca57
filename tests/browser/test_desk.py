"""The bureau's desk in a real browser: /stats and /assessment/<year> fit 1366 px (every column in the
box) and a 390 px phone (no page wider than the screen; a wide table scrolls in its box, said by a
visible cue), chart labels stay readable at 360 px, and print shows the page without the menu."""

from __future__ import annotations

import pytest

from tests.browser.test_dashboard import _sign_in, stats_server  # noqa: F401  (the module's server)
from tests.browser.conftest import screenshot
from tests.support.stats import YEAR

PAGES = (f"/stats?year={YEAR}", f"/assessment/{YEAR}")

OVERFLOW = "() => document.documentElement.scrollWidth - window.innerWidth"
# How far each table sticks out of its scrolling box.
TABLE_OVERFLOW = """() => [...document.querySelectorAll('.stats-table')].map(
    t => t.closest('.table-scroll').scrollWidth - t.closest('.table-scroll').clientWidth)"""
# The smallest chart label as drawn on screen, in CSS pixels (its font size times the SVG's scale).
SMALLEST_LABEL = """() => Math.min(...[...document.querySelectorAll('svg.chart-svg text')].map(t => {
    const m = t.getScreenCTM(); return parseFloat(getComputedStyle(t).fontSize) * m.a; }))"""


@pytest.fixture
def desk(browser, stats_server):  # noqa: F811
    context = browser.new_context(base_url=stats_server.url, locale="zh-CN", viewport={"width": 1366, "height": 900})
    context.set_default_timeout(20_000)
    context.route(lambda url: not url.startswith(stats_server.url), lambda route: route.abort())
    page = context.new_page()
    _sign_in(page, "zhaoyx")
    yield page
    context.close()


def test_the_city_table_and_the_assessment_fit_a_desktop_and_a_phone(desk):
    page = desk
    for path in PAGES:
        page.set_viewport_size({"width": 1366, "height": 900})
        page.goto(path)
        assert page.evaluate(OVERFLOW) <= 0, path
        assert all(n <= 1 for n in page.evaluate(TABLE_OVERFLOW)), (path, page.evaluate(TABLE_OVERFLOW))
        header = page.locator(".stats-table thead th", has_text="帮扶学校").first
        box = header.bounding_box()
        assert box and box["x"] + box["width"] <= 1366 and box["height"] < 80, (path, box)  # no five-line headers
        assert not page.locator(".scroll-cue").first.is_visible()
        screenshot(page, "desk-" + path.strip("/").split("?")[0].replace("/", "-") + "-1366")
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(path)
        assert page.evaluate(OVERFLOW) <= 0, path
        assert page.locator(".scroll-cue").first.is_visible()  # the table scrolls in its box, and says so
        screenshot(page, "desk-" + path.strip("/").split("?")[0].replace("/", "-") + "-390")
    rows = page.locator("#assessment-table tbody tr")
    assert [rows.nth(i).get_attribute("data-rank") for i in range(rows.count())] == ["1", "2"]


def test_dashboard_charts_fit_and_read_at_360(desk):
    page = desk
    page.set_viewport_size({"width": 360, "height": 780})
    for path in (f"/stats?year={YEAR}", f"/studios/wang-math/dashboard?year={YEAR}"):
        page.goto(path)
        assert page.evaluate(OVERFLOW) <= 0, path
        for i in range(page.locator("figure.chart").count()):
            box = page.locator("figure.chart").nth(i).bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= 360, (path, i, box)
        assert page.evaluate(SMALLEST_LABEL) >= 11, (path, page.evaluate(SMALLEST_LABEL))
    screenshot(page, "desk-dashboard-360")


def test_print_hides_the_menu_and_keeps_the_title_year_time_and_charts(desk):
    page = desk
    for path in (*PAGES, f"/studios/wang-math/dashboard?year={YEAR}"):
        page.goto(path)
        assert page.locator(".site-header").is_visible() and not page.locator(".print-meta").is_visible()
        page.emulate_media(media="print")
        assert not page.locator(".site-header").is_visible(), path
        assert not page.locator(".year-picker").is_visible() and not page.locator("a[role=button]").first.is_visible()
        meta = page.locator(".print-meta")
        assert meta.is_visible() and f"{YEAR} 年" in meta.inner_text() and "生成于" in meta.inner_text()
        assert page.locator("h1").is_visible()
        if "assessment" not in path:
            assert page.locator("figure.chart svg").first.is_visible()
        page.set_viewport_size({"width": 1123, "height": 794})  # A4 landscape at 96 dpi
        screenshot(page, "desk-print-" + path.strip("/").split("?")[0].replace("/", "-"))
        page.set_viewport_size({"width": 1366, "height": 900})
        page.emulate_media(media="screen")
