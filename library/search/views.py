"""The search page."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import lazy_gettext as _l

from library.accounts.auth import current_actor
from library.i18n import AWARD_LEVEL_LABELS, KIND_LABELS, PROJECT_STATUS_LABELS, STAGE_LABELS, vocab_name
from library.search import service as search
from library.search.schemas import SearchQuery
from library.studios import service as studios
from library.textbooks import positions
from library.textbooks import service as textbooks
from library.validation import parse
from search_index import Understood

bp = Blueprint("search", __name__)

FIELD_TITLES = {
    "stage": _l("学段"), "grade": _l("年级"), "subject": _l("学科"), "kind": _l("成果类型"),
    "award_level": _l("获奖级别"), "project_level": _l("课题级别"), "project_status": _l("课题状态"),
    "edition": _l("教材版本"), "volume": _l("册次"), "unit": _l("单元"),
}  # fmt: skip


def value_label(name: str, value: str, subjects: dict) -> str:
    """A filter value as the page shows it: junior → 初中, p3 → 三年级, pep → 人教版."""
    labels = {"stage": STAGE_LABELS, "kind": KIND_LABELS, "award_level": AWARD_LEVEL_LABELS,
              "project_level": AWARD_LEVEL_LABELS, "project_status": PROJECT_STATUS_LABELS}  # fmt: skip
    if name in labels:
        return str(labels[name].get(value, value))
    if name == "subject":
        return vocab_name(subjects.get(value)) or value
    if name == "grade":
        return positions.grade_label(value)
    if name == "volume":
        return positions.volume_label(value)
    if name == "edition":
        return textbooks.edition_names().get(value, value)
    if name == "unit" and value.isdigit():
        return positions.unit_label(int(value), "")
    return value


def chip(understood: Understood, subjects: dict) -> tuple[Understood, str, str]:
    return understood, str(FIELD_TITLES.get(understood.field, understood.field)), value_label(
        understood.field, understood.value, subjects)


@bp.get("/search")
def search_page():
    result = search.search(current_actor(), parse(SearchQuery, request.args))
    subjects = {s.code: s for s in studios.subject_list()}
    return render_template("search.html", result=result, studio_names=studios.studio_names(), subjects=subjects,
                           chips=[chip(u, subjects) for u in result.understood],
                           value_label=lambda name, value: value_label(name, value, subjects))
