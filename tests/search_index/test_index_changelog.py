"""Applying the change log: order, recorded sequence, deletes, idempotence, crashes, processes."""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from search_index import Audience, Change, ResourceDocument, SearchIndex
from tests.search_index.search_corpus import ChangeLog, resource, small_corpus

ADMIN = Audience(everything=True)


def test_a_new_index_has_applied_nothing(index: SearchIndex) -> None:
    assert index.applied_seq() == 0
    assert index.doc_count() == 0
    assert index.document_ids() == set()


def test_ensure_is_idempotent(tmp_path: Path) -> None:
    ix = SearchIndex(tmp_path / "home")
    ix.ensure()
    ix.ensure()
    assert sorted(p.name for p in (tmp_path / "home").glob("gen-*")) == ["gen-000001"]
    assert (tmp_path / "home" / "CURRENT").read_text().strip() == "gen-000001"
    ix.close()


def test_changes_are_applied_and_the_sequence_recorded(
    index: SearchIndex, changelog: ChangeLog
) -> None:
    changelog.put_all(small_corpus())
    assert index.apply_pending(changelog.fetch_changes, changelog.load_documents) == 8
    assert index.applied_seq() == 8
    assert index.doc_count() == 8
    assert index.document_ids() == set(range(1, 9))


def test_later_changes_win_and_missing_ids_are_deleted(
    index: SearchIndex, changelog: ChangeLog
) -> None:
    changelog.put(resource(1, "分数的意义"))
    changelog.put(resource(2, "光合作用"))
    index.apply_pending(changelog.fetch_changes, changelog.load_documents)
    assert index.document_ids() == {1, 2}  # a searcher is open before the deletes
    changelog.put(resource(1, "读后续写的情节构思"))
    changelog.delete(2)
    assert index.apply_pending(changelog.fetch_changes, changelog.load_documents) == 4
    assert index.document_ids() == {1}
    assert [h.id for h in index.search("读后续写", audience=ADMIN).hits] == [1]
    assert index.search("分数", audience=ADMIN).total == 0
    assert index.search("光合作用", audience=ADMIN).total == 0


def test_batches_are_fetched_in_order_until_nothing_is_left(
    index: SearchIndex, changelog: ChangeLog
) -> None:
    changelog.put_all(small_corpus())
    changelog.page_size = 3  # the caller hands out at most three changes at a time
    assert index.apply_pending(changelog.fetch_changes, changelog.load_documents, batch=2) == 8
    assert changelog.fetched_after == [0, 3, 6, 8]


def test_applying_again_changes_nothing(index: SearchIndex, changelog: ChangeLog) -> None:
    changelog.put_all(small_corpus())
    index.apply_pending(changelog.fetch_changes, changelog.load_documents)
    changelog.fetched_after.clear()
    assert index.apply_pending(changelog.fetch_changes, changelog.load_documents) == 8
    assert changelog.fetched_after == [8]
    assert index.doc_count() == 8


def test_a_failed_batch_leaves_the_previous_batch_and_its_sequence(
    index: SearchIndex, changelog: ChangeLog
) -> None:
    changelog.put_all(small_corpus())
    calls = 0

    def flaky_load(ids: Sequence[int]) -> Mapping[int, ResourceDocument]:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise ConnectionError("database went away")
        return changelog.load_documents(ids)

    with pytest.raises(ConnectionError):
        index.apply_pending(changelog.fetch_changes, flaky_load, batch=5)
    assert index.applied_seq() == 5
    assert index.document_ids() == {1, 2, 3, 4, 5}
    assert index.apply_pending(changelog.fetch_changes, changelog.load_documents) == 8
    assert index.document_ids() == set(range(1, 9))


def test_the_applied_sequence_survives_reopening(tmp_path: Path, changelog: ChangeLog) -> None:
    first = SearchIndex(tmp_path / "home")
    changelog.put_all(small_corpus())
    first.apply_pending(changelog.fetch_changes, changelog.load_documents)
    first.close()
    again = SearchIndex(tmp_path / "home")
    assert again.applied_seq() == 8
    assert again.document_ids() == set(range(1, 9))
    again.close()


def test_searches_see_applied_changes_at_once(index: SearchIndex, changelog: ChangeLog) -> None:
    assert index.search("群文阅读", audience=ADMIN).total == 0  # opens the long-lived searcher
    changelog.put_all(small_corpus())
    index.apply_pending(changelog.fetch_changes, changelog.load_documents)
    assert index.search("群文阅读", audience=ADMIN).total == 1


def test_non_blocking_returns_none_while_another_writer_works(
    index: SearchIndex, changelog: ChangeLog
) -> None:
    changelog.put_all(small_corpus())
    inside = threading.Event()
    release = threading.Event()

    def slow_load(ids: Sequence[int]) -> Mapping[int, ResourceDocument]:
        inside.set()
        assert release.wait(10)
        return changelog.load_documents(ids)

    worker = threading.Thread(target=index.apply_pending, args=(changelog.fetch_changes, slow_load))
    worker.start()
    try:
        assert inside.wait(10)
        other = SearchIndex(index.home)
        assert (
            other.apply_pending(changelog.fetch_changes, changelog.load_documents, blocking=False)
            is None
        )
        other.close()
    finally:
        release.set()
        worker.join(10)
    assert index.applied_seq() == 8


