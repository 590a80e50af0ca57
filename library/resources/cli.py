"""Resource commands: flask import, flask storage-check, flask rebuild-derived."""

from __future__ import annotations

import os
import sys
import time
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
@click.option("--dry-run", is_flag=True, help="Check every row (schema, codes, permission, files) and write nothing.")
@click.option("--verbose", "-v", is_flag=True, help="Also list every imported row.")
@click.option("--batch-size", default=importer.BATCH_SIZE, show_default=True, type=click.IntRange(1, 5000),
              help="Rows written per transaction (and per search-index commit).")
def import_cmd(manifest: Path, username: str, dry_run: bool, verbose: bool, batch_size: int) -> None:
    """Import resources from a CSV or XLSX manifest (file paths relative to it).

    Refused rows (line, title, reason) and a final table go to standard output; a progress bar
    goes to standard error when it is a terminal. Exit status 0 only when every row was imported
    (with --dry-run: would be), 1 when any row was refused."""
    started = time.monotonic()
    total = importer.count_rows(manifest)
    bar = _ProgressBar(total) if total and sys.stderr.isatty() else None
    # A large manifest with a core to spare: the index is written beside the rows (indexing.bulk).
    background = not dry_run and (total or 0) > 2 * batch_size and (os.cpu_count() or 1) > 1

    def on_row(outcome: importer.RowOutcome) -> None:
        if verbose and not outcome.refused:
            what = "would import" if dry_run else "imported"
            shown = f"#{outcome.resource_id} " if outcome.resource_id is not None else ""
            click.echo(f"{what:<9} line {outcome.line}: {shown}{outcome.title}")

    try:
        actor = accounts.get_user(username)
        report = importer.import_manifest(manifest, actor, dry_run=dry_run, batch_size=batch_size, on_row=on_row,
                                          on_progress=bar.advance if bar else None, background_index=background,
                                          expected_rows=0 if dry_run else total or 0)
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    finally:
        if bar is not None:
            bar.close()
    _print_report(report, time.monotonic() - started)
    if not report.complete:
        sys.exit(1)


class _ProgressBar:
    """Rows done, rate and time left on standard error (a terminal only)."""

    def __init__(self, total: int) -> None:
        self.started = time.monotonic()
        self.done = 0
        self.bar = click.progressbar(length=total, label="importing", file=sys.stderr, show_pos=True,
                                     show_eta=True, item_show_func=lambda rate: rate)
        self.bar.__enter__()

    def advance(self, rows: int) -> None:
        self.done += rows
        elapsed = max(time.monotonic() - self.started, 1e-6)
        self.bar.update(rows, f"{self.done / elapsed:,.0f} rows/s")

    def close(self) -> None:
        self.bar.__exit__(None, None, None)


def _print_report(report: importer.ImportReport, seconds: float) -> None:
    for line, title, reason in report.refused:
        click.echo(f"refused   line {line}: {title or '(no title)'}: {reason}")
    if report.error:
        click.echo(f"stopped: {report.error}")
    done = "would import" if report.dry_run else "imported"
    rate = report.rows / seconds if seconds > 0 else 0.0
    click.echo("")
    # Indented: only the refused rows' own lines start with "refused".
    click.echo(f"  {'rows':<13}{'count':>9}")
    click.echo(f"  {done:<13}{report.imported:>9,}")
    click.echo(f"  {'refused':<13}{len(report.refused):>9,}")
    click.echo(f"  {'total':<13}{report.rows:>9,}")
    summary = f"{report.imported} {'would be imported' if report.dry_run else 'imported'}, {len(report.refused)} refused"
    tail = " (dry run: nothing written)" if report.dry_run else ""
    click.echo(f"{summary} in {seconds:.1f} s, {rate:,.0f} rows/s{tail}")


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
