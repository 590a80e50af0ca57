"""Accounts, passwords and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from library.accounts import sessions, throttle
from library.accounts.models import SITE_ROLES, ApiToken, School, User
from library.audit import service as audit
from library.db import get_session, is_row_id, utcnow
from library.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    TooManyAttempts,
    Unauthenticated,
)
from library.notifications import mail

MIN_PASSWORD = 8


def clean_email(value: str | None) -> str | None:
    """A checked e-mail address, or None for none (blank); InvalidInput says what is wrong."""
    value = (value or "").strip()
    if not value:
        return None
    if not mail.valid_address(value):
        message = _("邮箱地址格式不正确：%(value)s（应形如 name@example.cn，只含一个 @，不含空格）", value=value[:254])
        raise InvalidInput(message, fields={"email": message})
    return value


def create_user(username: str, role: str, password: str | None = None, display_name: str = "",
                school: str | None = None, actor: User | None = None, email: str | None = None) -> User:
    """Create an account; without a password it can only use API tokens until one is set.
    School accounts belong to a school (given by name)."""
    username = username.strip()
    if not username or len(username) > 64:
        raise InvalidInput(_("用户名不能为空，最长 64 个字符"), fields={"username": "required"})
    if role not in SITE_ROLES:
        raise InvalidInput(_("角色只能是 %(roles)s", roles=', '.join(SITE_ROLES)), fields={"role": role})
    if password is not None and len(password) < MIN_PASSWORD:
        raise InvalidInput(_("密码至少 %(n)s 位", n=MIN_PASSWORD), fields={"password": "too short"})
    email = clean_email(email)
    session = get_session()
    if session.scalar(select(User).where(User.username == username)):
        raise Conflict(_("用户名 %(username)s 已存在", username=username))
    school_row = None
    if school:
        school_row = session.scalar(select(School).where(School.name == school.strip()))
        if school_row is None:
            raise NotFound(_("没有学校“%(name)s”，请先创建学校", name=school))
    elif role == "school":
        raise InvalidInput(_("学校账号必须指定所属学校"), fields={"school": _("请选择学校")})
    user = User(username=username, role=role, display_name=display_name.strip(), school=school_row, email=email)
    if password:
        user.password_hash = generate_password_hash(password)
    session.add(user)
    session.flush()
    audit.record("user.create", actor, "user", user.id, username=user.username, role=role)
    session.commit()
    return user


def get_user(username: str) -> User:
    """The account with this username."""
    user = get_session().scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(_("没有用户 %(username)s", username=username))
    return user


def find_user(user_id: int | None) -> User | None:
    """The account with this id, or None (a form may name one that was just removed)."""
    return get_session().get(User, user_id) if is_row_id(user_id) else None


def list_users() -> list[User]:
    """Every account by username, for the admin's list."""
    return list(get_session().scalars(select(User).order_by(User.username)))


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
    row = ApiToken(user_id=user.id, token_hash=_token_hash(token), name=name[:100])
    session.add(row)
    session.flush()
    audit.record("token.create", user, "token", row.id, name=name[:100])
    session.commit()
    return token


TOKEN_TOUCH_INTERVAL = timedelta(minutes=1)


def user_for_token(token: str) -> User | None:
    """The active user owning an unrevoked token."""
    session = get_session()
    row = session.scalar(
        select(ApiToken).where(ApiToken.token_hash == _token_hash(token), ApiToken.revoked_at.is_(None))
    )
    if row is None or not row.user.active:
        return None
    now = utcnow()
    # "Last used" is shown to the owner to spot forgotten tokens; a minute's precision is plenty,
    # and not writing on every API call keeps SQLite's single writer free for real work.
    if row.last_used_at is None or now - row.last_used_at >= TOKEN_TOUCH_INTERVAL:
        row.last_used_at = now
        session.commit()
    return row.user


