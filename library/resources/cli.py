"""Resource commands: flask import, flask storage-check, flask rebuild-derived."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from library.accounts import service as accounts
from library.errors import DomainError
from library.resources import importer
from library.search import indexing


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
        raise click.ClickException(exc.message) from None
    for line, resource_id, title in report.imported:
        click.echo(f"imported  line {line}: #{resource_id} {title}")
    for line, title, reason in report.refused:
        click.echo(f"refused   line {line}: {title or '(no title)'}: {reason}")
    click.echo(f"{len(report.imported)} imported, {len(report.refused)} refused")
    if report.refused and not report.imported:
        sys.exit(1)


@click.command("storage-check")
@click.option("--delete-orphans", is_flag=True, help="Delete objects no row refers to (older than the grace period).")
@click.option("--grace-hours", default=24.0, show_default=True, help="Leave younger unreferenced objects alone.")
@with_appcontext
def storage_check(delete_orphans: bool, grace_hours: float) -> None:
    """Report file rows whose object is missing and stored objects no row refers to."""
    from datetime import timedelta

    from library.resources import integrity

    report = integrity.check_storage(grace=timedelta(hours=grace_hours), delete_orphans=delete_orphans)
    for file_id, key in report.missing:
        click.echo(f"missing object: file {file_id} → {key}")
    for key in report.orphans:
        click.echo(f"{'deleted' if key in report.deleted else 'orphan'}: {key}")
    if report.recent_orphans:
        click.echo(f"younger than {grace_hours:g} h, left alone: {len(report.recent_orphans)}")
    for key in report.incomplete_uploads:
        state = "aborted" if key in report.aborted_uploads else "left alone (younger than the grace)"
        click.echo(f"incomplete multipart upload: {key} ({state})")
    for file_id, key, job_id, error in report.stuck_staged:
        why = f"move job {job_id} failed: {error}" if job_id else "its move job has not run yet"
        click.echo(f"staged for over {grace_hours:g} h: file {file_id} → {key} ({why})")
    for key in report.staged_leftovers:
        click.echo(f"{'deleted' if key in report.deleted_staged else 'leftover'} staged copy: {key}")
    click.echo(f"missing: {len(report.missing)}, orphans: {len(report.orphans)}, deleted: {len(report.deleted)}")
    if report.stuck_staged:
        click.echo(f"staged, not moved to the bucket: {len(report.stuck_staged)}")
    if report.incomplete_uploads:
        click.echo(f"incomplete multipart uploads: {len(report.incomplete_uploads)}, "
                   f"aborted: {len(report.aborted_uploads)}")
    if report.missing or any(job_id for _, _, job_id, _ in report.stuck_staged):
        sys.exit(1)


@click.command("rebuild-derived")
@click.option("--inline", is_flag=True, help="Derive here and now (then reindex) instead of queueing jobs.")
@with_appcontext
def rebuild_derived(inline: bool) -> None:
    """Derive thumbnails, posters and text again from every stored original: queue one derive job
    per file for `flask worker` (the default), or derive them all in this process with --inline."""
    from library.resources import derived

    if not inline:
        queued = derived.enqueue_all()
        click.echo(f"queued {queued} derive jobs; `flask worker` runs them (`flask jobs list` shows progress)")
        return
    done, failed = derived.rederive_all()
    click.echo(f"derived {done} files, {failed} failed (see derive_error)")
    indexing.rebuild()


COMMANDS = (import_cmd, storage_check, rebuild_derived)
