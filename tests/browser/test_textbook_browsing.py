"""Browsing by textbook in a real browser: a subject's textbook tree opened down to a unit, the
unit's outputs with the lesson video first, 我的教材 pinned and shown on the home page, textbook
words understood by the search, and the tree page at phone width."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.browser.conftest import screenshot, sign_in
from tests.support.app import upload

MEASURE = "第三单元 测量"
TIME = "第一单元 时、分、秒"
PEP_P3_UPPER = {"edition": "pep", "grade": "p3", "volume": "upper"}

VIDEO = "千米的认识 课堂实录"
CASE = "毫米和分米 优秀课例"
PAPER = "在测量活动中建立长度观念"
SECONDS = "秒的认识 获奖课例"
BNU = "北师大版 毫米的认识"
UNPLACED = "小学数学作业设计的几点思考"


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


@pytest.fixture(scope="module")
def shelf(live_server, sample_dir):
    """Published math · primary outputs with textbook positions, uploaded by the studio host through
    the JSON API. The lesson video goes in first, so it is the oldest of its unit: it is listed
    first because it is a video, not because it is new."""
    client = live_server.app.test_client()
    token = live_server.world.host_token
    pdf, mp4 = sample_dir / "光合作用.pdf", sample_dir / "课堂实录.mp4"
    made = {}
    for title, path, fields in (
        (VIDEO, mp4, {**PEP_P3_UPPER, "kind": "lesson_video", "unit": MEASURE, "lesson": "千米的认识"}),
        (CASE, pdf, {**PEP_P3_UPPER, "kind": "excellent_case", "unit": MEASURE, "lesson": "毫米和分米"}),
        (PAPER, pdf, {**PEP_P3_UPPER, "kind": "paper", "unit": MEASURE, "lesson": "毫米和分米"}),
        (SECONDS, pdf, {**PEP_P3_UPPER, "kind": "award_case", "award_level": "county", "unit": TIME,
                        "lesson": "秒的认识"}),
        (BNU, pdf, {"edition": "bnu", "grade": "p3", "volume": "upper", "unit": "第二单元 测量",
                    "lesson": "毫米的认识"}),
        (UNPLACED, pdf, {"kind": "paper"}),
    ):
        response = upload(client, token, [path], title=title, **fields)
        assert response.status_code == 201, (title, response.get_json())
        made[title] = response.get_json()["id"]
    live_server.wait_for_jobs()  # the worker puts them in the search index
    return made


def unfold(summary) -> None:
    """Open a fold of the tree as a teacher does: on its chevron (pico draws it at the right end of
    the summary), not on the node's link."""
    box = summary.bounding_box()
    summary.click(position={"x": box["width"] - 6, "y": box["height"] / 2})


def count_beside(locator) -> str:
    """The number shown beside a node of the tree (its own span.count, not its children's)."""
    return locator.locator(":scope > span.count").inner_text().strip()


