"""Sign-in sessions kept on the server, so that signing out really ends one.

Signing in makes a random token: Flask-Login keeps it in the (signed) session cookie and, with
"remember me", in its remember cookie; the server keeps only its SHA-256 in `sign_in_sessions`.
Each request looks the row up (a read: a database that refuses writes still serves signed-in
pages); a token whose row is ended or expired is an anonymous visitor. Ending: signing out (this
one), a password change (every other one of the user), an admin setting the password or turning
the account off (all of the user's)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import delete, select, update

from library.accounts.models import SignInSession, User
from library.db import get_session, utcnow

# The tokens of these sessions start so; anything else in a cookie (an older sign-in) is refused.
PREFIX = "s1."

# Ended and expired rows are kept this long (to tell an ended session from a forged one in the
# logs), then deleted when someone signs in.
KEEP_ENDED = timedelta(days=7)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(user: User, *, lifetime: timedelta, remember: bool = False, address: str = "") -> str:
    """A new sign-in session of the user (in the caller's transaction); returns its token, which
    the user is bound to (User.get_id)."""
    token = PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    session = get_session()
    session.execute(delete(SignInSession).where(
        SignInSession.expires_at < now - KEEP_ENDED).execution_options(synchronize_session=False))
    session.execute(delete(SignInSession).where(
        SignInSession.ended_at < now - KEEP_ENDED).execution_options(synchronize_session=False))
    session.add(SignInSession(user_id=user.id, token_hash=_hash(token), remember=remember,
                              ip=address[:64], created_at=now, expires_at=now + lifetime))
    user.bind_sign_in(token)
    return token


def resume(token: str) -> User | None:
    """The active user of a session that still holds (not ended, not expired), bound to it; None
    otherwise. Reads only."""
    if not token.startswith(PREFIX):
        return None
    row = get_session().scalar(select(SignInSession).where(SignInSession.token_hash == _hash(token)))
    if row is None or row.ended_at is not None or row.expires_at <= utcnow():
        return None
    user = get_session().get(User, row.user_id)
    if user is None or not user.active:
        return None
    user.bind_sign_in(token)
    return user


def end(token: str, reason: str = "logout") -> None:
    """End one session (in the caller's transaction); unknown or ended tokens are left alone."""
    get_session().execute(
        update(SignInSession)
        .where(SignInSession.token_hash == _hash(token), SignInSession.ended_at.is_(None))
        .values(ended_at=utcnow(), end_reason=reason[:16])
        .execution_options(synchronize_session=False)
    )


def end_all(user: User, reason: str, *, keep: str | None = None) -> None:
    """End every session of the user but `keep` (a token), in the caller's transaction."""
    stmt = update(SignInSession).where(SignInSession.user_id == user.id, SignInSession.ended_at.is_(None))
    if keep:
        stmt = stmt.where(SignInSession.token_hash != _hash(keep))
    get_session().execute(stmt.values(ended_at=utcnow(), end_reason=reason[:16])
                          .execution_options(synchronize_session=False))


def active_count(user: User) -> int:
    """How many of the user's sessions still hold (the account page could show it; tests read it)."""
    rows = get_session().scalars(select(SignInSession.id).where(
        SignInSession.user_id == user.id, SignInSession.ended_at.is_(None),
        SignInSession.expires_at > utcnow()))
    return len(list(rows))
