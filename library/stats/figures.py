"""A studio's figures for a year, and every studio's side by side.

What counts:
- outputs are *published* resources of the studio whose `year` is the year (a resource without a
  year counts in the year it was published); drafts, submitted, returned and withdrawn ones do not;
- views and downloads are counted usage events (see services/usage.py) on the studio's resources
  whose day falls in the year, whatever the resource's own year;
- loans are loans of the studio's resources granted in the year (granted_at set, not declined); a
  school's repeated loans of one output under one agreement count once per period of that agreement's
  frequency (week, month or term: borrowing and returning a video five times in a minute is one
  loan), the others are kept as `repeat_loans` (shown, not counted);
- an agreement counts when it was confirmed (active or ended, not a draft) and its term overlaps the year;
- schools helped are the distinct schools with such an agreement or a loan granted in the year;
- activities are the studio's recorded activities held in the year;
- a year (and a day) is the county's, China Standard Time: stored UTC times are converted (services/clock.py)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import and_, func, select
from sqlalchemy.orm import selectinload

from library import policy
from library.accounts.models import School, User
from library.clock import local_day, utc_start
from library.db import get_session, utcnow
from library.errors import PermissionDenied
from library.lending.models import Agreement, Loan
from library.resources.models import AWARD_LEVELS, KINDS, PROJECT_STATUSES, Resource
from library.stats.models import ACTIVITY_KINDS, Activity, UsageEvent
from library.studios.models import Studio

@dataclass(frozen=True, slots=True)
class Output:
    """A counted output: the columns the figures, the evidence and the dashboard read. A year of every
    studio's catalogue leaves the database as plain rows, not ORM objects (with their joined studio,
    subject and stage), so the city overview and the assessment do not grow by the weight of a Resource.
    policy.can_view reads only studio_id, uploader_id, status and visibility, which it carries."""

    id: int
    studio_id: int
    title: str
    kind: str
    year: int | None
    award_level: str | None
    project_level: str | None
    project_status: str | None
    status: str
    visibility: str
    uploader_id: int | None
    published_at: datetime | None


@dataclass(frozen=True, slots=True)
class LentOutput:
    """A granted loan as the figures count it: its output (an Output), its school and, under an
    agreement, that agreement's frequency period."""

    id: int
    resource_id: int
    studio_id: int
    school_id: int
    agreement_id: int | None
    granted_at: datetime | None
    frequency_period: str | None  # None when the loan names no (existing) agreement
    resource: Output
    school: School


# What the output figures depend on: (kind, award_level, project_level, project_status).
Group = tuple[str, str | None, str | None, str | None]


