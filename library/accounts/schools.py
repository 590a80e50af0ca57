"""Schools, including weak schools (薄弱学校)."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from library.accounts.models import School, User
from library.audit import service as audit
from library.db import get_session
from library.errors import Conflict, InvalidInput
from library.studios.models import Stage, Subject


def create_school(name: str, *, weak: bool = False, subjects: list[str] | None = None,
                  stages: list[str] | None = None, actor: User | None = None) -> School:
    """Create a school; weak schools list the subjects they need help with."""
    name = name.strip()
    session = get_session()
    if not name:
        raise InvalidInput(_("请填写学校名称"), fields={"name": _("请填写学校名称")})
    unknown = [c for c in subjects or [] if session.get(Subject, c) is None]
    unknown += [c for c in stages or [] if session.get(Stage, c) is None]
    if unknown:
        raise InvalidInput(_("未知的代码：%(codes)s", codes=", ".join(unknown)))
    if session.scalar(select(School).where(School.name == name)):
        raise Conflict(_("学校“%(name)s”已存在", name=name))
    school = School(name=name, is_weak=weak, weak_subjects=list(subjects or []), stages=list(stages or []))
    session.add(school)
    session.flush()
    audit.record("school.create", actor, "school", school.id, name=name)
    session.commit()
    return school


def list_schools() -> list[School]:
    """Every school by name."""
    return list(get_session().scalars(select(School).order_by(School.name)))
