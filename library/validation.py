"""The one input layer: every request body, query string and manifest row becomes typed values here.

Schemas are pydantic models (subclasses of `Schema`) built from the field types below. Text is
normalised once, at this layer: NUL and other control characters are refused in one-line fields
(and stripped from multi-line ones, where pasted text often carries form feeds), lengths are
bounded, numbers must be ASCII digits ("²" and "①" pass `str.isdigit()` but are no numbers).
`parse()` turns a mapping (a JSON object, or a form / query string as a MultiDict) into a schema
instance or raises `InvalidInput` with a Chinese message per field, the API's error shape.

Services receive the typed instance; what needs the database (does this subject exist, may this
user upload here) stays in the service."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from datetime import date
from typing import Annotated, Any, TypeVar, get_args, get_origin

from flask_babel import gettext as _
from annotated_types import Interval, MaxLen
from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError
from pydantic_core import PydanticCustomError

from library.db import MAX_ID
from library.errors import InvalidInput

# C0 controls, DEL and the C1 block; XML 1.0 (and so XLSX) forbids most of them, PostgreSQL refuses NUL.
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


CONTROL_EXCEPT_LINES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


# Unicode's own non-characters and lone surrogates cannot be stored or encoded either.
UNENCODABLE = re.compile(r"[\ud800-\udfff\ufffe\uffff]")


LIST_SPLIT = re.compile(r"[,，、;；\n]+")


TRUE_WORDS = frozenset({"1", "true", "yes", "on", "是"})


FALSE_WORDS = frozenset({"0", "false", "no", "off", "否"})


def _fail(kind: str, message: str, **ctx: Any) -> PydanticCustomError:
    return PydanticCustomError(kind, message, ctx or None)


def as_text(value: object) -> str:
    """A value sent as text: strings as they are, numbers in their usual spelling; nothing else."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _fail("text_type", _("应为文字"))
    return str(value)


def clean_line(value: object) -> str:
    """One line of text: NFC-normalised, trimmed; any control character is refused."""
    text = unicodedata.normalize("NFC", as_text(value)).strip()
    if CONTROL.search(text) or UNENCODABLE.search(text):
        raise _fail("text_control", _("不能包含控制字符或不可见的特殊字符，请删除后重试"))
    return text


def clean_lines(value: object) -> str:
    """Several lines of text (an abstract, a comment): stray control characters are removed."""
    text = unicodedata.normalize("NFC", as_text(value))
    text = UNENCODABLE.sub("", CONTROL_EXCEPT_LINES.sub("", text)).replace("\r\n", "\n").replace("\r", "\n")
    return text.strip()


LINE = BeforeValidator(clean_line)  # Annotated[str, MaxLen(n), LINE]: one line of at most n characters


LINES = BeforeValidator(clean_lines)


def ascii_int(value: object) -> int:
    """An integer given as a JSON number or as ASCII digits ("2024", " 7 ", "-1"); nothing else."""
    if isinstance(value, bool):
        raise _fail("ascii_int", _("应为数字（0–9）"))
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        if re.fullmatch(r"[+-]?[0-9]{1,12}", text):
            return int(text)
    raise _fail("ascii_int", _("应为数字（0–9）"))


ASCII_INT = BeforeValidator(ascii_int)  # Annotated[int, Interval(ge=…, le=…), ASCII_INT]


RowId = Annotated[int, Interval(ge=1, le=MAX_ID), ASCII_INT]


def split_items(value: object) -> list[str]:
    """Authors, keywords or codes given as '张三，李四、王五' or as a list: trimmed, blanks and
    repeats dropped, order kept."""
    if value is None or value == "":
        return []
    if isinstance(value, (list, tuple)):
        parts: list[str] = []
        for item in value:
            parts.extend(LIST_SPLIT.split(as_text(item)) if isinstance(item, str) else [as_text(item)])
    else:
        parts = LIST_SPLIT.split(as_text(value))
    seen: dict[str, None] = {}
    for part in parts:
        text = clean_line(part)
        if text:
            seen.setdefault(text, None)
    return list(seen)


def split_ids(value: object) -> list[int]:
    """Row ids from a JSON list of numbers or '3, 5；8'."""
    items = value if isinstance(value, (list, tuple)) else split_items(value)
    return list(dict.fromkeys(ascii_int(item) for item in items))


SPLIT = BeforeValidator(split_items)  # Annotated[list[…], MaxLen(n), SPLIT]


SPLIT_IDS = BeforeValidator(split_ids)


def as_flag(value: object) -> bool:
    """Yes or no: JSON true/false, or one of 1/0, true/false, yes/no, on/off, 是/否."""
    if isinstance(value, bool):
        return value
    text = as_text(value).strip().lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise _fail("flag", _("只能是 true 或 false"))


Flag = Annotated[bool, BeforeValidator(as_flag)]


def as_day(value: object) -> date:
    if isinstance(value, date):
        return value
    text = clean_line(value)
    if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    raise _fail("day", _("日期格式应为 YYYY-MM-DD，例如 2024-05-03"))


Day = Annotated[date, BeforeValidator(as_day)]


