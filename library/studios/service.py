"""Studios, their members and the vocabularies they are filed under."""

from __future__ import annotations

import re
from collections.abc import Mapping

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from library.accounts.models import User
from library.audit import service as audit
from library.db import get_session
from library.errors import Conflict, InvalidInput, NotFound
from library.studios.models import (
    STAGES,
    STUDIO_ROLES,
    SUBJECTS,
    Membership,
    Stage,
    Studio,
    Subject,
)
from library.validation import CONTROL, UNENCODABLE

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")


SLUG_CODE = re.compile(r"^[a-z][a-z0-9_]{1,31}$")


def seed_vocabularies() -> None:
    """Insert the subjects and stages of DESIGN.md that are not there yet (admin edits are kept)."""
    session = get_session()
    for model, rows in ((Subject, SUBJECTS), (Stage, STAGES)):
        existing = set(session.scalars(select(model.code)))
        for position, (code, zh, en) in enumerate(rows):
            if code not in existing:
                session.add(model(code=code, name_zh=zh, name_en=en, position=position))
    session.commit()


def create_studio(slug: str, name: str, subject: str, stage: str, description: str = "",
                  actor: User | None = None) -> Studio:
    """Create a studio filed under a subject and a stage."""
    session = get_session()
    errors = {}
    if not SLUG.match(slug):
        errors["slug"] = _("只能用小写字母、数字和连字符，2 到 63 个字符")
    if not name.strip():
        errors["name"] = _("请填写工作室名称")
    if session.get(Subject, subject) is None:
        errors["subject"] = _("未知的学科代码：%(subject)s", subject=subject)
    if session.get(Stage, stage) is None:
        errors["stage"] = _("未知的学段代码：%(stage)s", stage=stage)
    if errors:
        raise InvalidInput(_("工作室信息有误：") + "；".join(f"{k}: {v}" for k, v in errors.items()), fields=errors)
    if session.scalar(select(Studio).where(Studio.slug == slug)):
        raise Conflict(_("工作室 %(slug)s 已存在", slug=slug))
    studio = Studio(slug=slug, name=name.strip(), subject_code=subject, stage_code=stage, description=description)
    session.add(studio)
    session.flush()
    audit.record("studio.create", actor, "studio", slug, name=studio.name)
    session.commit()
    return studio


def could_be_key(value: str, limit: int = 64) -> bool:
    """Whether text from a path could be a slug or a code at all: one short line without control
    characters (PostgreSQL refuses NUL in a query, so such text is never sent to it)."""
    return isinstance(value, str) and 0 < len(value) <= limit and not CONTROL.search(value) \
        and not UNENCODABLE.search(value)


def _shown(value: str) -> str:
    return UNENCODABLE.sub("", CONTROL.sub("", value))[:64]


def get_studio(slug: str) -> Studio:
    """The studio with this slug."""
    studio = find_studio(slug)
    if studio is None:
        raise NotFound(_("没有找到工作室 %(slug)s", slug=_shown(slug)))
    return studio


def find_studio(slug: str) -> Studio | None:
    """The studio with this slug, or None."""
    if not could_be_key(slug):
        return None
    return get_session().scalar(select(Studio).where(Studio.slug == slug))


def get_subject(code: str) -> Subject:
    """The subject with this code."""
    subject = get_session().get(Subject, code) if could_be_key(code, 32) else None
    if subject is None:
        raise NotFound(_("没有找到学科 %(code)s", code=_shown(code)))
    return subject


def add_member(studio: Studio, user: User, role: str, actor: User | None = None) -> Membership:
    """Give a user a role in a studio (changing the role if they already have one)."""
    if role not in STUDIO_ROLES:
        raise InvalidInput(_("工作室角色只能是 %(roles)s", roles=', '.join(STUDIO_ROLES)), fields={"role": role})
    session = get_session()
    membership = session.scalar(
        select(Membership).where(Membership.studio_id == studio.id, Membership.user_id == user.id)
    )
    if membership is None:
        membership = Membership(studio_id=studio.id, user_id=user.id, role=role)
        session.add(membership)
    else:
        membership.role = role
    audit.record("membership.set", actor, "studio", studio.slug, username=user.username, role=role)
    session.commit()
    return membership


def studios_with_counts(counts: Mapping[str, int], stage: str | None = None) -> list[tuple[Studio, int]]:
    """Every studio by name (of a stage, when given), hosts loaded, each with its number from
    counts (by slug: `catalogue.count_visible`)."""
    stmt = select(Studio).options(selectinload(Studio.memberships)).order_by(Studio.name)
    if stage is not None:
        stmt = stmt.where(Studio.stage_code == stage)
    return [(s, counts.get(s.slug, 0)) for s in get_session().scalars(stmt).unique()]


def subjects_with_counts(subjects: list[Subject], counts: Mapping[str, int]) -> list[tuple[Subject, int]]:
    """The subjects, in their order, each with its number from counts (by code)."""
    return [(s, counts.get(s.code, 0)) for s in subjects]


def remove_member(studio: Studio, user: User, actor: User | None = None) -> None:
    """Take a user's role in a studio away."""
    session = get_session()
    membership = session.scalar(
        select(Membership).where(Membership.studio_id == studio.id, Membership.user_id == user.id)
    )
    if membership is not None:
        audit.record("membership.remove", actor, "studio", studio.slug, username=user.username, role=membership.role)
        session.delete(membership)
        session.commit()


def set_coordinators(studio: Studio, users: list[User], actor: User | None = None) -> None:
    """The coordinators (研训员) who liaise with a studio."""
    wrong = [u.username for u in users if u.role != "coordinator"]
    if wrong:
        raise InvalidInput(_("这些账号不是研训员：%(names)s", names=", ".join(wrong)))
    studio.coordinators = list(users)
    audit.record("studio.coordinators", actor, "studio", studio.slug, usernames=[u.username for u in users])
    get_session().commit()


def save_subject(code: str, name_zh: str, name_en: str, actor: User | None = None) -> Subject:
    """Add a subject to the vocabulary or rename one (codes never change: resources refer to them)."""
    code = code.strip()
    if not SLUG_CODE.match(code) or not name_zh.strip():
        raise InvalidInput(_("学科代码只能用小写字母、数字和下划线，名称不能为空"))
    session = get_session()
    subject = session.get(Subject, code)
    if subject is None:
        position = (session.scalar(select(func.max(Subject.position))) or 0) + 1
        subject = Subject(code=code, position=position)
        session.add(subject)
    subject.name_zh, subject.name_en = name_zh.strip(), (name_en.strip() or name_zh.strip())
    audit.record("subject.save", actor, "subject", code, name_zh=subject.name_zh)
    session.commit()
    return subject


def vocabularies() -> tuple[list[Subject], list[Stage]]:
    """Subjects and stages in their display order, for forms and switchers."""
    session = get_session()
    return (list(session.scalars(select(Subject).order_by(Subject.position))),
            list(session.scalars(select(Stage).order_by(Stage.position))))


def subject_list() -> list[Subject]:
    """The subjects in their display order (no stages: one statement)."""
    return list(get_session().scalars(select(Subject).order_by(Subject.position)))


def all_studios() -> list[Studio]:
    """Every studio by name."""
    return list(get_session().scalars(select(Studio).order_by(Studio.name)).unique())


def studio_names() -> dict[str, str]:
    """Studio slug → name, for labelling facets (no counting needed)."""
    return dict(get_session().execute(select(Studio.slug, Studio.name)).all())
