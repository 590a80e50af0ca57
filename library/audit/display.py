"""The audit log as a person reads it: an action's words, its object named ("用户 张老师",
"成果《…》"), its details as labelled values; looked up in one query per kind of object."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from library.accounts.models import School, User
from library.audit.actions import ACTIONS, DETAILS, TARGETS, action_label
from library.audit.models import AuditEntry
from library.db import get_session
from library.i18n import (AWARD_LEVEL_LABELS, LOAN_STATE_LABELS, ROLE_LABELS, STATUS_LABELS, STUDIO_ROLE_LABELS,
                          book_title, join_names, vocab_name)
from library.i18n import gettext as _
from library.resources.models import Resource
from library.studios.models import Studio, Subject


@dataclass
class AuditLine:
    """One entry ready for the page."""

    entry: AuditEntry
    action: str
    target: str
    details: list[tuple[str, str]]


def action_choices() -> list[tuple[str, str]]:
    """(code, words) of every action, for the log's filter."""
    return [(code, str(label)) for code, label in ACTIONS.items()]


def lines(entries: list[AuditEntry]) -> list[AuditLine]:
    """The entries with their objects and details in words."""
    names = _names(entries)
    return [AuditLine(e, action_label(e.action), _target(e, names), _details(e, names)) for e in entries]


def _names(entries: list[AuditEntry]) -> dict[tuple[str, str], str]:
    """What each referred-to object is called now, keyed by (kind, id as stored)."""
    wanted: dict[str, set[str]] = {}
    for e in entries:
        if e.target_type and e.target_id:
            wanted.setdefault(e.target_type, set()).add(e.target_id)
        detail = e.detail if isinstance(e.detail, dict) else {}
        if isinstance(detail.get("studio"), str):
            wanted.setdefault("studio", set()).add(detail["studio"])
        if detail.get("resource") is not None:
            wanted.setdefault("resource", set()).add(str(detail["resource"]))
    session = get_session()
    found: dict[tuple[str, str], str] = {}
    users = wanted.get("user", set())
    ids = {int(v) for v in users if v.isdigit()}
    for user in session.scalars(select(User).where((User.id.in_(ids)) | (User.username.in_(users)))):
        found["user", str(user.id)] = found["user", user.username.lower()] = user.name
    resource_ids = {int(v) for v in wanted.get("resource", set()) if v.isdigit()}
    for rid, title in session.execute(select(Resource.id, Resource.title).where(Resource.id.in_(resource_ids))):
        found["resource", str(rid)] = book_title(title)
    slugs = wanted.get("studio", set())
    for slug, name in session.execute(select(Studio.slug, Studio.name).where(Studio.slug.in_(slugs))):
        found["studio", slug] = name
    school_ids = {int(v) for v in wanted.get("school", set()) if v.isdigit()}
    for sid, name in session.execute(select(School.id, School.name).where(School.id.in_(school_ids))):
        found["school", str(sid)] = name
    for subject in session.scalars(select(Subject).where(Subject.code.in_(wanted.get("subject", set())))):
        found["subject", subject.code] = vocab_name(subject)
    return found


def _target(e: AuditEntry, names: dict[tuple[str, str], str]) -> str:
    if not e.target_type:
        return ""
    noun = str(TARGETS.get(e.target_type, _("对象")))
    detail = e.detail if isinstance(e.detail, dict) else {}
    name = names.get((e.target_type, e.target_id.lower() if e.target_type == "user" else e.target_id))
    if name is None and e.target_type == "resource" and detail.get("title"):
        name = book_title(str(detail["title"]))
    if name is None and detail.get("name") and e.target_type in ("indicator", "school", "studio"):
        name = str(detail["name"])
    if name is None and e.target_type == "activity" and detail.get("title"):
        name = str(detail["title"])
    if name is None:
        name = e.target_id if e.target_type in ("path", "user") else f"#{e.target_id}" if e.target_id else ""
    if e.target_type == "resource":
        return f"{noun}{name}"  # 成果《…》
    return f"{noun} {name}".strip()


def _details(e: AuditEntry, names: dict[tuple[str, str], str]) -> list[tuple[str, str]]:
    detail = e.detail if isinstance(e.detail, dict) else {}
    pairs = []
    for key, value in detail.items():
        if value in (None, "", [], {}):
            continue
        label = DETAILS.get(key)
        pairs.append((str(label) if label is not None else key.replace("_", " "), _value(key, value, names, e.target_type)))
    return pairs


def _value(key: str, value: object, names: dict[tuple[str, str], str], target: str = "") -> str:
    """A detail's value in words: roles, statuses and levels by their labels, yes/no, lists with 、."""
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, (list, tuple)):
        return join_names(_value(key, v, names, target) for v in value)
    if isinstance(value, dict):
        return join_names(f"{_value('level', k, names)}: {_value(key, v, names)}" for k, v in value.items())
    text = str(value)
    if key == "role":
        return str(STUDIO_ROLE_LABELS.get(text) or ROLE_LABELS.get(text) or text)
    if key == "status":
        return str((LOAN_STATE_LABELS if target == "loan" else STATUS_LABELS).get(text, text))
    if key == "level":
        return str(AWARD_LEVEL_LABELS.get(text, text))
    if key == "studio":
        return names.get(("studio", text), text)
    if key == "resource":
        return names.get(("resource", text), f"#{text}")
    return text
