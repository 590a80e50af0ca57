"""What lending takes (agreements, loans, decisions, feedback: JSON bodies and the pages' forms) and
what its API answers.

The spellings people use are read here, once: a frequency as {"count": 2, "per": "month"}, "2/month",
"2 times per week", "2次/月", "每月2次" or a bare number (per month); a scope as "all", "list" with
resource_ids (or a bare list of ids), "filter" with kinds and/or subjects, flat or as an object.
What needs the database (the studio's resources, the schools and subjects that exist, who may
sign) stays in the services."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import date, datetime
from typing import Annotated, Any, Literal

from annotated_types import Interval
from flask_babel import gettext as _
from pydantic import (
    BaseModel,
    BeforeValidator,
    Field,
    StringConstraints,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from library.resources.models import KINDS
from library.resources.schemas import ResourceFileOut
from library.validation import (
    ASCII_INT,
    BLANK,
    CONTROL_EXCEPT_LINES,
    UNENCODABLE,
    LINE,
    Codes,
    Day,
    Ids,
    RowId,
    Schema,
    as_text,
    ascii_int,
    clean_line,
    label,
)

PERIODS = ("week", "month", "term")


Period = Literal["week", "month", "term"]


PERIOD_WORDS = {"周": "week", "月": "month", "学期": "term"}


# "2/month", "3 / week", "2 times per month", "2次/月"; ASCII digits only ("²" is no number).
FREQUENCY_TEXT = re.compile(
    r"^\s*([0-9]+)\s*(?:times?|次)?\s*(?:/|per|a|an|every|每)\s*(week|month|term|周|月|学期)\s*$", re.I)


FREQUENCY_TEXT_ZH = re.compile(r"^\s*每\s*(周|月|学期)\s*([0-9]+)\s*次?\s*$")  # 每月2次


def clean_note(value: object) -> str:
    """Several lines a person writes to another (a purpose, a reason, a comment): NFC, trimmed, line
    ends as \\n; a control character (NUL, \\x01 …) is refused, not silently dropped, since it is
    shown to the other side and stored (PostgreSQL refuses NUL). A JSON null is "not written".

    A candidate for library.validation (a `Comment` that refuses rather than strips)."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFC", as_text(value)).replace("\r\n", "\n").replace("\r", "\n")
    if CONTROL_EXCEPT_LINES.search(text) or UNENCODABLE.search(text):
        raise PydanticCustomError("text_control", _("不能包含控制字符或不可见的特殊字符，请删除后重试"))
    return text.strip()


def optional_line(value: object) -> str:
    """One optional line: null or absent is the empty text."""
    return "" if value is None else clean_line(value)


NOTE = BeforeValidator(clean_note)


# The constraints come before the validator so that pydantic reports them as text lengths
# (string_too_short / string_too_long), not as list lengths.
Note = Annotated[str, StringConstraints(max_length=2_000), NOTE]


RequiredNote = Annotated[str, StringConstraints(min_length=1, max_length=2_000), NOTE]


class Frequency(BaseModel):
    """How often the school is to borrow: `count` times per `per`."""

    count: Annotated[int, Interval(ge=1, le=100)]
    per: Period


def as_frequency(value: object) -> Frequency:
    """{"count": 2, "per": "month"}, "2/month", "2 times per week", "2次/月", "每月2次" or a bare
    number (per month)."""
    if isinstance(value, Frequency):
        return value
    count: object
    per: object
    if isinstance(value, Mapping):
        count, per = value.get("count"), value.get("per") or "month"
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        count, per = value, "month"
    elif isinstance(value, str) and re.fullmatch(r"\s*[0-9]+\s*", value):
        count, per = value, "month"
    elif isinstance(value, str) and (m := FREQUENCY_TEXT.match(value)):
        count, per = m.group(1), PERIOD_WORDS.get(m.group(2), m.group(2).lower())
    elif isinstance(value, str) and (m := FREQUENCY_TEXT_ZH.match(value)):
        count, per = m.group(2), PERIOD_WORDS[m.group(1)]
    else:
        raise PydanticCustomError("frequency", _(
            "频次格式应为“2/month”（每月 2 次）或 {\"count\": 2, \"per\": \"month\"}；周期可为 week、month、term"))
    try:
        number = ascii_int(count)
    except PydanticCustomError:
        number = 0
    per = PERIOD_WORDS.get(per, per.strip().lower()) if isinstance(per, str) else per
    if not 1 <= number <= 100 or per not in PERIODS:
        raise PydanticCustomError("frequency", _("频次应为 1 至 100 次，每周（week）、每月（month）或每学期（term）"))
    return Frequency(count=number, per=per)  # type: ignore[arg-type]


