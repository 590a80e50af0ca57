"""The job queue on its own: enqueue in the caller's transaction, claim, run, retry with backoff,
leases that expire, and several processes claiming at once (SQLite file and PostgreSQL)."""

from __future__ import annotations

import multiprocessing
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest

from library import create_app
from library.db import get_session, utcnow
from library.jobs import service as jobs
from library.jobs.models import Job
from tests.support.app import make_app

RAN: list[dict] = []
GAVE_UP: list[tuple[dict, str]] = []


def _record(session, payload):
    RAN.append(payload)
    return payload.get("outcome")


def _boom(session, payload):
    RAN.append(payload)
    raise RuntimeError(f"boom {payload['n']}")


def _gave_up(session, payload, reason):
    GAVE_UP.append((payload, reason))


@pytest.fixture(autouse=True)
def kinds():
    RAN.clear()
    GAVE_UP.clear()
    jobs.register("test.record", _record)
    jobs.register("test.boom", _boom, on_give_up=_gave_up, max_attempts=3)
    yield


def _enqueue(app, kind, payload, **options) -> int:
    with app.app_context():
        session = get_session()
        job = jobs.enqueue(session, kind, payload, **options)
        session.commit()
        return job.id


def _job(app, job_id) -> Job:
    with app.app_context():
        job = get_session().get(Job, job_id)
        assert job is not None
        return job


def test_enqueue_belongs_to_the_callers_transaction(app):
    with app.app_context():
        session = get_session()
        jobs.enqueue(session, "test.record", {"n": 1})
        session.rollback()
        assert jobs.list_jobs() == []
        with pytest.raises(ValueError, match="no job handler"):
            jobs.enqueue(session, "no.such.kind", {})


def test_claim_run_and_done(app):
    first = _enqueue(app, "test.record", {"n": 1})
    second = _enqueue(app, "test.record", {"n": 2})
    later = _enqueue(app, "test.record", {"n": 3}, run_after=utcnow() + timedelta(hours=1))
    with app.app_context():
        report = jobs.run_pending()
    assert (report.done, report.failed, report.retried) == (2, 0, 0)
    assert RAN == [{"n": 1}, {"n": 2}]  # in order; the one due in an hour waits
    for job_id in (first, second):
        job = _job(app, job_id)
        assert job.state == "done" and job.attempts == 1 and job.finished_at is not None
        assert job.locked_by is None and job.lease_until is None
    assert _job(app, later).state == "queued"
    with app.app_context():
        assert jobs.run_pending(now=utcnow() + timedelta(hours=2)).done == 1
    assert _job(app, later).state == "done"


def test_a_limit_runs_that_many(app):
    for n in range(5):
        _enqueue(app, "test.record", {"n": n})
    with app.app_context():
        assert jobs.run_pending(limit=2).done == 2
        assert jobs.counts() == {"done": 2, "queued": 3}


def test_a_handler_reporting_a_failure_ends_failed_without_retries(app):
    job_id = _enqueue(app, "test.record", {"n": 1, "outcome": "cannot decode this file"})
    with app.app_context():
        assert jobs.run_pending().failed == 1
    job = _job(app, job_id)
    assert (job.state, job.attempts, job.last_error) == ("failed", 1, "cannot decode this file")


def test_failures_are_retried_with_exponential_backoff_then_failed(tmp_path, migrated_sqlite):
    app = make_app(tmp_path / "i", migrated_sqlite, JOBS_BACKOFF_SECONDS=10)
    job_id = _enqueue(app, "test.boom", {"n": 7})
    t0 = utcnow()
    with app.app_context():
        assert jobs.run_pending(now=t0).retried == 1
    job = _job(app, job_id)
    assert (job.state, job.attempts) == ("queued", 1)
    assert job.run_after == t0 + timedelta(seconds=10)  # 10 · 2⁰
    assert job.last_error == "RuntimeError: boom 7" and job.locked_by is None
    with app.app_context():
        assert jobs.run_pending(now=t0 + timedelta(seconds=9)).total == 0  # not due yet
        assert jobs.run_pending(now=t0 + timedelta(seconds=10)).retried == 1
    job = _job(app, job_id)
    assert job.attempts == 2 and job.run_after == t0 + timedelta(seconds=10 + 20)  # 10 · 2¹
    assert GAVE_UP == []
    with app.app_context():
        assert jobs.run_pending(now=t0 + timedelta(seconds=30)).failed == 1  # the third of three
    job = _job(app, job_id)
    assert (job.state, job.attempts, job.last_error) == ("failed", 3, "RuntimeError: boom 7")
    assert job.finished_at == t0 + timedelta(seconds=30)
    assert GAVE_UP == [({"n": 7}, "RuntimeError: boom 7")]
    with app.app_context():
        assert jobs.run_pending(now=t0 + timedelta(days=1)).total == 0  # failed stays failed
    assert len(RAN) == 3
    app.extensions["db_engine"].dispose()


def test_backoff_is_capped(tmp_path, migrated_sqlite):
    app = make_app(tmp_path / "i", migrated_sqlite, JOBS_BACKOFF_SECONDS=30, JOBS_BACKOFF_MAX_SECONDS=100)
    with app.app_context():
        assert [jobs.backoff(n).total_seconds() for n in (1, 2, 3, 4, 9)] == [30, 60, 100, 100, 100]
    app.extensions["db_engine"].dispose()


