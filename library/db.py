"""Declarative base, engine, the per-request session and its unit of work.

The session is the unit of work (after Invenio's `@unit_of_work` and warehouse's flush
listeners): a service changes rows and registers what must happen once they are durable
(`on_commit`: index the change, mail the notices) or if they are not (`on_rollback`: remove
objects stored for an upload that failed); the commit, wherever it is called, runs them.
`unit_of_work()` is the block form. Derived records are written by flush listeners (the search
change log: `library.search.changes`), never by hand.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Generic, TypeVar

from flask import Flask, current_app, g
from sqlalchemy import MetaData, create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

log = logging.getLogger(__name__)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Ids are INTEGER columns (int4 on PostgreSQL): a larger number names no row, and handing it to the
# driver would fail (OverflowError, NumericValueOutOfRange) instead of finding nothing.
MAX_ID = 2**31 - 1


def is_row_id(value) -> bool:
    """Whether a number could be a row id (a positive INTEGER)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID


def utcnow() -> datetime:
    """Naive UTC now, the form every timestamp column stores."""
    return datetime.now(UTC).replace(tzinfo=None)


T = TypeVar("T")


@dataclass
class Page(Generic[T]):
    """One page of a list read from the database (resources, the review queue, loans), and how
    many rows the whole list has."""

    items: list[T]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


class Base(DeclarativeBase):
    """Base class of every model."""

    metadata = MetaData(naming_convention=NAMING)


_COMMIT_OPS = "library.after_commit"
_ROLLBACK_OPS = "library.after_rollback"


class LibrarySession(Session):
    """A session that runs the operations registered for its transaction once it has committed
    (`on_commit`) or rolled back (`on_rollback`), in registration order, each at most once.

    They run after the transaction has ended, so they may use this session again (a new
    transaction). A failing operation is logged and does not undo anything: what it does must be
    recoverable by a later run (the change log stays for the worker, mail stays pending)."""

    def commit(self) -> None:
        try:
            super().commit()
        except BaseException:
            self.info.pop(_COMMIT_OPS, None)
            raise
        self.info.pop(_ROLLBACK_OPS, None)
        _run(self.info.pop(_COMMIT_OPS, None), "after commit")

    def rollback(self) -> None:
        super().rollback()
        self.info.pop(_COMMIT_OPS, None)
        _run(self.info.pop(_ROLLBACK_OPS, None), "after rollback")

    def close(self) -> None:
        had_ops = bool(self.info.get(_ROLLBACK_OPS)) and self.in_transaction()
        if had_ops:
            self.rollback()  # an abandoned unit of work is a failed one
        self.info.pop(_COMMIT_OPS, None)
        self.info.pop(_ROLLBACK_OPS, None)
        super().close()


def _run(ops: dict[str, Callable[[], object]] | None, when: str) -> None:
    for name, op in (ops or {}).items():
        try:
            op()
        except Exception:  # noqa: BLE001 - the transaction's outcome stands; the op is recoverable
            log.exception("%s: %s failed", when, name)


def on_commit(session: Session, name: str, op: Callable[[], object]) -> None:
    """Run op once session's current transaction has committed (once per name)."""
    session.info.setdefault(_COMMIT_OPS, {}).setdefault(name, op)


def on_rollback(session: Session, name: str, op: Callable[[], object]) -> None:
    """Run op if session's current transaction rolls back instead (once per name)."""
    session.info.setdefault(_ROLLBACK_OPS, {}).setdefault(name, op)


@contextmanager
def unit_of_work(session: Session | None = None) -> Iterator[Session]:
    """The block form: commit at the end, roll back on any exception (and re-raise)."""
    session = session or get_session()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise


def make_engine(url: str) -> Engine:
    """Create the engine; SQLite gets WAL, foreign keys and a busy timeout for several processes."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def init_app(app: Flask) -> None:
    """Create the engine and session factory and close the request's session at teardown."""
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["db_engine"] = engine
    app.extensions["db_sessionmaker"] = sessionmaker(
        engine, class_=LibrarySession, expire_on_commit=False
    )
    app.teardown_appcontext(_close_session)


def get_session() -> Session:
    """The session of the current app context (one per request or CLI command)."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["db_sessionmaker"]()
    return g.db_session


def get_engine() -> Engine:
    """The app's engine."""
    return current_app.extensions["db_engine"]


def refresh_statistics(*tables: str) -> None:
    """After a bulk write (`flask import`): PostgreSQL plans by each table's statistics, and a
    table that grew from hundreds of rows to 100,000 keeps the old ones until autovacuum analyses
    it (a minute later, or never where autovacuum is off). Planned by the stale figures, the home
    page's "newest" list read every published row and sorted them (0.7 s at 100k) instead of
    walking (status, created_at, id). SQLite keeps no statistics unless asked, and its plans are
    the ones the indexes are shaped for (tests/models/test_explain.py): left alone."""
    engine = get_engine()
    if engine.dialect.name != "postgresql" or not tables:
        return
    with engine.begin() as connection:
        connection.execute(text("ANALYZE " + ", ".join(engine.dialect.identifier_preparer.quote(t) for t in tables)))


def _close_session(exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        if exc is not None:
            session.rollback()
        session.close()
