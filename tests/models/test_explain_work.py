"""Issue 15: every query the signed-in work pages run (review queue, loans, agreements, notifications,
dashboard, city overview, assessment and their API) is a range of an index where it filters the
big tables — checked on the statements the pages really ran (recorded on the engine), with
`EXPLAIN QUERY PLAN` on SQLite and `EXPLAIN` with sequential scans disabled on PostgreSQL — and the
migrations build exactly the indexes the models declare (what `flask init-db` makes is what
`create_all` would)."""

from __future__ import annotations

import re

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

import library.tables  # noqa: F401  (every domain's models in the metadata)
from library.db import Base
from tests.support.app import login, make_app
from tests.support.work import PAGES, build_work, grow, statements

BIG = ("resources", "loans", "usage_events", "notifications", "activities", "loan_feedback")
NAMES_BIG = re.compile(r"\b(" + "|".join(BIG) + r")\b")


def _page_statements(app) -> dict[str, object]:
    """Each distinct SELECT the work pages run, with the parameters it ran with."""
    library = build_work(app)
    grow(app, library, 30)
    found: dict[str, object] = {}
    for who, path in PAGES:
        client = app.test_client()
        assert login(client, who).status_code == 302
        headers = {"Authorization": f"Bearer {library.tokens[who]}"} if path.startswith("/api/") else {}
        with statements(app) as seen:
            assert client.get(path, headers=headers).status_code == 200, (who, path)
        for statement, parameters in seen.items:
            if statement.lstrip().upper().startswith("SELECT") and NAMES_BIG.search(statement):
                found.setdefault(statement, parameters)
    assert len(found) > 20  # the pages' own queries, not only the sign-in's
    return found


def _bounded(statement: str) -> bool:
    """A statement that may walk an index in order: it filters nothing (the bureau's totals) or stops
    at a LIMIT (a page)."""
    return " WHERE " not in statement.upper() or re.search(r"\bLIMIT\b", statement) is not None


@pytest.fixture(scope="module")
def sqlite_app(tmp_path_factory, migrated_sqlite):
    app = make_app(tmp_path_factory.mktemp("explain"), migrated_sqlite)
    yield app
    app.extensions["db_engine"].dispose()


def test_sqlite_the_work_pages_search_indexes(sqlite_app):
    engine = sqlite_app.extensions["db_engine"]
    problems = []
    with engine.connect() as connection:
        for statement, parameters in _page_statements_once(sqlite_app).items():
            plan = [row[-1] for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)]
            for line in plan:
                match = re.match(r"SCAN (\w+)", line)
                if match and match.group(1) in BIG and not ("USING" in line and _bounded(statement)):
                    problems.append((line, statement[:200]))
    assert not problems, problems


def test_sqlite_the_city_and_dashboard_use_the_new_indexes(sqlite_app):
    """The year's figures read the indexes made for them (a dropped index fails here, not in production)."""
    engine = sqlite_app.extensions["db_engine"]
    used = set()
    with engine.connect() as connection:
        for statement, parameters in _page_statements_once(sqlite_app).items():
            for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters):
                used.update(re.findall(r"INDEX (ix_\w+)", row[-1]))
    assert {"ix_resources_studio_year", "ix_resources_status_updated", "ix_loans_studio_granted",
            "ix_loans_school_requested", "ix_loans_status_requested", "ix_usage_events_studio_day",
            "ix_activities_studio_held", "ix_notifications_user_created", "ix_notifications_user_unread"} <= used


_CACHE: dict[int, dict[str, object]] = {}


def _page_statements_once(app) -> dict[str, object]:
    if id(app) not in _CACHE:
        _CACHE[id(app)] = _page_statements(app)
    return _CACHE[id(app)]


@pytest.mark.postgres
def test_postgresql_the_work_pages_use_indexes(tmp_path, pg_url):
    app = make_app(tmp_path / "pg", DATABASE_URL=pg_url)
    engine = app.extensions["db_engine"]
    try:
        found = _page_statements(app)
        problems = []
        with engine.connect() as connection:
            connection.execute(text("SET enable_seqscan = off"))
            for statement, parameters in found.items():
                plan = [row[0] for row in connection.exec_driver_sql("EXPLAIN " + statement, parameters)]
                if any(re.search(r"Seq Scan on (" + "|".join(BIG) + r")\b", line) for line in plan):
                    problems.append(("\n".join(plan), statement[:200]))
                assert any(re.search(r"Index Scan|Index Only Scan|Bitmap", line) for line in plan), plan
            connection.rollback()
        assert not problems, problems
        with engine.connect() as connection:
            assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    finally:
        engine.dispose()
