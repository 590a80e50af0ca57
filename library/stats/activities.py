"""Studio activities: trainings, teaching-research activities, live sessions, outreach (送教)."""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from library import policy
from library.accounts.models import School, User
from library.audit import service as audit
from library.db import get_session, is_row_id
from library.errors import InvalidInput, NotFound, PermissionDenied
from library.resources.models import Resource
from library.stats.models import Activity
from library.stats.schemas import ActivityBody
from library.studios.models import Studio


def record_activity(actor: User | None, studio: Studio, body: ActivityBody) -> Activity:
    """Record an activity the studio held: title, kind, date, participants, schools and materials
    (the body is parsed already; what needs the database is checked here)."""
    if not policy.can_record_activity(actor, studio):
        raise PermissionDenied(_("只有工作室主持人、联系的研训员和管理员可以登记活动"))
    session = get_session()
    errors: dict[str, str] = {}
    school_ids, resource_ids = body.school_ids, body.resource_ids
    schools = list(session.scalars(select(School).where(School.id.in_(school_ids)))) if school_ids else []
    if len(schools) != len(school_ids):
        missing = sorted(set(school_ids) - {s.id for s in schools})
        errors["school_ids"] = _("没有这些学校：%(ids)s", ids=", ".join(map(str, missing)))
    materials = list(session.scalars(select(Resource).where(Resource.id.in_(resource_ids))).unique()) if resource_ids else []
    wrong = sorted(set(resource_ids) - {r.id for r in materials if r.studio_id == studio.id})
    if wrong:
        errors["resource_ids"] = _("这些成果不属于本工作室：%(ids)s", ids=", ".join(map(str, wrong)))
    if errors:
        raise InvalidInput(_("活动信息有误：") + "；".join(errors.values()), fields=errors)
    assert actor is not None  # policy.can_record_activity refused anonymous callers above
    activity = Activity(studio_id=studio.id, title=body.title, kind=body.kind or "training", held_on=body.held_on,
                        participants=body.participants or 0, description=body.description or "",
                        created_by_id=actor.id, schools=schools, resources=sorted(materials, key=lambda r: r.id))
    session.add(activity)
    session.flush()
    audit.record("activity.create", actor, "activity", activity.id, studio=studio.slug, title=body.title)
    session.commit()
    return activity


def list_activities(actor: User | None, studio: Studio, year: int | None = None) -> list[Activity]:
    """A studio's activities, newest first (optionally of one year)."""
    if not policy.can_view_stats(actor, studio):
        raise PermissionDenied(_("只有管理员、联系该工作室的研训员和工作室主持人可以查看活动记录"))
    # Each shows its schools and materials: loaded for the whole list, not per activity.
    query = (select(Activity).where(Activity.studio_id == studio.id)
             .options(selectinload(Activity.schools), selectinload(Activity.resources)))
    if year is not None:
        query = query.where(Activity.held_on >= date(year, 1, 1), Activity.held_on < date(year + 1, 1, 1))
    return list(get_session().scalars(query.order_by(Activity.held_on.desc(), Activity.id.desc())).unique())


def delete_activity(actor: User | None, studio: Studio, activity_id: int) -> None:
    """Remove an activity recorded by mistake."""
    if not policy.can_record_activity(actor, studio):
        raise PermissionDenied(_("只有工作室主持人、联系的研训员和管理员可以删除活动"))
    session = get_session()
    activity = session.get(Activity, activity_id) if is_row_id(activity_id) else None
    if activity is None or activity.studio_id != studio.id:
        raise NotFound(_("没有找到这条活动记录"))
    audit.record("activity.delete", actor, "activity", activity_id, studio=studio.slug, title=activity.title)
    session.delete(activity)
    session.commit()


def activity_json(activity: Activity) -> dict:
    """An activity as the API gives it."""
    return {
        "id": activity.id, "studio": activity.studio.slug, "title": activity.title, "kind": activity.kind,
        "held_on": activity.held_on.isoformat(), "participants": activity.participants,
        "description": activity.description,
        "schools": [{"id": s.id, "name": s.name} for s in activity.schools],
        "resources": [{"id": r.id, "title": r.title} for r in activity.resources],
    }
