"""Commands for statistics: flask assessment export YEAR --out FILE.xlsx | flask usage recount."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

from library.services import assessment, stats, usage
from library.services.errors import DomainError

assessment_cli = AppGroup("assessment", help="The annual assessment (考核).")
usage_cli = AppGroup("usage", help="Views and downloads.")


@assessment_cli.command("export")
@click.argument("year")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write: FILE.xlsx, or FILE.csv for the long CSV.")
def assessment_export(year: str, out: Path) -> None:
    """Write the year's assessment workbook (Summary + one sheet per studio with the evidence)."""
    try:
        number = stats.parse_year(year)
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    rows = assessment.evaluate(number)
    if out.suffix.lower() == ".csv":
        out.write_text(assessment.export_csv(number, rows), encoding="utf-8")
    else:
        out.write_bytes(assessment.export_xlsx(number, rows))
    click.echo(f"wrote {out} ({len(rows)} studios, {len(assessment.indicators())} indicators)")


@usage_cli.command("recount")
def usage_recount() -> None:
    """Apply the counting rule again to every stored view and download event."""
    totals = usage.recount()
    click.echo(f"counted {totals['view']} views and {totals['download']} downloads")


def init_app(app: Flask) -> None:
    """Register the commands."""
    app.cli.add_command(assessment_cli)
    app.cli.add_command(usage_cli)
