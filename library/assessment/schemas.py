"""What the assessment takes (a year, an indicator's definition) and what the API answers."""

from __future__ import annotations

import json
import math
import re
from typing import Annotated, Any

from annotated_types import Interval, MaxLen, MinLen
from flask_babel import gettext as _
from pydantic import AfterValidator, BaseModel, BeforeValidator, Field
from pydantic_core import PydanticCustomError

from library.resources.models import AWARD_LEVELS, KINDS, PROJECT_STATUSES
from library.stats.models import ACTIVITY_KINDS
from library.validation import ASCII_INT, BLANK, CONTROL, LINE, Flag, Schema, Year, as_text, label

SOURCES = ("resources", "activities", "loans", "agreements", "schools_helped", "views", "downloads")


LEVEL_KEYS = ("award_level_min", "award_level_max", "project_level_min", "project_level_max")


INDICATOR_CODE = re.compile(r"^[a-z][a-z0-9_]{1,31}$")


MAX_POINTS = 1_000_000


def _fail(kind: str, message: str) -> PydanticCustomError:
    return PydanticCustomError(kind, message)


def as_number(value: object) -> float:
    """A number of points: a JSON number or ASCII digits with an optional decimal part ("0.02")."""
    if isinstance(value, bool):
        raise _fail("number", _("应为数字（0–9，可带小数点）"))
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str) and re.fullmatch(r"[+-]?[0-9]{1,9}(?:\.[0-9]{1,9})?", value.strip()):
        number = float(value.strip())
    else:
        raise _fail("number", _("应为数字（0–9，可带小数点）"))
    if not math.isfinite(number):
        raise _fail("number", _("应为数字（0–9，可带小数点）"))
    return number


Points = Annotated[float, BeforeValidator(as_number), Interval(ge=0, le=MAX_POINTS)]


def json_object(value: object) -> object:
    """A JSON object, or its text (a form's textarea); blank text is {}."""
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return {}
        try:
            value = json.loads(text)
        except ValueError:
            raise _fail("json", _("不是有效的 JSON")) from None
    if not isinstance(value, dict):
        raise _fail("json_object", _("应是一个 JSON 对象"))
    return value


def _codes(value: object) -> list[str]:
    if value in (None, "", []):
        return []
    items = value if isinstance(value, (list, tuple)) else [value]
    return [as_text(v) for v in items]


def _shown(codes: list[str]) -> str:
    """Codes echoed in a message: without control characters, each cut short."""
    return ", ".join(CONTROL.sub("", code)[:40] for code in codes)


def check_rule(rule: dict) -> dict:
    """A counting rule: its source and, per source, the keys and codes it may have."""
    source = rule.get("source")
    if source not in SOURCES:
        raise _fail("rule_source", _("计数规则的 source 只能是 %(sources)s", sources=", ".join(SOURCES)))
    allowed = {"source"}
    bad: list[str] = []
    if source == "resources":
        allowed |= {"kind", "project_status", *LEVEL_KEYS}
        bad = [k for k in _codes(rule.get("kind")) if k not in KINDS]
        bad += [s for s in _codes(rule.get("project_status")) if s not in PROJECT_STATUSES]
        bad += [as_text(rule[k]) if isinstance(rule[k], (str, int, float)) else "?" for k in LEVEL_KEYS
                if k in rule and rule[k] not in AWARD_LEVELS]
    elif source == "activities":
        allowed |= {"kind", "measure"}
        bad = [k for k in _codes(rule.get("kind")) if k not in ACTIVITY_KINDS]
        if rule.get("measure", "count") not in ("count", "participants"):
            bad.append(as_text(rule["measure"]) if isinstance(rule["measure"], (str, int, float)) else "?")
    elif source == "loans":
        allowed |= {"under_agreement"}
        if "under_agreement" in rule and not isinstance(rule["under_agreement"], bool):
            raise _fail("rule_flag", _("under_agreement 应为 true 或 false"))
    if bad:
        raise _fail("rule_codes", _("计数规则里有未知的代码：%(codes)s", codes=_shown(bad)))
    extra = sorted(set(rule) - allowed)
    if extra:
        raise _fail("rule_keys", _("计数规则里有不认识的键：%(keys)s", keys=_shown(extra)))
    return dict(rule)


Rule = Annotated[dict[str, Any], BeforeValidator(json_object), AfterValidator(check_rule)]


