"""Assistance agreements (帮扶协议) and loans (借阅): who may borrow what, for how long, and whether
the help happened.

Time is injectable: every function that depends on "now" takes `now` (a naive UTC datetime), and
the day a loan is judged by is that moment's county date (Asia/Shanghai), so tests replay a script of events without
touching the clock. A loan opens files only while `status == "active"` and today <= `due_on`
(policy.loan_is_active), so access ends on time even when no sweep has run; `sweep` then records
it and sends the notices.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from library import policy
from library.db import get_session, is_row_id
from library.models import Agreement, Loan, LoanFeedback, Resource, School, Studio, Subject, User
from library.models.base import utcnow
from library.models.lending import SCOPES
from library.models.resource import KINDS
from library.services import audit, clock, mail, notifications
from library.services.clock import local_day
from library.services.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from library.services.resources import get_resource, split_list

LOAN_DAYS = 30
DUE_NOTICE_DAYS = 3
PERIODS = ("week", "month", "term")
FREQUENCY_TEXT = re.compile(
    r"^\s*(\d+)\s*(?:times?|次)?\s*(?:/|per|a|an|every|每)\s*(week|month|term|周|月|学期)\s*$", re.I)
FREQUENCY_TEXT_ZH = re.compile(r"^\s*每\s*(周|月|学期)\s*(\d+)\s*次?\s*$")  # 每月2次
PERIOD_WORDS = {"周": "week", "月": "month", "学期": "term"}


def _clock(now: datetime | None) -> tuple[datetime, date]:
    """The moment (naive UTC, as stored) and the county's calendar day of it, which loans and
    agreements are judged by (like policy.loan_is_active); tests inject `now`."""
    now = now or utcnow()
    return now, clock.local_day(now)


# ---------------------------------------------------------------- input parsing

def _list(value) -> list[str]:
    """Codes or ids given as a list or as '1，2、3' (resources.split_list); anything else is refused."""
    if value is not None and not isinstance(value, (str, list, tuple)):
        raise InvalidInput(_("应为列表或用逗号分隔的文字"))
    return split_list(value)


def _date(data: Mapping, name: str, errors: dict) -> date | None:
    value = data.get(name)
    if value in (None, ""):
        errors[name] = _("请填写日期（YYYY-MM-DD）")
        return None
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        errors[name] = _("日期格式应为 YYYY-MM-DD：%(value)s", value=value)
        return None


def parse_frequency(value) -> tuple[int, str]:
    """{"count": 2, "per": "month"}, "2/month", "2 times per week", "2次/月", "每月2次" or a bare
    number (per month) → (count, period)."""
    if isinstance(value, Mapping):
        count, per = value.get("count"), str(value.get("per", "month")).strip().lower()
    elif isinstance(value, int) and not isinstance(value, bool):
        count, per = value, "month"
    elif isinstance(value, str) and (m := FREQUENCY_TEXT.match(value)):
        count, per = m.group(1), PERIOD_WORDS.get(m.group(2), m.group(2).lower())
    elif isinstance(value, str) and (m := FREQUENCY_TEXT_ZH.match(value)):
        count, per = m.group(2), PERIOD_WORDS[m.group(1)]
    else:
        message = _("频次格式应为“2/month”（每月 2 次）或 {\"count\": 2, \"per\": \"month\"}；周期可为 week、month、term")
        raise InvalidInput(message, fields={"frequency": message})
    try:
        count = int(count)
    except (TypeError, ValueError):
        count = 0
    if not 1 <= count <= 100 or per not in PERIODS:
        message = _("频次应为 1 至 100 次，每周（week）、每月（month）或每学期（term）")
        raise InvalidInput(message, fields={"frequency": message})
    return count, per


def _scope(data: Mapping, studio: Studio, errors: dict) -> dict:
    """The content scope: "all", "list" with resource_ids, or "filter" with kinds and/or subjects."""
    raw = data.get("scope") or "all"
    detail: Mapping = data
    if isinstance(raw, (list, tuple)):  # a bare list of resource ids
        detail, raw = {"resource_ids": raw}, "list"
    elif isinstance(raw, Mapping):
        detail, raw = raw, raw.get("type") or ("list" if raw.get("resource_ids") else "filter")
    scope = str(raw).strip()
    out = {"scope": scope, "scope_resource_ids": [], "scope_kinds": [], "scope_subjects": []}
    if scope not in SCOPES:
        errors["scope"] = _("范围只能是 all（全部可借阅成果）、list（指定成果）或 filter（按类型/学科）")
        return out
    session = get_session()
    if scope == "list":
        try:
            ids = [int(v) for v in _list(detail.get("resource_ids"))]
        except ValueError:
            errors["resource_ids"] = _("成果编号应为数字")
            return out
        if not ids:
            errors["resource_ids"] = _("请至少选择一个成果")
        wanted = [i for i in ids if is_row_id(i)]
        rows = {r.id: r for r in session.scalars(select(Resource).where(Resource.id.in_(wanted)))} if wanted else {}
        wrong = [i for i in ids if i not in rows or rows[i].studio_id != studio.id or rows[i].visibility != "lendable"]
        if wrong:
            errors["resource_ids"] = _("这些编号不是本工作室的可借阅成果：%(ids)s", ids=", ".join(map(str, wrong)))
        out["scope_resource_ids"] = list(dict.fromkeys(ids))
    elif scope == "filter":
        kinds = _list(detail.get("kinds"))
        # Flat input keeps "subjects" for the agreement's subjects; a scope object may say either.
        nested = detail is not data
        subjects = _list(detail.get("scope_subjects") or (detail.get("subjects") if nested else None))
        if bad := [k for k in kinds if k not in KINDS]:
            errors["kinds"] = _("未知的成果类型：%(codes)s", codes=", ".join(bad))
        if bad := [c for c in subjects if session.get(Subject, c) is None]:
            errors["scope_subjects"] = _("未知的学科代码：%(codes)s", codes=", ".join(bad))
        if not kinds and not subjects:
            errors["scope"] = _("按类型/学科的范围请至少选择一个类型或学科")
        out["scope_kinds"], out["scope_subjects"] = kinds, subjects
    return out


# ---------------------------------------------------------------- agreements

def create_agreement(actor: User | None, data: Mapping, now: datetime | None = None) -> Agreement:
    """Draw up an agreement. A host confirms the studio side by creating it and the school confirms
    next (status draft until then). The bureau (a coordinator or admin) arranges agreements between
    studios and schools and records them once both have signed: theirs are active at once unless
    they ask for "draft", which sends the agreement to both sides to confirm in the app."""
    now, _today = _clock(now)
    session = get_session()
    if actor is None:
        raise PermissionDenied(_("请先登录"))
    errors: dict[str, str] = {}
    slug = str(data.get("studio") or "").strip()
    studio = session.scalar(select(Studio).where(Studio.slug == slug)) if slug else None
    if studio is None:
        raise InvalidInput(_("请选择工作室") if not slug else _("没有这个工作室：%(slug)s", slug=slug),
                           fields={"studio": _("请选择工作室")})
    if not policy.can_create_agreement(actor, studio):
        raise PermissionDenied(_("只有该工作室的主持人、联系研训员和管理员可以签订帮扶协议"))
    school_value = data.get("school")
    school = None
    if isinstance(school_value, int) or (isinstance(school_value, str) and school_value.strip().isdecimal()):
        number = int(school_value)
        school = session.get(School, number) if is_row_id(number) else None
    if school is None and school_value:
        school = session.scalar(select(School).where(School.name == str(school_value).strip()))
    if school is None:
        errors["school"] = _("请选择学校") if not school_value else _("没有学校“%(name)s”", name=school_value)
    try:
        subjects = _list(data.get("subjects"))
    except InvalidInput:
        subjects = []
        errors["subjects"] = _("学科应为代码列表")
    if bad := [c for c in subjects if session.get(Subject, c) is None]:
        errors["subjects"] = _("未知的学科代码：%(codes)s", codes=", ".join(bad))
    scope = _scope(data, studio, errors)
    starts_on, ends_on = _date(data, "starts_on", errors), _date(data, "ends_on", errors)
    if starts_on and ends_on and ends_on < starts_on:
        errors["ends_on"] = _("结束日期不能早于开始日期")
    frequency = data.get("frequency")
    if frequency in (None, "") and data.get("frequency_count"):
        frequency = {"count": data.get("frequency_count"), "per": data.get("frequency_period") or "month"}
    count, period = 1, "month"
    try:
        count, period = parse_frequency(frequency)
    except InvalidInput as exc:
        errors.update(exc.fields)
    outcomes = str(data.get("outcomes") or "").strip()[:5000]
    if not outcomes:
        errors["outcomes"] = _("请填写预期成效")
    bureau = policy.is_admin(actor) or actor.role == "coordinator"
    status = str(data.get("status") or ("active" if bureau else "draft")).strip()
    if status not in ("draft", "active"):
        errors["status"] = _("新协议的状态只能是 draft 或 active")
    elif status == "active" and not bureau:
        errors["status"] = _("只有研训员和管理员可以直接登记双方已签署的协议")
    if errors:
        raise InvalidInput(_("请修改后重新提交：%(first)s", first=next(iter(errors.values()))), fields=errors)
    agreement = Agreement(
        studio_id=studio.id, school_id=school.id, subjects=subjects, **scope,
        starts_on=starts_on, ends_on=ends_on, frequency_count=count, frequency_period=period,
        outcomes=outcomes, status=status, studio_confirmed_at=now if status == "active" or not bureau else None,
        school_confirmed_at=now if status == "active" else None, created_by_id=actor.id,
        created_at=now, updated_at=now,
    )
    session.add(agreement)
    session.flush()
    audit.record("agreement.create", actor, "agreement", agreement.id, studio=studio.slug, school=school.name)
    if status == "draft":
        notifications.notify(
            _school_users(school.id), "agreement.created", "agreement", agreement.id,
            _("%(studio)s 与贵校的帮扶协议待确认", studio=studio.name), f"/agreements/{agreement.id}", now=now)
        if bureau:
            notifications.notify(
                _studio_side_users(studio), "agreement.created", "agreement", agreement.id,
                _("与%(school)s的帮扶协议待确认", school=school.name), f"/agreements/{agreement.id}", now=now)
    session.commit()
    mail.after_commit(now)
    return agreement


def _school_users(school_id: int) -> list[User]:
    return list(get_session().scalars(select(User).where(User.school_id == school_id, User.role == "school",
                                                         User.active.is_(True))))


def _studio_side_users(studio: Studio) -> list[User]:
    """The host(s) and liaison coordinators, who hear about requests."""
    seen = {u.id: u for u in [*studio.members_with_role("host"), *studio.coordinators] if u.active}
    return list(seen.values())


def _admins() -> list[User]:
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
    now, today = _clock(now)
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
    now, _today = _clock(now)
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


def _agreements_between(studio_id: int, school_id: int, today: date) -> list[Agreement]:
    rows = get_session().scalars(select(Agreement).where(
        Agreement.studio_id == studio_id, Agreement.school_id == school_id, Agreement.status == "active",
    ).order_by(Agreement.id))
    return [a for a in rows if in_force(a, today)]


def covering_agreement(resource: Resource, school_id: int, today: date) -> Agreement | None:
    """The agreement in force under which this school may borrow this resource at once."""
    return next((a for a in _agreements_between(resource.studio_id, school_id, today) if covers(a, resource)), None)


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


@dataclass
class MonthProgress:
    """One month of an agreement: loans granted and uses reported against the target."""

    month: str  # "2026-03"
    target: float
    loans: int
    uses: int  # feedback records (each a use of a borrowed output)
    lessons: int
    met: bool


def monthly_target(agreement: Agreement, month_start: date) -> float:
    """The agreed frequency as borrowings per month: week → count × days/7; term (≈ 5 months) → count/5."""
    count = agreement.frequency_count
    if agreement.frequency_period == "month":
        return float(count)
    if agreement.frequency_period == "week":
        nxt = (month_start.replace(day=28) + timedelta(days=4)).replace(day=1)
        return round(count * (nxt - month_start).days / 7, 1)
    return round(count / 5, 1)


def _months(first: date, last: date) -> list[date]:
    out, cur = [], first.replace(day=1)
    while cur <= last:
        out.append(cur)
        cur = (cur.replace(day=28) + timedelta(days=4)).replace(day=1)
    return out


def progress(agreement: Agreement, now: datetime | None = None) -> dict:
    """Month by month from the start to the end (or today, if sooner): loans granted under the
    agreement and feedback on them, against the agreed frequency."""
    _now, today = _clock(now)
    session = get_session()
    loans = list(session.scalars(select(Loan).where(Loan.agreement_id == agreement.id, Loan.granted_at.is_not(None))))
    feedback = list(session.scalars(select(LoanFeedback).join(Loan).where(Loan.agreement_id == agreement.id)))
    last = min(agreement.ends_on, max(today, agreement.starts_on))
    rows = []
    for month in _months(agreement.starts_on, last):
        key = month.strftime("%Y-%m")
        # Stored times are UTC; a month is the county's (a loan on the 1st at 07:00 is that month's).
        n_loans = sum(1 for loan in loans if local_day(loan.granted_at).strftime("%Y-%m") == key)
        uses = [f for f in feedback if local_day(f.created_at).strftime("%Y-%m") == key]
        target = monthly_target(agreement, month)
        rows.append(MonthProgress(month=key, target=target, loans=n_loans, uses=len(uses),
                                  lessons=sum(f.lessons for f in uses), met=n_loans >= target))
    return {
        "months": rows,
        "loans": len(loans),
        "uses": len(feedback),
        "lessons": sum(f.lessons for f in feedback),
        "months_met": sum(1 for r in rows if r.met),
        "months_counted": len(rows),
        "average_rating": round(sum(f.rating for f in feedback) / len(feedback), 2) if feedback else None,
    }


# ---------------------------------------------------------------- loans

def loan_state(loan: Loan, today: date | None = None) -> str:
    """The status to show: an active loan past its due date is expired even before the sweep runs."""
    if loan.status == "active" and not policy.loan_is_active(loan, today or clock.today()):
        return "expired"
    return loan.status


def get_loan(actor: User | None, loan_id: int) -> Loan:
    """A loan the actor may see (its school or the lending studio's side)."""
    loan = get_session().get(Loan, loan_id)
    if loan is None or not policy.can_see_loan(actor, loan):
        raise NotFound(_("没有找到这条借阅记录"))
    return loan


def _grant(loan: Loan, agreement: Agreement | None, now: datetime, today: date) -> None:
    loan.status = "active"
    loan.granted_at = now
    loan.due_on = today + timedelta(days=LOAN_DAYS)
    loan.agreement_id = agreement.id if agreement is not None else None


def request_loan(actor: User | None, resource_id: int, purpose: str, class_period: str = "",
                 now: datetime | None = None) -> Loan:
    """A school asks to borrow a lendable output: granted at once under an agreement in force that
    covers it, otherwise waiting for the studio's host."""
    now, today = _clock(now)
    if actor is None:
        raise PermissionDenied(_("请先登录"))
    resource = get_resource(actor, resource_id)
    if actor.role != "school" or actor.school_id is None:
        raise PermissionDenied(_("只有帮扶学校账号可以借阅"))
    if not policy.can_borrow(actor, resource):
        raise InvalidInput(_("这个成果不在借阅范围内（只有已发布的“可借阅”成果可以借阅）"),
                           fields={"resource_id": _("不可借阅")})
    purpose = (purpose or "").strip()
    class_period = (class_period or "").strip()
    errors = {}
    if not purpose:
        errors["purpose"] = _("请填写借阅用途")
    elif len(purpose) > 2000:
        errors["purpose"] = _("借阅用途最多 2000 字")
    if len(class_period) > 200:
        errors["class_period"] = _("班级/课时最多 200 字")
    if errors:
        raise InvalidInput(_("请修改后重新提交：%(first)s", first=next(iter(errors.values()))), fields=errors)
    session = get_session()
    open_loans = session.scalars(select(Loan).where(
        Loan.resource_id == resource.id, Loan.school_id == actor.school_id,
        Loan.status.in_(("requested", "active"))))
    for other in open_loans:
        if other.status == "requested" or policy.loan_is_active(other, today):
            raise Conflict(_("贵校已借阅或已申请这个成果（借阅编号 %(id)s）", id=other.id), details=[{"loan_id": other.id}])
        other.status, other.ended_at = "expired", now  # past its due date, not yet swept
        notifications.notify([other.requester] if other.requester else [], "loan.expired", "loan", other.id,
                             _("借阅已到期：《%(title)s》，文件不能再打开", title=resource.title), "/loans", now=now)
    loan = Loan(resource_id=resource.id, studio_id=resource.studio_id, school_id=actor.school_id,
                requester_id=actor.id, purpose=purpose, class_period=class_period, requested_at=now)
    agreement = covering_agreement(resource, actor.school_id, today)
    if agreement is not None:
        _grant(loan, agreement, now, today)
    session.add(loan)
    try:
        session.flush()
    except IntegrityError:
        # The same school asked for the same output a moment ago (a double click, two tabs).
        session.rollback()
        raise Conflict(_("贵校已借阅或已申请这个成果"), fields={"resource_id": _("已申请")}) from None
    audit.record("loan.request", actor, "loan", loan.id, resource=resource.id, status=loan.status)
    if agreement is None:
        notifications.notify(
            _studio_side_users(resource.studio) or _admins(), "loan.requested", "loan", loan.id,
            _("%(school)s 申请借阅《%(title)s》", school=actor.school.name, title=resource.title),
            "/loans/requests", now=now)
    session.commit()
    mail.after_commit(now)
    return loan


def _decidable(actor: User | None, loan_id: int) -> Loan:
    loan = get_loan(actor, loan_id)
    if not policy.can_decide_loan(actor, loan):
        raise PermissionDenied(_("只有工作室主持人、联系研训员和管理员可以审批借阅申请"))
    if loan.status != "requested":
        raise Conflict(_("这条申请已经处理过了"))
    return loan


def approve_loan(actor: User | None, loan_id: int, now: datetime | None = None) -> Loan:
    """Grant a request: due in 30 days; counted under an agreement in force between the two, if any
    (help between the pair counts toward its progress even outside the scope that grants at once)."""
    now, today = _clock(now)
    loan = _decidable(actor, loan_id)
    if loan.resource.visibility != "lendable" or loan.resource.status != "published":
        raise Conflict(_("这个成果已不再可借阅"))
    agreements = _agreements_between(loan.studio_id, loan.school_id, today)
    _grant(loan, agreements[0] if agreements else None, now, today)
    loan.decided_at, loan.decided_by_id = now, actor.id
    audit.record("loan.approve", actor, "loan", loan.id)
    notifications.notify(
        [loan.requester] if loan.requester else [], "loan.approved", "loan", loan.id,
        _("借阅申请已批准：《%(title)s》，请在 %(due)s 前使用", title=loan.resource.title, due=loan.due_on.isoformat()),
        "/loans", now=now)
    get_session().commit()
    mail.after_commit(now)
    return loan


def decline_loan(actor: User | None, loan_id: int, reason: str, now: datetime | None = None) -> Loan:
    """Refuse a request, saying why."""
    now, _today = _clock(now)
    loan = _decidable(actor, loan_id)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("请填写不同意的理由"), fields={"reason": _("请填写理由")})
    loan.status = "declined"
    loan.decline_reason = reason[:2000]
    loan.decided_at, loan.decided_by_id = now, actor.id
    audit.record("loan.decline", actor, "loan", loan.id)
    notifications.notify(
        [loan.requester] if loan.requester else [], "loan.declined", "loan", loan.id,
        _("借阅申请未获同意：《%(title)s》。理由：%(reason)s", title=loan.resource.title, reason=loan.decline_reason),
        "/loans", now=now)
    get_session().commit()
    mail.after_commit(now)
    return loan