@dataclass
class StudioYear:
    """The rows behind one studio's figures for one year (so every figure can be traced). Gathered
    with `rows=False` (the city overview's table, the assessment page) the outputs are only counted,
    by `groups`, in SQL; `resources` is then empty and as_json() refuses."""

    studio: Studio
    year: int
    resources: list[Output] = field(default_factory=list)
    loans: list[LentOutput] = field(default_factory=list)  # the loans that count (see loan_period)
    repeat_loans: list[LentOutput] = field(default_factory=list)  # the same output again in the same period
    agreements: list[Agreement] = field(default_factory=list)
    activities: list[Activity] = field(default_factory=list)
    views_by_month: list[int] = field(default_factory=lambda: [0] * 12)
    downloads_by_month: list[int] = field(default_factory=lambda: [0] * 12)
    schools: dict[int, School] = field(default_factory=dict)  # schools helped, by id
    counted: Counter[Group] | None = None  # the outputs by group, when gathered without rows

    @property
    def with_rows(self) -> bool:
        return self.counted is None

    @property
    def groups(self) -> Counter[Group]:
        """The outputs by (kind, award level, project level, project status): every output figure."""
        if self.counted is not None:
            return self.counted
        return Counter((r.kind, r.award_level, r.project_level, r.project_status) for r in self.resources)

    def of_kind(self, kind: str) -> list[Output]:
        return [r for r in self.resources if r.kind == kind]

    @property
    def outputs(self) -> int:
        return sum(self.groups.values())

    @property
    def by_kind(self) -> dict[str, int]:
        counts: Counter[str] = Counter()
        for (kind, *_levels), n in self.groups.items():
            counts[kind] += n
        return {k: counts.get(k, 0) for k in KINDS}

    @property
    def awards_by_level(self) -> dict[str, int]:
        counts: Counter[str] = Counter()
        for (kind, award_level, _pl, _ps), n in self.groups.items():
            if kind == "award_case" and award_level:
                counts[award_level] += n
        return {level: counts.get(level, 0) for level in AWARD_LEVELS}

    @property
    def projects(self) -> dict[str, dict[str, int]]:
        levels: Counter[str] = Counter()
        statuses: Counter[str] = Counter()
        for (kind, _al, project_level, project_status), n in self.groups.items():
            if kind == "research_project":
                if project_level:
                    levels[project_level] += n
                if project_status:
                    statuses[project_status] += n
        return {"by_level": {lv: levels.get(lv, 0) for lv in AWARD_LEVELS},
                "by_status": {st: statuses.get(st, 0) for st in PROJECT_STATUSES}}

    @property
    def participants(self) -> int:
        return sum(a.participants for a in self.activities)

    @property
    def loans_under_agreements(self) -> list[LentOutput]:
        return [loan for loan in self.loans if loan.agreement_id is not None]

    @property
    def schools_reached(self) -> list[School]:
        """Schools the year's activities reached (shown beside, not inside, schools helped)."""
        seen = {s.id: s for a in self.activities for s in a.schools}
        return sorted(seen.values(), key=lambda s: s.name)

    def summary(self) -> dict:
        """The figures without the ids behind them (the city overview's table)."""
        return {
            "studio": self.studio.slug,
            "studio_name": self.studio.name,
            "year": self.year,
            "outputs": self.outputs,
            "by_kind": self.by_kind,
            "awards_by_level": self.awards_by_level,
            "projects": self.projects,
            "papers": self.by_kind["paper"],
            "views": sum(self.views_by_month),
            "downloads": sum(self.downloads_by_month),
            "views_by_month": list(self.views_by_month),
            "downloads_by_month": list(self.downloads_by_month),
            "loans": len(self.loans),
            "loans_under_agreements": len(self.loans_under_agreements),
            "repeat_loans": len(self.repeat_loans),
            "agreements": len(self.agreements),
            "schools_helped": len(self.schools),
            "schools": [{"id": s.id, "name": s.name} for s in sorted(self.schools.values(), key=lambda s: s.name)],
            "activities": len(self.activities),
            "activities_by_kind": dict(Counter(a.kind for a in self.activities)),
            "participants": self.participants,
            "schools_reached": len(self.schools_reached),
        }

    def as_json(self) -> dict:
        """The figures, as the API and the dashboard's tables give them."""
        if not self.with_rows:
            raise ValueError("as_json() names the rows behind each figure: gather them with rows=True")
        return {
            **self.summary(),
            "loan_ids": [loan.id for loan in self.loans],
            "repeat_loan_ids": [loan.id for loan in self.repeat_loans],
            "agreement_ids": [a.id for a in self.agreements],
            "activity_ids": [a.id for a in self.activities],
            "resource_ids": [r.id for r in self.resources],
        }


def term_of(day: date) -> tuple[int, str]:
    """The school term a day falls in: spring (February to July) or autumn (August to January, named
    by the year it starts in)."""
    if 2 <= day.month <= 7:
        return day.year, "spring"
    return (day.year if day.month >= 8 else day.year - 1), "autumn"


def loan_period(loan: LentOutput | Loan) -> tuple:
    """What makes a loan new help: another output, another school, or (under an agreement) another
    period of the agreement's frequency. Loans outside an agreement were each decided by the studio."""
    if isinstance(loan, Loan):
        period = loan.agreement.frequency_period if loan.agreement is not None else None
    else:
        period = loan.frequency_period
    if period is None or loan.granted_at is None:
        return ("loan", loan.id)
    day = local_day(loan.granted_at)
    key: tuple
    if period == "week":
        key = tuple(day.isocalendar())[:2]
    elif period == "month":
        key = (day.year, day.month)
    elif period == "term":
        key = term_of(day)
    else:
        key = ()  # no known frequency: once for the whole agreement
    return ("agreement", loan.agreement_id, loan.school_id, loan.resource_id, period, *key)


def output_year(resource: Output | Resource) -> int | None:
    """The year an output counts in: its own year, else the year it was published."""
    if resource.year is not None:
        return resource.year
    return local_day(resource.published_at).year if resource.published_at else None


# The columns of an Output, in its fields' order.
OUTPUT_COLUMNS = (Resource.id, Resource.studio_id, Resource.title, Resource.kind, Resource.year, Resource.award_level,
                  Resource.project_level, Resource.project_status, Resource.status, Resource.visibility,
                  Resource.uploader_id, Resource.published_at)


def gather(year: int, studios: list[Studio], rows: bool = True) -> dict[int, StudioYear]:
    """Load the year's rows for these studios in a few queries (one per table, not per studio), each
    served by an index on (studio_id, …) (migration 0011), as plain rows; with `rows=False` the
    outputs are only counted (StudioYear.counted), which is all the city table and the scores need."""
    return gather_years([year], studios, rows)[year]


