"""Assistance agreements (帮扶协议): drawn up, confirmed by both sides, in force, ended."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from library import clock, policy
from library.accounts.models import School, User
from library.audit import service as audit
from library.db import get_session, is_row_id
from library.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from library.lending.models import Agreement, Loan
from library.lending.schemas import AgreementInput
from library.lending.timing import now_and_today
from library.notifications import service as notifications
from library.resources.models import Resource
from library.studios.models import Studio, Subject
from library.validation import parse


def create_agreement(actor: User | None, data: AgreementInput | Mapping, now: datetime | None = None) -> Agreement:
    """Draw up an agreement. A host confirms the studio side by creating it and the school confirms
    next (status draft until then). The bureau (a coordinator or admin) arranges agreements between
    studios and schools and records them once both have signed: theirs are active at once unless
    they ask for "draft", which sends the agreement to both sides to confirm in the app."""
    now, _today = now_and_today(now)
    if actor is None:
        raise PermissionDenied(_("请先登录"))
    given = data if isinstance(data, AgreementInput) else parse(AgreementInput, data)
    session = get_session()
    studio = session.scalar(select(Studio).where(Studio.slug == given.studio))
    if studio is None:
        raise InvalidInput(_("没有这个工作室：%(slug)s", slug=given.studio), fields={"studio": _("请选择工作室")})
    if not policy.can_create_agreement(actor, studio):
        raise PermissionDenied(_("只有该工作室的主持人、联系研训员和管理员可以签订帮扶协议"))
    bureau = policy.is_admin(actor) or actor.role == "coordinator"
    status = given.status or ("active" if bureau else "draft")
    school = _school(given.school)
    errors = _database_errors(given, studio, school)
    if status == "active" and not bureau:
        errors["status"] = _("只有研训员和管理员可以直接登记双方已签署的协议")
    if errors:
        raise InvalidInput(_("请修改后重新提交：%(first)s", first=next(iter(errors.values()))), fields=errors)
    assert school is not None  # a missing school is one of the errors above
    agreement = Agreement(
        studio_id=studio.id, school_id=school.id, subjects=given.subjects, **given.scope_columns(),
        starts_on=given.starts_on, ends_on=given.ends_on, frequency_count=given.frequency.count,
        frequency_period=given.frequency.per, outcomes=given.outcomes, status=status,
        studio_confirmed_at=now if status == "active" or not bureau else None,
        school_confirmed_at=now if status == "active" else None, created_by_id=actor.id,
        created_at=now, updated_at=now,
    )
    session.add(agreement)
    session.flush()
    audit.record("agreement.create", actor, "agreement", agreement.id, studio=studio.slug, school=school.name)
    if status == "draft":
        _ask_to_confirm(agreement, studio, school, studio_side=bureau, now=now)
    session.commit()
    return agreement


def _ask_to_confirm(agreement: Agreement, studio: Studio, school: School, studio_side: bool, now: datetime) -> None:
    """Tell the school (and, for a bureau's draft, the studio side) that a draft awaits them."""
    notifications.notify(
        school_users(school.id), "agreement.created", "agreement", agreement.id,
        _("%(studio)s 与贵校的帮扶协议待确认", studio=studio.name), f"/agreements/{agreement.id}", now=now)
    if studio_side:
        notifications.notify(
            studio_side_users(studio), "agreement.created", "agreement", agreement.id,
            _("与%(school)s的帮扶协议待确认", school=school.name), f"/agreements/{agreement.id}", now=now)


def _school(value: str) -> School | None:
    """The school named by its id ("12") or its name."""
    session = get_session()
    if re.fullmatch(r"[0-9]{1,12}", value) and is_row_id(int(value)):
        if (school := session.get(School, int(value))) is not None:
            return school
    return session.scalar(select(School).where(School.name == value))


def _database_errors(given: AgreementInput, studio: Studio, school: School | None) -> dict[str, str]:
    """What only the database knows: the school and subjects exist, the listed resources are the
    studio's lendable outputs."""
    session = get_session()
    errors: dict[str, str] = {}
    if school is None:
        errors["school"] = _("没有学校“%(name)s”", name=given.school)
    if bad := [c for c in given.subjects if session.get(Subject, c) is None]:
        errors["subjects"] = _("未知的学科代码：%(codes)s", codes=", ".join(bad))
    if given.scope == "list":
        ids = given.resource_ids
        rows = {r.id: r for r in session.scalars(select(Resource).where(Resource.id.in_(ids)))}
        wrong = [i for i in ids if i not in rows or rows[i].studio_id != studio.id or rows[i].visibility != "lendable"]
        if wrong:
            errors["resource_ids"] = _("这些编号不是本工作室的可借阅成果：%(ids)s", ids=", ".join(map(str, wrong)))
    if given.scope == "filter" and (bad := [c for c in given.scope_subjects if session.get(Subject, c) is None]):
        errors["scope_subjects"] = _("未知的学科代码：%(codes)s", codes=", ".join(bad))
    return errors


def school_users(school_id: int) -> list[User]:
    return list(get_session().scalars(select(User).where(User.school_id == school_id, User.role == "school",
                                                         User.active.is_(True))))


def studio_side_users(studio: Studio) -> list[User]:
    """The host(s) and liaison coordinators, who hear about requests."""
    seen = {u.id: u for u in [*studio.members_with_role("host"), *studio.coordinators] if u.active}
    return list(seen.values())


def admins() -> list[User]:
    """Who hears of a request when a studio has neither host nor liaison coordinator."""
    return list(get_session().scalars(select(User).where(User.role == "admin", User.active.is_(True))))


def get_agreement(actor: User | None, agreement_id: int) -> Agreement:
    """An agreement the actor may see."""
    agreement = get_session().get(Agreement, agreement_id)
    if agreement is None or not policy.can_see_agreement(actor, agreement):
        raise NotFound(_("没有找到这份帮扶协议"))
    return agreement


def confirm_agreement(actor: User | None, agreement_id: int, now: datetime | None = None) -> Agreement:
    """Confirm for the actor's side; with both sides confirmed the agreement is active."""
    now, today = now_and_today(now)
    agreement = get_agreement(actor, agreement_id)
    if agreement.status == "ended":
        raise Conflict(_("协议已结束，不能再确认"))
    if policy.is_studio_side(actor, agreement.studio_id):
        agreement.studio_confirmed_at = agreement.studio_confirmed_at or now
    elif policy.is_school_of(actor, agreement.school_id):
        agreement.school_confirmed_at = agreement.school_confirmed_at or now
    else:
        raise PermissionDenied(_("只有协议双方可以确认"))
    if agreement.studio_confirmed_at and agreement.school_confirmed_at and agreement.status == "draft":
        agreement.status = "active"
        audit.record("agreement.activate", actor, "agreement", agreement.id)
    agreement.updated_at = now
    get_session().commit()
    return agreement


def end_agreement(actor: User | None, agreement_id: int, now: datetime | None = None) -> Agreement:
    """End an agreement early (the studio side or the bureau)."""
    now, _today = now_and_today(now)
    agreement = get_agreement(actor, agreement_id)
    if not policy.is_studio_side(actor, agreement.studio_id):
        raise PermissionDenied(_("只有工作室主持人、联系研训员和管理员可以结束协议"))
    if agreement.status == "ended":
        raise Conflict(_("协议已经结束"))
    if agreement.status != "active":
        # "ended" means it was in force once (statistics count it); a draft simply stays unconfirmed.
        raise Conflict(_("协议尚未经双方确认，无需结束"))
    agreement.status = "ended"
    agreement.updated_at = now
    audit.record("agreement.end", actor, "agreement", agreement.id)
    get_session().commit()
    return agreement


def in_force(agreement: Agreement, today: date) -> bool:
    """Confirmed by both sides and today within its dates."""
    return agreement.status == "active" and agreement.starts_on <= today <= agreement.ends_on


def agreement_state(agreement: Agreement, today: date | None = None) -> str:
    """What to show: draft (awaiting confirmation), pending (confirmed, not started), active, ended."""
    today = today or clock.today()
    if agreement.status == "active":
        if today > agreement.ends_on:
            return "ended"
        return "active" if today >= agreement.starts_on else "pending"
    return agreement.status


def covers(agreement: Agreement, resource: Resource) -> bool:
    """Whether the agreement's content scope includes this lendable resource."""
    if resource.studio_id != agreement.studio_id or resource.visibility != "lendable":
        return False
    if agreement.scope == "all":
        return True
    if agreement.scope == "list":
        return resource.id in (agreement.scope_resource_ids or [])
    return ((not agreement.scope_kinds or resource.kind in agreement.scope_kinds)
            and (not agreement.scope_subjects or resource.subject_code in agreement.scope_subjects))


def agreements_between(studio_id: int, school_id: int, today: date) -> list[Agreement]:
    rows = get_session().scalars(select(Agreement).where(
        Agreement.studio_id == studio_id, Agreement.school_id == school_id, Agreement.status == "active",
    ).order_by(Agreement.id))
    return [a for a in rows if in_force(a, today)]


def covering_agreement(resource: Resource, school_id: int, today: date) -> Agreement | None:
    """The agreement in force under which this school may borrow this resource at once."""
    return next((a for a in agreements_between(resource.studio_id, school_id, today) if covers(a, resource)), None)


def agreement_loans(agreement: Agreement) -> list[Loan]:
    """The loans asked under an agreement, newest first, with their outputs (one query each, not one per loan)."""
    return list(get_session().scalars(
        select(Loan).where(Loan.agreement_id == agreement.id)
        .options(selectinload(Loan.resource), selectinload(Loan.requester))
        .order_by(Loan.requested_at.desc(), Loan.id.desc())))


def list_agreements(actor: User | None) -> list[Agreement]:
    """Agreements the actor is party to (all of them for the bureau)."""
    if actor is None:
        return []
    stmt = select(Agreement).order_by(Agreement.starts_on.desc(), Agreement.id.desc())
    if policy.is_admin(actor) or actor.role == "coordinator":
        pass
    elif actor.role == "school":
        stmt = stmt.where(Agreement.school_id == (actor.school_id or -1))
    else:
        ids = list(policy.reviewed_ids(actor))
        if not ids:
            return []
        stmt = stmt.where(Agreement.studio_id.in_(ids))
    return list(get_session().scalars(stmt))
