"""Every main page, for every role, at two phone widths and a desktop one (issue 19's targets):
no page is wider than the window, no vocabulary code (lesson_video, math, login.success …) is left in
the text a person reads, and axe-core finds no serious or critical accessibility violation.

The county is the demo's (`flask demo`: three studios, a weak school with an agreement and a loan,
a studio activity, an output waiting for review), served by the live server with its worker. One
browser, one context per role; each page is loaded once and looked at in each width. A test
gathers every finding of its role and fails with all of them, grouped by page."""

from __future__ import annotations

import re
import time
import typing
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import SCREENSHOTS, LiveServer, _require_browser, screenshot, sign_in
from tests.support.app import make_app

REPORTS = SCREENSHOTS.parent
AXE = Path(__file__).resolve().parents[1] / "support" / "vendor" / "axe-core" / "axe.min.js"
WIDTHS = (1366, 390, 360)
SHOT_WIDTHS = (390, 1366)
HEIGHT = 900
SHOT: set[str] = set()  # pages already in test-artifacts/screenshots (each once, by the first role to see it)

ROLES = {  # role → (username, display name) of the demo county; None: signed out
    "anonymous": None,
    "teacher": ("teacher", "普通教师"),
    "host": ("wangli", "王丽"),
    "school": ("chengguan", "城关二小教务处"),
    "admin": ("admin", "教育局管理员"),
}


# ---------------------------------------------------------------- the county

@pytest.fixture(scope="module")
def demo_server(tmp_path_factory, migrated_sqlite):
    """The demo county served over HTTP, its derived files made and indexed."""
    _require_browser()
    from library.demo.data import load_demo

    app = make_app(tmp_path_factory.mktemp("sweep") / "instance", migrated_sqlite)
    with app.app_context():
        load_demo()
    server = LiveServer(app)
    server.wait_for_jobs()
    server.ids = _ids(app)
    yield server
    server.stop()
    app.extensions["db_engine"].dispose()


def _ids(app) -> dict[str, int]:
    """The demo rows the page list points at."""
    from sqlalchemy import select

    from library.db import get_session
    from library.lending.models import Agreement, Loan
    from library.resources.models import Resource

    with app.app_context():
        session = get_session()

        def resource(*where):
            return session.scalar(select(Resource.id).where(*where).order_by(Resource.id))

        return {
            "video": resource(Resource.kind == "lesson_video"),
            "public": resource(Resource.visibility == "public", Resource.status == "published",
                               Resource.kind != "lesson_video"),
            "lendable": resource(Resource.visibility == "lendable"),
            "internal": resource(Resource.visibility == "internal", Resource.status == "published"),
            "submitted": resource(Resource.status == "submitted"),
            "loan": session.scalar(select(Loan.id).order_by(Loan.id)),
            "agreement": session.scalar(select(Agreement.id).order_by(Agreement.id)),
        }