def change_password(user: User, current: str, new: str) -> None:
    """Change one's own password after proving the current one; every other sign-in session of the
    user ends (the one the user is signed in by, `user.sign_in_token`, stays)."""
    if not user.password_hash or not check_password_hash(user.password_hash, current):
        raise PermissionDenied(_("当前密码不正确"), fields={"current_password": _("当前密码不正确")})
    if len(new) < MIN_PASSWORD:
        raise InvalidInput(_("新密码至少 %(n)s 位", n=MIN_PASSWORD), fields={"new_password": _("太短")})
    user.password_hash = generate_password_hash(new)
    sessions.end_all(user, "password", keep=user.sign_in_token)
    audit.record("password.change", user, "user", user.id)
    get_session().commit()


def set_password(user: User, new: str, actor: User | None = None) -> None:
    """Set a password for someone (admins, the command line): every session of theirs ends."""
    if len(new) < MIN_PASSWORD:
        raise InvalidInput(_("新密码至少 %(n)s 位", n=MIN_PASSWORD), fields={"new_password": _("太短")})
    user.password_hash = generate_password_hash(new)
    keep = actor.sign_in_token if actor is not None and actor.id == user.id else None
    sessions.end_all(user, "password", keep=keep)
    audit.record("password.set", actor, "user", user.id, username=user.username)
    get_session().commit()


def list_tokens(user: User) -> list[ApiToken]:
    """The user's tokens, newest first (hashes only; the tokens themselves were shown once)."""
    return sorted(user.tokens, key=lambda t: t.id, reverse=True)


def revoke_token(user: User, token_id: int) -> None:
    """Revoke one of the user's own tokens (admins may revoke anyone's)."""
    row = get_session().get(ApiToken, token_id)
    if row is None or (row.user_id != user.id and user.role != "admin"):
        raise NotFound(_("没有这个令牌"))
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        audit.record("token.revoke", user, "token", row.id, owner=row.user.username)
    get_session().commit()


def set_email(user: User, email: str | None, actor: User | None = None, commit: bool = True) -> User:
    """Set or (blank) remove the address notifications are mailed to; by the user or an admin."""
    email = clean_email(email)
    if email != user.email:
        audit.record("user.email", actor or user, "user", user.id, username=user.username, present=email is not None)
        user.email = email
    if commit:
        get_session().commit()
    return user


def update_user(user: User, *, role: str, active: bool, password: str | None = None,
                actor: User | None = None, email: str | None = None) -> User:
    """An admin changes someone's role, turns the account on or off, sets a new password or (email
    not None; blank removes it) the e-mail address."""
    if role not in SITE_ROLES:
        raise InvalidInput(_("角色只能是 %(roles)s", roles=", ".join(SITE_ROLES)), fields={"role": role})
    if email is not None:
        set_email(user, email, actor, commit=False)
    if role != user.role:
        audit.record("user.role", actor, "user", user.id, username=user.username, role=role)
        user.role = role
    if active != user.active:
        audit.record("user.active", actor, "user", user.id, username=user.username, active=active)
        user.active = active
        if not active:  # turned off: signed out everywhere, and turning it on again revives nothing
            sessions.end_all(user, "disabled")
    if password:
        set_password(user, password, actor)  # validates, audits and commits
    get_session().commit()
    return user


def sign_in(username: str, password: str, address: str, *, lifetime: timedelta,
            remember: bool = False) -> User:
    """The user for these credentials, bound to a new sign-in session (sessions.py) lasting
    `lifetime`; refuses guessing (throttle.py: too many recent or parallel failures) and audits
    both outcomes."""
    key = username.strip()[:64].lower()
    attempt = throttle.admit(key, address)
    if attempt is None:
        audit.record_now("login.throttled", None, "user", key, username=username)
        raise TooManyAttempts(_("登录失败次数过多，请 15 分钟后再试；忘记密码请联系管理员。"))
    user = authenticate(username, password)
    if user is None:
        throttle.settle(attempt, "failure")
        audit.record_now("login.failure", None, "user", key, username=username)
        raise Unauthenticated(_("用户名或密码不正确"))
    sessions.start(user, lifetime=lifetime, remember=remember, address=address)
    audit.record("login.success", user, "user", key)
    get_session().commit()
    throttle.settle(attempt, "success")
    return user


def sign_out(token: str | None) -> None:
    """End the sign-in session of this token (signing out)."""
    if token:
        sessions.end(token, "logout")
        get_session().commit()
