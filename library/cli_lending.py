"""Lending commands: `flask loans sweep` (also run by `flask worker` every few minutes) and
`flask mail send-pending` (for cron; the worker and, in the embedded default, the web process mail
notices themselves)."""

from __future__ import annotations

import logging

import click
from flask import Flask, g
from flask.cli import AppGroup

log = logging.getLogger(__name__)

SWEEP_EVERY_SECONDS = 300

loans_cli = AppGroup("loans", help="Loans of lendable outputs.")


def sweep_once() -> dict[str, int]:
    """Record expired loans, send due/expired notices, end past agreements; a fresh session each time."""
    from library.services import lending

    try:
        return lending.sweep()
    finally:
        session = g.pop("db_session", None)
        if session is not None:
            session.close()


def sweep_in_worker() -> None:
    """The worker's periodic sweep: a failure is logged and retried next time, never fatal."""
    try:
        counts = sweep_once()
        if any(counts.values()):
            log.info("loan sweep: %s", counts)
    except Exception:  # noqa: BLE001 - the indexer must keep running
        log.exception("loan sweep failed; it will run again")


@loans_cli.command("sweep")
def sweep_cmd() -> None:
    """Mark loans past their due date expired and send the due-in-3-days and expired notices."""
    counts = sweep_once()
    click.echo(f"expired {counts['expired']} loans, sent {counts['due_notices']} due notices, "
               f"ended {counts['agreements_ended']} agreements")


mail_cli = AppGroup("mail", help="E-mail copies of notifications.")


@mail_cli.command("send-pending")
def send_pending_cmd() -> None:
    """Mail the notices still waiting (e.g. the SMTP server was down); exit 1 if it cannot be reached."""
    from library.services import mail

    if not mail.enabled():
        raise click.ClickException("e-mail is off: set LIBRARY_SMTP_URL (and LIBRARY_BASE_URL) to send notices")
    report = mail.send_pending()
    click.echo(f"sent {report.sent}, refused {report.refused}, given up {report.expired}, "
               f"still pending {report.pending}")
    if report.error:
        raise click.ClickException(f"the SMTP server could not be used: {report.error}")


def init_app(app: Flask) -> None:
    """Register the commands."""
    app.cli.add_command(loans_cli)
    app.cli.add_command(mail_cli)