def pages_for(role: str, ids: dict[str, int]) -> list[tuple[str, str]]:
    """(screenshot name, path) of the main pages a role uses."""
    everyone = [
        ("home", "/"),
        ("studios", "/studios/"),
        ("studio", "/studios/wang-math"),
        ("subject", "/subjects/math"),
        ("search", "/search?q=分数"),
        ("search-empty", "/search?q=没有这样的成果啊"),
        ("textbook", "/textbooks/math/primary"),
        ("resource-video", f"/resources/{ids['video']}"),
        ("resource", f"/resources/{ids['public']}"),
    ]
    signed_in = [
        ("resource-lendable", f"/resources/{ids['lendable']}"),
        ("resource-internal", f"/resources/{ids['internal']}"),
        ("account", "/account"),
        ("notifications", "/notifications"),
        ("favourites", "/me/favourites"),
        ("history", "/me/history"),
    ]
    by_role = {
        "anonymous": [("login", "/login"), ("not-found", "/resources/999999")],
        "teacher": [],
        "host": [
            ("upload", "/upload"),
            ("review", "/review"),
            ("edit", f"/resources/{ids['submitted']}/edit"),
            ("dashboard", "/studios/wang-math/dashboard"),
            ("activities", "/studios/wang-math/activities"),
            ("loan-requests", "/loans/requests"),
            ("agreements", "/agreements"),
            ("agreement", f"/agreements/{ids['agreement']}"),
        ],
        "school": [
            ("loans", "/loans"),
            ("agreements", "/agreements"),
            ("agreement", f"/agreements/{ids['agreement']}"),
        ],
        "admin": [
            ("admin-users", "/admin/users"),
            ("admin-audit", "/admin/audit"),
            ("admin-schools", "/admin/schools"),
            ("admin-studios", "/admin/studios"),
            ("admin-studio-people", "/admin/studios/wang-math"),
            ("admin-subjects", "/admin/subjects"),
            ("admin-editions", "/admin/editions"),
            ("admin-jobs", "/admin/jobs"),
            ("stats", "/stats"),
            ("assessment", "/assessment/"),
            ("indicators", "/assessment/indicators"),
            ("agreement-new", "/agreements/new"),
            ("agreements", "/agreements"),
            ("review", "/review"),
            ("upload", "/upload"),
            ("dashboard", "/studios/wang-math/dashboard"),
            ("activities", "/studios/wang-math/activities"),
        ],
    }
    return everyone + ([] if role == "anonymous" else signed_in) + by_role[role]


# ---------------------------------------------------------------- the vocabularies

def vocabulary_codes(app) -> set[str]:
    """Every code of the project's vocabularies: the coded labels (library/i18n.py, the lending
    labels), the Literal types and tuples of the models, the subject, stage and indicator rows, and
    the audit actions, notification and job kinds the county has recorded."""
    from sqlalchemy import select

    from library import i18n
    from library.admin import schemas as admin_schemas
    from library.assessment.models import Indicator
    from library.audit.models import AuditEntry
    from library.db import get_session
    from library.jobs.models import Job
    from library.lending import schemas as lending_schemas
    from library.lending.views import LABELS as LENDING_LABELS
    from library.notifications import service as notifications
    from library.resources import models as resource_models
    from library.stats import models as stats_models
    from library.studios.models import Stage, Subject

    codes: set[str] = set()
    for name in dir(i18n):
        value = getattr(i18n, name)
        if name.endswith("_LABELS") and isinstance(value, dict):
            codes |= set(value)
    for labels in LENDING_LABELS.values():
        codes |= set(labels)
    for module in (resource_models, admin_schemas, lending_schemas):
        for value in vars(module).values():
            if typing.get_origin(value) is typing.Literal:
                codes |= set(typing.get_args(value))
    codes |= set(stats_models.ACTIVITY_KINDS) | set(stats_models.USAGE_KINDS) | set(notifications.KINDS)
    with app.app_context():
        session = get_session()
        for column in (Subject.code, Stage.code, Indicator.code, AuditEntry.action, AuditEntry.target_type, Job.kind):
            codes |= set(session.scalars(select(column).distinct()))
    return {c for c in codes if isinstance(c, str) and c}


def code_pattern(codes: set[str]) -> re.Pattern[str]:
    """A code standing alone: not part of a longer ASCII word, path or dotted name."""
    alternatives = "|".join(re.escape(c) for c in sorted(codes, key=len, reverse=True))
    return re.compile(rf"(?<![A-Za-z0-9_./-])(?:{alternatives})(?![A-Za-z0-9_/-]|\.[A-Za-z0-9])")


# ---------------------------------------------------------------- in the page

# The widest elements sticking out past the window (innermost first), to name in a failure.
OVERFLOW = """
() => {
  const width = window.innerWidth, total = document.documentElement.scrollWidth;
  if (total <= width) return null;
  const out = [];
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.right > width + 0.5 && r.width > 0) {
      let scrolled = false;  // inside a scroller that holds it, it does not widen the page
      for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
        const s = getComputedStyle(p).overflowX;
        if ((s === 'auto' || s === 'scroll' || s === 'hidden' || s === 'clip') && p.getBoundingClientRect().right <= width + 0.5) { scrolled = true; break; }
      }
      if (scrolled) continue;
      const cls = (el.getAttribute('class') || '').trim().split(/\\s+/).filter(Boolean).map(c => '.' + c).join('');
      const id = el.id ? '#' + el.id : '';
      const text = (el.innerText || '').trim().slice(0, 30).replace(/\\s+/g, ' ');
      out.push({sel: el.tagName.toLowerCase() + id + cls, right: Math.round(r.right), width: Math.round(r.width), text});
    }
  }
  out.sort((a, b) => b.right - a.right || a.width - b.width);
  return {total, width, widest: out.slice(0, 3)};
}
"""

