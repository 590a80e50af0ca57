"""Reading what people type into agreements: dates, lists, frequencies, scopes."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import select

from library import clock
from library.db import get_session, is_row_id, utcnow
from library.errors import InvalidInput
from library.lending.models import SCOPES
from library.resources.models import KINDS, Resource
from library.resources.service import split_list
from library.studios.models import Studio, Subject

PERIODS = ("week", "month", "term")


FREQUENCY_TEXT = re.compile(
    r"^\s*(\d+)\s*(?:times?|次)?\s*(?:/|per|a|an|every|每)\s*(week|month|term|周|月|学期)\s*$", re.I)


FREQUENCY_TEXT_ZH = re.compile(r"^\s*每\s*(周|月|学期)\s*(\d+)\s*次?\s*$")  # 每月2次


PERIOD_WORDS = {"周": "week", "月": "month", "学期": "term"}


def now_and_today(now: datetime | None) -> tuple[datetime, date]:
    """The moment (naive UTC, as stored) and the county's calendar day of it, which loans and
    agreements are judged by (like policy.loan_is_active); tests inject `now`."""
    now = now or utcnow()
    return now, clock.local_day(now)


def text_list(value) -> list[str]:
    """Codes or ids given as a list or as '1，2、3' (resources.split_list); anything else is refused."""
    if value is not None and not isinstance(value, (str, list, tuple)):
        raise InvalidInput(_("应为列表或用逗号分隔的文字"))
    return split_list(value)


def parse_day(data: Mapping, name: str, errors: dict) -> date | None:
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
        count = int(count) if count is not None else 0
    except (TypeError, ValueError):
        count = 0
    if not 1 <= count <= 100 or per not in PERIODS:
        message = _("频次应为 1 至 100 次，每周（week）、每月（month）或每学期（term）")
        raise InvalidInput(message, fields={"frequency": message})
    return count, per


def parse_scope(data: Mapping, studio: Studio, errors: dict) -> dict:
    """The content scope: "all", "list" with resource_ids, or "filter" with kinds and/or subjects."""
    raw = data.get("scope") or "all"
    detail: Mapping = data
    if isinstance(raw, (list, tuple)):  # a bare list of resource ids
        detail, raw = {"resource_ids": raw}, "list"
    elif isinstance(raw, Mapping):
        detail, raw = raw, raw.get("type") or ("list" if raw.get("resource_ids") else "filter")
    scope = str(raw).strip()
    out: dict[str, object] = {"scope": scope, "scope_resource_ids": [], "scope_kinds": [], "scope_subjects": []}
    if scope not in SCOPES:
        errors["scope"] = _("范围只能是 all（全部可借阅成果）、list（指定成果）或 filter（按类型/学科）")
        return out
    session = get_session()
    if scope == "list":
        try:
            ids = [int(v) for v in text_list(detail.get("resource_ids"))]
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
        kinds = text_list(detail.get("kinds"))
        # Flat input keeps "subjects" for the agreement's subjects; a scope object may say either.
        nested = detail is not data
        subjects = text_list(detail.get("scope_subjects") or (detail.get("subjects") if nested else None))
        if bad := [k for k in kinds if k not in KINDS]:
            errors["kinds"] = _("未知的成果类型：%(codes)s", codes=", ".join(bad))
        if bad := [c for c in subjects if session.get(Subject, c) is None]:
            errors["scope_subjects"] = _("未知的学科代码：%(codes)s", codes=", ".join(bad))
        if not kinds and not subjects:
            errors["scope"] = _("按类型/学科的范围请至少选择一个类型或学科")
        out["scope_kinds"], out["scope_subjects"] = kinds, subjects
    return out
