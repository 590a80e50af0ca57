"""Command line: the app's own commands (init-db, worker, demo) and every domain's (`COMMANDS` in
library/<domain>/cli.py): flask --app wsgi init-db | users | studios | schools | tokens | import |
reindex | index-check | storage-check | rebuild-derived | worker | jobs | loans | mail | assessment | usage |
demo."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import click
from alembic import command
from alembic.config import Config
from flask import Flask
from flask.cli import with_appcontext

from library.db import get_engine
from library.demo import data as demo
from library.jobs import service as jobs
from library.lending import cli as lending_cli
from library.search import indexing
from library.studios import service as studios
from library.textbooks import service as textbooks

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config() -> Config:
    """Alembic configuration pointing at the packaged migrations."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def upgrade_database() -> None:
    """Run every migration not yet applied, then seed the vocabularies."""
    cfg = alembic_config()
    with get_engine().begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")
    studios.seed_vocabularies()
    textbooks.seed_editions()
    from library.assessment.indicators import seed_indicators

    seed_indicators()


@click.command("init-db")
@with_appcontext
def init_db() -> None:
    """Create or upgrade the database schema and seed the vocabularies."""
    upgrade_database()
    click.echo(f"database ready: {get_engine().url.render_as_string(hide_password=True)}")


# Jobs run per poll of the worker loop, so a long queue does not hold back the index, mail and sweeps.
JOBS_PER_POLL = 20


def run_worker_once(job_limit: int | None = None) -> tuple[jobs.RunReport, int | None]:
    """One pass of the worker: due jobs (all of them without a limit), then the change log into the
    search index (so text just derived is searchable), loans swept when due, pending mail.
    `flask worker --once` and the tests' run_jobs() run exactly this."""
    from library.notifications import mail

    report = jobs.run_pending(job_limit)
    applied = indexing.sync()
    if indexing.compact_if_needed():
        applied = indexing.sync()  # what was committed while it compacted
    lending_cli.sweep_in_worker()
    mail.send_in_worker()
    return report, applied


@click.command("worker")
@with_appcontext
@click.option("--interval", default=1.0, show_default=True, help="Seconds between polls of the job queue and change log.")
@click.option("--once", is_flag=True, help="Run every pending job and change, then exit.")
def worker(interval: float, once: bool) -> None:
    """Run queued jobs (derivation of uploads) and apply the change log to the search index,
    continuously (the production worker; several may run, on several machines), rebuilding a
    damaged index and compacting its segments when they pile up; mail pending notices; every few
    minutes also sweep loans (expiry, due notices)."""
    from library.notifications import mail

    if once:
        report, applied = run_worker_once()
        click.echo(f"jobs: {report.done} done, {report.retried} to retry, {report.failed} failed; index at change {applied}")
        return
    next_sweep = 0.0
    while True:
        try:
            report = jobs.run_pending(JOBS_PER_POLL)
        except Exception:  # noqa: BLE001 - a job's failure is recorded on it; this is the queue itself failing
            log.exception("running jobs failed; trying again at the next poll")
            report = jobs.RunReport()
        applied = indexing.sync()
        if indexing.compact_if_needed():
            applied = indexing.sync()  # what was committed while it compacted
        if time.monotonic() >= next_sweep:
            lending_cli.sweep_in_worker()
            next_sweep = time.monotonic() + lending_cli.SWEEP_EVERY_SECONDS
        mail.send_in_worker()
        if report.total:
            click.echo(f"jobs: {report.done} done, {report.retried} to retry, {report.failed} failed; index at change {applied}")
        if report.total < JOBS_PER_POLL:  # a full batch means more may be due: poll again at once
            time.sleep(interval)


@click.command("demo")
@with_appcontext
def demo_cmd() -> None:
    """Load a small demo data set (idempotent)."""
    for line in demo.load_demo():
        click.echo(f"created {line}")
    click.echo("demo data ready")


def init_app(app: Flask) -> None:
    """Register the app's commands and every domain's."""
    from library.accounts import cli as accounts_cli
    from library.assessment import cli as assessment_cli
    from library.jobs import cli as jobs_cli
    from library.notifications import cli as notifications_cli
    from library.resources import cli as resources_cli
    from library.search import cli as search_cli
    from library.stats import cli as stats_cli
    from library.studios import cli as studios_cli
    from library.textbooks import cli as textbooks_cli

    domains = (accounts_cli, studios_cli, resources_cli, search_cli, lending_cli, notifications_cli,
               assessment_cli, stats_cli, jobs_cli, textbooks_cli)
    for cmd in (init_db, worker, demo_cmd, *(c for domain in domains for c in domain.COMMANDS)):
        app.cli.add_command(cmd)
