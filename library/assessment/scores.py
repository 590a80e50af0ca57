"""Scoring each studio's year against the indicators, with the evidence for each point."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import cast

from flask_babel import gettext as _

from library import policy
from library.accounts.models import User
from library.assessment.indicators import as_list, indicator_json, indicators
from library.assessment.models import Indicator
from library.errors import PermissionDenied
from library.resources.models import AWARD_LEVELS, Resource
from library.stats import figures as stats


def _rank(level: str | None) -> int:
    return AWARD_LEVELS.index(level) if level in AWARD_LEVELS else len(AWARD_LEVELS)


@dataclass
class Evidence:
    """One counted row: what it is, its id, a label, how many units it gives and the points they earn;
    `resource` is the output it names (an output, or the output lent), whose visibility decides who
    sees the row."""

    type: str
    id: int | str
    label: str
    units: int
    points: float
    resource: stats.Output | None = None


# Whether a viewer may see an evidence row named (its title, its id); hidden rows are counted only.
Shown = Callable[[Evidence], bool]


def everything(_evidence: Evidence) -> bool:
    """The operator's view (the command line): every row named."""
    return True


def shown_to(viewer: User | None) -> Shown:
    """Rows naming an output follow policy.can_view: a coordinator who liaises with no studio sees
    studio-only outputs counted, not named."""
    # An Output carries what can_view reads (studio_id, uploader_id, status, visibility).
    return lambda e: e.resource is None or policy.can_view(viewer, cast(Resource, e.resource))


@dataclass
class Score:
    indicator: Indicator
    count: int
    raw: float
    score: float
    evidence: list[Evidence] = field(default_factory=list)


@dataclass
class StudioScores:
    figures: stats.StudioYear
    scores: list[Score]

    @property
    def total(self) -> float:
        return round(sum(s.score for s in self.scores), 2)


def _unit_points(indicator: Indicator, level: str | None) -> float:
    if indicator.level_points and level in indicator.level_points:
        return float(indicator.level_points[level])
    return float(indicator.points)


def _resource_matches(rule: dict, resource) -> bool:
    kinds = as_list(rule.get("kind"))
    if kinds and resource.kind not in kinds:
        return False
    statuses = as_list(rule.get("project_status"))
    if statuses and resource.project_status not in statuses:
        return False
    for field_name in ("award_level", "project_level"):
        level = getattr(resource, field_name)
        low, high = rule.get(f"{field_name}_min"), rule.get(f"{field_name}_max")
        # "min provincial" = provincial or higher (national ranks first); an output without a level fails both.
        if low and _rank(level) > _rank(low):
            return False
        if high and (level not in AWARD_LEVELS or _rank(level) < _rank(high)):
            return False
    return True


@dataclass(frozen=True)
class _Like:
    """What _resource_matches reads of an output: a group of like outputs stands for each of them."""

    kind: str
    award_level: str | None
    project_level: str | None
    project_status: str | None


def evidence_for(indicator: Indicator, figures: stats.StudioYear) -> list[Evidence]:
    """The rows an indicator counts for one studio and year."""
    rule = indicator.rule or {}
    source = rule.get("source")
    if source == "resources":
        if not figures.with_rows:  # counted only (the scores page): one row per group of like outputs
            return [Evidence("resources", "/".join(map(str, group)), "", n, _unit_points(indicator, group[1] or group[2]))
                    for group, n in sorted(figures.groups.items(), key=str)
                    if _resource_matches(rule, _Like(*group))]
        return [Evidence("resource", r.id, r.title, 1, _unit_points(indicator, r.award_level or r.project_level), r)
                for r in figures.resources if _resource_matches(rule, r)]
    if source == "activities":
        kinds = as_list(rule.get("kind"))
        rows = [a for a in figures.activities if not kinds or a.kind in kinds]
        per_person = rule.get("measure") == "participants"
        return [Evidence("activity", a.id, a.title, a.participants if per_person else 1, float(indicator.points))
                for a in rows]
    if source == "loans":
        wanted = rule.get("under_agreement")
        return [Evidence("loan", loan.id, f"{loan.resource.title} → {loan.school.name}", 1, float(indicator.points),
                         loan.resource)
                for loan in figures.loans if wanted is None or (loan.agreement_id is not None) == wanted]
    if source == "agreements":
        return [Evidence("agreement", a.id, a.school.name, 1, float(indicator.points)) for a in figures.agreements]
    if source == "schools_helped":
        return [Evidence("school", s.id, s.name, 1, float(indicator.points))
                for s in sorted(figures.schools.values(), key=lambda s: s.name)]
    if source in ("views", "downloads"):
        months = figures.views_by_month if source == "views" else figures.downloads_by_month
        return [Evidence(f"{source[:-1]}_month", f"{figures.year}-{m + 1:02d}", "", n, float(indicator.points))
                for m, n in enumerate(months) if n]
    return []