def level_points(value: object) -> dict[str, float]:
    """Points by level, {"national": 8, "provincial": 5}: known levels only."""
    data = json_object(value) if value is not None else {}
    assert isinstance(data, dict)
    if any(k not in AWARD_LEVELS for k in data):
        raise _fail("level_points", _("按级别计分应形如 {\"national\": 8, \"provincial\": 5}，级别只能是 %(levels)s",
                                      levels=", ".join(AWARD_LEVELS)))
    out = {}
    for key, points in data.items():
        number = as_number(points)
        if not 0 <= number <= MAX_POINTS:
            raise _fail("level_points", _("每级分值应为 0 到 %(n)s 之间的数字", n=MAX_POINTS))
        out[key] = number
    return out


def rule_from_fields(form) -> dict[str, Any]:
    """The counting rule the indicator form's fields describe (source, kind, levels, statuses,
    measure …), to be checked like one sent as JSON."""
    source = as_text(form.get("source") or "")
    rule: dict[str, Any] = {"source": source}
    if source == "resources":
        kind = as_text(form.get("kind") or "")
        if kind:
            rule["kind"] = kind
        prefix = "project_level" if kind == "research_project" else "award_level"
        for end in ("min", "max"):
            if level := as_text(form.get(f"level_{end}") or ""):
                rule[f"{prefix}_{end}"] = level
        if statuses := [as_text(s) for s in form.getlist("project_status") if s]:
            rule["project_status"] = statuses
    elif source == "activities":
        if kind := as_text(form.get("activity_kind") or ""):
            rule["kind"] = kind
        rule["measure"] = as_text(form.get("measure") or "count")
    elif source == "loans":
        rule["under_agreement"] = form.get("under_agreement") == "1"
    return rule


def level_points_from_fields(form) -> dict[str, str]:
    """The per-level points the form's boxes give (lp_national …); a blank box gives none."""
    return {level: as_text(form.get(f"lp_{level}")).strip() for level in AWARD_LEVELS
            if as_text(form.get(f"lp_{level}") or "").strip()}


def indicator_code(value: str) -> str:
    if not INDICATOR_CODE.match(value):
        raise _fail("indicator_code", _("只能用小写字母、数字和下划线，以字母开头（2 到 32 个字符）"))
    return value


IndicatorName = Annotated[str, LINE, MinLen(1), MaxLen(100)]


LevelPoints = Annotated[dict[str, float] | None, BeforeValidator(level_points)]


class IndicatorChange(Schema):
    """A change to an indicator (PATCH): only the fields given change (null: left as it is). From a
    form, `cap` left blank means no cap and `position` left blank keeps the place; `level_points`
    blank or null means none."""

    name: IndicatorName | None = Field(None, title=label("指标名称"))
    name_en: Annotated[Annotated[str, LINE, MaxLen(100)] | None, BLANK] = Field(None, title=label("英文名称"))
    rule: Rule | None = Field(None, title=label("计数规则"))
    points: Points | None = Field(None, title=label("每单位分值"))
    level_points: LevelPoints = Field(None, title=label("按级别分值"))
    cap: Annotated[Points | None, BLANK] = Field(None, title=label("上限"))
    position: Annotated[Annotated[int, ASCII_INT, Interval(ge=0, le=10_000)] | None, BLANK] = Field(
        None, title=label("排序位置"))
    active: Flag | None = Field(None, title=label("启用"))


class IndicatorNew(IndicatorChange):
    """A new indicator: its code (which never changes), name and rule are required."""

    code: Annotated[str, LINE, MaxLen(32), AfterValidator(indicator_code)] = Field(title=label("指标代码"))
    name: IndicatorName = Field(title=label("指标名称"))
    rule: Rule = Field(title=label("计数规则"))
    points: Points = Field(1.0, title=label("每单位分值"))
    active: Flag = Field(True, title=label("启用"))


class YearPath(Schema):
    year: Year = Field(title=label("年份"))


class ExportQuery(Schema):
    """`?codes=1`: the CSV for programs (codes and a second header row of field names)."""

    codes: Flag = Field(False, title=label("附代码"))


class IndicatorOut(BaseModel):
    code: str
    name: str
    name_en: str
    rule: dict[str, Any]
    points: float
    level_points: dict[str, float]
    cap: float | None
    position: int
    active: bool


class IndicatorList(BaseModel):
    items: list[IndicatorOut]


class ScoreOut(BaseModel):
    """One indicator for one studio: `evidence` names the rows the caller may see ("resource:12");
    `hidden` counts the rows behind the score that are not shown to them."""

    count: int
    raw: float
    score: float
    evidence: list[str]
    hidden: int


class StudioScoresOut(BaseModel):
    studio: str
    name: str
    total: float
    scores: dict[str, ScoreOut]


class Assessment(BaseModel):
    year: int
    indicators: list[IndicatorOut]
    studios: list[StudioScoresOut]
