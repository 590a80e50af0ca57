"""Command line: flask --app wsgi init-db | users | studios | tokens | import | reindex | worker | demo."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import click
from alembic import command
from alembic.config import Config
from flask import Flask
from flask.cli import AppGroup, with_appcontext

from library.db import get_engine
from library.services import accounts, demo, importer, indexing, schools, studios
from library.services.errors import DomainError

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
    from library.services.assessment import seed_indicators

    seed_indicators()


def _fail(exc: DomainError) -> None:
    raise click.ClickException(exc.message)


@click.command("init-db")
@with_appcontext
def init_db() -> None:
    """Create or upgrade the database schema and seed the vocabularies."""
    upgrade_database()
    click.echo(f"database ready: {get_engine().url.render_as_string(hide_password=True)}")


users = AppGroup("users", help="Manage accounts.")


@users.command("create")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(["admin", "coordinator", "teacher", "school"]))
@click.option("--name", "display_name", default="", help="Name shown on pages.")
@click.option("--school", default=None, help="School name (required for school accounts).")
@click.option("--email", default=None, help="E-mail address; notifications are also mailed here.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def users_create(username: str, role: str, display_name: str, school: str | None, email: str | None,
                 password_stdin: bool) -> None:
    """Create an account."""
    password = sys.stdin.readline().rstrip("\n") if password_stdin else None
    try:
        user = accounts.create_user(username, role, password, display_name, school, email=email)
    except DomainError as exc:
        _fail(exc)
    click.echo(f"created user {user.username} ({user.role})")


studio_cli = AppGroup("studios", help="Manage studios.")


@studio_cli.command("create")
@click.argument("slug")
@click.option("--name", required=True)
@click.option("--subject", required=True, help="Subject code, e.g. math.")
@click.option("--stage", required=True, help="preschool | primary | junior | senior")
@click.option("--host", "host", default=None, help="Username of the host (主持人).")
def studios_create(slug: str, name: str, subject: str, stage: str, host: str | None) -> None:
    """Create a studio, optionally with its host."""
    try:
        host_user = accounts.get_user(host) if host else None
        studio = studios.create_studio(slug, name, subject, stage)
        if host_user is not None:
            studios.add_member(studio, host_user, "host")
    except DomainError as exc:
        _fail(exc)
    click.echo(f"created studio {studio.slug}")


@studio_cli.command("add-member")
@click.argument("slug")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(["host", "member", "trainee"]))
def studios_add_member(slug: str, username: str, role: str) -> None:
    """Give a user a role in a studio."""
    try:
        studios.add_member(studios.get_studio(slug), accounts.get_user(username), role)
    except DomainError as exc:
        _fail(exc)
    click.echo(f"{username} is now {role} of {slug}")


@users.command("set-password")
@click.argument("username")
def users_set_password(username: str) -> None:
    """Set a user's password, read from standard input."""
    try:
        accounts.set_password(accounts.get_user(username), sys.stdin.readline().rstrip("\n"))
    except DomainError as exc:
        _fail(exc)
    click.echo(f"password set for {username}")


@studio_cli.command("add-coordinator")
@click.argument("slug")
@click.argument("username")
def studios_add_coordinator(slug: str, username: str) -> None:
    """Make a coordinator (研训员) liaise with a studio."""
    try:
        studio = studios.get_studio(slug)
        studios.set_coordinators(studio, [*studio.coordinators, accounts.get_user(username)])
    except DomainError as exc:
        _fail(exc)
    click.echo(f"{username} now liaises with {slug}")


school_cli = AppGroup("schools", help="Manage schools.")


@school_cli.command("create")
@click.argument("name")
@click.option("--weak", is_flag=True, help="A weak school (薄弱学校) that studios help.")
@click.option("--subjects", default="", help="Subjects it needs help with: CODE,CODE.")
@click.option("--stages", default="", help="Its stages: CODE,CODE.")
def schools_create(name: str, weak: bool, subjects: str, stages: str) -> None:
    """Create a school."""
    try:
        schools.create_school(name, weak=weak, subjects=[c for c in subjects.split(",") if c],
                              stages=[c for c in stages.split(",") if c])
    except DomainError as exc:
        _fail(exc)
    click.echo(f"created school {name}")


tokens = AppGroup("tokens", help="Manage API tokens.")


@tokens.command("create")
@click.argument("username")
@click.option("--name", default="cli", help="What the token is for.")
def tokens_create(username: str, name: str) -> None:
    """Create an API token; it is printed once, as the last line."""
    try:
        token = accounts.create_token(accounts.get_user(username), name)
    except DomainError as exc:
        _fail(exc)
    click.echo("Keep this token secret; it is shown only once:", err=True)
    click.echo(token)


