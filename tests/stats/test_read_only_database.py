"""Degraded, not broken: with a database that refuses every write (SQLite `PRAGMA query_only`,
PostgreSQL `default_transaction_read_only`), a resource page and a download are still served; the
usage event is dropped with a log line naming the resource, and nothing of it is written."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import event, func, select

from library.db import get_session
from library.resources.models import Resource
from library.stats.models import UsageEvent
from tests.support.app import build_world, login, make_app, upload
from tests.support.stats import BROWSER


def _refuse_writes(engine):
    """Every new connection of the app's engine refuses writes; the pool is emptied so none is old."""
    if engine.dialect.name == "sqlite":
        def read_only(dbapi_conn, _record):
            dbapi_conn.execute("PRAGMA query_only=ON")
    else:
        def read_only(dbapi_conn, _record):
            with dbapi_conn.cursor() as cur:
                cur.execute("SET default_transaction_read_only = on")
            dbapi_conn.commit()
    event.listen(engine, "connect", read_only)
    engine.dispose()
    return read_only


def _allow_writes(engine, listener) -> None:
    event.remove(engine, "connect", listener)
    engine.dispose()


def _check_degraded(app, sample_dir, caplog) -> None:
    world = build_world(app)
    client = app.test_client()
    body = upload(client, world.host_token, [sample_dir / "光合作用.pdf"], title="光合作用实验").json
    resource_id, file_id = body["id"], body["files"][0]["id"]
    original = (sample_dir / "光合作用.pdf").read_bytes()
    login(client, "zhangsan")  # a signed-in reader: the sign-in session is only read, too
    engine = app.extensions["db_engine"]
    listener = _refuse_writes(engine)
    try:
        caplog.set_level(logging.WARNING, logger="library.stats.usage")
        page = client.get(f"/resources/{resource_id}", headers={"User-Agent": BROWSER})
        assert page.status_code == 200 and "光合作用实验" in page.get_data(as_text=True)
        assert "张三" in page.get_data(as_text=True)  # still signed in
        download = client.get(f"/files/{file_id}/download", headers={"User-Agent": BROWSER})
        assert download.status_code == 200 and download.get_data() == original
        download.close()
    finally:
        _allow_writes(engine, listener)
    dropped = [r.getMessage() for r in caplog.records if "usage event dropped" in r.getMessage()]
    assert len(dropped) == 2, dropped
    assert all(f"resource {resource_id}" in line for line in dropped)
    with app.app_context():
        session = get_session()
        assert session.scalar(select(func.count(UsageEvent.id))) == 0
        assert session.scalar(select(Resource.download_count).where(Resource.id == resource_id)) == 0
    # Once the database takes writes again, the next view counts as usual.
    assert client.get(f"/resources/{resource_id}", headers={"User-Agent": BROWSER}).status_code == 200
    with app.app_context():
        assert get_session().scalar(select(func.count(UsageEvent.id))) == 1


def test_pages_and_downloads_are_served_when_sqlite_refuses_writes(app, sample_dir, caplog):
    _check_degraded(app, sample_dir, caplog)


@pytest.mark.postgres
def test_pages_and_downloads_are_served_when_postgresql_is_read_only(tmp_path, pg_url, sample_dir, caplog):
    app = make_app(tmp_path / "pg", DATABASE_URL=pg_url)
    try:
        _check_degraded(app, sample_dir, caplog)
    finally:
        app.extensions["db_engine"].dispose()
