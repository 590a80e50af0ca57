"""The sign-in throttle under a real parallel burst: guesses sent at once over HTTP to a threaded
server must not all be checked (the limit is 5 per account), on SQLite and on PostgreSQL."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from library.accounts.throttle import MAX_FAILURES_PER_ACCOUNT
from library.audit.models import AuditEntry
from library.db import get_session
from tests.support.app import build_world, make_app
from tests.support.server import Browser, served

GUESSES = 12


def _burst(app) -> list[int]:
    """GUESSES wrong passwords for one account from as many browsers, released at the same moment."""
    build_world(app)
    statuses: list[int] = []
    with served(app) as base:
        browsers = [Browser(base) for _ in range(GUESSES)]
        tokens = [b.csrf_token("/login") for b in browsers]
        gate = threading.Barrier(GUESSES)

        def guess(browser: Browser, token: str) -> None:
            gate.wait()
            status, _body = browser.request("/login", {"csrf_token": token, "username": "chenjing",
                                                       "password": "not the password"})
            statuses.append(status)

        threads = [threading.Thread(target=guess, args=pair) for pair in zip(browsers, tokens, strict=True)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    return statuses


def _checked(app) -> int:
    with app.app_context():
        return get_session().scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "login.failure"))


def _assert_held(app, statuses: list[int]) -> None:
    assert len(statuses) == GUESSES
    assert statuses.count(401) == MAX_FAILURES_PER_ACCOUNT, statuses  # at most the limit were checked
    assert statuses.count(429) == GUESSES - MAX_FAILURES_PER_ACCOUNT, statuses
    assert _checked(app) == MAX_FAILURES_PER_ACCOUNT


def test_parallel_guesses_on_sqlite_are_throttled_at_the_limit(app):
    _assert_held(app, _burst(app))


@pytest.mark.postgres
def test_parallel_guesses_on_postgresql_are_throttled_at_the_limit(tmp_path, pg_url):
    app = make_app(tmp_path / "pg", DATABASE_URL=pg_url)
    try:
        _assert_held(app, _burst(app))
    finally:
        app.extensions["db_engine"].dispose()