FrequencyField = Annotated[Frequency, BeforeValidator(as_frequency), WithJsonSchema({
    "anyOf": [
        {"type": "object", "properties": {"count": {"type": "integer", "minimum": 1, "maximum": 100},
                                          "per": {"enum": list(PERIODS)}}, "required": ["count"]},
        {"type": "string", "examples": ["2/month", "1/week", "1/term", "每月2次", "2 times per week"]},
        {"type": "integer", "minimum": 1, "maximum": 100},
    ],
    "description": "次数/周期：2/month、每月2次、{\"count\": 2, \"per\": \"month\"} 或一个数字（每月）",
})]


ScopeType = Literal["all", "list", "filter"]


SCOPE_JSON = {
    "anyOf": [
        {"enum": ["all", "list", "filter"]},
        {"type": "array", "items": {"type": "integer", "minimum": 1}, "maxItems": 500},
        {"type": "object", "properties": {
            "type": {"enum": ["all", "list", "filter"]},
            "resource_ids": {"type": "array", "items": {"type": "integer", "minimum": 1}, "maxItems": 500},
            "kinds": {"type": "array", "items": {"enum": list(KINDS)}, "maxItems": 50},
            "subjects": {"type": "array", "items": {"type": "string", "maxLength": 64}, "maxItems": 50}}},
    ],
    "description": "all（全部可借阅成果）、list（配 resource_ids）、filter（配 kinds、scope_subjects）；"
                   "也可写成对象 {\"type\": \"filter\", \"kinds\": […], \"subjects\": […]} 或成果编号列表",
}


def _scope_shapes(data: dict[str, Any]) -> None:
    """A scope given as an object or a bare list becomes the flat fields (the object's own
    resource_ids, kinds and subjects; the flat `subjects` stay the agreement's subjects)."""
    raw = data.get("scope")
    if raw is None or raw == "":
        data["scope"] = "all"
    elif isinstance(raw, (list, tuple)):
        data["scope"], data["resource_ids"] = "list", list(raw)
    elif isinstance(raw, Mapping):
        data["scope"] = raw.get("type") or ("list" if raw.get("resource_ids") else "filter")
        data["resource_ids"] = raw.get("resource_ids")
        data["kinds"] = raw.get("kinds")
        data["scope_subjects"] = raw.get("scope_subjects") or raw.get("subjects")
    ids = data.get("resource_ids")
    if isinstance(ids, (list, tuple)) and ids and all(isinstance(i, str) for i in ids):
        data["resource_ids"] = ",".join(ids)  # a form's text box, "3, 5"


