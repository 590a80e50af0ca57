"""The job queue: jobs are rows in the database, claimed by `flask worker` processes and run by kind.

Why a table and not a library: RQ, Celery, Dramatiq and Huey need Redis or another broker beside the
database, a second truth to run, back up and keep consistent (and none in the embedded default);
procrastinate is well kept but PostgreSQL-only (LISTEN/NOTIFY, PL/pgSQL), and the embedded default
is SQLite. A table works on both, is written in the caller's transaction (an upload that rolls back
leaves no job, a committed upload always has its job), and keeps "the database is the truth".

Claiming is one statement, `UPDATE jobs SET state='running' … WHERE id = (SELECT id … LIMIT 1 FOR
UPDATE SKIP LOCKED) AND <still claimable> RETURNING id`: on PostgreSQL workers on several machines
skip each other's locked rows; SQLite has no row locks (the FOR UPDATE is left out) but runs one
writing statement at a time across processes, and the repeated condition makes a row claimed by the
other process meanwhile match nothing. A claim is a lease: a worker that dies leaves its job
`running` until `lease_until` passes, then any worker takes it again (counting the attempt).
"""

from __future__ import annotations

import importlib
import logging
import os
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session, aliased

from library.accounts.models import User
from library.audit import service as audit
from library.db import get_session, is_row_id, utcnow
from library.errors import InvalidInput, NotFound
from library.jobs.models import Job

log = logging.getLogger(__name__)

# The modules whose import registers their handlers (like library/tables.py for models).
HANDLER_MODULES = ("library.resources.jobs", "library.resources.staging")

# A handler does the work of one job in the session it is given (the runner commits it together with
# the job's new state) and returns None, or a reason when the work is done but its result is a
# failure no retry would change (a file that cannot be decoded): the job then ends `failed` at once.
# An exception means "try again later", up to max_attempts.
Handler = Callable[[Session, dict], str | None]


@dataclass(frozen=True)
class Kind:
    """What runs a kind of job, and what to do when it is given up or retried by hand."""

    handler: Handler
    on_give_up: Callable[[Session, dict, str], None] | None = None
    on_retry: Callable[[Session, dict], None] | None = None
    max_attempts: int = 5


_REGISTRY: dict[str, Kind] = {}
_loaded = False


def register(kind: str, handler: Handler, *, on_give_up: Callable[[Session, dict, str], None] | None = None,
             on_retry: Callable[[Session, dict], None] | None = None, max_attempts: int = 5) -> None:
    """Name the handler of a kind of job (a later registration of the same kind replaces it)."""
    _REGISTRY[kind] = Kind(handler, on_give_up, on_retry, max_attempts)


def handlers() -> Mapping[str, Kind]:
    """Every registered kind, after importing the modules that register them."""
    global _loaded
    if not _loaded:
        for name in HANDLER_MODULES:
            importlib.import_module(name)
        _loaded = True
    return _REGISTRY


def worker_name() -> str:
    """Who holds a lease: host and process, so a job can be traced to the machine running it."""
    return f"{socket.gethostname()}:{os.getpid()}"[:128]


def enqueue(session: Session, kind: str, payload: Mapping, *, run_after: datetime | None = None,
            max_attempts: int | None = None) -> Job:
    """Add a job to the caller's unit of work: it exists only if the caller commits."""
    registered = handlers().get(kind)
    if registered is None:
        raise ValueError(f"no job handler is registered for {kind!r}")
    job = Job(kind=kind, payload=dict(payload), state="queued", attempts=0,
              max_attempts=max_attempts or registered.max_attempts, run_after=run_after or utcnow())
    session.add(job)
    return job


def _setting(name: str, default: float) -> float:
    return float(current_app.config.get(name, default))


def backoff(attempts: int) -> timedelta:
    """How long to wait after the n-th failed attempt: base · 2^(n-1), capped."""
    base = _setting("JOBS_BACKOFF_SECONDS", 30)
    cap = _setting("JOBS_BACKOFF_MAX_SECONDS", 3600)
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), cap))


def _claimable(table, now: datetime):
    return or_(and_(table.state == "queued", table.run_after <= now),
               and_(table.state == "running", table.lease_until < now))


