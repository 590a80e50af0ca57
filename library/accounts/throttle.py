"""The sign-in throttle: at most MAX_FAILURES_PER_ACCOUNT guesses per account (and
MAX_FAILURES_PER_ADDRESS per address) are checked in SIGN_IN_WINDOW, even when they arrive at once.

An attempt is admitted or refused in one short transaction that is serialized across every
process: on PostgreSQL under a transaction-scoped advisory lock, on SQLite by writing the attempt
first (the database's single write lock is then held until the commit, and the count that follows
sees every attempt committed before). The attempt is committed as `pending` before its password is
checked, and pending attempts count like failures, so a burst of parallel guesses sees each other;
a success frees its place (`success`), a wrong password keeps it (`failure`)."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, func, select, text, update

from library.accounts.models import SignInAttempt
from library.db import utcnow

SIGN_IN_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_ADDRESS = 30

# pg_advisory_xact_lock key of the decision (any constant the app uses for nothing else).
_LOCK_KEY = 0x5349474E  # "SIGN"
_COUNTING = ("pending", "failure")
# Attempts are kept a day (the audit log keeps the history), pruned now and then by an admission.
_KEEP = timedelta(days=1)
_PRUNE_EVERY = 100


def admit(account: str, address: str) -> int | None:
    """Record an attempt and decide: its id when its password may be checked, None when refused."""
    account, address = account[:64], (address or "")[:64]
    with current_app.extensions["db_sessionmaker"]() as session:
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
        attempt = SignInAttempt(account=account, ip=address, created_at=utcnow())
        session.add(attempt)
        session.flush()  # SQLite: from here to the commit this transaction holds the write lock
        since = attempt.created_at - SIGN_IN_WINDOW
        counted = (SignInAttempt.outcome.in_(_COUNTING), SignInAttempt.created_at >= since,
                   SignInAttempt.id != attempt.id)
        by_account = session.scalar(select(func.count(SignInAttempt.id)).where(
            SignInAttempt.account == account, *counted)) or 0
        by_address = session.scalar(select(func.count(SignInAttempt.id)).where(
            SignInAttempt.ip == address, *counted)) or 0
        admitted = by_account < MAX_FAILURES_PER_ACCOUNT and by_address < MAX_FAILURES_PER_ADDRESS
        if not admitted:
            attempt.outcome = "throttled"
        if attempt.id % _PRUNE_EVERY == 0:
            session.execute(delete(SignInAttempt).where(SignInAttempt.created_at < attempt.created_at - _KEEP))
        attempt_id = attempt.id
        session.commit()
    return attempt_id if admitted else None


def settle(attempt_id: int, outcome: str) -> None:
    """What became of an admitted attempt: `success` (no longer counted) or `failure`."""
    with current_app.extensions["db_sessionmaker"]() as session:
        session.execute(update(SignInAttempt).where(SignInAttempt.id == attempt_id).values(outcome=outcome))
        session.commit()
