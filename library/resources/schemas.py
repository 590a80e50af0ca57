"""What the resources pages, the API and `flask import` take, and what the API answers.

The metadata fields are DESIGN.md's names (title, kind, subject, stage, studio, year …). Whether a
subject, stage or studio exists, and who may upload there, needs the database: the service checks
that (service.validate_metadata)."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any, Literal

from annotated_types import Interval, MaxLen, MinLen
from flask_babel import gettext as _
from pydantic import BaseModel, BeforeValidator, Field, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from library import clock
from library.textbooks import positions
from library.resources.models import AwardLevel, FileState, Kind, Location, ProjectStatus, Status, Visibility
from library.validation import (
    ASCII_INT,
    BLANK,
    CONTROL,
    LINE,
    LINES,
    SPLIT,
    UNENCODABLE,
    Code,
    Flag,
    Schema,
    as_text,
    ascii_int,
    clean_line,
    label,
)

FIRST_YEAR = 1980


def resource_year(value: object) -> int:
    """A year of an output: ASCII digits, from 1980 to next year (a project approved for next year)."""
    year = ascii_int(value)
    if not FIRST_YEAR <= year <= clock.today().year + 1:
        raise PydanticCustomError("resource_year", _("年份应为 1980 至 %(today)s 之间的四位数字",
                                                      today=clock.today().year + 1))
    return year


def none_is_blank(value: object) -> object:
    """JSON null in a text field means nothing was written (`{"comment": null}` is no comment)."""
    return "" if value is None else value


def blank_is_public(value: object) -> object:
    """An empty or missing choice of visibility means the default, public."""
    return "public" if value is None or (isinstance(value, str) and not value.strip()) else value


# Text types with their bounds written before the cleaning validator: pydantic then checks them as
# string bounds ("不能超过 300 个字", "请填写此项"), not as a generic length ("最多 300 项"), which is
# what library.validation's Title, LongText, Comment and Names give for text today.
def required(message: Callable[[], str]) -> BeforeValidator:
    """A field that must be filled in, with its own message ("请填写标题", "请选择学科")."""

    def check(value: object) -> object:
        if value is None or (isinstance(value, str) and not value.strip()):
            raise PydanticCustomError("required", message())
        return value

    return BeforeValidator(check)


Line300 = Annotated[str, MaxLen(300), LINE]
Title = Annotated[str, MinLen(1), MaxLen(300), LINE, required(lambda: _("请填写标题"))]
def textbook_code(parse_code: Callable[[str], str | None], message: Callable[[str], str]) -> BeforeValidator:
    """A grade or volume as its code: the code itself, or what teachers write (三年级, 初一, 上册,
    必修一); "" when not given."""

    def check(value: object) -> object:
        if value is None:
            return ""
        text = clean_line(as_text(value))
        if not text:
            return ""
        code = parse_code(text)
        if code is None:
            raise PydanticCustomError("textbook_code", message(text))
        return code

    return BeforeValidator(check)


Grade = Annotated[str, MaxLen(32), textbook_code(
    positions.parse_grade, lambda t: _("不认识的年级“%(text)s”：请写 三年级、初一、高二、小班，或代码 p3、j1、s2、k1", text=t))]
Volume = Annotated[str, MaxLen(24), textbook_code(
    positions.parse_volume, lambda t: _("不认识的册次“%(text)s”：请写 上册、下册、全一册、必修第一册、选择性必修第二册 等", text=t))]
Unit = Annotated[str, MaxLen(100), LINE]
Lesson = Annotated[str, MaxLen(200), LINE, BeforeValidator(
    lambda v: as_text(v).strip().strip("《》").strip() if v is not None else "")]  # the page adds the 《》
EditionGiven = Annotated[Annotated[str, MaxLen(64), LINE] | None, BLANK]
ProjectNumber = Annotated[str, MaxLen(100), LINE]
GivenCode = Annotated[str, MinLen(1), MaxLen(64), LINE]
KindGiven = Annotated[Kind, required(lambda: _("请选择成果类型"))]
SubjectGiven = Annotated[GivenCode, required(lambda: _("请选择学科"))]
StageGiven = Annotated[GivenCode, required(lambda: _("请选择学段"))]
StudioGiven = Annotated[GivenCode, required(lambda: _("请选择工作室"))]
Abstract = Annotated[str, MaxLen(20_000), LINES]
CommentText = Annotated[str, MaxLen(2_000), LINES]
People = Annotated[list[Annotated[str, MaxLen(100), LINE]], MaxLen(50), SPLIT]
ResourceYear = Annotated[int, Interval(ge=FIRST_YEAR, le=2100), BeforeValidator(resource_year)]


class ResourceFields(Schema):
    """A resource's metadata, whole: what an upload gives, and what an edit must leave valid."""

    title: Title = Field(title=label("标题"))
    kind: KindGiven = Field(title=label("成果类型"))
    subject: SubjectGiven = Field(title=label("学科"), description="学科代码，如 math")
    stage: StageGiven = Field(title=label("学段"), description="学段代码，如 primary")
    studio: StudioGiven = Field(title=label("工作室"), description="工作室的 slug")
    grade: Grade = Field("", title=label("年级"), description="年级代码 p1…p6、j1…j3、s1…s3、k1…k3，或 三年级、初一、高二")
    edition: EditionGiven = Field(None, title=label("教材版本"), description="版本代码，如 pep；或 人教版、部编版")
    volume: Volume = Field("", title=label("册次"), description="upper、lower、whole、compulsory-1 …；或 上册、必修第一册")
    unit: Unit = Field("", title=label("单元"), description="如 第三单元 测量、3、Unit 2")
    lesson: Lesson = Field("", title=label("课"), description="课文或课题名称")
    authors: People = Field([], title=label("作者"), description="列表，或用逗号、顿号分隔的文字")
    abstract: Abstract = Field("", title=label("简介"))
    keywords: People = Field([], title=label("关键词"), description="列表，或用逗号、顿号分隔的文字")
    year: Annotated[ResourceYear | None, BLANK] = Field(None, title=label("年份"))
    award_level: Annotated[AwardLevel | None, BLANK] = Field(None, title=label("获奖级别"),
                                                                 validate_default=True)
    award_name: Line300 = Field("", title=label("奖项名称"))
    project_level: Annotated[AwardLevel | None, BLANK] = Field(None, title=label("课题级别"))
    project_status: Annotated[ProjectStatus | None, BLANK] = Field(None, title=label("课题状态"))
    project_number: ProjectNumber = Field("", title=label("立项编号"))
    publication: Line300 = Field("", title=label("发表刊物"))
    visibility: Annotated[Visibility, BeforeValidator(blank_is_public)] = Field("public", title=label("公开范围"))

    @model_validator(mode="before")
    @classmethod
    def _missing_is_empty(cls, data: object) -> object:
        # A required field left out gets its own message ("请选择学科"), as an empty one does.
        if isinstance(data, dict):
            return {**dict.fromkeys(("title", "kind", "subject", "stage", "studio"), ""), **data}
        return data

    @field_validator("award_level")
    @classmethod
    def _award_cases_have_a_level(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None and info.data.get("kind") == "award_case":
            raise PydanticCustomError("award_level", _("获奖课例请选择获奖级别"))
        return value

    @field_validator("grade")
    @classmethod
    def _grade_of_the_stage(cls, value: str, info: ValidationInfo) -> str:
        stage = positions.grade_stage(value) if value else None
        if stage is not None and info.data.get("stage") and stage != info.data["stage"]:
            raise PydanticCustomError("grade_stage", _("年级“%(grade)s”不属于所选学段", grade=positions.grade_label(value)))
        return value

    def columns(self) -> dict[str, Any]:
        """The metadata as the Resource row's columns (the studio is looked up by the service, the
        edition's code by validate_metadata)."""
        data = self.model_dump(include=set(ResourceFields.model_fields) - {"studio"})
        data["subject_code"], data["stage_code"] = data.pop("subject"), data.pop("stage")
        data["unit_number"], data["unit_title"] = positions.parse_unit(data.pop("unit"))
        data["edition_code"] = data.pop("edition")
        return data


class ResourceUpload(ResourceFields):
    """The fields of an upload (POST /api/v1/resources, multipart with one or more `file`): the
    metadata and what to do with it — `publish` at once (reviewers only), `submit` for review, or
    neither (a draft)."""

    publish: Annotated[Flag | None, BLANK] = Field(None, title=label("立即发布"))
    submit: Annotated[Flag | None, BLANK] = Field(None, title=label("提交审核"))


class ResourcePatch(Schema):
    """A change of metadata (PATCH /api/v1/resources/<id>, the edit page): only the fields given
    change; the studio cannot. null clears an optional choice (year, award_level …)."""

    title: Title | None = Field(None, title=label("标题"))
    kind: KindGiven | None = Field(None, title=label("成果类型"))
    subject: SubjectGiven | None = Field(None, title=label("学科"))
    stage: StageGiven | None = Field(None, title=label("学段"))
    grade: Grade = Field("", title=label("年级"))
    edition: EditionGiven = Field(None, title=label("教材版本"))
    volume: Volume = Field("", title=label("册次"))
    unit: Annotated[Unit, BeforeValidator(none_is_blank)] = Field("", title=label("单元"))
    lesson: Annotated[Lesson, BeforeValidator(none_is_blank)] = Field("", title=label("课"))
    authors: Annotated[People, BeforeValidator(none_is_blank)] = Field([], title=label("作者"))
    abstract: Annotated[Abstract, BeforeValidator(none_is_blank)] = Field("", title=label("简介"))
    keywords: Annotated[People, BeforeValidator(none_is_blank)] = Field([], title=label("关键词"))
    year: Annotated[ResourceYear | None, BLANK] = Field(None, title=label("年份"))
    award_level: Annotated[AwardLevel | None, BLANK] = Field(None, title=label("获奖级别"))
    award_name: Annotated[Line300, BeforeValidator(none_is_blank)] = Field("", title=label("奖项名称"))
    project_level: Annotated[AwardLevel | None, BLANK] = Field(None, title=label("课题级别"))
    project_status: Annotated[ProjectStatus | None, BLANK] = Field(None, title=label("课题状态"))
    project_number: Annotated[ProjectNumber, BeforeValidator(none_is_blank)] = Field(
        "", title=label("立项编号"))
    publication: Annotated[Line300, BeforeValidator(none_is_blank)] = Field("", title=label("发表刊物"))
    visibility: Annotated[Visibility, BeforeValidator(blank_is_public)] = Field("public", title=label("公开范围"))

    @field_validator("title", "kind", "subject", "stage", mode="before")
    @classmethod
    def _required_stay_required(cls, value: object, info: ValidationInfo) -> object:
        # Leaving out a required field keeps it; sending it empty or null is a mistake to name.
        if value is None:
            messages = {"title": _("请填写标题"), "kind": _("请选择成果类型"), "subject": _("请选择学科"),
                        "stage": _("请选择学段")}
            raise PydanticCustomError("required", messages[info.field_name or "title"])
        return value


class FilesUpload(Schema):
    """Files for a resource (POST /api/v1/resources/<id>/files adds them, PUT …/files/<file_id>
    replaces one): multipart/form-data with `file` parts and no other field."""


class TransitionBody(Schema):
    """A workflow step's comment: a return needs one (the reason), the others may have one."""

    comment: Annotated[CommentText, BeforeValidator(none_is_blank)] = Field(
        "", title=label("意见"), description="退回时必填：退回原因")


class UploadFormQuery(Schema):
    """The upload page's query string: the studio to preselect."""

    studio: Annotated[Code | None, BLANK] = Field(None, title=label("工作室"))


# ---- manifest rows (flask import) -----------------------------------------------------------------


def split_paths(value: object) -> list[str]:
    """The `files` column: paths relative to the manifest, separated by ';' (names may hold commas)."""
    if value is None:
        return []
    parts = [clean_line(part) for part in as_text(value).split(";")]
    return [part for part in parts if part]


class ManifestRow(ResourceFields):
    """One row of a `flask import` manifest: the metadata, its `status` (published, submitted or
    draft; published when empty) and its `files`."""

    status: Annotated[Literal["published", "submitted", "draft"], BeforeValidator(
        lambda v: "published" if v is None or (isinstance(v, str) and not v.strip()) else v)] = Field(
        "published", title=label("状态"))
    files: Annotated[list[Annotated[str, MaxLen(1_000)]], BeforeValidator(split_paths), MaxLen(50)] = Field(
        [], title=label("文件"))

    def upload(self) -> ResourceUpload:
        """The row as an upload: published at once, submitted for review, or a draft."""
        data = self.model_dump(include=set(ResourceFields.model_fields))
        return ResourceUpload.model_validate(
            {**data, "publish": self.status == "published", "submit": self.status == "submitted"})


# ---- file names ---------------------------------------------------------------------------------


def clean_file_name(name: object, fallback: str = "file") -> str:
    """An uploaded file's name as it may be stored and shown: the last path part, NFC, without
    control or unencodable characters (a browser sends what the disk has), at most 255 characters."""
    text = unicodedata.normalize("NFC", str(name or ""))
    text = UNENCODABLE.sub("", CONTROL.sub("", text)).replace("\\", "/").rsplit("/", 1)[-1].strip()
    if text in ("", ".", ".."):
        return fallback
    if len(text) > 255:
        stem, dot, ext = text.rpartition(".")
        text = (stem[:255 - len(ext) - 1] + dot + ext) if dot and len(ext) <= 16 else text[:255]
    return text


# ---- answers ------------------------------------------------------------------------------------


class ResourceFileOut(BaseModel):
    """A stored original: its download URL and, once derived, its images. Under a school's active
    loan the download and preview URLs are short-lived links bound to the loan."""

    id: int
    name: str
    size: int
    sha256: str
    content_type: str
    download_url: str
    state: FileState
    location: Location
    preview_url: str | None = None
    loan_id: int | None = None
    loan_due_on: date | None = None
    thumbnail_url: str | None = None
    poster_url: str | None = None
    duration_seconds: float | None = None
    derive_error: str | None = None


class ResourceOut(BaseModel):
    """Every DESIGN.md field of a resource, with its files."""

    id: int
    title: str
    kind: Kind
    subject: str
    stage: str
    grade: str
    edition: str | None
    volume: str
    unit: str
    unit_number: int | None
    lesson: str
    textbook_guessed: bool
    studio: str
    authors: list[str]
    abstract: str
    keywords: list[str]
    year: int | None
    award_level: AwardLevel | None
    award_name: str
    project_level: AwardLevel | None
    project_status: ProjectStatus | None
    project_number: str
    publication: str
    visibility: Visibility
    status: Status
    download_count: int
    created_at: str
    url: str
    files: list[ResourceFileOut]


class HistoryEvent(BaseModel):
    """One workflow step; `comment` and `by` only for the author and the reviewers ("" and null
    for other readers)."""

    action: str
    from_: str = Field(alias="from")
    to: str
    comment: str
    by: str | None
    at: str | None


class ResourceHistory(BaseModel):
    events: list[HistoryEvent]


class ReviewQueue(BaseModel):
    """One page of the submitted resources waiting for this reviewer, oldest first, and how many
    wait in all."""

    items: list[ResourceOut]
    page: int
    per_page: int
    total: int


class ReviewQueueQuery(Schema):
    """`?page=2`: the review queue comes a page at a time."""

    page: Annotated[int, Interval(ge=1, le=10_000), ASCII_INT] = Field(1, title=label("页码"))