# The page's visible text, leaving out what the markup says is not words of the page's language
# (translate="no": a username is an identifier a person types, not a code to be labelled).
VISIBLE_TEXT = """
() => {
  const hidden = [...document.querySelectorAll('[translate=no]')];
  const saved = hidden.map(el => el.style.visibility);
  hidden.forEach(el => { el.style.visibility = 'hidden'; });
  const text = document.body.innerText;
  hidden.forEach((el, i) => { el.style.visibility = saved[i]; });
  return text;
}
"""

AXE_RUN = """
async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.filter(v => v.impact === 'serious' || v.impact === 'critical').map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ') + (n.failureSummary ? ' — ' + n.failureSummary.split('\\n').slice(1, 2).join('').trim() : '')),
    more: Math.max(0, v.nodes.length - 3),
  }));
}
"""


def look(page, pattern: re.Pattern[str], axe_source: str) -> list[str]:
    """What is wrong with the page as it is shown now."""
    problems = []
    overflow = page.evaluate(OVERFLOW)
    if overflow:
        widest = "; ".join(f"{w['sel']} (right edge {w['right']} px, {w['width']} px wide, «{w['text']}»)"
                           for w in overflow["widest"]) or "no single element"
        problems.append(f"{overflow['total']} px wide in a {overflow['width']} px window; widest: {widest}")
    text = page.evaluate(VISIBLE_TEXT)
    found = sorted({m.group(0) for m in pattern.finditer(text)})
    if found:
        contexts = []
        for code in found[:6]:
            m = code_pattern({code}).search(text)
            if m:
                contexts.append("«" + text[max(0, m.start() - 15):m.end() + 15].replace("\n", " ") + "»")
        problems.append(f"vocabulary codes in the visible text: {', '.join(found)} — {' '.join(contexts)}")
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source)  # not under the page's CSP, unlike an added <script>
    for v in page.evaluate(AXE_RUN):
        more = f" (+{v['more']} more)" if v["more"] else ""
        problems.append(f"axe {v['impact']} {v['id']}: {v['help']} — {' | '.join(v['nodes'])}{more}")
    return problems


# ---------------------------------------------------------------- the sweep

@pytest.fixture(scope="module")
def axe_source() -> str:
    return AXE.read_text(encoding="utf-8")


