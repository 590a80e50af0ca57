"""flask textbooks guess: fill the textbook positions of existing resources from their titles."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from library.textbooks import positions
from library.textbooks import service as textbooks

textbook_cli = AppGroup("textbooks", help="Textbook positions (版本、年级、册次、单元、课).")


@textbook_cli.command("guess")
@click.option("--apply", is_flag=True, help="Write the guesses (marked as guessed until an edit confirms them).")
def textbooks_guess(apply: bool) -> None:
    """Read the textbook position of every resource without one from its title; without --apply,
    only show what would be written."""
    report = textbooks.guess_missing(apply=apply)
    names = textbooks.edition_names()
    for rid, title, found in report.guessed:
        place = " ".join(p for p in (
            names.get(found.edition or "", found.edition or ""),
            f"{positions.grade_label(found.grade) if found.grade else ''}"
            f"{positions.volume_label(found.volume) if found.volume else ''}",
            positions.unit_label(found.unit_number, found.unit_title),
            f"《{found.lesson}》" if found.lesson else "") if p)  # fmt: skip
        click.echo(f"{rid}\t{title}\t→ {place}")
    verb = "written" if apply else "would be written (run again with --apply)"
    click.echo(f"{len(report.guessed)} of {report.looked_at} resources without a position: {verb}")


COMMANDS = [textbook_cli]
