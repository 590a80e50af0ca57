"""The catalogue's lists are served by indexes, not by reading and sorting every visible row
(issue 15): EXPLAIN of the very statements the home, subject and studio pages run, on SQLite and
on PostgreSQL; and the models declare exactly the schema the migrations build."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import event, select

import library.tables  # noqa: F401  (every domain's tables on Base.metadata)
from library.accounts.models import User
from library.db import Base, get_session, utcnow
from library.resources import catalogue
from library.resources.models import Resource
from library.studios.models import Studio
from tests.support.app import build_world, make_app

# What each page lists, as the pages ask for it (the home page's two columns, a subject's and a
# studio's first page).
LISTS = {
    "home newest": lambda actor, studio: catalogue.first(actor, 8),
    "home most downloaded": lambda actor, studio: catalogue.first(actor, 6, sort="downloads", files=False),
    "subject newest": lambda actor, studio: catalogue.list_resources(actor, subject_code="math", total=0),
    "subject most downloaded": lambda actor, studio: catalogue.list_resources(
        actor, subject_code="math", sort="downloads", total=0),
    "studio newest": lambda actor, studio: catalogue.list_resources(actor, studio=studio, total=0),
    "studio most downloaded": lambda actor, studio: catalogue.list_resources(
        actor, studio=studio, sort="downloads", total=0),
}
VISITORS = (None, "zhangsan", "wangli")  # anonymous, a plain teacher, a studio host


def _seed(app) -> None:
    build_world(app)
    with app.app_context():
        session = get_session()
        studio = session.scalar(select(Studio).where(Studio.slug == "wang-math"))
        teacher = session.scalar(select(User).where(User.username == "zhangsan"))
        for i in range(12):
            session.add(Resource(title=f"课例{i}", kind="paper", subject_code="math", stage_code="primary",
                                 studio_id=studio.id, visibility=("public", "internal", "studio")[i % 3],
                                 status="draft" if i % 4 == 0 else "published", download_count=i,
                                 uploader_id=teacher.id if i % 5 == 0 else None,
                                 created_at=utcnow() - timedelta(days=i)))
        session.commit()


@contextlib.contextmanager
def _recording(app) -> Iterator[list[tuple[str, object]]]:
    seen: list[tuple[str, object]] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement, parameters))

    engine = app.extensions["db_engine"]
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _list_statements(app, visitor: str | None, name: str) -> list[tuple[str, object]]:
    """The ORDER BY … LIMIT statements over resources that one list runs for one visitor."""
    with app.test_request_context():
        session = get_session()
        actor = session.scalar(select(User).where(User.username == visitor)) if visitor else None
        studio = session.scalar(select(Studio).where(Studio.slug == "wang-math"))
        if actor is not None:
            list(actor.memberships), list(actor.liaison_studios)  # loaded before recording
        with _recording(app) as seen:
            LISTS[name](actor, studio)
    found = [(s, p) for s, p in seen if re.search(r"FROM resources\b", s) and "ORDER BY" in s and "LIMIT" in s]
    assert found, f"{name} ran no list statement"
    return found


def _part(statement: str) -> str:
    """Which part of what the visitor sees the statement reads: the own uploads beyond the
    audience (small: one user's drafts) or the published audience."""
    where = statement.partition("WHERE")[2]
    return "beyond" if "resources.uploader_id = " in where else "audience"


# ------------------------------------------------------------------------------------- SQLite

@pytest.fixture(scope="module")
def sqlite_app(tmp_path_factory):
    app = make_app(tmp_path_factory.mktemp("explain"))
    _seed(app)
    yield app
    app.extensions["db_engine"].dispose()


@pytest.mark.parametrize("visitor", VISITORS)
@pytest.mark.parametrize("name", list(LISTS))
def test_sqlite_serves_the_lists_from_an_index(sqlite_app, visitor, name):
    for statement, parameters in _list_statements(sqlite_app, visitor, name):
        with sqlite_app.extensions["db_engine"].connect() as conn:
            plan = [row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)]
        shown = f"{name} for {visitor or 'anonymous'}:\n{statement}\n" + "\n".join(plan)
        reads = [line for line in plan if re.match(r"(SCAN|SEARCH) resources\b", line)]
        assert reads and all(line.startswith("SEARCH resources USING ") and "INDEX ix_resources_" in line
                             for line in reads), shown
        if _part(statement) == "audience":
            # The published part is read in order from the index and cut at the LIMIT.
            assert not any("TEMP B-TREE" in line for line in plan), shown
        else:
            assert any("ix_resources_uploader_status_visibility" in line for line in reads), shown


def test_models_declare_the_schema_the_migrations_build(sqlite_app):
    """init-db builds the schema with the migrations: the models (and so every query's idea of
    the indexes) must agree with them, index for index."""
    with sqlite_app.extensions["db_engine"].connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert differences == []


# --------------------------------------------------------------------------------- PostgreSQL

@pytest.fixture
def pg_app(tmp_path, pg_url):
    app = make_app(tmp_path / "pg", DATABASE_URL=pg_url)
    _seed(app)
    yield app
    app.extensions["db_engine"].dispose()


def _pg_plan(engine, statement: str, parameters: object) -> str:
    """EXPLAIN of the statement with sequential scans off (on a handful of rows PostgreSQL
    rightly prefers them; the question is whether an index can serve the statement)."""
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {statement}", parameters)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        raw.rollback()
    finally:
        raw.close()
    return plan