def test_a_teacher_browses_a_unit_pins_the_textbook_and_finds_it_on_the_home_page(page, shelf):
    sign_in(page, "zhangsan", "张三")

    # From the subject page to the tree.
    page.goto("/subjects/math?stage=primary")
    page.locator("p.textbook-links a[href='/textbooks/math/primary']").click()
    page.wait_for_url(re.compile(r"/textbooks/math/primary$"))
    assert "5 项成果标注了教材位置" in page.locator(".page-head .summary").inner_text()
    assert "另有 1 项未标注" in page.locator(".page-head .summary").inner_text()
    tree = page.locator("nav.textbook-tree")
    assert page.locator("p.hint").is_visible()  # nothing chosen yet

    # Two editions, both closed; their counts are what lies below them.
    pep = tree.locator("details[data-edition=pep]")
    bnu = tree.locator("details[data-edition=bnu]")
    assert tree.locator(":scope > details").count() == 2
    assert pep.get_attribute("open") is None and bnu.get_attribute("open") is None
    assert pep.locator(":scope > summary > .node").inner_text() == "人教版"
    # A fold's summary only folds: no link inside it (axe: nested-interactive); the node's link is inside the fold.
    assert tree.locator("summary a").count() == 0
    assert count_beside(pep.locator(":scope > summary")) == "4"
    assert count_beside(bnu.locator(":scope > summary")) == "1"

    # Open 人教版 → 三年级上册 on their chevrons.
    unfold(pep.locator(":scope > summary"))
    book = pep.locator("details.book", has=page.locator("summary .node", has_text="三年级上册"))
    book.wait_for(state="visible")
    assert pep.get_attribute("open") is not None
    assert count_beside(book.locator(":scope > summary")) == "4"
    unfold(book.locator(":scope > summary"))
    units = book.locator("ul.units > li")
    units.first.wait_for(state="visible")
    assert [u.locator(":scope > a").inner_text() for u in units.all()] == [TIME, MEASURE]
    assert [count_beside(u) for u in units.all()] == ["1", "3"]
    assert page.url.endswith("/textbooks/math/primary")  # opening the folds is not a page load

    # The unit: its outputs, lesson video first, and its lessons with their counts.
    units.filter(has_text=MEASURE).locator(":scope > a").click()
    page.wait_for_url(re.compile(r"unit=3"))
    asked = query_of(page.url)
    assert asked["unit"] == ["3"] and asked["edition"] == ["pep"] and asked["book"] == ["p3.upper"]
    tree = page.locator("nav.textbook-tree")
    chosen = tree.locator("ul.units > li", has=page.locator(":scope > a[aria-current]"))
    assert chosen.locator(":scope > a").inner_text() == MEASURE
    assert count_beside(chosen) == "3"
    lessons = chosen.locator("ul.lessons > li")
    assert [(li.locator("a").inner_text(), count_beside(li)) for li in lessons.all()] == [
        ("千米的认识", "1"), ("毫米和分米", "2")]
    # The chosen node's folds stay open on the new page.
    assert tree.locator("details[data-edition=pep]").get_attribute("open") is not None
    assert tree.locator("details[data-edition=bnu]").get_attribute("open") is None

    results = page.locator("section.textbook-results")
    assert "共 3 项成果（录课视频在前）" in results.locator("p.summary").inner_text()
    cards = results.locator(".cards article.card")
    titles = cards.locator("h3").all_inner_texts()
    assert titles[0] == VIDEO and sorted(titles[1:]) == sorted([CASE, PAPER])
    assert cards.first.locator(".badge.kind-lesson_video").inner_text() == "录课视频"
    assert SECONDS not in titles and BNU not in titles

    # 我的教材: edition and grade chosen in the form, then back to this very page with a message.
    form = page.locator("form.pin-form")
    assert form.locator("#pin-edition").input_value() == "pep"  # the chosen edition is offered
    form.locator("#pin-edition").select_option(label="人教版")
    form.locator("#pin-grade").select_option(label="三年级")
    here = page.url
    form.get_by_role("button", name="设为我的教材").click()
    page.wait_for_load_state()
    flash = page.locator("p.flash-success")
    flash.wait_for(state="visible")
    assert flash.inner_text() == "已设为我的教材：首页将先显示这本教材"
    assert page.url == here
    assert page.locator("form.pin-form p.pinned").inner_text() == "我的教材：人教版 三年级"
    assert page.locator("#pin-grade").input_value() == "p3"

    # The home page starts with that textbook's units.
    page.goto("/")
    heading = page.locator("#h-my-textbook")
    assert heading.inner_text().startswith("我的教材：人教版 · 数学 · 三年级")
    mine = page.locator("section.my-textbook")
    assert mine.locator("h3").inner_text() == "三年级上册 4 项"
    tiles = mine.locator("ul.units li a")
    assert [(t.locator("strong").inner_text(), t.locator(".count").inner_text()) for t in tiles.all()] == [
        (TIME, "1 项"), (MEASURE, "3 项")]
    assert BNU not in mine.inner_text()
    screenshot(page, "home-my-textbook")
    tiles.filter(has_text=MEASURE).click()
    page.wait_for_url(re.compile(r"/textbooks/math/primary\?"))
    asked = query_of(page.url)
    assert asked["edition"] == ["pep"] and asked["book"] == ["p3.upper"] and asked["unit"] == ["3"]
    assert page.locator("nav.textbook-tree a[aria-current]").inner_text() == MEASURE
    assert "共 3 项成果" in page.locator("section.textbook-results p.summary").inner_text()


def test_the_search_understands_textbook_words_and_a_chip_can_be_undone(page, shelf):
    sign_in(page, "zhangsan", "张三")
    page.locator("#hero-q").fill("人教版三年级 测量")
    page.locator("#hero-q").press("Enter")
    page.wait_for_url(re.compile(r"/search\?"))
    chips = page.locator("ul.understood li.chip")
    texts = [c.inner_text().replace("✕", "").strip() for c in chips.all()]
    assert sorted(texts) == sorted(["已按 教材版本：人教版 筛选", "已按 年级：三年级 筛选"])
    titles = page.locator(".results .card h3").all_inner_texts()
    assert sorted(titles) == sorted([VIDEO, CASE, PAPER])  # the 北师大版 unit of 测量 is filtered out
    assert page.locator("#site-q").input_value() == "人教版三年级 测量"

    # The ✕ of a chip searches the word as text instead: it is quoted, its chip gone.
    chips.filter(has_text="教材版本").get_by_role("link", name="取消按 教材版本 筛选").click()
    page.wait_for_url(lambda url: "人教版" in query_of(url).get("q", [""])[0]
                      and '"' in query_of(url)["q"][0])
    q = query_of(page.url)["q"][0]
    assert '"人教版"' in q and "三年级" in q and "测量" in q
    assert '"人教版"' in page.locator("#site-q").input_value()
    chips = page.locator("ul.understood li.chip")
    assert chips.count() == 1
    assert chips.first.get_attribute("data-field") == "grade"
    assert chips.first.inner_text().replace("✕", "").strip() == "已按 年级：三年级 筛选"
    # Searched as text, 人教版 still finds the three (the edition's name is in their indexed text).
    assert sorted(page.locator(".results .card h3").all_inner_texts()) == sorted([VIDEO, CASE, PAPER])
    screenshot(page, "search-textbook-chips")


