"""flask mail send-pending: mail the notices still waiting (for cron when no worker runs)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

mail_cli = AppGroup("mail", help="E-mail copies of notifications.")


@mail_cli.command("send-pending")
def send_pending_cmd() -> None:
    """Mail the notices still waiting (e.g. the SMTP server was down); exit 1 if it cannot be reached."""
    from library.notifications import mail

    if not mail.enabled():
        raise click.ClickException("e-mail is off: set LIBRARY_SMTP_URL (and LIBRARY_BASE_URL) to send notices")
    report = mail.send_pending()
    click.echo(f"sent {report.sent}, refused {report.refused}, given up {report.expired}, "
               f"still pending {report.pending}")
    if report.error:
        raise click.ClickException(f"the SMTP server could not be used: {report.error}")


COMMANDS = (mail_cli,)