@click.command("import")
@with_appcontext
@click.argument("manifest", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--as", "username", default="admin", show_default=True, help="Account the imports are made as.")
def import_cmd(manifest: Path, username: str) -> None:
    """Import resources from a CSV or XLSX manifest (file paths relative to it)."""
    try:
        actor = accounts.get_user(username)
        report = importer.import_manifest(manifest, actor)
    except DomainError as exc:
        _fail(exc)
    for line, resource_id, title in report.imported:
        click.echo(f"imported  line {line}: #{resource_id} {title}")
    for line, title, reason in report.refused:
        click.echo(f"refused   line {line}: {title or '(no title)'}: {reason}")
    click.echo(f"{len(report.imported)} imported, {len(report.refused)} refused")
    if report.refused and not report.imported:
        sys.exit(1)


@click.command("reindex")
@click.option(
    "--procs",
    type=click.IntRange(1, 16),
    default=lambda: min(os.cpu_count() or 1, 4),
    show_default="the number of CPUs, at most 4",
    help="Processes that segment and write the new index.",
)
@with_appcontext
def reindex(procs: int) -> None:
    """Rebuild the search index from the database beside the live one, then swap it in."""
    started = time.monotonic()
    count = indexing.rebuild(procs=procs)
    click.echo(f"reindexed {count} resources in {time.monotonic() - started:.1f}s ({procs} processes)")


@click.command("storage-check")
@click.option("--delete-orphans", is_flag=True, help="Delete objects no row refers to (older than the grace period).")
@click.option("--grace-hours", default=24.0, show_default=True, help="Leave younger unreferenced objects alone.")
@with_appcontext
def storage_check(delete_orphans: bool, grace_hours: float) -> None:
    """Report file rows whose object is missing and stored objects no row refers to."""
    from datetime import timedelta

    from library.services import integrity

    report = integrity.check_storage(grace=timedelta(hours=grace_hours), delete_orphans=delete_orphans)
    for file_id, key in report.missing:
        click.echo(f"missing object: file {file_id} → {key}")
    for key in report.orphans:
        click.echo(f"{'deleted' if key in report.deleted else 'orphan'}: {key}")
    if report.recent_orphans:
        click.echo(f"younger than {grace_hours:g} h, left alone: {len(report.recent_orphans)}")
    click.echo(f"missing: {len(report.missing)}, orphans: {len(report.orphans)}, deleted: {len(report.deleted)}")
    if report.missing:
        sys.exit(1)


@click.command("index-check")
@with_appcontext
def index_check() -> None:
    """Report resources missing from the index and index entries with no row."""
    missing, orphans = indexing.check()
    click.echo(f"missing from index: {missing or 'none'}")
    click.echo(f"index entries without a row: {orphans or 'none'}")
    if missing or orphans:
        sys.exit(1)


@click.command("worker")
@with_appcontext
@click.option("--interval", default=1.0, show_default=True, help="Seconds between polls of the change log.")
@click.option("--once", is_flag=True, help="Apply what is pending and exit.")
def worker(interval: float, once: bool) -> None:
    """Apply the change log to the search index, continuously (the production indexer); mail pending
    notices; every few minutes also sweep loans (expiry, due notices)."""
    from library import cli_lending
    from library.services import mail

    next_sweep = 0.0
    while True:
        applied = indexing.sync()
        if time.monotonic() >= next_sweep:
            cli_lending.sweep_in_worker()
            next_sweep = time.monotonic() + cli_lending.SWEEP_EVERY_SECONDS
        mail.send_in_worker()
        if once:
            click.echo(f"index at change {applied}")
            return
        time.sleep(interval)


@click.command("rebuild-derived")
@with_appcontext
def rebuild_derived() -> None:
    """Derive thumbnails, posters and text again from every stored original, then reindex."""
    from library.services.derived import rederive_all

    done, failed = rederive_all()
    click.echo(f"derived {done} files, {failed} failed (see derive_error)")
    indexing.rebuild()


@click.command("demo")
@with_appcontext
def demo_cmd() -> None:
    """Load a small demo data set (idempotent)."""
    for line in demo.load_demo():
        click.echo(f"created {line}")
    click.echo("demo data ready")


def init_app(app: Flask) -> None:
    """Register the commands."""
    for cmd in (init_db, users, studio_cli, school_cli, tokens, import_cmd, reindex, index_check, storage_check, worker,
                rebuild_derived, demo_cmd):
        app.cli.add_command(cmd)
    from library import cli_stats

    cli_stats.init_app(app)
    from library import cli_lending

    cli_lending.init_app(app)