TREE_LAYOUT = """() => {
    // What a reader of the tree sees: each node on a line of its own below the one before, a
    // node's children below it and indented. Returns what is out of place, in words.
    const problems = [];
    const box = (e) => e.getBoundingClientRect();
    const editions = [...document.querySelectorAll('nav.textbook-tree > details')];
    editions.slice(1).forEach((e, i) => {
        const above = box(editions[i]), here = box(e);
        if (here.top < above.bottom - 1) {
            problems.push(`edition ${e.dataset.edition} is beside ${editions[i].dataset.edition}`
                          + ` (x ${Math.round(here.left)} vs ${Math.round(above.left)}), not below it`);
        }
    });
    for (const list of document.querySelectorAll('nav.textbook-tree details[open] ul')) {
        const items = [...list.children].filter((li) => li.checkVisibility());
        items.slice(1).forEach((li, i) => {
            if (box(li).top < box(items[i]).bottom - 1) {
                problems.push(`"${li.querySelector('a').textContent.trim()}" is beside`
                              + ` "${items[i].querySelector('a').textContent.trim()}", not below it`);
            }
        });
        const parent = list.parentElement.closest('li, details');
        const label = parent.matches('li') ? parent.querySelector(':scope > a') : parent.querySelector(':scope > summary');
        // (pico pads the links of a nav, so a label's box reaches into the line below it)
        const labelMiddle = (box(label).top + box(label).bottom) / 2;
        if (items.length && (box(items[0]).top < labelMiddle || box(items[0]).left <= box(label).left)) {
            problems.push(`the children of "${label.textContent.trim()}" are not below and indented from it`);
        }
    }
    for (const a of document.querySelectorAll('nav.textbook-tree a')) {
        if (a.checkVisibility() && a.getClientRects().length > 1 && box(a).width < 4 * 16) {
            problems.push(`"${a.textContent.trim()}" is squeezed into ${Math.round(box(a).width)} px`);
        }
    }
    return problems;
}"""


def test_the_tree_page_reads_as_a_tree_and_fits_a_phone(browser, live_server, shelf):
    url = "/textbooks/math/primary?edition=pep&book=p3.upper&unit=3"
    problems: dict[str, list[str]] = {}
    for name, viewport in (("textbook-tree", {"width": 1280, "height": 900}),
                           ("textbook-tree-phone", {"width": 390, "height": 844})):
        context = browser.new_context(base_url=live_server.url, locale="zh-CN", viewport=viewport)
        context.set_default_timeout(20_000)
        context.route(lambda u: not u.startswith(live_server.url), lambda route: route.abort())
        page = context.new_page()
        try:
            sign_in(page, "zhangsan", "张三")
            page.goto(url)
            assert page.locator("nav.textbook-tree a[aria-current]").inner_text() == MEASURE
            assert page.locator("section.textbook-results .cards article.card").count() == 3
            screenshot(page, name)
            if viewport["width"] < 768:
                # One column: the results come below the tree, and nothing sticks out sideways.
                tree_box = page.locator("nav.textbook-tree").bounding_box()
                results_box = page.locator("section.textbook-results").bounding_box()
                assert results_box["y"] >= tree_box["y"] + tree_box["height"] - 1
                scroll_width, inner_width = page.evaluate(
                    "() => [document.documentElement.scrollWidth, window.innerWidth]")
                assert scroll_width <= inner_width + 1, f"horizontal overflow at 390 px: scrollWidth {scroll_width}"
                button = page.locator("form.pin-form button").bounding_box()
                assert button["x"] + button["width"] <= inner_width + 1
            problems[name] = page.evaluate(TREE_LAYOUT)
        finally:
            context.close()
    # Checked after both pictures are taken, so a broken layout can be looked at in both.
    assert problems == {"textbook-tree": [], "textbook-tree-phone": []}, problems
