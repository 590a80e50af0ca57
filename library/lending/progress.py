"""An agreement's progress, month by month, against its agreed frequency."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select

from library.clock import local_day
from library.db import get_session
from library.lending.models import Agreement, Loan, LoanFeedback
from library.lending.timing import now_and_today


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
    _now, today = now_and_today(now)
    session = get_session()
    loans = list(session.scalars(select(Loan).where(Loan.agreement_id == agreement.id, Loan.granted_at.is_not(None))))
    feedback = list(session.scalars(select(LoanFeedback).join(Loan).where(Loan.agreement_id == agreement.id)))
    last = min(agreement.ends_on, max(today, agreement.starts_on))
    rows = []
    for month in _months(agreement.starts_on, last):
        key = month.strftime("%Y-%m")
        # Stored times are UTC; a month is the county's (a loan on the 1st at 07:00 is that month's).
        n_loans = len([loan for loan in loans if loan.granted_at and local_day(loan.granted_at).strftime("%Y-%m") == key])
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