def _own(actor: User | None, loan_id: int) -> Loan:
    loan = get_loan(actor, loan_id)
    if not policy.is_school_of(actor, loan.school_id):
        raise PermissionDenied(_("只有借阅学校可以这样做"))
    return loan


def renew_loan(actor: User | None, loan_id: int, now: datetime | None = None) -> Loan:
    """Extend an active, not overdue loan once, by 30 days from its current due date."""
    now, today = _clock(now)
    loan = _own(actor, loan_id)
    if not policy.loan_is_active(loan, today):
        raise Conflict(_("只有借阅中且未到期的借阅可以续借"))
    if loan.renewals >= 1:
        raise Conflict(_("每次借阅只能续借一次"))
    loan.due_on = loan.due_on + timedelta(days=LOAN_DAYS)
    loan.renewals += 1
    loan.due_notice_sent_at = None  # a new due date earns a new reminder
    audit.record("loan.renew", actor, "loan", loan.id, due_on=loan.due_on.isoformat())
    get_session().commit()
    return loan


def return_loan(actor: User | None, loan_id: int, now: datetime | None = None) -> Loan:
    """Give a loan back early: its links stop working at once."""
    now, today = _clock(now)
    loan = _own(actor, loan_id)
    if not policy.loan_is_active(loan, today):
        raise Conflict(_("这条借阅不在借阅中，无需归还"))
    loan.status = "returned"
    loan.ended_at = now
    audit.record("loan.return", actor, "loan", loan.id)
    get_session().commit()
    return loan