@pytest.mark.timeout(600)
@pytest.mark.parametrize("role", list(ROLES))
def test_every_page_fits_speaks_chinese_and_passes_axe(role, browser, demo_server, axe_source):
    from playwright.sync_api import Error as PlaywrightError

    started = time.monotonic()
    ids = demo_server.ids
    pattern = code_pattern(vocabulary_codes(demo_server.app))
    context = browser.new_context(base_url=demo_server.url, locale="zh-CN",
                                  viewport={"width": WIDTHS[0], "height": HEIGHT})
    context.set_default_timeout(20_000)
    context.route(lambda url: not url.startswith(demo_server.url), lambda route: route.abort())
    page = context.new_page()
    who = ROLES[role]
    if who:
        sign_in(page, who[0], who[1], password="demo-password")
    failures: dict[str, dict[str, list[int]]] = defaultdict(dict)  # page → finding → widths
    try:
        for name, path in pages_for(role, ids):
            page.set_viewport_size({"width": WIDTHS[0], "height": HEIGHT})
            try:
                response = page.goto(path)
            except PlaywrightError as error:  # a download, a timeout: say so and go on to the next page
                failures[path][f"did not open: {str(error).splitlines()[0]}"] = []
                continue
            expected = 404 if name == "not-found" else 200
            if response is None or response.status != expected:
                failures[path][f"answered {response.status if response else 'nothing'}, not {expected}"] = []
                continue
            if urlsplit(page.url).path == "/login" and urlsplit(path).path != "/login":
                failures[path][f"sent to sign in ({page.url})"] = []
                continue
            for width in WIDTHS:
                page.set_viewport_size({"width": width, "height": HEIGHT})
                page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
                for problem in look(page, pattern, axe_source):
                    failures[path].setdefault(problem, []).append(width)
                if width in SHOT_WIDTHS and name not in SHOT:
                    screenshot(page, f"sweep-{role}-{name}-{width}")
            SHOT.add(name)
    finally:
        context.close()
    elapsed = time.monotonic() - started
    report = "\n".join(
        f"  {role} {path}:\n" + "\n".join(
            f"    - {'/'.join(map(str, widths)) + ' px: ' if widths else ''}{problem}" for problem, widths in problems.items())
        for path, problems in failures.items())
    REPORTS.mkdir(parents=True, exist_ok=True)  # the whole list, for whoever fixes it
    (REPORTS / f"sweep-{role}.txt").write_text(f"{role}: {len(pages_for(role, ids))} pages in {elapsed:.0f} s\n"
                                                + (report or "  no findings") + "\n", encoding="utf-8")
    if failures:
        pytest.fail(f"{role}: {sum(map(len, failures.values()))} findings on {len(failures)} pages "
                    f"({elapsed:.0f} s; also in {REPORTS}/sweep-{role}.txt)\n{report}", pytrace=False)



def test_the_phone_menu_and_the_filter_drawer(browser, demo_server):
    """At 390 px the menu folds behind 菜单 (aria-expanded tells its state) and the facets wait in a
    closed 筛选 drawer above the results; at 1366 px both are simply there. Without scripts the
    menu stays in view, on one line."""
    context = browser.new_context(base_url=demo_server.url, locale="zh-CN", viewport={"width": 390, "height": 844})
    context.set_default_timeout(20_000)
    page = context.new_page()
    try:
        sign_in(page, "admin", "教育局管理员", password="demo-password")
        button = page.get_by_role("button", name="菜单")
        nav = page.get_by_role("navigation", name="主菜单")
        assert button.is_visible() and button.get_attribute("aria-expanded") == "false"
        assert not nav.is_visible()
        button.click()
        assert button.get_attribute("aria-expanded") == "true"
        assert nav.get_by_role("link", name="管理", exact=True).is_visible()
        screenshot(page, "sweep-menu-open-390", full_page=False)
        tops = [box["y"] for box in (nav.locator("li").nth(i).bounding_box() for i in range(3))]
        assert tops[0] < tops[1] < tops[2]  # a column, one item a line
        page.keyboard.press("Escape")
        assert button.get_attribute("aria-expanded") == "false" and not nav.is_visible()

        page.goto("/search?q=分数")
        drawer = page.locator("details.facet-drawer")
        assert drawer.get_attribute("open") is None
        assert drawer.bounding_box()["y"] < page.locator(".results").bounding_box()["y"]
        page.get_by_text("筛选", exact=True).click()
        assert page.locator(".facets").get_by_role("link", name="数学", exact=True).is_visible()

        page.set_viewport_size({"width": 1366, "height": 900})
        assert not button.is_visible() and nav.get_by_role("link", name="管理", exact=True).is_visible()
        assert drawer.get_attribute("open") is not None and not page.locator(".facet-drawer > summary").is_visible()
        screenshot(page, "sweep-search-desktop-after-phone")
    finally:
        context.close()

    quiet = browser.new_context(base_url=demo_server.url, locale="zh-CN", java_script_enabled=False,
                                viewport={"width": 360, "height": 800})
    try:
        page = quiet.new_page()
        page.goto("/")
        nav = page.get_by_role("navigation", name="主菜单")
        assert not page.get_by_role("button", name="菜单").is_visible()
        items = [nav.locator("li").nth(i).bounding_box() for i in range(nav.locator("li").count())]
        assert len({round(box["y"]) for box in items}) == 1  # one line (it scrolls sideways)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    finally:
        quiet.close()
