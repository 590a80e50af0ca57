"""The annual assessment (考核): an editable indicator set, each studio's scores, XLSX and CSV exports.

An indicator's `rule` says what one *unit* is:
- {"source": "resources", "kind": K | [K…], "award_level_min": L, "award_level_max": L,
   "project_level_min": L, "project_level_max": L, "project_status": [S…]} — published outputs of the year;
- {"source": "activities", "kind": K | [K…], "measure": "count" | "participants"} — activities held in
  the year, each counting 1 or its participants;
- {"source": "loans", "under_agreement": true|false} — loans granted in the year;
- {"source": "agreements"} — confirmed agreements whose term overlaps the year;
- {"source": "schools_helped"} — distinct schools with such an agreement or a loan granted in the year;
- {"source": "views"} / {"source": "downloads"} — counted usage events in the year.
Each unit earns `level_points[its level]` when the indicator has level points (an output's award
level, else its project level), otherwise `points`; score = min(cap, Σ), rounded to 2 decimals.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import func, select

from library import policy
from library.db import get_session
from library.models import Indicator, User
from library.models.resource import AWARD_LEVELS, KINDS, PROJECT_STATUSES
from library.models.stats import ACTIVITY_KINDS
from library.services import audit, stats
from library.services.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from library.services.studios import SLUG_CODE

SOURCES = ("resources", "activities", "loans", "agreements", "schools_helped", "views", "downloads")
LEVEL_KEYS = ("award_level_min", "award_level_max", "project_level_min", "project_level_max")

# The default set, modelled on the seed categories and the bureau's reported figures
# (lessons, honours, research projects, papers, trainings, help to weak schools).
DEFAULT_INDICATORS = [
    ("lesson_videos", "录课视频", "Recorded lessons", {"source": "resources", "kind": "lesson_video"}, 1, {}, 10),
    ("awards_high", "省级及以上获奖课例", "Award-winning lessons, provincial and above",
     {"source": "resources", "kind": "award_case", "award_level_min": "provincial"}, 5,
     {"national": 8, "provincial": 5}, 24),
    ("awards_local", "州市级及以下获奖课例", "Award-winning lessons, prefecture and below",
     {"source": "resources", "kind": "award_case", "award_level_max": "prefecture"}, 1,
     {"prefecture": 3, "county": 2, "school": 1}, 12),
    ("excellent_cases", "优秀课例", "Excellent lessons", {"source": "resources", "kind": "excellent_case"}, 1, {}, 10),
    ("projects_approved", "课题立项与在研", "Research projects approved or ongoing",
     {"source": "resources", "kind": "research_project", "project_status": ["approved", "ongoing"]}, 1,
     {"national": 8, "provincial": 5, "prefecture": 3, "county": 2, "school": 1}, 16),
    ("projects_concluded", "课题结题", "Research projects concluded",
     {"source": "resources", "kind": "research_project", "project_status": ["concluded"]}, 1,
     {"national": 10, "provincial": 6, "prefecture": 4, "county": 2, "school": 1}, 20),
    ("papers", "论文文章", "Papers", {"source": "resources", "kind": "paper"}, 2, {}, 12),
    ("activities", "培训与教研活动", "Trainings and teaching-research activities",
     {"source": "activities", "measure": "count"}, 1, {}, 12),
    ("teachers_trained", "培训教师人次", "Teachers trained (attendances)",
     {"source": "activities", "measure": "participants"}, 0.02, {}, 10),
    ("loans_under_agreements", "协议内借阅", "Loans under assistance agreements",
     {"source": "loans", "under_agreement": True}, 0.5, {}, 6),
    ("schools_helped", "帮扶学校", "Schools helped", {"source": "schools_helped"}, 2, {}, 10),
]


def seed_indicators() -> None:
    """Insert the default indicators when the set is empty (an admin's edits are never overwritten)."""
    session = get_session()
    if session.scalar(select(func.count(Indicator.id))):
        return
    for position, (code, name, name_en, rule, points, level_points, cap) in enumerate(DEFAULT_INDICATORS):
        session.add(Indicator(code=code, name=name, name_en=name_en, rule=rule, points=points,
                              level_points=level_points, cap=cap, position=position, active=True))
    session.commit()


def indicators(include_inactive: bool = False) -> list[Indicator]:
    """The indicator set in its order."""
    query = select(Indicator).order_by(Indicator.position, Indicator.id)
    if not include_inactive:
        query = query.where(Indicator.active.is_(True))
    return list(get_session().scalars(query))


# ---------------------------------------------------------------- validating an indicator

def _rank(level: str | None) -> int:
    return AWARD_LEVELS.index(level) if level in AWARD_LEVELS else len(AWARD_LEVELS)


def _as_list(value) -> list[str]:
    if value in (None, "", []):
        return []
    return [str(v) for v in value] if isinstance(value, (list, tuple)) else [str(value)]


def _json_value(value, what: str):
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return {}
        try:
            return json.loads(text)
        except ValueError:
            raise InvalidInput(_("%(what)s 不是有效的 JSON", what=what), fields={what: _("JSON 格式有误")}) from None
    return value


def validate_rule(rule) -> dict:
    """Check a counting rule; returns it cleaned or raises InvalidInput naming what is wrong."""
    rule = _json_value(rule, "rule")
    if not isinstance(rule, dict):
        raise InvalidInput(_("计数规则应是一个 JSON 对象"), fields={"rule": _("应是对象")})
    source = rule.get("source")
    if source not in SOURCES:
        raise InvalidInput(_("计数规则的 source 只能是 %(sources)s", sources=", ".join(SOURCES)),
                           fields={"rule": _("未知的数据来源")})
    allowed = {"source"}
    if source == "resources":
        allowed |= {"kind", "project_status", *LEVEL_KEYS}
        bad = [k for k in _as_list(rule.get("kind")) if k not in KINDS]
        bad += [s for s in _as_list(rule.get("project_status")) if s not in PROJECT_STATUSES]
        bad += [str(rule[k]) for k in LEVEL_KEYS if k in rule and rule[k] not in AWARD_LEVELS]
        if bad:
            raise InvalidInput(_("计数规则里有未知的代码：%(codes)s", codes=", ".join(bad)), fields={"rule": ", ".join(bad)})
    elif source == "activities":
        allowed |= {"kind", "measure"}
        bad = [k for k in _as_list(rule.get("kind")) if k not in ACTIVITY_KINDS]
        if rule.get("measure", "count") not in ("count", "participants"):
            bad.append(str(rule.get("measure")))
        if bad:
            raise InvalidInput(_("计数规则里有未知的代码：%(codes)s", codes=", ".join(bad)), fields={"rule": ", ".join(bad)})
    elif source == "loans":
        allowed |= {"under_agreement"}
        if "under_agreement" in rule and not isinstance(rule["under_agreement"], bool):
            raise InvalidInput(_("under_agreement 应为 true 或 false"), fields={"rule": "under_agreement"})
    extra = sorted(set(rule) - allowed)
    if extra:
        raise InvalidInput(_("计数规则里有不认识的键：%(keys)s", keys=", ".join(extra)), fields={"rule": ", ".join(extra)})
    return dict(rule)


def _number(value, name: str, *, optional: bool = False) -> float | None:
    if value in (None, "") and optional:
        return None
    try:
        number = float(str(value).strip())
    except (TypeError, ValueError):
        raise InvalidInput(_("%(name)s 应为数字", name=name), fields={name: _("应为数字")}) from None
    if number < 0 or number != number or number > 1e6:
        raise InvalidInput(_("%(name)s 应为 0 到 1000000 之间的数字", name=name), fields={name: _("超出范围")})
    return number


def save_indicator(actor: User | None, data: Mapping, code: str | None = None) -> Indicator:
    """Create an indicator, or change the one with `code` (its code never changes)."""
    if not policy.can_manage_assessment(actor):
        raise PermissionDenied(_("只有教育局管理员可以修改考核指标"))
    session = get_session()
    if code is None:
        new_code = str(data.get("code") or "").strip()
        if not SLUG_CODE.match(new_code):
            raise InvalidInput(_("指标代码只能用小写字母、数字和下划线（2 到 32 个字符）"), fields={"code": new_code})
        if session.scalar(select(Indicator).where(Indicator.code == new_code)):
            raise Conflict(_("指标代码 %(code)s 已存在", code=new_code))
        indicator = Indicator(code=new_code,
                              position=(session.scalar(select(func.max(Indicator.position))) or 0) + 1)
        required = True
    else:
        indicator = session.scalar(select(Indicator).where(Indicator.code == code))
        if indicator is None:
            raise NotFound(_("没有找到指标 %(code)s", code=code))
        required = False
    if required or "name" in data:
        name = str(data.get("name") or "").strip()[:100]
        if not name:
            raise InvalidInput(_("请填写指标名称"), fields={"name": _("必填")})
        indicator.name = name
    if "name_en" in data:
        indicator.name_en = str(data.get("name_en") or "").strip()[:100]
    if required or "rule" in data:
        indicator.rule = validate_rule(data.get("rule"))
    if required or "points" in data:
        indicator.points = _number(data.get("points", 1), "points")
    if "level_points" in data:
        level_points = _json_value(data.get("level_points"), "level_points") or {}
        if not isinstance(level_points, dict) or any(k not in AWARD_LEVELS for k in level_points):
            raise InvalidInput(_("按级别计分应形如 {\"national\": 8, \"provincial\": 5}，级别只能是 %(levels)s",
                                 levels=", ".join(AWARD_LEVELS)), fields={"level_points": _("格式有误")})
        indicator.level_points = {k: _number(v, "level_points") for k, v in level_points.items()}
    if "cap" in data:
        indicator.cap = _number(data.get("cap"), "cap", optional=True)
    if str(data.get("position", "")).strip():
        indicator.position = int(_number(data.get("position"), "position"))
    if "active" in data:
        value = data.get("active")
        indicator.active = value if isinstance(value, bool) else str(value).strip().lower() in ("1", "true", "yes", "on", "是")
    if indicator.id is None:
        session.add(indicator)
    session.flush()
    audit.record("indicator.save", actor, "indicator", indicator.code, name=indicator.name, rule=indicator.rule,
                 points=indicator.points, level_points=indicator.level_points, cap=indicator.cap,
                 active=indicator.active)
    session.commit()
    return indicator


def indicator_json(indicator: Indicator) -> dict:
    return {"code": indicator.code, "name": indicator.name, "name_en": indicator.name_en, "rule": indicator.rule,
            "points": indicator.points, "level_points": indicator.level_points, "cap": indicator.cap,
            "position": indicator.position, "active": indicator.active}


# ---------------------------------------------------------------- scoring

@dataclass
class Evidence:
    """One counted row: what it is, its id, a label, how many units it gives and the points they earn."""

    type: str
    id: int | str
    label: str
    units: int
    points: float


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
    kinds = _as_list(rule.get("kind"))
    if kinds and resource.kind not in kinds:
        return False
    statuses = _as_list(rule.get("project_status"))
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


def evidence_for(indicator: Indicator, figures: stats.StudioYear) -> list[Evidence]:
    """The rows an indicator counts for one studio and year."""
    rule = indicator.rule or {}
    source = rule.get("source")
    if source == "resources":
        return [Evidence("resource", r.id, r.title, 1, _unit_points(indicator, r.award_level or r.project_level))
                for r in figures.resources if _resource_matches(rule, r)]
    if source == "activities":
        kinds = _as_list(rule.get("kind"))
        rows = [a for a in figures.activities if not kinds or a.kind in kinds]
        per_person = rule.get("measure") == "participants"
        return [Evidence("activity", a.id, a.title, a.participants if per_person else 1, float(indicator.points))
                for a in rows]
    if source == "loans":
        wanted = rule.get("under_agreement")
        return [Evidence("loan", loan.id, f"{loan.resource.title} → {loan.school.name}", 1, float(indicator.points))
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


def evaluate(year: int) -> list[StudioScores]:
    """Every studio's scores for the year, studio by studio (by name)."""
    items = indicators()
    return [StudioScores(figures, [score(i, figures) for i in items]) for figures in stats.all_studios(year)]


def assessment(actor: User | None, year: int) -> list[StudioScores]:
    """The assessment table, for admins and coordinators."""
    if not policy.can_view_city(actor):
        raise PermissionDenied(_("只有教育局管理员和研训员可以查看考核结果"))
    return evaluate(year)


def assessment_json(year: int, rows: list[StudioScores]) -> dict:
    """The scores as the API gives them, with the evidence ids of every figure."""
    return {
        "year": year,
        "indicators": [indicator_json(i) for i in indicators()],
        "studios": [{
            "studio": row.figures.studio.slug, "name": row.figures.studio.name, "total": row.total,
            "scores": {s.indicator.code: {"count": s.count, "raw": s.raw, "score": s.score,
                                          "evidence": [f"{e.type}:{e.id}" for e in s.evidence]}
                       for s in row.scores},
        } for row in rows],
    }


# ---------------------------------------------------------------- exports

CSV_HEADER = ["year", "studio", "studio_name", "indicator", "indicator_name", "count", "points_before_cap",
              "cap", "score", "evidence"]


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_text(value: str) -> str:
    """Text a spreadsheet will not run as a formula (OWASP CSV injection: a leading quote)."""
    return "'" + value if value.startswith(FORMULA_START) else value


def export_csv(year: int, rows: list[StudioScores]) -> str:
    """Long format, one line per studio and indicator; evidence as 'resource:12 resource:15 …'."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for row in rows:
        for s in row.scores:
            writer.writerow([year, row.figures.studio.slug, _csv_text(row.figures.studio.name), s.indicator.code,
                             _csv_text(s.indicator.name), s.count, s.raw, "" if s.indicator.cap is None else s.indicator.cap,
                             s.score, " ".join(f"{e.type}:{e.id}" for e in s.evidence)])
    return "\ufeff" + out.getvalue()  # Excel opens UTF-8 CSV as UTF-8 only with the BOM


def sheet_name(slug: str, used: set[str]) -> str:
    """An Excel sheet name (≤ 31 characters, none of []:*?/\\) for a studio, unique in the workbook."""
    base = "".join(ch for ch in slug if ch not in "[]:*?/\\")[:31] or "studio"
    name, n = base, 2
    while name.lower() in used or name.lower() == "summary":
        suffix = f"~{n}"
        name, n = base[:31 - len(suffix)] + suffix, n + 1
    used.add(name.lower())
    return name


def export_xlsx(year: int, rows: list[StudioScores]) -> bytes:
    """A workbook: 'Summary' (studio × indicator scores and total), then one sheet per studio with each
    indicator's count, points and score followed by the evidence rows behind them."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    items = indicators()
    book = Workbook()
    summary = book.active
    summary.title = "Summary"
    bold = Font(bold=True)
    summary.append([f"{year} 年度名师工作室考核汇总"])
    summary["A1"].font = bold
    summary.append(["工作室代码", "工作室", *[i.name for i in items], "总分"])
    summary.append(["", "", *[i.code for i in items], "total"])
    for cell in summary[2]:
        cell.font = bold
    used: set[str] = set()
    for row in rows:
        studio = row.figures.studio
        summary.append([studio.slug, studio.name, *[s.score for s in row.scores], row.total])
        sheet = book.create_sheet(sheet_name(studio.slug, used))
        sheet.append([f"{studio.name} · {year} 年度考核"])
        sheet["A1"].font = bold
        sheet.append(["指标代码", "指标", "计数", "每单位分值", "按级别分值", "计分（封顶前）", "上限", "得分"])
        for cell in sheet[2]:
            cell.font = bold
        for s in row.scores:
            i = s.indicator
            sheet.append([i.code, i.name, s.count, i.points,
                          json.dumps(i.level_points, ensure_ascii=False) if i.level_points else "",
                          s.raw, i.cap, s.score])
        sheet.append(["total", "总分", None, None, None, None, None, row.total])
        sheet.append([])
        sheet.append(["依据"])
        sheet.cell(row=sheet.max_row, column=1).font = bold
        sheet.append(["指标代码", "类型", "编号", "名称", "数量", "每单位分值"])
        for cell in sheet[sheet.max_row]:
            cell.font = bold
        for s in row.scores:
            for e in s.evidence:
                sheet.append([s.indicator.code, e.type, e.id, e.label, e.units, e.points])
        for column, width in zip("ABCDEFGH", (20, 28, 10, 12, 36, 14, 8, 8), strict=True):
            sheet.column_dimensions[column].width = width
    summary.column_dimensions["A"].width = 20
    summary.column_dimensions["B"].width = 28
    # openpyxl stores any text starting with "=" as a formula; titles, names and labels come from
    # users, so every such cell is turned back into the text it is (the workbook has no formulas).
    for sheet in book.worksheets:
        for cells in sheet.iter_rows():
            for cell in cells:
                if cell.data_type == "f":
                    cell.data_type = "s"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
