"""flask loans sweep: expiry and due notices (the worker also runs it every few minutes)."""

from __future__ import annotations

import logging

import click
from flask import g
from flask.cli import AppGroup

from library.lending import loans

log = logging.getLogger(__name__)


SWEEP_EVERY_SECONDS = 300


loans_cli = AppGroup("loans", help="Loans of lendable outputs.")


def sweep_once() -> dict[str, int]:
    """Record expired loans, send due/expired notices, end past agreements; a fresh session each time."""

    try:
        return loans.sweep()
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


COMMANDS = (loans_cli,)
