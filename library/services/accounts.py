"""Accounts, passwords and API tokens."""

from __future__ import annotations

import hashlib
import secrets

from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from library.db import get_session
from library.models import ApiToken, User
from library.models.base import utcnow
from library.models.user import SITE_ROLES
from library.services.errors import Conflict, InvalidInput, NotFound

MIN_PASSWORD = 8


def create_user(username: str, role: str, password: str | None = None, display_name: str = "") -> User:
    """Create an account; without a password it can only use API tokens until one is set."""
    username = username.strip()
    if not username or len(username) > 64:
        raise InvalidInput(_("用户名不能为空，最长 64 个字符"), fields={"username": "required"})
    if role not in SITE_ROLES:
        raise InvalidInput(_("角色只能是 %(roles)s", roles=', '.join(SITE_ROLES)), fields={"role": role})
    if password is not None and len(password) < MIN_PASSWORD:
        raise InvalidInput(_("密码至少 %(n)s 位", n=MIN_PASSWORD), fields={"password": "too short"})
    session = get_session()
    if session.scalar(select(User).where(User.username == username)):
        raise Conflict(_("用户名 %(username)s 已存在", username=username))
    user = User(username=username, role=role, display_name=display_name.strip())
    if password:
        user.password_hash = generate_password_hash(password)
    session.add(user)
    session.commit()
    return user


def get_user(username: str) -> User:
    """The account with this username."""
    user = get_session().scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(_("没有用户 %(username)s", username=username))
    return user


def authenticate(username: str, password: str) -> User | None:
    """The active user whose password matches, else None."""
    user = get_session().scalar(select(User).where(User.username == username.strip()))
    if user is None or not user.active or not user.password_hash:
        # Spend the same time as a real check so usernames cannot be probed by timing.
        check_password_hash(_DUMMY_HASH, password)
        return None
    return user if check_password_hash(user.password_hash, password) else None


_DUMMY_HASH = generate_password_hash("not a password")


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(user: User, name: str = "") -> str:
    """Create an API token and return it; only its hash is kept."""
    token = "sl_" + secrets.token_urlsafe(32)
    session = get_session()
    session.add(ApiToken(user_id=user.id, token_hash=_token_hash(token), name=name))
    session.commit()
    return token


def user_for_token(token: str) -> User | None:
    """The active user owning an unrevoked token."""
    session = get_session()
    row = session.scalar(
        select(ApiToken).where(ApiToken.token_hash == _token_hash(token), ApiToken.revoked_at.is_(None))
    )
    if row is None or not row.user.active:
        return None
    row.last_used_at = utcnow()
    session.commit()
    return row.user
