"""The signed-in work pages at a chosen library size: a host, a liaison coordinator, an admin and a
school; studios with published and submitted outputs, loans (granted, requested, declined) with
feedback, agreements, usage events, activities and notifications — rows written with SQL inserts so
a test can grow the library in milliseconds — and the statements each page runs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import event, insert, select

from library.accounts import schools as school_service
from library.accounts import service as accounts
from library.db import get_session
from library.lending.models import Agreement, Loan, LoanFeedback
from library.notifications.models import Notification
from library.resources.models import KINDS, Resource
from library.stats.models import Activity, UsageEvent
from library.studios import service as studios
from tests.support.app import PASSWORD

YEAR = 2025

# Every work page, and who asks for it (the API ones with a bearer token).
PAGES = [
    ("host", "/review"), ("admin", "/review"), ("coord", "/review"),
    ("school", "/loans"), ("host", "/loans/requests"), ("admin", "/loans/requests"),
    ("host", "/agreements"), ("admin", "/agreements"), ("school", "/agreements"),
    ("host", "/notifications"), ("school", "/notifications"),
    ("host", f"/studios/work-0/dashboard?year={YEAR}"), ("coord", f"/studios/work-1/dashboard?year={YEAR}"),
    ("admin", f"/stats?year={YEAR}"), ("coord", f"/stats?year={YEAR}"), ("admin", f"/assessment/{YEAR}"),
    ("admin", f"/api/v1/stats?year={YEAR}"), ("host", f"/api/v1/studios/work-0/stats?year={YEAR}"),
    ("admin", f"/api/v1/assessment/{YEAR}"), ("school", "/api/v1/loans"), ("host", "/api/v1/loans"),
    ("admin", "/api/v1/agreements"), ("host", "/api/v1/notifications"),
    ("host", "/api/v1/review-queue"), ("admin", "/api/v1/review-queue"),
    ("host", "/studios/work-0/activities"), ("host", f"/api/v1/studios/work-0/activities?year={YEAR}"),
]


@dataclass
class WorkLibrary:
    studio_ids: list[int]
    school_ids: list[int]
    user_ids: dict[str, int]
    tokens: dict[str, str] = field(default_factory=dict)
    size: int = 0  # resources (and loans) so far


def build_work(app) -> WorkLibrary:
    """The people and places; no outputs yet (grow() adds them)."""
    with app.app_context():
        users = {
            "admin": accounts.create_user("admin", "admin", PASSWORD, "管理员"),
            "host": accounts.create_user("host", "teacher", PASSWORD, "主持人"),
            "coord": accounts.create_user("coord", "coordinator", PASSWORD, "研训员"),
        }
        made = [studios.create_studio(f"work-{i}", f"工作室 {i}", "math", "primary") for i in range(3)]
        studios.add_member(made[0], users["host"], "host")
        studios.set_coordinators(made[1], [users["coord"]])
        school_ids = [school_service.create_school(f"学校 {i}", weak=True).id for i in range(2)]
        users["school"] = accounts.create_user("school", "school", PASSWORD, "学校", school="学校 0")
        session = get_session()
        # One agreement in force for studio 0 and school 0; school 1 borrows without one.
        session.add(Agreement(studio_id=made[0].id, school_id=school_ids[0], subjects=[], scope="all",
                              scope_resource_ids=[], scope_kinds=[], scope_subjects=[], starts_on=date(YEAR, 1, 1),
                              ends_on=date(YEAR + 1, 12, 31), frequency_count=2, frequency_period="month",
                              status="active"))
        session.commit()
        library = WorkLibrary([s.id for s in made], school_ids, {k: u.id for k, u in users.items()})
        library.tokens = {k: accounts.create_token(u) for k, u in users.items()}
        return library


def grow(app, library: WorkLibrary, to: int) -> None:
    """Add outputs (and as many loans, events, notices) until the library holds `to` resources."""
    if to <= library.size:
        return
    start, library.size = library.size, to
    with app.app_context():
        session = get_session()
        agreement_id = session.scalar(select(Agreement.id))
        base = datetime(YEAR, 3, 1, 2)
        rows = []
        for i in range(start, to):
            kind = KINDS[i % len(KINDS)]
            status = "submitted" if i % 3 == 2 else "published"
            when = base + timedelta(hours=i)
            rows.append(dict(
                title=f"成果 {i}", kind=kind, subject_code="math", stage_code="primary", grade="",
                studio_id=library.studio_ids[i % 3], authors=["王丽"], abstract="", keywords=[],
                year=YEAR if i % 4 else None, award_level="provincial" if kind == "award_case" else None,
                award_name="", project_level="county" if kind == "research_project" else None,
                project_status="ongoing" if kind == "research_project" else None, project_number="",
                publication="", visibility="lendable" if i % 2 else "public", status=status,
                uploader_id=library.user_ids["host"], download_count=0, created_at=when, updated_at=when,
                published_at=when if status == "published" else None))
        session.execute(insert(Resource), rows)
        new = list(session.execute(select(Resource.id, Resource.studio_id, Resource.created_at)
                                   .where(Resource.status == "published", Resource.title.in_([r["title"] for r in rows]))))
        loans, events, notices = [], [], []
        for n, (rid, sid, when) in enumerate(new):
            school = library.school_ids[n % 2]
            status = ("requested", "returned", "declined", "active", "expired")[n % 5]
            granted = None if status in ("requested", "declined") else when
            loans.append(dict(resource_id=rid, studio_id=sid, school_id=school, requester_id=library.user_ids["school"],
                              agreement_id=agreement_id if school == library.school_ids[0] and sid == library.studio_ids[0]
                              else None, purpose="备课", class_period="", status=status, requested_at=when,
                              decline_reason="", granted_at=granted,
                              due_on=(when + timedelta(days=30)).date() if granted else None, renewals=0))
            for k, kind in enumerate(("view", "download", "view")):
                day = (when + timedelta(days=k)).date()
                events.append(dict(kind=kind, resource_id=rid, studio_id=sid, role="teacher", visitor=f"u:{n}:{k}",
                                   user_agent="Mozilla", range_start=0, day=day, counted=k < 2, reason="" if k < 2 else "repeat",
                                   dedupe_key=f"{rid}:{k}" if k < 2 else None, created_at=when))
        for who in ("host", "school", "admin"):
            notices += [dict(user_id=library.user_ids[who], kind="loan.requested", subject_type="loan", subject_id=1,
                             text=f"通知 {i}", link="/loans", created_at=base + timedelta(minutes=i),
                             read_at=None if i % 2 else base) for i in range(start, to)]
        if loans:
            session.execute(insert(Loan), loans)
            session.execute(insert(UsageEvent), events)
        session.execute(insert(Notification), notices)
        granted_ids = session.scalars(select(Loan.id).where(Loan.granted_at.is_not(None),
                                                            Loan.resource_id.in_([r[0] for r in new])))
        session.execute(insert(LoanFeedback), [dict(loan_id=i, lessons=1, rating=5, comment="") for i in granted_ids])
        session.execute(insert(Activity), [dict(studio_id=library.studio_ids[i % 3], title=f"活动 {i}", kind="training",
                                                held_on=date(YEAR, 1 + i % 12, 5), participants=10, description="")
                                           for i in range(start, to)])
        session.commit()


@dataclass
class Statements:
    """The SQL statements run while the block ran: (text, parameters)."""

    items: list[tuple[str, object]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.items)


@contextmanager
def statements(app) -> Iterator[Statements]:
    """Record every statement the app's engine runs (before_cursor_execute) while the block runs."""
    engine = app.extensions["db_engine"]
    seen = Statements()

    def record(_conn, _cursor, statement, parameters, _context, _executemany):
        seen.items.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)
