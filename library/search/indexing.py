"""Keeping the search index in step with the database through the change log."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import timedelta

from flask import current_app, g
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from library.db import utcnow
from library.resources.models import Resource
from library.search.models import ChangeLog
from library.textbooks import positions
from search_index import Change, ResourceDocument

log = logging.getLogger(__name__)


# A missing sequence number is a transaction still in flight (PostgreSQL hands out sequence values
# before commit) or one rolled back. Wait this long for it before skipping past the gap.
GAP_GRACE = timedelta(seconds=30)


BATCH = 500

# How long a web request waits for the index writer lock after its commit (inline mode); past it
# the change stays in the log for the worker or the next sync.
REQUEST_LOCK_TIMEOUT = 1.5


def _session() -> Session:
    # The indexer reads with its own short sessions so it always sees the latest commits.
    return current_app.extensions["db_sessionmaker"]()


def fetch_changes(after_seq: int) -> list[Change]:
    """Change-log entries after `after_seq`, in order, stopping at a gap that may still fill."""
    with _session() as session:
        rows = session.execute(
            select(ChangeLog.seq, ChangeLog.entity_id, ChangeLog.created_at)
            .where(ChangeLog.seq > after_seq, ChangeLog.entity == "resource")
            .order_by(ChangeLog.seq)
            .limit(BATCH)
        ).all()
    changes: list[Change] = []
    expected = after_seq + 1
    now = utcnow()
    for seq, entity_id, created_at in rows:
        if seq != expected and now - created_at < GAP_GRACE:
            break
        changes.append(Change(seq=seq, resource_id=entity_id))
        expected = seq + 1
    return changes


def _document_loads() -> tuple:
    """What a document needs besides the row (built when asked: at import the models of every
    domain may not be there yet)."""
    return selectinload(Resource.files), selectinload(Resource.edition)


def to_document(resource: Resource) -> ResourceDocument:
    """The search document of a resource, body text taken from its files' extracted text."""
    return ResourceDocument(
        id=resource.id,
        title=resource.title,
        kind=resource.kind,
        subject=resource.subject_code,
        stage=resource.stage_code,
        studio=resource.studio.slug,
        year=resource.year,
        award_level=resource.award_level,
        visibility=resource.visibility,
        status=resource.status,
        authors=list(resource.authors or []),
        keywords=list(resource.keywords or []),
        abstract=resource.abstract or "",
        body="\n".join(f.text for f in resource.files if f.text),
        created=resource.created_at,
        downloads=resource.download_count,
        studio_name=resource.studio.name,
        subject_name=resource.subject.name_zh if resource.subject else "",
        grade=resource.grade or "",
        edition=resource.edition_code or "",
        volume=resource.volume or "",
        unit=resource.unit_number,
        textbook_words=positions.words_of(
            resource.edition.name_zh if resource.edition else "", resource.grade, resource.volume,
            resource.unit_number, resource.unit_title, resource.lesson),
        project_level=resource.project_level,
        project_status=resource.project_status,
    )


def load_documents(ids: Sequence[int]) -> Mapping[int, ResourceDocument]:
    """Documents of the resources that still exist among `ids`."""
    with _session() as session:
        rows = session.scalars(
            select(Resource).where(Resource.id.in_(list(ids))).options(*_document_loads())
        ).unique()
        return {r.id: to_document(r) for r in rows}


def sync(blocking: bool = True, timeout: float | None = None) -> int | None:
    """Apply every pending change to the index; None when another process is applying them (or
    held the writer lock past timeout seconds).

    A live index built by an older version of the analysis, or found damaged by a health check
    or a failed search, is rebuilt first (beside the live one; searches keep answering from the
    live one, or from the previous generation while the live one is damaged).
    """
    index = current_app.extensions["search_index"]
    if index.damaged():
        log.warning("the search index is damaged; rebuilding it from the database")
        rebuild()
    elif index.outdated():
        log.warning("the search index was built with an older schema; rebuilding it")
        rebuild()
    return index.apply_pending(fetch_changes, load_documents, blocking=blocking, timeout=timeout)


def compact_if_needed(timeout: float | None = None) -> bool:
    """Merge the index's segments in a new generation when they have piled up (change-log batches
    commit without merging), then apply what was committed meanwhile; whether it compacted."""
    index = current_app.extensions["search_index"]
    if not index.needs_compaction():
        return False
    if not index.compact(timeout=timeout):
        return False
    index.apply_pending(fetch_changes, load_documents, timeout=timeout)
    return True


