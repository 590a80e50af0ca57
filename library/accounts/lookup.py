"""Finding people by name or username, for the member picker."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from library import policy
from library.accounts.models import User
from library.db import get_session
from library.errors import InvalidInput, PermissionDenied

PEOPLE_ROLES = ("teacher", "coordinator", "admin")  # school accounts are not studio members


def can_look_up_people(actor: User | None) -> bool:
    """Admins, coordinators and studio hosts: those who add members."""
    return actor is not None and (actor.role in ("admin", "coordinator")
                                  or "host" in policy.studio_roles(actor).values())


def find_people(actor: User | None, q: str, limit: int = 10) -> list[User]:
    """Active teachers, coordinators and admins whose name or username holds `q`."""
    if not can_look_up_people(actor):
        raise PermissionDenied(_("只有管理员、研训员和工作室主持人可以查找教师"))
    q = q.strip().lower()
    if not q:
        return []
    name, username = func.lower(User.display_name), func.lower(User.username)
    stmt = select(User).where(User.active.is_(True), User.role.in_(PEOPLE_ROLES),
                              or_(name.contains(q, autoescape=True), username.contains(q, autoescape=True)))
    stmt = stmt.order_by((username == q).desc(), (name == q).desc(), User.display_name, User.username)
    return list(get_session().scalars(stmt.limit(limit)))


def person_named(text: str) -> User:
    """The account a form names: by its username, else by its (unique) name; or NotFound saying what to do."""
    text = text.strip()
    session = get_session()
    user = session.scalar(select(User).where(func.lower(User.username) == text.lower()))
    if user is not None:
        return user
    named = list(session.scalars(select(User).where(User.display_name == text, User.role.in_(PEOPLE_ROLES)).limit(2)))
    if len(named) == 1:
        return named[0]
    if named:
        raise InvalidInput(_("有多位名叫“%(name)s”的教师，请从列表中选择或填写用户名", name=text[:64]),
                           fields={"username": _("请从列表中选择")})
    raise InvalidInput(_("没有找到姓名或用户名为“%(name)s”的教师", name=text[:64]),
                       fields={"username": _("没有这位教师")})