class AgreementInput(Schema):
    """An agreement drawn up (POST /api/v1/agreements, the /agreements/new form)."""

    studio: Annotated[str, StringConstraints(min_length=1, max_length=64), LINE] = Field(
        title=label("工作室"), description="工作室代码（slug）")
    school: Annotated[str, StringConstraints(min_length=1, max_length=100), LINE] = Field(
        title=label("帮扶学校"), description="学校名称或编号")
    subjects: Codes = Field([], title=label("帮扶学科"))
    kinds: Codes = Field([], title=label("成果类型"), description="范围为 filter 时：成果类型")
    scope_subjects: Codes = Field([], title=label("范围学科"), description="范围为 filter 时：学科代码")
    scope: Annotated[ScopeType, WithJsonSchema(SCOPE_JSON)] = Field("all", title=label("内容范围"))
    resource_ids: Ids = Field([], title=label("指定成果"), validate_default=True,
                              description="范围为 list 时：本工作室可借阅成果的编号")
    starts_on: Day = Field(title=label("开始日期"))
    ends_on: Day = Field(title=label("结束日期"))
    frequency: FrequencyField = Field(title=label("约定频次"))
    outcomes: Annotated[str, StringConstraints(min_length=1, max_length=5_000), NOTE] = Field(title=label("预期成效"))
    status: Annotated[Literal["draft", "active"] | None, BLANK] = Field(
        None, title=label("状态"), description="研训员和管理员登记双方已签署的协议时为 active（默认）；draft 请双方在系统中确认")

    def scope_columns(self) -> dict[str, Any]:
        """The scope as the agreement stores it (only the chosen kind's details)."""
        return {"scope": self.scope, "scope_resource_ids": self.resource_ids if self.scope == "list" else [],
                "scope_kinds": self.kinds if self.scope == "filter" else [],
                "scope_subjects": self.scope_subjects if self.scope == "filter" else []}

    @model_validator(mode="before")
    @classmethod
    def _shapes(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        data = dict(data)
        _scope_shapes(data)
        if data.get("frequency") in (None, "") and "frequency_count" in data:  # the form's two fields
            data["frequency"] = {"count": data.get("frequency_count"), "per": data.get("frequency_period") or "month"}
        return data

    @field_validator("kinds")
    @classmethod
    def _known_kinds(cls, kinds: list[str]) -> list[str]:
        if bad := [k for k in kinds if k not in KINDS]:
            raise PydanticCustomError("kind", _("未知的成果类型：%(codes)s", codes=", ".join(bad)))
        return kinds

    @field_validator("scope")
    @classmethod
    def _filter_chooses(cls, scope: str, info: ValidationInfo) -> str:
        if scope == "filter" and "kinds" in info.data and "scope_subjects" in info.data \
                and not info.data["kinds"] and not info.data["scope_subjects"]:
            raise PydanticCustomError("scope", _("按类型/学科的范围请至少选择一个类型或学科"))
        return scope

    @field_validator("resource_ids")
    @classmethod
    def _list_chooses(cls, ids: list[int], info: ValidationInfo) -> list[int]:
        if info.data.get("scope") == "list" and not ids:
            raise PydanticCustomError("resource_ids", _("请至少选择一个成果"))
        return ids

    @field_validator("ends_on")
    @classmethod
    def _after_start(cls, ends_on: date, info: ValidationInfo) -> date:
        starts_on = info.data.get("starts_on")
        if starts_on is not None and ends_on < starts_on:
            raise PydanticCustomError("day_order", _("结束日期不能早于开始日期"))
        return ends_on


class BorrowForm(Schema):
    """The borrowing box of a resource page."""

    purpose: RequiredNote = Field(title=label("借阅用途"))
    class_period: Annotated[str, StringConstraints(max_length=200), BeforeValidator(optional_line)] = Field(
        "", title=label("班级/课时"))


class LoanRequest(BorrowForm):
    """A school asks to borrow a published lendable output (POST /api/v1/loans)."""

    resource_id: RowId = Field(title=label("成果编号"))


class DeclineInput(Schema):
    reason: RequiredNote = Field(title=label("不同意的理由"))


class ReturnInput(Schema):
    """Returning early; a note for the record is optional."""

    comment: Note = Field("", title=label("说明"))


class FeedbackInput(Schema):
    """After use: in how many lessons, a rating 1–5 and a comment."""

    lessons: Annotated[int, ASCII_INT, Interval(ge=0, le=1000)] = Field(title=label("使用课时"))
    rating: Annotated[int, ASCII_INT, Interval(ge=1, le=5)] = Field(title=label("评分"))
    comment: Annotated[str, StringConstraints(max_length=5_000), NOTE] = Field("", title=label("评价"))


# ---- answers -------------------------------------------------------------------------------------


class ScopeOut(BaseModel):
    type: ScopeType
    resource_ids: list[int]
    kinds: list[str]
    subjects: list[str]


class FrequencyOut(BaseModel):
    count: int
    per: Period
    text: str


class MonthOut(BaseModel):
    month: str
    target: float
    loans: int
    uses: int
    lessons: int
    met: bool


class ProgressOut(BaseModel):
    months: list[MonthOut]
    loans: int
    uses: int
    lessons: int
    months_met: int
    months_counted: int
    average_rating: float | None


class AgreementOut(BaseModel):
    """An agreement: `status` as stored (draft, active, ended), `state` as shown (pending: confirmed,
    not started yet; ended: also an active one past its end date)."""

    id: int
    studio: str
    studio_name: str
    school: str
    school_id: int
    subjects: list[str]
    scope: ScopeOut
    starts_on: date
    ends_on: date
    frequency: FrequencyOut
    outcomes: str
    status: Literal["draft", "active", "ended"]
    state: Literal["draft", "pending", "active", "ended"]
    in_force: bool
    studio_confirmed_at: datetime | None
    school_confirmed_at: datetime | None
    created_at: datetime
    url: str


class AgreementDetail(AgreementOut):
    """An agreement with its progress month by month."""

    progress: ProgressOut


class AgreementList(BaseModel):
    agreements: list[AgreementOut]


class LoanFileOut(ResourceFileOut):
    """A file of a borrowed output; `download_url` and `preview_url` are the loan's links."""

    preview_url: str
    loan_id: int
    loan_due_on: date


class FeedbackOut(BaseModel):
    id: int
    loan_id: int
    lessons: int
    rating: int
    comment: str
    created_at: datetime


class LoanOut(BaseModel):
    """A loan; while it is active (and its links usable) the borrowing school also gets `kit_url`
    and `files` with short-lived links."""

    id: int
    resource_id: int
    title: str
    studio: str
    school: str
    agreement_id: int | None
    purpose: str
    class_period: str
    status: Literal["requested", "active", "declined", "returned", "expired"]
    requested_at: datetime
    decided_at: datetime | None
    decline_reason: str
    granted_at: datetime | None
    due_on: date | None
    renewals: int
    can_renew: bool
    ended_at: datetime | None
    url: str
    kit_url: str | None = None
    files: list[LoanFileOut] | None = None


class LoanDetail(LoanOut):
    feedback: list[FeedbackOut]


class LoanList(BaseModel):
    """One page of loans (requests first for the studio side, newest first), and how many in all."""

    loans: list[LoanOut]
    page: int
    per_page: int
    total: int


class LoanListQuery(Schema):
    """`?page=2`: the loan list comes a page at a time."""

    page: Annotated[int, Interval(ge=1, le=10_000), ASCII_INT] = Field(1, title=label("页码"))
