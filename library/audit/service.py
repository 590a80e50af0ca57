"""The audit log: sign-ins, permission refusals, publishing and deletions."""

from __future__ import annotations

from contextvars import ContextVar
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select

from library.accounts.models import User
from library.audit import actions
from library.audit.models import AuditEntry
from library.db import get_session, utcnow

PAGE = 50


# Where the work being audited comes from: the web layer sets the visitor's address for each request
# (library.web.visitor); commands run as "cli".
_origin: ContextVar[str] = ContextVar("audit_origin", default="cli")


def set_origin(address: str | None) -> None:
    """Name where the current work comes from (a visitor's address), for the entries it records."""
    _origin.set((address or "")[:64])


def origin() -> str:
    """Where the current work comes from: the visitor's address, or "cli"."""
    return _origin.get()


def entry(action: str, actor: User | None = None, target_type: str = "", target_id: object = "",
          **detail) -> AuditEntry:
    """A new audit entry (not yet added to any session); its action must be one the log can name."""
    if not actions.is_known(action):
        raise ValueError(f"unknown audit action {action!r}: add it with its label to library/audit/actions.py")
    return AuditEntry(
        action=action,
        actor_id=actor.id if actor is not None else None,
        actor_name=actor.username if actor is not None else str(detail.pop("username", ""))[:64],
        target_type=target_type,
        target_id=str(target_id)[:64],
        detail=detail,
        ip=origin(),
    )


def record(action: str, actor: User | None = None, target_type: str = "", target_id: object = "",
           **detail) -> None:
    """Add an entry to the current unit of work: it is kept only if that work commits."""
    get_session().add(entry(action, actor, target_type, target_id, **detail))


def record_now(action: str, actor: User | None = None, target_type: str = "", target_id: object = "",
               **detail) -> None:
    """Write an entry in its own transaction (refusals and failed sign-ins, whose request rolls back)."""
    with current_app.extensions["db_sessionmaker"]() as session:
        actor_obj = session.get(User, actor.id) if actor is not None else None
        session.add(entry(action, actor_obj, target_type, target_id, **detail))
        session.commit()


def recent_count(action: str, *, since: timedelta, target_id: str | None = None, ip: str | None = None) -> int:
    """How many entries of an action happened lately, for one target or from one address."""
    stmt = select(func.count(AuditEntry.id)).where(
        AuditEntry.action == action, AuditEntry.created_at >= utcnow() - since
    )
    if target_id is not None:
        stmt = stmt.where(AuditEntry.target_id == target_id[:64])
    if ip is not None:
        stmt = stmt.where(AuditEntry.ip == ip[:64])
    return get_session().scalar(stmt) or 0


def list_entries(page: int = 1, action: str | None = None) -> tuple[list[AuditEntry], int]:
    """Newest entries first, with the total, optionally of one action."""
    session = get_session()
    stmt = select(AuditEntry)
    count = select(func.count(AuditEntry.id))
    if action:
        stmt, count = stmt.where(AuditEntry.action == action), count.where(AuditEntry.action == action)
    rows = session.scalars(stmt.order_by(AuditEntry.id.desc()).offset((max(page, 1) - 1) * PAGE).limit(PAGE))
    return list(rows), session.scalar(count) or 0