def test_an_expired_lease_is_claimed_again_and_the_late_result_dropped(app):
    job_id = _enqueue(app, "test.record", {"n": 1})
    with app.app_context():
        factory = app.extensions["db_sessionmaker"]
        with factory() as a:
            first = jobs.claim(a, "host-a:1", lease_seconds=60)
            assert first is not None and first.id == job_id
            assert (first.state, first.attempts, first.locked_by) == ("running", 1, "host-a:1")
            lease_until = first.lease_until
            assert lease_until is not None
        with factory() as b:
            assert jobs.claim(b, "host-b:2") is None  # held by host a
            # host a died: once its lease has passed, host b takes the job over
            again = jobs.claim(b, "host-b:2", now=lease_until + timedelta(seconds=1))
            assert again is not None and again.id == job_id
            assert (again.attempts, again.locked_by) == (2, "host-b:2")
        with factory() as a:  # host a was only slow: its late result is not kept
            assert jobs.run_one(a, a.get(Job, job_id), "host-a:1") == "lost"
        with factory() as b:
            job = b.get(Job, job_id)
            assert (job.state, job.locked_by) == ("running", "host-b:2")
            assert jobs.run_one(b, job, "host-b:2") == "done"
    assert _job(app, job_id).state == "done"


def test_a_job_abandoned_on_its_last_attempt_is_failed(app):
    job_id = _enqueue(app, "test.boom", {"n": 1}, max_attempts=1)
    with app.app_context():
        factory = app.extensions["db_sessionmaker"]
        with factory() as a:
            claimed = jobs.claim(a, "host-a:1", lease_seconds=60)
            assert claimed is not None
            lease_until = claimed.lease_until
        with factory() as b:
            assert jobs.claim(b, "host-b:2", now=lease_until + timedelta(seconds=1)) is None
    job = _job(app, job_id)
    assert job.state == "failed" and "租约过期" in job.last_error
    assert GAVE_UP and GAVE_UP[0][0] == {"n": 1}
    assert RAN == []


def test_retry_queues_a_failed_job_with_fresh_attempts(app):
    job_id = _enqueue(app, "test.boom", {"n": 1}, max_attempts=1)
    with app.app_context():
        assert jobs.run_pending().failed == 1
        assert [j.id for j in jobs.list_jobs("failed")] == [job_id]
        job = jobs.retry(job_id)
        assert (job.state, job.attempts, job.finished_at) == ("queued", 0, None)
        from library.errors import InvalidInput, NotFound

        with pytest.raises(NotFound):
            jobs.retry(job_id + 100)
        assert jobs.run_pending().failed == 1
    assert len(RAN) == 2
    done = _enqueue(app, "test.record", {"n": 9})
    with app.app_context():
        jobs.run_pending()
        with pytest.raises(InvalidInput):
            jobs.retry(done)  # only failed (or waiting) jobs


# ---------------------------------------------------------------- several processes at once

JOBS = 120


def _claimer(data_dir: str, database_url: str, log_path: str, name: str, start, done) -> None:
    """One worker process: its own app and engine, the same database; records every run it makes."""

    def record(session, payload):
        with open(log_path, "a", encoding="utf-8") as fh:  # O_APPEND: one whole line per write
            fh.write(f"{payload['n']} {name}\n")
        time.sleep(0.002)

    app = create_app({"DATA_DIR": data_dir, "SECRET_KEY": "t", "DATABASE_URL": database_url})
    jobs.register("test.concurrent", record)
    start.wait(30)
    with app.app_context():
        report = jobs.run_pending(worker=name)
    done.put((name, report.done, report.total))
    app.extensions["db_engine"].dispose()


def _claim_concurrently(app, tmp_path: Path) -> None:
    with app.app_context():
        session = get_session()
        jobs.register("test.concurrent", _record)
        for n in range(JOBS):
            jobs.enqueue(session, "test.concurrent", {"n": n})
        session.commit()
    log_path = tmp_path / "runs.log"
    ctx = multiprocessing.get_context("spawn")
    start, done = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=_claimer, args=(app.config["DATA_DIR"], app.config["DATABASE_URL"], str(log_path),
                                                f"worker-{i}", start, done)) for i in range(3)]
    for p in procs:
        p.start()
    time.sleep(2)  # let every process build its app before they race
    start.set()
    results = [done.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(30)
        assert p.exitcode == 0
    runs = Counter(line.split()[0] for line in log_path.read_text().splitlines())
    assert sorted(int(n) for n in runs) == list(range(JOBS))  # every job ran …
    assert set(runs.values()) == {1}  # … exactly once
    assert sum(r[1] for r in results) == JOBS
    assert sum(1 for r in results if r[1]) >= 2, results  # they really shared the queue
    with app.app_context():
        assert jobs.counts() == {"done": JOBS}


def test_processes_claiming_at_once_never_run_a_job_twice_on_sqlite(app, tmp_path):
    _claim_concurrently(app, tmp_path)


@pytest.mark.postgres
def test_processes_claiming_at_once_never_run_a_job_twice_on_postgres(tmp_path, pg_url):
    app = make_app(tmp_path / "i", DATABASE_URL=pg_url)
    _claim_concurrently(app, tmp_path)
    app.extensions["db_engine"].dispose()