def after_commit() -> None:
    """In the embedded default the web process indexes its own commit at once; failures wait for the next sync.

    Waits at most REQUEST_LOCK_TIMEOUT for the writer lock: a writer busy in another process
    (a batch, a compaction) fetches the log again before it lets go, and what it misses stays in
    the log for the worker or the next sync. Compacts when segments have piled up, as the worker
    does (inline mode may have no worker).
    """
    if current_app.config["INDEX_MODE"] != "inline":
        return
    bulk_mode = g.get(_BULK)
    if bulk_mode == "background":  # a child process of this bulk write indexes (bulk())
        return
    try:
        if bulk_mode == "deferred":  # one index commit a batch; compacted once at the end
            sync(blocking=True, timeout=REQUEST_LOCK_TIMEOUT)
            return
        if sync(blocking=True, timeout=REQUEST_LOCK_TIMEOUT) is None:
            log.info("the index writer lock is busy; the change stays in the log for the next sync")
            return
        compact_if_needed(timeout=REQUEST_LOCK_TIMEOUT)
    except Exception:  # noqa: BLE001 - the change log keeps the change; the next sync applies it
        log.exception("indexing after commit failed; the change stays in the log")


_BULK = "library_search_bulk"


# A bulk write of at least this many rows, and at least as many as the index holds, rebuilds the
# index once at the end on every core instead of adding batch after batch to it: measured at 100k
# rows, batches added beside the writes ran at 110 rows/s, `flask reindex` at 422 (BENCHMARKS.md).
REBUILD_AT = 10_000


@contextmanager
def bulk(background: bool = False, expected_rows: int = 0) -> Iterator[None]:
    """A bulk write in this app context (`flask import`): its commits index their changes without
    compacting (instead of merging the whole growing index again every MAX_SEGMENTS batches);
    with `background`, a forked child applies the change log continuously instead, on another
    core, while this process goes on writing rows. At the end the child is stopped, this process
    applies whatever is left (the child only ever saves time: a crashed one loses nothing) and
    compacts once. A write of `expected_rows` ≥ REBUILD_AT rows, no fewer than the index holds,
    indexes nothing while it runs and rebuilds the index at the end on every core (searches answer
    from the live generation meanwhile; the change log covers what the rebuild's snapshot misses).
    Inline mode only; with a worker the worker indexes."""
    inline = current_app.config["INDEX_MODE"] == "inline"
    rebuilding = (inline and expected_rows >= REBUILD_AT
                  and expected_rows >= current_app.extensions["search_index"].doc_count())
    child = _start_indexer() if background and inline and not rebuilding else None
    setattr(g, _BULK, "background" if child is not None or rebuilding else "deferred")
    try:
        yield
    finally:
        g.pop(_BULK, None)
        if child is not None:
            _stop_indexer(*child)
        if inline:
            try:
                if rebuilding:
                    rebuild(procs=min(os.cpu_count() or 1, 4))  # as `flask reindex`
                else:
                    sync()
                    compact_if_needed()
            except Exception:  # noqa: BLE001 - the change log keeps the changes for the next sync
                log.exception("indexing after a bulk write failed; the changes stay in the log")


def _start_indexer():
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    stop = ctx.Event()
    proc = ctx.Process(target=_index_until, args=(current_app._get_current_object(), stop),  # type: ignore[attr-defined]
                       name="library-bulk-indexer", daemon=True)
    proc.start()
    return proc, stop


def _index_until(app, stop) -> None:
    """The forked child: apply the change log every 0.2 s until told to stop."""
    app.extensions["db_engine"].dispose(close=False)  # the parent's connections stay the parent's
    with app.app_context():
        while not stop.is_set():
            try:
                sync(timeout=REQUEST_LOCK_TIMEOUT)
            except Exception:  # noqa: BLE001 - the parent applies what is left
                log.exception("the bulk indexer's sync failed")
            stop.wait(0.2)


def _stop_indexer(proc, stop, timeout: float = 120.0) -> None:
    stop.set()
    proc.join(timeout)
    if proc.is_alive():
        proc.terminate()
        proc.join()


def _all_documents(session: Session) -> Iterator[ResourceDocument]:
    stmt = select(Resource).options(*_document_loads()).order_by(Resource.id)
    for resource in session.scalars(stmt.execution_options(yield_per=200)):
        yield to_document(resource)


def rebuild(procs: int = 1) -> int:
    """Build a new index generation from the database beside the live one and swap it in.

    procs > 1 analyses and writes in that many forked processes (`flask reindex` uses every
    core); this process reads the rows and hands them over.
    """
    index = current_app.extensions["search_index"]
    with _session() as session, session.begin():
        # Read the log position and the rows in one transaction, so nothing falls between them.
        last_seq = session.scalar(select(func.coalesce(func.max(ChangeLog.seq), 0))) or 0
        index.rebuild(_all_documents(session), last_seq, procs=procs)
    sync()
    return index.doc_count()


def check_health() -> list[str]:
    """What is damaged in the live index generation (every segment read through); empty when
    healthy. A damaged generation is marked: searches answer from the previous one and the next
    sync (or the worker) rebuilds it from the database."""
    problems: list[str] = current_app.extensions["search_index"].check_health()
    return problems


def check() -> tuple[list[int], list[int]]:
    """Resource ids missing from the index, and index entries with no row (run `worker --once` first
    to apply pending changes; the check itself changes nothing)."""
    index = current_app.extensions["search_index"]
    with _session() as session:
        db_ids = set(session.scalars(select(Resource.id)))
    in_index = index.document_ids()
    return sorted(db_ids - in_index), sorted(in_index - db_ids)