def add_feedback(actor: User | None, loan_id: int, data: Mapping, now: datetime | None = None) -> LoanFeedback:
    """After use: in how many lessons, a rating 1–5 and a comment; the studio is told."""
    now, _today = _clock(now)
    loan = _own(actor, loan_id)
    if loan.granted_at is None:
        raise Conflict(_("借阅获批后才能填写使用反馈"))
    errors = {}
    try:
        lessons = int(str(data.get("lessons", "")).strip())
        if not 0 <= lessons <= 1000:
            raise ValueError
    except ValueError:
        lessons = 0
        errors["lessons"] = _("使用课时应为 0 至 1000 的整数")
    try:
        rating = int(str(data.get("rating", "")).strip())
        if not 1 <= rating <= 5:
            raise ValueError
    except ValueError:
        rating = 0
        errors["rating"] = _("评分应为 1 至 5 的整数")
    comment = str(data.get("comment") or "").strip()
    if len(comment) > 5000:
        errors["comment"] = _("评价最多 5000 字")
    if errors:
        raise InvalidInput(_("请修改后重新提交：%(first)s", first=next(iter(errors.values()))), fields=errors)
    row = LoanFeedback(loan_id=loan.id, author_id=actor.id, lessons=lessons, rating=rating, comment=comment,
                       created_at=now)
    session = get_session()
    session.add(row)
    session.flush()
    studio = session.get(Studio, loan.studio_id)
    notifications.notify(
        studio.members_with_role("host"), "loan.feedback", "loan", loan.id,
        _("%(school)s 反馈了《%(title)s》的使用情况：%(lessons)s 课时，%(rating)s 分",
          school=loan.school.name, title=loan.resource.title, lessons=lessons, rating=rating),
        "/loans/requests", now=now)
    session.commit()
    mail.after_commit(now)
    return row


