"""What the administration forms take: users, schools, studios, their people, subjects, the lists."""

from __future__ import annotations

from typing import Annotated, Literal

from annotated_types import Interval, MaxLen, MinLen
from pydantic import Field

from library.validation import ASCII_INT, BLANK, LINE, Code, Codes, Flag, LongText, Name, Names, RowId, Schema, label

SiteRole = Literal["admin", "coordinator", "teacher", "school"]


StudioRole = Literal["host", "member", "trainee"]


Username = Annotated[str, LINE, MinLen(1), MaxLen(64)]


# A password is a secret: taken as typed (not trimmed or normalised), only its length bounded.
Password = Annotated[str, MaxLen(200)]


Email = Annotated[str, LINE, MaxLen(254)]


SchoolName = Annotated[str, LINE, MinLen(1), MaxLen(200)]


class NewUser(Schema):
    username: Username = Field(title=label("用户名"))
    role: SiteRole = Field(title=label("角色"))
    password: Annotated[Password | None, BLANK] = Field(None, title=label("初始密码"))
    display_name: Annotated[Name | None, BLANK] = Field(None, title=label("姓名"))
    school: Annotated[SchoolName | None, BLANK] = Field(None, title=label("所属学校"))
    email: Annotated[Email | None, BLANK] = Field(None, title=label("邮箱"))


class UserChange(Schema):
    """A row of the users table: an unticked "active" box is not sent (off); an e-mail left blank
    removes the address, one not sent keeps it."""

    user_id: RowId = Field(title=label("账号"))
    role: SiteRole = Field(title=label("角色"))
    active: Flag = Field(False, title=label("启用"))
    password: Annotated[Password | None, BLANK] = Field(None, title=label("重设密码"))
    email: Email | None = Field(None, title=label("邮箱"))


class NewSchool(Schema):
    name: SchoolName = Field(title=label("学校名称"))
    weak: Flag = Field(False, title=label("薄弱学校"))
    subjects: Codes = Field([], title=label("需要帮扶的学科"))
    stages: Codes = Field([], title=label("学段"))


class NewStudio(Schema):
    slug: Annotated[str, LINE, MinLen(1), MaxLen(64)] = Field(title=label("网址代码"))
    name: Annotated[Name, MinLen(1)] = Field(title=label("工作室名称"))
    subject: Code = Field(title=label("学科"))
    stage: Code = Field(title=label("学段"))
    description: Annotated[LongText | None, BLANK] = Field(None, title=label("简介"))


class NewMember(Schema):
    username: Username = Field(title=label("用户名"))
    role: StudioRole = Field(title=label("角色"))


class MemberRef(Schema):
    user_id: RowId = Field(title=label("成员"))


class Coordinators(Schema):
    """The liaison coordinators' usernames: '赵研训, qianyx' (commas, 、, semicolons or lines)."""

    coordinators: Names = Field([], title=label("研训员"))


class SubjectForm(Schema):
    code: Annotated[str, LINE, MinLen(1), MaxLen(32)] = Field(title=label("代码"))
    name_zh: Annotated[str, LINE, MinLen(1), MaxLen(64)] = Field(title=label("中文名称"))
    name_en: Annotated[Annotated[str, LINE, MaxLen(64)] | None, BLANK] = Field(None, title=label("英文名称"))


class EditionForm(Schema):
    code: Annotated[str, LINE, MinLen(1), MaxLen(32)] = Field(title=label("代码"))
    name_zh: Annotated[str, LINE, MinLen(1), MaxLen(64)] = Field(title=label("名称"))
    aliases: Names = Field([], title=label("别名"), description="用逗号或顿号分隔，如 部编版、部编")
    subjects: Codes = Field([], title=label("学科"))
    stages: Codes = Field([], title=label("学段"))


class AuditQuery(Schema):
    page: Annotated[int, ASCII_INT, Interval(ge=1, le=10_000)] = Field(1, title=label("页码"))  # OFFSET stays an INTEGER
    action: Annotated[Code | None, BLANK] = Field(None, title=label("操作"))


class JobRef(Schema):
    job_id: RowId = Field(title=label("任务"))
