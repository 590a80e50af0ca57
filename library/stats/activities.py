"""Studio activities: trainings, teaching-research activities, live sessions, outreach (送教)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from library import policy
from library.accounts.models import School, User
from library.audit import service as audit
from library.db import get_session, is_row_id
from library.errors import InvalidInput, NotFound, PermissionDenied
from library.resources.models import Resource
from library.stats.models import ACTIVITY_KINDS, Activity
from library.studios.models import Studio

MAX_PARTICIPANTS = 100_000


def _ids(value) -> list[int]:
    """Ids from a list, or a string like '3, 5；8'."""
    if value is None or value == "":
        return []
    items = value if isinstance(value, (list, tuple)) else str(value).replace("，", ",").replace("；", ",").split(",")
    out = []
    for item in items:
        text = str(item).strip()
        if not text:
            continue
        # isdigit() also passes "²", which int() refuses; a number past the INTEGER range names no row.
        if not (text.isascii() and text.isdigit()) or not is_row_id(int(text)):
            raise InvalidInput(_("编号应为数字：%(value)s", value=text))
        out.append(int(text))
    return list(dict.fromkeys(out))


def record_activity(actor: User | None, studio: Studio, data: Mapping) -> Activity:
    """Record an activity the studio held: title, kind, date, participants, schools and materials."""
    if not policy.can_record_activity(actor, studio):
        raise PermissionDenied(_("只有工作室主持人、联系的研训员和管理员可以登记活动"))
    session = get_session()
    errors: dict[str, str] = {}
    title = str(data.get("title") or "").strip()[:300]
    if not title:
        errors["title"] = _("请填写活动名称")
    kind = str(data.get("kind") or "training").strip()
    if kind not in ACTIVITY_KINDS:
        errors["kind"] = _("活动类型只能是 %(kinds)s", kinds=", ".join(ACTIVITY_KINDS))
    held_on = None
    try:
        held_on = date.fromisoformat(str(data.get("held_on") or "").strip())
    except ValueError:
        errors["held_on"] = _("请按 2024-05-03 的格式填写活动日期")
    try:
        participants = int(str(data.get("participants") if data.get("participants") not in (None, "") else 0).strip())
        if not 0 <= participants <= MAX_PARTICIPANTS:
            raise ValueError
    except ValueError:
        participants = 0
        errors["participants"] = _("参与人数应为 0 到 %(max)s 之间的整数", max=MAX_PARTICIPANTS)
    try:
        school_ids = _ids(data.get("school_ids"))
        resource_ids = _ids(data.get("resource_ids"))
    except InvalidInput as exc:
        raise InvalidInput(exc.message, fields={**errors, "ids": exc.message}) from None
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
    activity = Activity(studio_id=studio.id, title=title, kind=kind, held_on=held_on, participants=participants,
                        description=str(data.get("description") or "").strip(), created_by_id=actor.id,
                        schools=schools, resources=sorted(materials, key=lambda r: r.id))
    session.add(activity)
    session.flush()
    audit.record("activity.create", actor, "activity", activity.id, studio=studio.slug, title=title)
    session.commit()
    return activity


def list_activities(actor: User | None, studio: Studio, year: int | None = None) -> list[Activity]:
    """A studio's activities, newest first (optionally of one year)."""
    if not policy.can_view_stats(actor, studio):
        raise PermissionDenied(_("只有管理员、联系该工作室的研训员和工作室主持人可以查看活动记录"))
    query = select(Activity).where(Activity.studio_id == studio.id)
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
