"""Loans: a school borrows a lendable output, renews, returns and reports how it was used."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from library import clock, policy
from library.accounts.models import User
from library.audit import service as audit
from library.db import Page, get_session
from library.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from library.i18n import book_title
from library.lending.agreements import (
    admins,
    agreements_between,
    covering_agreement,
    studio_side_users,
)
from library.lending.models import Agreement, Loan, LoanFeedback
from library.lending.schemas import FeedbackInput
from library.lending.timing import now_and_today
from library.notifications import service as notifications
from library.resources.models import Resource
from library.resources.service import get_resource
from library.studios.models import Studio
from library.validation import parse

LOAN_DAYS = 30


DUE_NOTICE_DAYS = 3


def _due(loan: Loan) -> str:
    """The due date as YYYY-MM-DD (every granted loan has one)."""
    return loan.due_on.isoformat() if loan.due_on else ""


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
    covers it, otherwise waiting for the studio's host. `purpose` and `class_period` are already
    checked (schemas.LoanRequest)."""
    now, today = now_and_today(now)
    if actor is None:
        raise PermissionDenied(_("请先登录"))
    resource = get_resource(actor, resource_id)
    if actor.role != "school" or actor.school_id is None:
        raise PermissionDenied(_("只有帮扶学校账号可以借阅"))
    if not policy.can_borrow(actor, resource):
        raise InvalidInput(_("这个成果不在借阅范围内（只有已发布的“可借阅”成果可以借阅）"),
                           fields={"resource_id": _("不可借阅")})
    session = get_session()
    open_loans = session.scalars(select(Loan).where(
        Loan.resource_id == resource.id, Loan.school_id == actor.school_id,
        Loan.status.in_(("requested", "active"))))
    for other in open_loans:
        if other.status == "requested" or policy.loan_is_active(other, today):
            raise Conflict(_("贵校已借阅或已申请这个成果（借阅编号 %(id)s）", id=other.id), details=[{"loan_id": other.id}])
        other.status, other.ended_at = "expired", now  # past its due date, not yet swept
        notifications.notify([other.requester] if other.requester else [], "loan.expired", "loan", other.id,
                             _("借阅已到期：%(title)s，文件不能再打开", title=book_title(resource.title)), "/loans", now=now)
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
            studio_side_users(resource.studio) or admins(), "loan.requested", "loan", loan.id,
            _("%(school)s 申请借阅%(title)s", school=actor.school.name, title=book_title(resource.title)),
            "/loans/requests", now=now)
    session.commit()
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
    now, today = now_and_today(now)
    loan = _decidable(actor, loan_id)
    if loan.resource.visibility != "lendable" or loan.resource.status != "published":
        raise Conflict(_("这个成果已不再可借阅"))
    agreements = agreements_between(loan.studio_id, loan.school_id, today)
    _grant(loan, agreements[0] if agreements else None, now, today)
    loan.decided_at, loan.decided_by_id = now, actor.id if actor is not None else None
    audit.record("loan.approve", actor, "loan", loan.id)
    notifications.notify(
        [loan.requester] if loan.requester else [], "loan.approved", "loan", loan.id,
        _("借阅申请已批准：%(title)s，请在 %(due)s 前使用", title=book_title(loan.resource.title), due=_due(loan)),
        "/loans", now=now)
    get_session().commit()
    return loan


def decline_loan(actor: User | None, loan_id: int, reason: str, now: datetime | None = None) -> Loan:
    """Refuse a request, saying why (`reason` checked by schemas.DeclineInput)."""
    now, _today = now_and_today(now)
    loan = _decidable(actor, loan_id)
    loan.status = "declined"
    loan.decline_reason = reason
    loan.decided_at, loan.decided_by_id = now, actor.id if actor is not None else None
    audit.record("loan.decline", actor, "loan", loan.id)
    notifications.notify(
        [loan.requester] if loan.requester else [], "loan.declined", "loan", loan.id,
        _("借阅申请未获同意：%(title)s。理由：%(reason)s", title=book_title(loan.resource.title), reason=loan.decline_reason),
        "/loans", now=now)
    get_session().commit()
    return loan


def _own(actor: User | None, loan_id: int) -> Loan:
    loan = get_loan(actor, loan_id)
    if not policy.is_school_of(actor, loan.school_id):
        raise PermissionDenied(_("只有借阅学校可以这样做"))
    return loan