# Lists show each loan's resource (and studio) and requester: loaded in bulk, not one query per loan.
LIST_LOADS = (selectinload(Loan.resource), selectinload(Loan.requester))


def school_loans(actor: User | None) -> list[Loan]:
    """Every loan of the actor's school, newest first."""
    if actor is None or actor.role != "school" or actor.school_id is None:
        raise PermissionDenied(_("只有帮扶学校账号有借阅记录"))
    return list(get_session().scalars(select(Loan).where(Loan.school_id == actor.school_id)
                                      .options(*LIST_LOADS).order_by(Loan.requested_at.desc(), Loan.id.desc())))


def studio_loans(actor: User | None) -> list[Loan]:
    """Loans of the studios the actor acts for (all for admins), requests first."""
    if actor is None:
        raise PermissionDenied(_("请先登录"))
    stmt = select(Loan).options(*LIST_LOADS)
    if not policy.is_admin(actor):
        ids = list(policy.reviewed_ids(actor))
        if not ids:
            raise PermissionDenied(_("借阅审批只对工作室主持人、联系研训员和管理员开放"))
        stmt = stmt.where(Loan.studio_id.in_(ids))
    rows = list(get_session().scalars(stmt.order_by(Loan.requested_at.desc(), Loan.id.desc())))
    return sorted(rows, key=lambda loan: loan.status != "requested")


