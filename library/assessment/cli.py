"""flask assessment export YEAR --out FILE.xlsx|FILE.csv."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from library.assessment import exports, indicators, scores
from library.errors import DomainError
from library.assessment.schemas import YearPath
from library.validation import parse

assessment_cli = AppGroup("assessment", help="The annual assessment (考核).")


@assessment_cli.command("export")
@click.argument("year")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write: FILE.xlsx, or FILE.csv for the long CSV.")
@click.option("--codes", is_flag=True, help="CSV for programs: the codes and a second header row of field names.")
def assessment_export(year: str, out: Path, codes: bool) -> None:
    """Write the year's assessment workbook (汇总 + one sheet per studio with the evidence)."""
    try:
        number = parse(YearPath, {"year": year}).year
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    rows = scores.evaluate(number)
    if out.suffix.lower() == ".csv":
        out.write_text(exports.export_csv(number, rows, codes=codes), encoding="utf-8")
    else:
        out.write_bytes(exports.export_xlsx(number, rows))
    click.echo(f"wrote {out} ({len(rows)} studios, {len(indicators.indicators())} indicators)")


COMMANDS = (assessment_cli,)