def claim(session: Session, worker: str, *, now: datetime | None = None,
          lease_seconds: float | None = None) -> Job | None:
    """Take the next due job (or one whose lease expired) for `worker`, committed; None when idle."""
    now = now or utcnow()
    lease = timedelta(seconds=lease_seconds if lease_seconds is not None else _setting("JOBS_LEASE_SECONDS", 900))
    _give_up_abandoned(session, now)
    candidate = aliased(Job)
    pick = (
        select(candidate.id)
        .where(_claimable(candidate, now), candidate.attempts < candidate.max_attempts)
        .order_by(candidate.run_after, candidate.id)
        .limit(1)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    stmt = (
        update(Job)
        .where(Job.id == pick, _claimable(Job, now))
        .values(state="running", attempts=Job.attempts + 1, lease_until=now + lease, locked_by=worker)
        .returning(Job.id)
        .execution_options(synchronize_session=False)
    )
    job_id = session.execute(stmt).scalar()
    session.commit()
    if job_id is None:
        return None
    return session.get(Job, job_id, populate_existing=True)


def _give_up_abandoned(session: Session, now: datetime) -> None:
    """Jobs whose worker died on their last allowed attempt: failed, not run again."""
    stuck = session.scalars(
        select(Job).where(Job.state == "running", Job.lease_until < now, Job.attempts >= Job.max_attempts)
        .with_for_update(skip_locked=True)
    ).all()
    for job in stuck:
        reason = _("第 %(n)s 次尝试时处理进程中断（租约过期）", n=job.attempts)
        if _finish(session, job, job.locked_by, state="failed", now=now, error=reason):
            _hook_give_up(session, job, reason)
    session.commit()


def _finish(session: Session, job: Job, worker: str | None, *, state: str, now: datetime,
            error: str | None = None, run_after: datetime | None = None) -> bool:
    """Move a running job held by `worker` to its next state; False when another worker holds it now."""
    values: dict = {"state": state, "lease_until": None, "locked_by": None, "last_error": error}
    if state in ("done", "failed"):
        values["finished_at"] = now
    if run_after is not None:
        values["run_after"] = run_after
    held = Job.locked_by.is_(None) if worker is None else Job.locked_by == worker
    result = session.execute(
        update(Job).where(Job.id == job.id, Job.state == "running", held).values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def _hook_give_up(session: Session, job: Job, reason: str) -> None:
    kind = handlers().get(job.kind)
    if kind is not None and kind.on_give_up is not None:
        kind.on_give_up(session, dict(job.payload), reason)


@dataclass
class RunReport:
    """What one run_pending did."""

    done: int = 0
    retried: int = 0
    failed: int = 0
    lost: int = 0  # ran past its lease while another worker took it over: this result was dropped

    @property
    def total(self) -> int:
        return self.done + self.retried + self.failed + self.lost


def run_pending(limit: int | None = None, *, now: datetime | None = None, worker: str | None = None) -> RunReport:
    """Claim and run due jobs one after another until none is due (or `limit` were run)."""
    worker = worker or worker_name()
    report = RunReport()
    factory = current_app.extensions["db_sessionmaker"]
    while limit is None or report.total < limit:
        with factory() as session:
            job = claim(session, worker, now=now)
            if job is None:
                break
            outcome = run_one(session, job, worker, now=now)
        setattr(report, outcome, getattr(report, outcome) + 1)
    return report


def _reason(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:2000]


def run_one(session: Session, job: Job, worker: str, *, now: datetime | None = None) -> str:
    """Run a claimed job; return 'done', 'retried', 'failed' or 'lost' (its lease was taken over)."""
    kind = handlers().get(job.kind)
    payload = dict(job.payload)
    if kind is None:
        reason = _("没有处理“%(kind)s”任务的程序", kind=job.kind)
        _finish(session, job, worker, state="failed", now=now or utcnow(), error=reason)
        session.commit()
        return "failed"
    try:
        outcome = kind.handler(session, payload)
    except Exception as exc:  # noqa: BLE001 - any failure of a handler is retried, then recorded
        session.rollback()
        log.warning("job %s (%s) failed on attempt %s: %s", job.id, job.kind, job.attempts, exc, exc_info=True)
        reason = _reason(exc)
        finished = now or utcnow()
        if job.attempts >= job.max_attempts:
            held = _finish(session, job, worker, state="failed", now=finished, error=reason)
            if held:
                _hook_give_up(session, job, reason)
            session.commit()
            return "failed" if held else "lost"
        held = _finish(session, job, worker, state="queued", now=finished, error=reason,
                       run_after=finished + backoff(job.attempts))
        session.commit()
        return "retried" if held else "lost"
    finished = now or utcnow()
    state = "done" if outcome is None else "failed"
    if not _finish(session, job, worker, state=state, now=finished, error=outcome):
        # The lease ran out and another worker took the job: that worker's result is the one kept.
        session.rollback()
        log.warning("job %s (%s) outlived its lease; its result was dropped", job.id, job.kind)
        return "lost"
    session.commit()
    return state


# ---------------------------------------------------------------- reading and retrying


def list_jobs(state: str | None = None, limit: int = 200) -> list[Job]:
    """The latest jobs, newest first, optionally of one state."""
    stmt = select(Job).order_by(Job.id.desc()).limit(limit)
    if state is not None:
        stmt = stmt.where(Job.state == state)
    return list(get_session().scalars(stmt))


def counts() -> dict[str, int]:
    """How many jobs are in each state."""
    from sqlalchemy import func

    rows = get_session().execute(select(Job.state, func.count(Job.id)).group_by(Job.state))
    return {state: n for state, n in rows}


def retry(job_id: int, actor: User | None = None) -> Job:
    """Queue a failed job again, with a fresh count of attempts (or run a waiting one now)."""
    session = get_session()
    job = session.get(Job, job_id) if is_row_id(job_id) else None
    if job is None:
        raise NotFound(_("没有这个任务：%(id)s", id=job_id))
    if job.state not in ("failed", "queued"):
        raise InvalidInput(_("只有失败或等待中的任务可以重试（此任务：%(state)s）", state=job.state))
    job.state, job.attempts, job.run_after = "queued", 0, utcnow()
    job.lease_until = job.locked_by = job.finished_at = None
    kind = handlers().get(job.kind)
    if kind is not None and kind.on_retry is not None:
        kind.on_retry(session, dict(job.payload))
    audit.record("job.retry", actor, "job", job.id, kind=job.kind)
    session.commit()
    return job
