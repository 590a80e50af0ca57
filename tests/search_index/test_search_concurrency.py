"""Several real processes writing (each applies the change log after its own commit and compacts
when segments pile up, as the inline mode does) and searching the same index at once: no
LockError, no lost update, no failed search."""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

import pytest

from search_index import Audience, Change, ResourceDocument, SearchIndex
from tests.search_index.search_corpus import resource

ADMIN = Audience(everything=True)
WRITERS = 3
SEARCHERS = 2
PER_WRITER = 24  # each writer creates this many, then updates every other one


def _connect(database: str) -> sqlite3.Connection:
    return sqlite3.connect(database, timeout=60, isolation_level=None)


def _make_database(path: Path) -> None:
    with _connect(str(path)) as db:
        db.execute("create table resources (id integer primary key, title text)")
        db.execute("create table changes (seq integer primary key, resource_id integer)")


def _writer(home: str, database: str, number: int, start, out, per_writer: int = PER_WRITER) -> None:
    """Commit a resource and its change row in one transaction, then apply the log (and compact
    when needed, as indexing.after_commit does); repeat."""
    from search_index import SearchIndex, configure_jieba

    configure_jieba(Path(home).parent / "jieba")
    index = SearchIndex(Path(home))

    def fetch(after: int) -> list[Change]:
        db = _connect(database)
        try:
            rows = db.execute(
                "select seq, resource_id from changes where seq > ? order by seq limit 50", (after,)
            ).fetchall()
        finally:
            db.close()
        return [Change(seq, rid) for seq, rid in rows]

    def load(ids: Sequence[int]) -> dict[int, ResourceDocument]:
        marks = ",".join("?" * len(ids))
        db = _connect(database)
        try:
            rows = db.execute(f"select id, title from resources where id in ({marks})", list(ids))
            return {rid: resource(rid, title) for rid, title in rows}
        finally:
            db.close()

    def commit(sql: str, args: tuple) -> int:
        db = _connect(database)
        try:
            db.execute("begin immediate")
            cursor = db.execute(sql, args)
            rid = args[-1] if sql.startswith("update") else cursor.lastrowid
            db.execute("insert into changes (resource_id) values (?)", (rid,))
            db.execute("commit")
            return rid
        finally:
            db.close()

    def apply() -> None:
        index.apply_pending(fetch, load)
        if index.needs_compaction() and index.compact(timeout=1.5):
            compactions.append(1)

    compactions: list[int] = []
    start.wait(30)
    try:
        mine = []
        for i in range(per_writer):
            mine.append(
                commit("insert into resources (title) values (?)", (f"初稿 作者{number} 第{i}篇",))
            )
            apply()
        for rid in mine[::2]:
            commit("update resources set title = ? where id = ?", (f"已更新 作者{number}", rid))
            apply()
        out.put(("ok", number, len(compactions)))
    except BaseException as error:  # LockError or anything else goes back to the parent
        out.put(("error", number, repr(error)))
    finally:
        index.close()


def _searcher(home: str, start, stop, out) -> None:
    """Search while the writers work; report how many searches ran and any error."""
    from search_index import SearchIndex, configure_jieba

    configure_jieba(Path(home).parent / "jieba")
    start.wait(30)
    index = SearchIndex(Path(home))
    done = 0
    try:
        while not stop.is_set():
            for text in ("初稿", "已更新", "作者1"):
                result = index.search(text, audience=ADMIN, per_page=5)
                assert 0 <= result.total <= WRITERS * PER_WRITER
            done += 1
        out.put(("ok", done, None))
    except BaseException as error:
        out.put(("error", done, repr(error)))
    finally:
        index.close()


def test_processes_writing_and_searching_at_once(tmp_path: Path) -> None:
    database = tmp_path / "library.db"
    _make_database(database)
    home = tmp_path / "index"
    SearchIndex(home).ensure()
    context = multiprocessing.get_context("spawn")
    start, stop = context.Event(), context.Event()
    out = context.Queue()
    writers = [
        context.Process(target=_writer, args=(str(home), str(database), n, start, out))
        for n in range(WRITERS)
    ]
    searchers = [
        context.Process(target=_searcher, args=(str(home), start, stop, out))
        for _ in range(SEARCHERS)
    ]
    for process in writers + searchers:
        process.start()
    start.set()
    reports = [out.get(timeout=240) for _ in writers]
    stop.set()
    reports += [out.get(timeout=60) for _ in searchers]
    for process in writers + searchers:
        process.join(30)
        assert process.exitcode == 0
    assert all(status == "ok" for status, *_ in reports), reports
    assert all(done > 0 for status, done, extra in reports if extra is None)

    with _connect(str(database)) as db:
        titles = dict(db.execute("select id, title from resources").fetchall())
        last_seq = db.execute("select max(seq) from changes").fetchone()[0]
    index = SearchIndex(home)
    try:
        assert index.applied_seq() == last_seq
        assert index.document_ids() == set(titles)
        updated = sum(1 for t in titles.values() if t.startswith("已更新"))
        assert updated == WRITERS * PER_WRITER // 2
        assert index.search("已更新", audience=ADMIN).total == updated
        assert index.search("初稿", audience=ADMIN).total == len(titles) - updated
        for n in range(WRITERS):
            assert index.search(f'"已更新 作者{n}"', audience=ADMIN).total == PER_WRITER // 2
    finally:
        index.close()


def test_thousands_of_searches_while_two_processes_write_and_compact(tmp_path: Path) -> None:
    """Issue 13's target: not one failed search over 2,000 from 8 threads while 2 processes apply
    change-log batches and compactions run (each writer compacts when segments pile up)."""
    database = tmp_path / "library.db"
    _make_database(database)
    home = tmp_path / "index"
    index = SearchIndex(home)
    index.ensure()
    context = multiprocessing.get_context("spawn")
    start = context.Event()
    out = context.Queue()
    per_writer = 30
    writers = [
        context.Process(
            target=_writer, args=(str(home), str(database), n, start, out, per_writer)
        )
        for n in range(2)
    ]
    for process in writers:
        process.start()
    errors: list[str] = []
    done = [0] * 8
    writing = threading.Event()
    writing.set()

    def search(slot: int) -> None:
        texts = ("初稿", "已更新", "作者1", "", "第3篇")
        while writing.is_set() or sum(done) < 2000:
            try:
                result = index.search(texts[done[slot] % len(texts)], audience=ADMIN, per_page=10)
                assert 0 <= result.total <= 2 * per_writer
                assert all(hit.id > 0 for hit in result.hits)
            except BaseException as error:  # noqa: BLE001 - every failure is reported
                errors.append(repr(error))
            done[slot] += 1

    threads = [threading.Thread(target=search, args=(slot,)) for slot in range(8)]
    try:
        for thread in threads:
            thread.start()
        start.set()
        reports = [out.get(timeout=240) for _ in writers]
    finally:
        writing.clear()
        for thread in threads:
            thread.join(120)
    for process in writers:
        process.join(30)
        assert process.exitcode == 0
    assert all(status == "ok" for status, *_ in reports), reports
    assert not errors, errors[:5]
    assert sum(done) >= 2000
    compactions = sum(count for _, _, count in reports)
    assert compactions >= 2, reports
    with _connect(str(database)) as db:
        ids = {row[0] for row in db.execute("select id from resources")}
        last_seq = db.execute("select max(seq) from changes").fetchone()[0]
    assert index.applied_seq() == last_seq
    assert index.document_ids() == ids
    assert index.search("已更新", audience=ADMIN).total == per_writer
    index.close()
