"""The assessment indicators: the defaults, their rules, and editing them."""

from __future__ import annotations

import json
from collections.abc import Mapping

from flask_babel import gettext as _
from sqlalchemy import func, select

from library import policy
from library.accounts.models import User
from library.assessment.models import Indicator
from library.audit import service as audit
from library.db import get_session
from library.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from library.resources.models import AWARD_LEVELS, KINDS, PROJECT_STATUSES
from library.stats.models import ACTIVITY_KINDS
from library.studios.service import SLUG_CODE

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


def as_list(value) -> list[str]:
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
        bad = [k for k in as_list(rule.get("kind")) if k not in KINDS]
        bad += [s for s in as_list(rule.get("project_status")) if s not in PROJECT_STATUSES]
        bad += [str(rule[k]) for k in LEVEL_KEYS if k in rule and rule[k] not in AWARD_LEVELS]
        if bad:
            raise InvalidInput(_("计数规则里有未知的代码：%(codes)s", codes=", ".join(bad)), fields={"rule": ", ".join(bad)})
    elif source == "activities":
        allowed |= {"kind", "measure"}
        bad = [k for k in as_list(rule.get("kind")) if k not in ACTIVITY_KINDS]
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


def _optional_number(value, name: str) -> float | None:
    return None if value in (None, "") else _number(value, name)


def _number(value, name: str) -> float:
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
        found = session.scalar(select(Indicator).where(Indicator.code == code))
        if found is None:
            raise NotFound(_("没有考核指标 %(code)s", code=code))
        indicator = found
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
        indicator.cap = _optional_number(data.get("cap"), "cap")
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
