"""Search index commands: flask reindex, flask index-check."""

from __future__ import annotations

import os
import sys
import time

import click
from flask.cli import with_appcontext

from library.search import indexing


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


@click.command("index-check")
@with_appcontext
def index_check() -> None:
    """Report a damaged index, resources missing from the index and index entries with no row."""
    damage = indexing.check_health()
    for problem in damage:
        click.echo(f"damaged: {problem}")
    if damage:
        click.echo("the index is damaged; `flask worker` (or the next change) rebuilds it, or run `flask reindex`")
    missing, orphans = indexing.check()
    click.echo(f"missing from index: {missing or 'none'}")
    click.echo(f"index entries without a row: {orphans or 'none'}")
    if damage or missing or orphans:
        sys.exit(1)


COMMANDS = (reindex, index_check)