def test_postgresql_serves_the_lists_from_an_index(pg_app):
    """With sequential scans off (on a handful of rows PostgreSQL rightly prefers them), every
    published list is an index scan in the list's order: no Sort of the visible rows."""
    engine = pg_app.extensions["db_engine"]
    problems = []
    for visitor in VISITORS:
        for name in LISTS:
            for statement, parameters in _list_statements(pg_app, visitor, name):
                plan = _pg_plan(engine, statement, parameters)
                shown = f"{name} for {visitor or 'anonymous'}:\n{statement}\n{plan}"
                if "Seq Scan on resources" in plan:
                    problems.append(shown)
                elif _part(statement) == "audience":
                    # Read in the list's order from one index and cut at the LIMIT.
                    scans = re.findall(r"Index(?: Only)? Scan(?: Backward)? using (\w+) on resources", plan)
                    if len(scans) != 1 or not scans[0].startswith("ix_resources_") or re.search(r"\bSort\b", plan):
                        problems.append(shown)
                elif not re.search(r"Index(?: Only)? Scan(?: Backward)? (using|on) ix_resources_", plan):
                    problems.append(shown)  # a user's own drafts: any index, then a small sort
    assert not problems, "\n\n".join(problems)


# ------------------------------------------------------- a studio page's award wall and projects

# The newest few of each award level and of each project status: one index range per group, so
# a studio of 3,000 outputs costs what a studio of 30 does (migration 0012).
GROUPS = {
    "award wall": (lambda actor, studio: catalogue.award_wall(actor, studio.id), "ix_resources_studio_award_year"),
    "projects": (lambda actor, studio: catalogue.projects_by_status(actor, studio.id),
                 "ix_resources_studio_kind_project_year"),
}


def _group_statements(app, visitor: str | None, name: str) -> list[tuple[str, object]]:
    LISTS[f"group {name}"] = GROUPS[name][0]
    try:
        return _list_statements(app, visitor, f"group {name}")
    finally:
        del LISTS[f"group {name}"]


@pytest.mark.parametrize("visitor", VISITORS)
@pytest.mark.parametrize("name", list(GROUPS))
def test_sqlite_reads_a_studio_groups_from_an_index(sqlite_app, visitor, name):
    index = GROUPS[name][1]
    for statement, parameters in _group_statements(sqlite_app, visitor, name):
        with sqlite_app.extensions["db_engine"].connect() as conn:
            plan = list(conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters))
        shown = f"{name} for {visitor or 'anonymous'}:\n{statement}\n" + "\n".join(str(row) for row in plan)
        reads = [row[-1] for row in plan if re.match(r"(SCAN|SEARCH) resources\b", row[-1])]
        assert reads and all(f"USING INDEX {index} " in line or "USING INTEGER PRIMARY KEY" in line
                             for line in reads), shown
        assert sum(f"USING INDEX {index} " in line for line in reads) >= 4, shown  # a range per group
        # Only the page's few rows are sorted (at the top, parent 0), never a group's.
        assert all(row[1] == 0 for row in plan if "TEMP B-TREE" in row[-1]), shown


def test_postgresql_reads_a_studio_groups_from_an_index(pg_app):
    engine = pg_app.extensions["db_engine"]
    problems = []
    for visitor in VISITORS:
        for name, (_list, index) in GROUPS.items():
            for statement, parameters in _group_statements(pg_app, visitor, name):
                plan = _pg_plan(engine, statement, parameters)
                groups = re.findall(rf"Limit .*\n\s*->  Index Scan Backward using {index} on resources", plan)
                # Every level, every status (the few projects without one: any index).
                if "Seq Scan on resources" in plan or len(groups) < (5 if name == "award wall" else 3):
                    problems.append(f"{name} for {visitor or 'anonymous'}:\n{statement}\n{plan}")
    assert not problems, "\n\n".join(problems)


# ---------------------------------------------------------------------------- the textbook tree

def _tree_statements(app, visitor: str | None) -> list[tuple[str, object]]:
    """The GROUP BY of a subject and stage's textbook tree, as the page runs it (migration 0013)."""
    from library.textbooks import service as textbooks

    with app.test_request_context():
        session = get_session()
        actor = session.scalar(select(User).where(User.username == visitor)) if visitor else None
        if actor is not None:
            list(actor.memberships), list(actor.liaison_studios)
        with _recording(app) as seen:
            textbooks.tree(actor, "math", "primary")
    found = [(s, p) for s, p in seen if re.search(r"FROM resources\b", s) and "GROUP BY" in s]
    assert len(found) == 1
    return found


@pytest.mark.parametrize("visitor", VISITORS)
def test_sqlite_counts_the_textbook_tree_from_an_index(sqlite_app, visitor):
    for statement, parameters in _tree_statements(sqlite_app, visitor):
        with sqlite_app.extensions["db_engine"].connect() as conn:
            plan = [row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)]
        reads = [line for line in plan if re.match(r"(SCAN|SEARCH) resources\b", line)]
        assert reads and all(line.startswith("SEARCH resources USING ") for line in reads), "\n".join(plan)
        assert any("ix_resources_textbook" in line for line in reads), "\n".join(plan)


def test_postgresql_counts_the_textbook_tree_from_an_index(pg_app):
    engine = pg_app.extensions["db_engine"]
    for visitor in VISITORS:
        for statement, parameters in _tree_statements(pg_app, visitor):
            plan = _pg_plan(engine, statement, parameters)
            assert "Seq Scan on resources" not in plan and "ix_resources_textbook" in plan, plan
