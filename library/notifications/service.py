"""In-app notifications: loan requests, decisions, due dates, expiry and feedback; outputs returned
to or published for their authors."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, select, update

from library.accounts.models import User
from library.db import get_session, is_row_id, on_commit, utcnow
from library.notifications import mail
from library.notifications.models import Notification

KINDS = ("agreement.created", "loan.requested", "loan.approved", "loan.declined", "loan.due", "loan.expired",
         "loan.feedback", "resource.returned", "resource.published")


def notify(users: Iterable[User], kind: str, subject_type: str, subject_id: int | None, text: str,
           link: str = "", now: datetime | None = None) -> list[Notification]:
    """Add a notification for each user to the current unit of work (kept only if it commits); for users
    with an address, when mail is on, it is also an e-mail waiting to be sent (mail.after_commit, run once the notices are committed)."""
    session = get_session()
    mailing = mail.enabled()
    rows = []
    for user in {u.id: u for u in users if u is not None}.values():
        # An e-mail copy goes into the outbox only for a user with an address; the rest are never retried.
        row = Notification(user_id=user.id, kind=kind, subject_type=subject_type, subject_id=subject_id,
                           text=text, link=link[:300], created_at=now or utcnow(),
                           email_status="pending" if mailing and user.email and user.active else None)
        session.add(row)
        rows.append(row)
    if any(row.email_status == "pending" for row in rows):
        on_commit(session, "mail", lambda: mail.after_commit(now))
    return rows


def unread_count(user: User | None) -> int:
    """Unread notifications, for the badge in the header."""
    if user is None:
        return 0
    return get_session().scalar(select(func.count(Notification.id)).where(
        Notification.user_id == user.id, Notification.read_at.is_(None))) or 0


def list_for(user: User, limit: int = 100) -> list[Notification]:
    """The user's notifications, newest first."""
    return list(get_session().scalars(select(Notification).where(Notification.user_id == user.id)
                                      .order_by(Notification.created_at.desc(), Notification.id.desc())
                                      .limit(limit)))


def mark_read(user: User, ids: Iterable[int] | None = None, now: datetime | None = None) -> int:
    """Mark some (or, with ids None, all) of the user's notifications read; returns how many changed."""
    stmt = update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    if ids is not None:
        wanted = [i for i in ids if is_row_id(i)]
        if not wanted:
            return 0
        stmt = stmt.where(Notification.id.in_(wanted))
    session = get_session()
    changed = session.execute(stmt.values(read_at=now or utcnow())).rowcount  # type: ignore[attr-defined]  # an UPDATE gives a CursorResult
    session.commit()
    return changed or 0
