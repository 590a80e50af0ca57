"""Which metadata fields belong to which kind of output: the one description the upload form,
the edit form (templates/partials/kind_fields.html) and the edit service read.

An 获奖课例 has an award level and name, a 课题研究 its level, status and number, a 论文文章 where
it was published; the other kinds have none of these. The forms show a group only for the kinds
it fits (js/kind_fields.js follows a change of kind), and an edit that changes the kind clears
the fields that no longer fit."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

from library.i18n import AWARD_LEVEL_LABELS, PROJECT_STATUS_LABELS


@dataclass(frozen=True)
class KindField:
    """One field of a group: a choice among `options` (code → label), or a line of text."""

    name: str
    label: object
    options: Mapping[str, object] | None = None
    placeholder: object = None
    maxlength: int = 300


@dataclass(frozen=True)
class KindFieldGroup:
    """Fields that only some kinds have, shown together under `legend`."""

    name: str
    legend: object
    kinds: tuple[str, ...]
    fields: tuple[KindField, ...] = field(default=())

    def fits(self, kind: str | None) -> bool:
        return kind in self.kinds

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)


KIND_FIELD_GROUPS: tuple[KindFieldGroup, ...] = (
    KindFieldGroup("award", _l("获奖信息（获奖课例填写）"), ("award_case",), (
        KindField("award_level", _l("获奖级别"), AWARD_LEVEL_LABELS),
        KindField("award_name", _l("奖项名称"), placeholder=_l("如：省级优质课一等奖")),
    )),
    KindFieldGroup("project", _l("课题信息（课题研究填写）"), ("research_project",), (
        KindField("project_level", _l("课题级别"), AWARD_LEVEL_LABELS),
        KindField("project_status", _l("课题状态"), PROJECT_STATUS_LABELS),
        KindField("project_number", _l("立项编号"), maxlength=100),
    )),
    KindFieldGroup("publication", _l("发表信息（论文文章填写）"), ("paper",), (
        KindField("publication", _l("发表刊物（刊名、期号、日期）")),
    )),
)


def kind_only_fields() -> frozenset[str]:
    """Every field that belongs to some kinds only."""
    return frozenset(name for group in KIND_FIELD_GROUPS for name in group.names)


def fields_not_fitting(kind: str) -> frozenset[str]:
    """The kind-only fields an output of this kind does not have."""
    fitting = {name for group in KIND_FIELD_GROUPS if group.fits(kind) for name in group.names}
    return kind_only_fields() - fitting


def cleared(name: str) -> object:
    """What a field that does not fit holds: no choice, or no text."""
    for group in KIND_FIELD_GROUPS:
        for f in group.fields:
            if f.name == name:
                return None if f.options is not None else ""
    raise KeyError(name)