# ------------------------------------------------------------------ two real processes

RESOURCES = 120
UPDATES = 80
DELETES = 20


def _make_database(path: Path) -> None:
    """A SQLite change log: every resource created, some updated, some deleted."""
    with sqlite3.connect(path) as db:
        db.execute("create table resources (id integer primary key, title text)")
        db.execute("create table changes (seq integer primary key, resource_id integer)")
        for i in range(1, RESOURCES + 1):
            db.execute("insert into resources values (?, ?)", (i, f"分数教学案例{i}"))
            db.execute("insert into changes (resource_id) values (?)", (i,))
        for i in range(1, UPDATES + 1):
            db.execute("update resources set title = ? where id = ?", (f"群文阅读课例{i}", i))
            db.execute("insert into changes (resource_id) values (?)", (i,))
        for i in range(RESOURCES - DELETES + 1, RESOURCES + 1):
            db.execute("delete from resources where id = ?", (i,))
            db.execute("insert into changes (resource_id) values (?)", (i,))


def _apply_in_process(home: str, database: str, start: object, out: object) -> None:
    """Run apply_pending in a child process once start is set; report the sequences it applied."""
    from search_index import SearchIndex, configure_jieba

    configure_jieba(Path(home).parent / "jieba")
    applied: list[int] = []

    def fetch(after: int) -> list[Change]:
        with sqlite3.connect(database) as db:
            rows = db.execute(
                "select seq, resource_id from changes where seq > ? order by seq limit 30", (after,)
            ).fetchall()
        applied.extend(seq for seq, _ in rows)
        return [Change(seq, rid) for seq, rid in rows]

    def load(ids: Sequence[int]) -> dict[int, ResourceDocument]:
        time.sleep(0.01)  # keep the writer lock long enough for the processes to overlap
        marks = ",".join("?" * len(ids))
        with sqlite3.connect(database) as db:
            rows = db.execute(f"select id, title from resources where id in ({marks})", list(ids))
            return {rid: resource(rid, title) for rid, title in rows}

    start.wait(30)  # type: ignore[attr-defined]
    try:
        last = SearchIndex(Path(home)).apply_pending(fetch, load, batch=7)
        out.put(("ok", last, applied))  # type: ignore[attr-defined]
    except BaseException as error:  # report any failure, LockError included, to the parent
        out.put(("error", repr(error), applied))  # type: ignore[attr-defined]


def test_two_processes_apply_every_change_exactly_once(tmp_path: Path) -> None:
    database = tmp_path / "library.db"
    _make_database(database)
    home = tmp_path / "index"  # not ensured: both processes race to create it too
    context = multiprocessing.get_context("spawn")
    start = context.Event()
    out = context.Queue()
    workers = [
        context.Process(target=_apply_in_process, args=(str(home), str(database), start, out))
        for _ in range(2)
    ]
    for worker in workers:
        worker.start()
    start.set()
    reports = [out.get(timeout=60) for _ in workers]
    for worker in workers:
        worker.join(30)
        assert worker.exitcode == 0

    total = RESOURCES + UPDATES + DELETES
    assert [r[0] for r in reports] == ["ok", "ok"], reports
    assert [r[1] for r in reports] == [total, total]
    first, second = (set(r[2]) for r in reports)
    assert not first & second  # no change was applied twice
    assert first | second == set(range(1, total + 1))
    assert len(list(home.glob("gen-*"))) == 1

    ix = SearchIndex(home)
    assert ix.applied_seq() == total
    assert ix.document_ids() == set(range(1, RESOURCES - DELETES + 1))
    assert ix.search("群文阅读", audience=ADMIN, per_page=100).total == UPDATES
    assert ix.search("分数", audience=ADMIN, per_page=100).total == RESOURCES - DELETES - UPDATES
    ix.close()


def test_a_stranger_holding_whooshs_lock_never_surfaces_as_lock_error(
    index: SearchIndex, changelog: ChangeLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    from whoosh.index import open_dir

    import search_index.index as index_module
    from search_index import SearchIndexBusy

    monkeypatch.setattr(index_module, "WRITER_TIMEOUT_SECONDS", 0.2)
    changelog.put_all(small_corpus())
    live = index.home / (index.home / "CURRENT").read_text().strip()
    stranger = open_dir(str(live)).writer()  # not a SearchIndex: bypasses our flock
    try:
        assert (
            index.apply_pending(changelog.fetch_changes, changelog.load_documents, blocking=False)
            is None
        )
        with pytest.raises(SearchIndexBusy):
            index.apply_pending(changelog.fetch_changes, changelog.load_documents)
    finally:
        stranger.cancel()
    assert index.apply_pending(changelog.fetch_changes, changelog.load_documents) == 8