def blank_is_none(value: object) -> object:
    """Optional fields: an empty form field or a JSON null both mean "not given"."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return value


BLANK = BeforeValidator(blank_is_none)  # Annotated[X | None, BLANK]: "" and null mean not given


# The field types the schemas are written in (DESIGN.md's names; limits as the columns allow).
Code = Annotated[str, MaxLen(64), LINE]
Name = Annotated[str, MaxLen(100), LINE]
Title = Annotated[str, MaxLen(300), LINE]
LongText = Annotated[str, MaxLen(20_000), LINES]
Comment = Annotated[str, MaxLen(2_000), LINES]
Year = Annotated[int, Interval(ge=1900, le=2100), ASCII_INT]
Names = Annotated[list[Name], MaxLen(50), SPLIT]
Codes = Annotated[list[Code], MaxLen(50), SPLIT]
Ids = Annotated[list[RowId], MaxLen(500), SPLIT_IDS]


class Schema(BaseModel):
    """A declared input. Unknown fields are ignored (clients may send more than we read)."""

    model_config = ConfigDict(extra="ignore", frozen=False, populate_by_name=True)

    @classmethod
    def list_fields(cls) -> frozenset[str]:
        """Fields that take several values (read with getlist from a form or query string)."""
        cached = cls.__dict__.get("_list_fields_cache")
        if cached is None:
            cached = frozenset(
                name for name, info in cls.model_fields.items()
                if _is_list(info.annotation)
            )
            setattr(cls, "_list_fields_cache", cached)
        return cached

    def given(self) -> dict[str, Any]:
        """The fields the request actually carried (for partial updates, PATCH)."""
        return {name: getattr(self, name) for name in self.model_fields_set}


def _is_list(annotation: Any) -> bool:
    if get_origin(annotation) is list:
        return True
    return any(_is_list(arg) for arg in get_args(annotation) if arg is not type(None))


S = TypeVar("S", bound=Schema)


def mapping_of(schema: type[Schema], data: Mapping[str, Any]) -> dict[str, Any]:
    """A plain dict of the fields `schema` reads: from a MultiDict, lists for list fields and the
    first value otherwise (a form field sent twice is not a list unless the field is one)."""
    if hasattr(data, "getlist"):
        lists = schema.list_fields()
        out: dict[str, Any] = {}
        for key in data.keys():
            values = data.getlist(key)
            out[key] = values if key in lists else values[0]
        return out
    return dict(data)


MESSAGES: dict[str, Callable[[dict], str]] = {
    "missing": lambda ctx: _("请填写此项"),
    "string_too_short": lambda ctx: _("请填写此项") if ctx.get("min_length") == 1 else _("至少 %(n)s 个字", n=ctx.get("min_length")),
    "string_too_long": lambda ctx: _("不能超过 %(n)s 个字", n=ctx.get("max_length")),
    "too_long": lambda ctx: _("最多 %(n)s 项", n=ctx.get("max_length")),
    "greater_than_equal": lambda ctx: _("不能小于 %(n)s", n=ctx.get("ge")),
    "less_than_equal": lambda ctx: _("不能大于 %(n)s", n=ctx.get("le")),
    "literal_error": lambda ctx: _("只能是以下之一：%(values)s", values=_choices(ctx)),
    "enum": lambda ctx: _("只能是以下之一：%(values)s", values=_choices(ctx)),
    "string_type": lambda ctx: _("应为文字"),
    "int_type": lambda ctx: _("应为数字"),
    "int_parsing": lambda ctx: _("应为数字"),
    "list_type": lambda ctx: _("应为列表"),
    "bool_type": lambda ctx: _("只能是 true 或 false"),
    "dict_type": lambda ctx: _("应为 JSON 对象"),
    "model_type": lambda ctx: _("应为 JSON 对象"),
}


def _choices(ctx: dict) -> str:
    return "、".join(re.findall(r"'([^']*)'", str(ctx.get("expected", "")))) or str(ctx.get("expected", ""))


def label(text: str) -> str:
    """Marks a field's title (a pydantic `Field(title=…)`) for translation; translated when shown."""
    return text


def field_errors(error: ValidationError) -> dict[str, str]:
    """One Chinese message per field (the first problem found), named by the field's name."""
    fields: dict[str, str] = {}
    for item in error.errors(include_url=False):
        location = [str(part) for part in item["loc"] if not isinstance(part, int)]
        name = location[0] if location else "body"
        if name in fields:
            continue
        message = MESSAGES.get(item["type"])
        fields[name] = message(item.get("ctx") or {}) if message else str(item["msg"])
    return fields


def invalid(fields: dict[str, str], schema: type[BaseModel] | None = None) -> InvalidInput:
    """The error for these field problems, its message naming the first field by its title."""
    name, first = next(iter(fields.items()))
    info = schema.model_fields.get(name) if schema is not None else None
    if info is not None and info.title:
        first = _("%(field)s：%(problem)s", field=_(info.title), problem=first)
    return InvalidInput(_("请修改后重新提交：%(first)s", first=first), fields=fields)


def parse(schema: type[S], data: Mapping[str, Any] | None) -> S:
    """`data` (a JSON object, a form, a query string, a manifest row) as a `schema`, or InvalidInput."""
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise InvalidInput(_("请求体应是一个 JSON 对象"))
    try:
        return schema.model_validate(mapping_of(schema, data))
    except ValidationError as error:
        raise invalid(field_errors(error), schema) from None