def gather_years(years: list[int], studios: list[Studio], rows: bool = True) -> dict[int, dict[int, StudioYear]]:
    """gather() for consecutive years at once (the assessment beside last year's): the same queries,
    each over the whole span and split by year, so a second year costs one statement, not a page's worth."""
    session = get_session()
    years = sorted(set(years))
    if years != list(range(years[0], years[-1] + 1)):
        raise ValueError("gather_years() takes consecutive years")
    result = {y: {s.id: StudioYear(studio=s, year=y) for s in studios} for y in years}
    ids = [s.id for s in studios]
    if not ids:
        return result
    first, after = date(years[0], 1, 1), date(years[-1] + 1, 1, 1)
    # Only the years' outputs leave the database (the city overview gathers every studio's catalogue);
    # output_year() below stays the one rule. Two branches, so each is a range of ix_resources_studio_year.
    published = Resource.studio_id.in_(ids), Resource.status == "published"
    of_years = Resource.year.in_(years)

    def undated(start: date, end: date) -> tuple:
        return Resource.year.is_(None), Resource.published_at >= utc_start(start), Resource.published_at < utc_start(end)

    # Plain column rows: run on the session's connection, past the ORM's row processing.
    connection = session.connection()
    if rows:
        outputs = sorted((Output(*tuple(row)) for where in ((of_years,), undated(first, after))
                          for row in connection.execute(select(*OUTPUT_COLUMNS).where(*published, *where))),
                         key=lambda r: r.id)
        for output in outputs:
            counted_in = output_year(output)
            if counted_in in result:
                result[counted_in][output.studio_id].resources.append(output)
    else:
        # Only counted, by the columns every output figure depends on, from the index alone.
        for by_studio in result.values():
            for figures in by_studio.values():
                figures.counted = Counter()
        columns = (Resource.studio_id, Resource.kind, Resource.award_level, Resource.project_level,
                   Resource.project_status)
        # Dated outputs by their year in one statement; undated ones by the county's year of
        # publication, one statement a year (a local year is a range of published_at).
        branches: list[tuple[int | None, tuple]] = [(None, (of_years,))]
        branches += [(y, undated(date(y, 1, 1), date(y + 1, 1, 1))) for y in years]
        for fixed, where in branches:
            for studio_id, year_column, kind, award_level, project_level, project_status, n in connection.execute(
                    select(Resource.studio_id, Resource.year, *columns[1:], func.count())
                    .where(*published, *where).group_by(Resource.year, *columns)):
                counted = result[fixed if fixed is not None else year_column][studio_id].counted
                assert counted is not None
                counted[(kind, award_level, project_level, project_status)] += n
    lent = connection.execute(
        select(Loan.id, Loan.resource_id, Loan.studio_id, Loan.school_id, Loan.agreement_id, Loan.granted_at,
               Agreement.frequency_period, *OUTPUT_COLUMNS)
        .join(Resource, Resource.id == Loan.resource_id)
        .outerjoin(Agreement, Agreement.id == Loan.agreement_id)
        .where(Loan.studio_id.in_(ids), Loan.granted_at.is_not(None),
               Loan.status.not_in(("requested", "declined")),
               Loan.granted_at >= utc_start(first), Loan.granted_at < utc_start(after))
        .order_by(Loan.granted_at, Loan.id)).all()
    agreements = list(session.scalars(
        select(Agreement).where(Agreement.studio_id.in_(ids), Agreement.status.in_(("active", "ended")),
                                Agreement.starts_on < after, Agreement.ends_on >= first)
        .order_by(Agreement.id)).unique())
    school_ids = {row[3] for row in lent} - {a.school_id for a in agreements}
    schools = {a.school_id: a.school for a in agreements}
    if school_ids:
        schools.update((s.id, s) for s in session.scalars(select(School).where(School.id.in_(school_ids))))
    seen: set[tuple] = set()
    for row in lent:
        loan = LentOutput(*row[:7], resource=Output(*tuple(row[7:])), school=schools[row[3]])
        year = local_day(loan.granted_at).year if loan.granted_at else years[0]
        if year not in result:
            continue
        key = (year, loan_period(loan))  # each year counts its own loans
        figures = result[year][loan.studio_id]
        (figures.repeat_loans if key in seen else figures.loans).append(loan)
        seen.add(key)
        figures.schools[loan.school_id] = loan.school
    for by_studio in result.values():
        for figures in by_studio.values():
            figures.loans.sort(key=lambda loan: loan.id)
    for agreement in agreements:
        for y in years:
            if agreement.starts_on < date(y + 1, 1, 1) and agreement.ends_on >= date(y, 1, 1):
                result[y][agreement.studio_id].agreements.append(agreement)
                result[y][agreement.studio_id].schools[agreement.school_id] = agreement.school
    activities = session.scalars(
        select(Activity).where(Activity.studio_id.in_(ids), Activity.held_on >= first, Activity.held_on < after)
        .options(selectinload(Activity.schools)).order_by(Activity.held_on, Activity.id)).unique()
    for activity in activities:
        result[activity.held_on.year][activity.studio_id].activities.append(activity)
    # Counted by year and month in the database (at most 12 rows per studio, kind and year leave it),
    # from the index alone.
    year_of, month = func.extract("year", UsageEvent.day), func.extract("month", UsageEvent.day)
    usage = connection.execute(
        select(UsageEvent.studio_id, UsageEvent.kind, year_of, month, func.count())
        .where(and_(UsageEvent.studio_id.in_(ids), UsageEvent.counted.is_(True),
                    UsageEvent.day >= first, UsageEvent.day < after))
        .group_by(UsageEvent.studio_id, UsageEvent.kind, year_of, month))
    for studio_id, kind, year_number, number, n in usage:
        figures = result[int(year_number)][studio_id]
        months = figures.views_by_month if kind == "view" else figures.downloads_by_month
        months[int(number) - 1] += n
    return result