def renew_loan(actor: User | None, loan_id: int, now: datetime | None = None) -> Loan:
    """Extend an active, not overdue loan once, by 30 days from its current due date."""
    now, today = now_and_today(now)
    loan = _own(actor, loan_id)
    if not policy.loan_is_active(loan, today):
        raise Conflict(_("只有借阅中且未到期的借阅可以续借"))
    if loan.renewals >= 1:
        raise Conflict(_("每次借阅只能续借一次"))
    assert loan.due_on is not None  # an active loan has a due date
    loan.due_on = loan.due_on + timedelta(days=LOAN_DAYS)
    loan.renewals += 1
    loan.due_notice_sent_at = None  # a new due date earns a new reminder
    audit.record("loan.renew", actor, "loan", loan.id, due_on=_due(loan))
    get_session().commit()
    return loan


def return_loan(actor: User | None, loan_id: int, comment: str = "", now: datetime | None = None) -> Loan:
    """Give a loan back early: its links stop working at once. A `comment` goes into the audit log."""
    now, today = now_and_today(now)
    loan = _own(actor, loan_id)
    if not policy.loan_is_active(loan, today):
        raise Conflict(_("这条借阅不在借阅中，无需归还"))
    loan.status = "returned"
    loan.ended_at = now
    audit.record("loan.return", actor, "loan", loan.id, **({"comment": comment} if comment else {}))
    get_session().commit()
    return loan


def add_feedback(actor: User | None, loan_id: int, data: FeedbackInput | Mapping, now: datetime | None = None) -> LoanFeedback:
    """After use: in how many lessons, a rating 1–5 and a comment; the studio is told."""
    now, _today = now_and_today(now)
    loan = _own(actor, loan_id)
    if loan.granted_at is None:
        raise Conflict(_("借阅获批后才能填写使用反馈"))
    given = data if isinstance(data, FeedbackInput) else parse(FeedbackInput, data)
    lessons, rating = given.lessons, given.rating
    row = LoanFeedback(loan_id=loan.id, author_id=actor.id if actor is not None else None, lessons=lessons, rating=rating, comment=given.comment,
                       created_at=now)
    session = get_session()
    session.add(row)
    session.flush()
    studio = session.get(Studio, loan.studio_id)
    notifications.notify(
        studio.members_with_role("host") if studio is not None else [], "loan.feedback", "loan", loan.id,
        _("%(school)s 反馈了%(title)s的使用情况：%(lessons)s 课时，%(rating)s 分",
          school=loan.school.name, title=book_title(loan.resource.title), lessons=lessons, rating=rating),
        "/loans/requests", now=now)
    session.commit()
    return row


# Lists show each loan's resource (and studio, and for the API its files), requester and feedback:
# loaded in bulk, not one query per loan.
LIST_LOADS = (selectinload(Loan.resource).selectinload(Resource.files), selectinload(Loan.requester),
              selectinload(Loan.feedback))


# The loan pages show this many at a time (the API lists are not paged).
LOANS_PAGE = 20


def _school_id(actor: User | None) -> int:
    if actor is None or actor.role != "school" or actor.school_id is None:
        raise PermissionDenied(_("只有帮扶学校账号有借阅记录"))
    return actor.school_id


NEWEST = (Loan.requested_at.desc(), Loan.id.desc())


def school_loans(actor: User | None, limit: int | None = None, offset: int = 0) -> list[Loan]:
    """Every loan of the actor's school, newest first (`limit`/`offset`: one page of them); served by
    ix_loans_school_requested (0011)."""
    stmt = select(Loan).where(Loan.school_id == _school_id(actor)).options(*LIST_LOADS).order_by(*NEWEST)
    if limit is not None:
        stmt = stmt.offset(offset).limit(limit)
    return list(get_session().scalars(stmt))


def school_loan_page(actor: User | None, page: int = 1, per_page: int = LOANS_PAGE,
                     now: datetime | None = None) -> tuple[Page[Loan], int]:
    """One page of the school's loans, and how many of all its loans open files today."""
    _now, today = now_and_today(now)
    school_id = _school_id(actor)
    session = get_session()
    total = session.scalar(select(func.count()).select_from(Loan).where(Loan.school_id == school_id)) or 0
    active = session.scalar(select(func.count()).select_from(Loan).where(*_active_clauses(school_id, today))) or 0
    return Page(school_loans(actor, per_page, (page - 1) * per_page), page, per_page, total), active


def _active_clauses(school_id: int, today: date) -> tuple:
    """policy.loan_is_active in SQL: active and not past its due date."""
    return (Loan.school_id == school_id, Loan.status == "active", Loan.due_on.is_not(None), Loan.due_on >= today)


