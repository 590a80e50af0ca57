"""flask usage recount."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from library.stats import usage

usage_cli = AppGroup("usage", help="Views and downloads.")


@usage_cli.command("recount")
def usage_recount() -> None:
    """Apply the counting rule again to every stored view and download event."""
    totals = usage.recount()
    click.echo(f"counted {totals['view']} views and {totals['download']} downloads")


COMMANDS = (usage_cli,)