def studio_year(actor: User | None, studio: Studio, year: int) -> StudioYear:
    """One studio's figures, for those who may see its dashboard."""
    if not policy.can_view_stats(actor, studio):
        raise PermissionDenied(_("只有管理员、联系该工作室的研训员和工作室主持人可以查看统计"))
    return gather(year, [studio])[studio.id]


def all_studios(year: int, rows: bool = True) -> list[StudioYear]:
    """Every studio's figures for the year, by studio name (`rows`: see gather)."""
    return all_studios_years([year], rows)[year]


def all_studios_years(years: list[int], rows: bool = True) -> dict[int, list[StudioYear]]:
    """Every studio's figures for each of these consecutive years, by studio name, gathered at once."""
    studios = list(get_session().scalars(select(Studio).order_by(Studio.name)).unique())
    found = gather_years(years, studios, rows)
    return {y: [found[y][s.id] for s in studios] for y in found}


def city_overview(actor: User | None, year: int, rows: bool = True) -> list[StudioYear]:
    """The bureau's view: every studio side by side (the page's table needs no rows, the API names them)."""
    if not policy.can_view_city(actor):
        raise PermissionDenied(_("只有教育局管理员和研训员可以查看全县统计"))
    return all_studios(year, rows)


def help_matrix(rows: list[StudioYear]) -> tuple[list[School], list[tuple[Studio, dict[int, dict]]]]:
    """Who helps whom: the schools helped by any studio, and per studio per school the agreements and loans."""
    schools: dict[int, School] = {}
    lines = []
    for row in rows:
        cells: dict[int, dict] = {}
        for agreement in row.agreements:
            cells.setdefault(agreement.school_id, {"agreements": 0, "loans": 0})["agreements"] += 1
        for loan in row.loans:
            cells.setdefault(loan.school_id, {"agreements": 0, "loans": 0})["loans"] += 1
        schools.update(row.schools)
        lines.append((row.studio, cells))
    return sorted(schools.values(), key=lambda s: s.name), lines


def default_year() -> int:
    """The county's current year."""
    return local_day(utcnow()).year


def latest_year(studio: Studio | None = None) -> int:
    """The year a dashboard opens on: the latest year with an output, a loan or an activity of the
    studio (of any studio when None), never past the current year (an output dated 2030 by mistake
    does not move it); the current year when there is nothing yet. One statement: per studio, the
    latest of each table read from the end of its (studio_id, …) index."""
    current = default_year()
    published = (Resource.studio_id == Studio.id, Resource.status == "published")
    latest = (
        select(func.max(Resource.year)).where(*published, Resource.year <= current).scalar_subquery(),
        select(func.max(Resource.published_at)).where(*published, Resource.year.is_(None)).scalar_subquery(),
        select(func.max(Loan.granted_at)).where(Loan.studio_id == Studio.id).scalar_subquery(),
        select(func.max(Activity.held_on)).where(Activity.studio_id == Studio.id).scalar_subquery(),
    )
    statement = select(*latest).select_from(Studio)
    if studio is not None:
        statement = statement.where(Studio.id == studio.id)
    found: list[int] = []
    for output_year_, published_at, granted_at, held_on in get_session().execute(statement):
        found += [y for y in (output_year_, published_at and local_day(published_at).year,
                              granted_at and local_day(granted_at).year, held_on and held_on.year) if y]
    past = [y for y in found if y <= current]
    return max(past) if past else current


__all__ = ["ACTIVITY_KINDS", "LentOutput", "Output", "StudioYear", "all_studios", "all_studios_years", "city_overview",
           "gather", "gather_years", "help_matrix", "latest_year", "loan_period", "studio_year"]