def _studio_clauses(actor: User | None) -> list:
    if actor is None:
        raise PermissionDenied(_("请先登录"))
    if policy.is_admin(actor):
        return []
    ids = list(policy.reviewed_ids(actor))
    if not ids:
        raise PermissionDenied(_("借阅审批只对工作室主持人、联系研训员和管理员开放"))
    return [Loan.studio_id.in_(ids)]


def studio_loans(actor: User | None, limit: int | None = None, offset: int = 0) -> list[Loan]:
    """Loans of the studios the actor acts for (all for admins): requests first, then the others,
    each newest first (`limit`/`offset`: one page of that order). Two queries, each a range of an index
    (ix_loans_status_requested, ix_loans_studio_requested), rather than a sort of every loan."""
    clauses = _studio_clauses(actor)
    session = get_session()
    # The page's ids from two index ranges, then its loans (and what they show) in one load.
    pending = select(Loan.id).where(*clauses, Loan.status == "requested").order_by(*NEWEST)
    others = select(Loan.id).where(*clauses, Loan.status != "requested").order_by(*NEWEST)
    if limit is None:  # the API's whole list (not paged): requests first, in one query
        return list(session.scalars(select(Loan).where(*clauses).options(*LIST_LOADS)
                                    .order_by(case((Loan.status == "requested", 0), else_=1), *NEWEST)))
    ids = list(session.scalars(pending.offset(offset).limit(limit)))
    if len(ids) < limit:
        skipped = 0  # the page starts among the requests (or there are none): the others from their first
        if offset and not ids:  # the page starts past the requests: skip the others on earlier pages
            skipped = offset - (session.scalar(select(func.count()).select_from(Loan)
                                               .where(*clauses, Loan.status == "requested")) or 0)
        ids += session.scalars(others.offset(max(0, skipped)).limit(limit - len(ids)))
    if not ids:
        return []
    rows = {loan.id: loan for loan in session.scalars(select(Loan).where(Loan.id.in_(ids)).options(*LIST_LOADS))}
    return [rows[i] for i in ids]


def studio_loan_page(actor: User | None, page: int = 1, per_page: int = LOANS_PAGE) -> Page[Loan]:
    """One page of the studio side's loans (requests first) and how many there are in all."""
    clauses = _studio_clauses(actor)
    total = get_session().scalar(select(func.count()).select_from(Loan).where(*clauses)) or 0
    return Page(studio_loans(actor, per_page, (page - 1) * per_page), page, per_page, total)


def active_school_loans(actor: User | None, now: datetime | None = None) -> list[Loan]:
    """The school's loans that open files today (selected in SQL, checked by the one rule)."""
    _now, today = now_and_today(now)
    rows = get_session().scalars(select(Loan).where(*_active_clauses(_school_id(actor), today))
                                 .options(*LIST_LOADS).order_by(*NEWEST))
    return [loan for loan in rows if policy.loan_is_active(loan, today)]


def sweep(now: datetime | None = None) -> dict[str, int]:
    """Record expiries, send the due-in-3-days and expired notices (once each), end past agreements."""
    now, today = now_and_today(now)
    session = get_session()
    counts = {"expired": 0, "due_notices": 0, "agreements_ended": 0}
    rows = session.scalars(select(Loan).where(Loan.status == "active", Loan.due_on.is_not(None)))
    for loan in rows:
        requester = [loan.requester] if loan.requester else []
        assert loan.due_on is not None  # selected above
        if loan.due_on < today:
            loan.status = "expired"
            loan.ended_at = now
            counts["expired"] += 1
            notifications.notify(requester, "loan.expired", "loan", loan.id,
                                 _("借阅已到期：%(title)s，文件不能再打开", title=book_title(loan.resource.title)), "/loans", now=now)
        elif loan.due_on - today <= timedelta(days=DUE_NOTICE_DAYS) and loan.due_notice_sent_at is None:
            loan.due_notice_sent_at = now
            counts["due_notices"] += 1
            notifications.notify(requester, "loan.due", "loan", loan.id,
                                 _("借阅将于 %(due)s 到期：%(title)s", due=_due(loan),
                                   title=book_title(loan.resource.title)), "/loans", now=now)
    for agreement in session.scalars(select(Agreement).where(Agreement.status == "active",
                                                             Agreement.ends_on < today)):
        agreement.status = "ended"
        agreement.updated_at = now
        counts["agreements_ended"] += 1
    session.commit()
    return counts


def feedback_for(loans: list[Loan]) -> list[LoanFeedback]:
    """Feedback on these loans, newest first."""
    ids = [loan.id for loan in loans]
    if not ids:
        return []
    return list(get_session().scalars(select(LoanFeedback).where(LoanFeedback.loan_id.in_(ids))
                                      .order_by(LoanFeedback.created_at.desc())))
