"""How many SQL statements each catalogue page runs (issue 15): the same number for a library of
9 resources and one of 45 (every list on every page has rows at both sizes), and under a stated bound, for an anonymous visitor, a plain teacher
and a studio host — so an N+1 (a studio, subject or cover file loaded per row) cannot come back.

One app for the module (real SQLite file, real Whoosh index kept in step by the inline indexer);
statements are counted with a `before_cursor_execute` listener on the app's engine."""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import event, select

from library.accounts.models import User
from library.db import get_session, utcnow
from library.resources.models import Resource, ResourceFile
from library.studios import service as studios
from library.studios.models import Studio
from tests.support.app import build_world, login, make_app

# Every shape of row the pages render: visibilities, drafts (the host sees them), awards,
# research projects of each status, downloads (the home page's popular column).
KINDS = ("excellent_case", "award_case", "research_project", "paper", "lesson_video")
VISIBILITY = ("public", "public", "internal", "lendable", "studio")
STATUS = ("published", "published", "published", "draft", "submitted", "published")
AWARDS = ("national", "county", "provincial")
PROJECTS = ("approved", "ongoing", "concluded")

# Page → the most statements it may run (the largest of the three visitors). What they are, for
# a signed-in user: the sign-in session, the user, their memberships (and liaison studios),
# lending's links and the unread-notice count in the header; then the page's own few.
PAGES = {
    "/": 18,
    "/?stage=primary": 18,
    "/studios/": 11,
    "/subjects/math": 13,
    "/subjects/math?sort=downloads": 13,
    "/studios/wang-math": 15,
    "/studios/wang-math?kind=research_project": 15,
    "/resources/{first}": 16,
    "/search?q=课例": 10,
    "/api/v1/search?q=课例": 3,
    "/api/v1/studios": 3,
    "/api/v1/subjects": 3,
    "/api/v1/resources/{first}": 3,
    "/textbooks/math/primary": 12,
    "/textbooks/math/primary?edition=pep&book=p3.upper&unit=2": 14,
    "/api/v1/textbooks?subject=math&stage=primary": 4,
}
VISITORS = ("anonymous", "zhangsan", "wangli")  # zhangsan: a plain teacher; wangli: wang-math's host


def _add_resources(app, count: int) -> None:
    """count more resources across the three studios, each with a file that has a thumbnail."""
    with app.app_context():
        session = get_session()
        studio_rows = list(session.scalars(select(Studio).order_by(Studio.id)))
        host = session.scalar(select(User).where(User.username == "wangli"))
        start = session.query(Resource).count()
        now = utcnow()
        for i in range(start, start + count):
            studio = studio_rows[i % len(studio_rows)]
            kind = KINDS[i // len(studio_rows) % len(KINDS)]  # each studio gets every kind in turn
            session.add(Resource(
                title=f"第{i}号课例", kind=kind, subject_code=studio.subject_code, stage_code=studio.stage_code,
                studio_id=studio.id, visibility=VISIBILITY[i % len(VISIBILITY)], status=STATUS[i % len(STATUS)],
                uploader_id=host.id if studio.slug == "wang-math" else None, year=2020 + i % 5,
                award_level=AWARDS[i % len(AWARDS)] if kind == "award_case" else None,
                project_status=PROJECTS[i % len(PROJECTS)] if kind == "research_project" else None,
                download_count=i % 4, created_at=now - timedelta(hours=i),
                edition_code="pep" if i % 3 else None, grade="p3" if studio.stage_code == "primary" else "",
                volume="upper", unit_number=i % 4, unit_title=f"第{i % 4}单元", lesson=f"课{i % 5}",
                files=[ResourceFile(original_name=f"{i}.pdf", content_type="application/pdf", size=100,
                                    sha256=f"{i:064x}", storage_key=f"originals/{i}", thumbnail_key=f"thumbs/{i}")],
            ))
        session.commit()  # the inline indexer applies the change log after the commit


@pytest.fixture(scope="module")
def library_app(tmp_path_factory):
    app = make_app(tmp_path_factory.mktemp("queries"))
    build_world(app)
    with app.app_context():
        studios.create_studio("zhao-bio", "赵敏生物名师工作室", "biology", "primary")
    yield app
    app.extensions["db_engine"].dispose()


@contextlib.contextmanager
def _counting(app) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    engine = app.extensions["db_engine"]
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _measure(app) -> dict[tuple[str, str], list[str]]:
    """The statements of every page for every visitor (each page asked once before, so what is
    measured is a page of a running site, not the first request's set-up)."""
    with app.app_context():
        first = get_session().scalar(select(Resource.id).where(
            Resource.status == "published", Resource.visibility == "public").order_by(Resource.id))
    found = {}
    for visitor in VISITORS:
        client = app.test_client()
        if visitor != "anonymous":
            assert login(client, visitor).status_code == 302
        for page in PAGES:
            url = page.format(first=first)
            assert client.get(url).status_code == 200, url
            with _counting(app) as statements:
                response = client.get(url)
            assert response.status_code == 200, url
            found[visitor, page] = list(statements)
    return found


@pytest.fixture(scope="module")
def measured(library_app):
    _add_resources(library_app, 9)
    small = _measure(library_app)
    _add_resources(library_app, 36)
    large = _measure(library_app)
    return small, large


@pytest.mark.parametrize(("visitor", "page"), list(itertools.product(VISITORS, PAGES)))
def test_statements_do_not_grow_with_the_library(measured, visitor, page):
    small, large = measured
    small_n, small_n0 = small[visitor, page], large[visitor, page]
    shown = "\n".join(" ".join(s.split())[:160] for s in small_n0)
    assert len(small_n) == len(small_n0), f"{visitor} {page}: {len(small_n)} statements at 9 resources, {len(small_n0)} at 45:\n{shown}"
    assert len(small_n0) <= PAGES[page], f"{visitor} {page}: {len(small_n0)} statements (bound {PAGES[page]}):\n{shown}"


def test_the_pages_list_what_they_count(library_app, measured):
    """The larger library really is on the pages (a page that lists nothing would count little)."""
    client = library_app.test_client()
    home = client.get("/").get_data(as_text=True)
    assert home.count('class="card"') == 8 and 'id="h-popular"' in home
    login(client, "wangli")
    studio = client.get("/studios/wang-math").get_data(as_text=True)
    assert "荣誉墙" in studio and "课题研究" in studio and studio.count('class="card"') >= 5


def test_a_studio_shows_a_few_projects_of_each_status_and_counts_them_all(library_app, measured):
    from library import policy
    from library.resources import catalogue

    with library_app.test_request_context():
        session = get_session()
        host = session.scalar(select(User).where(User.username == "wangli"))
        studio = session.scalar(select(Studio).where(Studio.slug == "wang-math"))
        groups = catalogue.projects_by_status(host, studio.id, shown=1)
        rows = session.scalars(select(Resource).where(
            policy.visible_clause(host), Resource.studio_id == studio.id, Resource.kind == "research_project")).all()
    expected = {}
    for r in rows:
        expected[r.project_status] = expected.get(r.project_status, 0) + 1
    assert {s: g.total for s, g in groups.items()} == expected and sum(expected.values()) > len(expected)
    for s, group in groups.items():
        newest = max((r for r in rows if r.project_status == s), key=lambda r: (r.year or 0, r.id))
        assert [r.id for r in group.items] == [newest.id]