def active_school_loans(actor: User | None, now: datetime | None = None) -> list[Loan]:
    """The school's loans that open files today."""
    _now, today = _clock(now)
    return [loan for loan in school_loans(actor) if policy.loan_is_active(loan, today)]


def sweep(now: datetime | None = None) -> dict[str, int]:
    """Record expiries, send the due-in-3-days and expired notices (once each), end past agreements."""
    now, today = _clock(now)
    session = get_session()
    counts = {"expired": 0, "due_notices": 0, "agreements_ended": 0}
    rows = session.scalars(select(Loan).where(Loan.status == "active", Loan.due_on.is_not(None)))
    for loan in rows:
        requester = [loan.requester] if loan.requester else []
        if loan.due_on < today:
            loan.status = "expired"
            loan.ended_at = now
            counts["expired"] += 1
            notifications.notify(requester, "loan.expired", "loan", loan.id,
                                 _("借阅已到期：《%(title)s》，文件不能再打开", title=loan.resource.title), "/loans", now=now)
        elif loan.due_on - today <= timedelta(days=DUE_NOTICE_DAYS) and loan.due_notice_sent_at is None:
            loan.due_notice_sent_at = now
            counts["due_notices"] += 1
            notifications.notify(requester, "loan.due", "loan", loan.id,
                                 _("借阅将于 %(due)s 到期：《%(title)s》", due=loan.due_on.isoformat(),
                                   title=loan.resource.title), "/loans", now=now)
    for agreement in session.scalars(select(Agreement).where(Agreement.status == "active",
                                                             Agreement.ends_on < today)):
        agreement.status = "ended"
        agreement.updated_at = now
        counts["agreements_ended"] += 1
    session.commit()
    mail.after_commit(now)
    return counts


def lendable_resources_for(studio_id: int) -> list[Resource]:
    """A studio's published lendable outputs (for choosing a list scope)."""
    return list(get_session().scalars(select(Resource).where(
        Resource.studio_id == studio_id, Resource.visibility == "lendable", Resource.status == "published",
    ).order_by(Resource.title)))


def feedback_for(loans: list[Loan]) -> list[LoanFeedback]:
    """Feedback on these loans, newest first."""
    ids = [loan.id for loan in loans]
    if not ids:
        return []
    return list(get_session().scalars(select(LoanFeedback).where(LoanFeedback.loan_id.in_(ids))
                                      .order_by(LoanFeedback.created_at.desc())))

