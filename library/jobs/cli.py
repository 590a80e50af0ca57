"""Job commands: flask jobs list [--failed], flask jobs retry ID (`flask worker` runs them)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from library.errors import DomainError
from library.jobs import service as jobs


@click.group("jobs")
def jobs_group() -> None:
    """The background job queue (derivation of uploaded files)."""


@jobs_group.command("list")
@click.option("--failed", is_flag=True, help="Only the failed jobs, with their reason.")
@click.option("--state", type=click.Choice(["queued", "running", "done", "failed"]), help="Only jobs in this state.")
@click.option("--limit", default=100, show_default=True)
@with_appcontext
def list_cmd(failed: bool, state: str | None, limit: int) -> None:
    """The latest jobs, newest first."""
    rows = jobs.list_jobs("failed" if failed else state, limit=limit)
    for job in rows:
        when = (job.finished_at or job.run_after).strftime("%Y-%m-%d %H:%M:%S")
        line = f"{job.id:>6}  {job.state:<7}  {job.kind:<10}  {job.attempts}/{job.max_attempts}  {when}  {job.payload}"
        if job.last_error and job.state != "done":
            line += f"\n        {job.last_error}"
        click.echo(line)
    counts = jobs.counts()
    click.echo(", ".join(f"{state}: {counts.get(state, 0)}" for state in ("queued", "running", "done", "failed")))


@jobs_group.command("retry")
@click.argument("job_id", type=int)
@with_appcontext
def retry_cmd(job_id: int) -> None:
    """Queue a failed job again (`flask worker` runs it)."""
    try:
        job = jobs.retry(job_id)
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"job {job.id} ({job.kind}) queued again")


COMMANDS = (jobs_group,)