def score(indicator: Indicator, figures: stats.StudioYear) -> Score:
    """One indicator's count and score for one studio."""
    evidence = evidence_for(indicator, figures)
    raw = round(sum(e.units * e.points for e in evidence), 4)
    capped = min(raw, indicator.cap) if indicator.cap is not None else raw
    return Score(indicator, sum(e.units for e in evidence), round(raw, 2), round(capped, 2), evidence)


def evaluate(year: int, rows: bool = True) -> list[StudioScores]:
    """Every studio's scores for the year, studio by studio (by name). With `rows=False` the outputs
    are counted by group in SQL: the same counts and scores, with evidence that names groups, not
    outputs (for the scores page, never for the API or the exports)."""
    items = indicators()
    return [StudioScores(figures, [score(i, figures) for i in items]) for figures in stats.all_studios(year, rows)]


def assessment(actor: User | None, year: int, rows: bool = True) -> list[StudioScores]:
    """The assessment table, for admins and coordinators."""
    _may_see(actor)
    return evaluate(year, rows)


def _may_see(actor: User | None) -> None:
    if not policy.can_view_city(actor):
        raise PermissionDenied(_("只有教育局管理员和研训员可以查看考核结果"))


def competition_ranks(totals: list[float]) -> list[int]:
    """Ranks of totals already sorted high to low, ties sharing a rank (1, 2, 2, 4)."""
    ranks: list[int] = []
    for place, total in enumerate(totals):
        ranks.append(ranks[-1] if place and total == totals[place - 1] else place + 1)
    return ranks


@dataclass
class RankedStudio:
    """One line of the ranked table: this year's scores and rank, and last year's total and rank."""

    rank: int
    row: StudioScores
    last_total: float | None
    last_rank: int | None


def ranked(rows: list[StudioScores], last_year: list[StudioScores]) -> list[RankedStudio]:
    """The studios by total, highest first (ties by name, sharing a rank), each beside its total and
    rank of the year before (None for a studio that was not there)."""
    def order(items: list[StudioScores]) -> list[StudioScores]:
        return sorted(items, key=lambda r: (-r.total, r.figures.studio.name, r.figures.studio.id))

    before = order(last_year)
    last = {r.figures.studio.id: (r.total, rank) for r, rank in zip(before, competition_ranks([r.total for r in before]),
                                                                   strict=True)}
    now = order(rows)
    return [RankedStudio(rank, r, *last.get(r.figures.studio.id, (None, None)))
            for r, rank in zip(now, competition_ranks([r.total for r in now]), strict=True)]


def ranked_assessment(actor: User | None, year: int) -> list[RankedStudio]:
    """The scores page: the year ranked by total beside the year before, both counted in SQL and
    gathered at once (evaluate(rows=False) for two years in the statements of one)."""
    _may_see(actor)
    items = indicators()
    years = stats.all_studios_years([year - 1, year], rows=False)
    scored = {y: [StudioScores(f, [score(i, f) for i in items]) for f in found] for y, found in years.items()}
    return ranked(scored[year], scored[year - 1])


def split_evidence(score: Score, shown: Shown) -> tuple[list[Evidence], list[Evidence]]:
    """A score's evidence as (the rows the viewer may see named, the rows only counted)."""
    named: list[Evidence] = []
    hidden: list[Evidence] = []
    for e in score.evidence:
        (named if shown(e) else hidden).append(e)
    return named, hidden


def assessment_json(year: int, rows: list[StudioScores], shown: Shown = everything) -> dict:
    """The scores as the API gives them, with the evidence ids of every figure the viewer may see
    and how many rows behind it are not shown."""
    studios = []
    for row in rows:
        if not row.figures.with_rows:
            raise ValueError("the API names the evidence: evaluate the year with rows=True")
        out = {}
        for s in row.scores:
            named, hidden = split_evidence(s, shown)
            out[s.indicator.code] = {"count": s.count, "raw": s.raw, "score": s.score,
                                     "evidence": [f"{e.type}:{e.id}" for e in named], "hidden": len(hidden)}
        studios.append({"studio": row.figures.studio.slug, "name": row.figures.studio.name, "total": row.total,
                        "scores": out})
    return {"year": year, "indicators": [indicator_json(i) for i in indicators()], "studios": studios}
