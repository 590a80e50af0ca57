"""The assessment indicators: the defaults, their rules, and editing them."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select

from library import policy
from library.accounts.models import User
from library.assessment.models import Indicator
from library.assessment.schemas import INDICATOR_CODE, IndicatorChange, IndicatorNew
from library.audit import service as audit
from library.db import get_session
from library.errors import Conflict, NotFound, PermissionDenied
from library.validation import CONTROL

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


def find_indicator(code: str) -> Indicator:
    """The indicator with this code (a code that cannot be one is not looked up)."""
    found = None
    if INDICATOR_CODE.match(code):
        found = get_session().scalar(select(Indicator).where(Indicator.code == code))
    if found is None:
        raise NotFound(_("没有考核指标 %(code)s", code=CONTROL.sub("", code)[:40]))
    return found


def save_indicator(actor: User | None, body: IndicatorChange, code: str | None = None) -> Indicator:
    """Create an indicator (an IndicatorNew), or change the one with `code` (its code never changes;
    only the fields the body carries change)."""
    if not policy.can_manage_assessment(actor):
        raise PermissionDenied(_("只有教育局管理员可以修改考核指标"))
    session = get_session()
    if code is None:
        if not isinstance(body, IndicatorNew):
            raise TypeError("a new indicator needs an IndicatorNew")
        if session.scalar(select(Indicator).where(Indicator.code == body.code)):
            raise Conflict(_("指标代码 %(code)s 已存在", code=body.code))
        indicator = Indicator(code=body.code, name_en="", level_points={}, cap=None, active=True,
                              position=(session.scalar(select(func.max(Indicator.position))) or 0) + 1)
        given = {"name", "rule", "points", "active", *body.model_fields_set}
    else:
        indicator = find_indicator(code)
        given = set(body.model_fields_set)
    if "name" in given and body.name is not None:
        indicator.name = body.name
    if "name_en" in given:
        indicator.name_en = body.name_en or ""
    if "rule" in given and body.rule is not None:
        indicator.rule = body.rule
    if "points" in given and body.points is not None:
        indicator.points = body.points
    if "level_points" in given:
        indicator.level_points = body.level_points or {}
    if "cap" in given:
        indicator.cap = body.cap
    if "position" in given and body.position is not None:
        indicator.position = body.position
    if "active" in given and body.active is not None:
        indicator.active = body.active
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
