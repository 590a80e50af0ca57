"""Look-ups for the forms' pickers: outputs by title, teachers by name, as small JSON lists.

GET only and read-only, so a page's own script may call them with its sign-in session as well as
with a bearer token (the rest of /api/v1 wants the token)."""

from __future__ import annotations

from typing import Annotated

from flask import g, jsonify
from flask_babel import gettext as _
from flask_login import current_user
from pydantic import BaseModel, Field

from library.accounts import lookup as people
from library.accounts.models import User
from library.errors import Unauthenticated
from library.i18n import KIND_LABELS
from library.resources import lookup as outputs
from library.validation import BLANK, Code, Flag, Schema, label
from library.web.api import api
from library.web.openapi import operation

Query = Annotated[str, Field(max_length=100)]


class ResourceLookup(Schema):
    q: Query = Field("", title=label("标题"))
    studio: Annotated[Code | None, BLANK] = Field(None, title=label("工作室"), description="只找这个工作室的成果")
    lendable: Flag = Field(False, title=label("可借阅"), description="只找已发布的可借阅成果")


class PeopleLookup(Schema):
    q: Query = Field("", title=label("姓名或用户名"))


class Found(BaseModel):
    id: int
    label: str = Field(description="列表中显示的文字")
    value: str = Field(description="选中后填入输入框的文字（成果标题、用户名）")


class FoundList(BaseModel):
    items: list[Found]


def _caller() -> User:
    user = g.get("api_user") or (current_user if current_user.is_authenticated else None)
    if user is None:
        raise Unauthenticated(_("请先登录"))
    return user


@api.get("/lookup/resources")
@operation("按标题查找成果 (outputs by title, for pickers)", query=ResourceLookup, response=FoundList,
           auth="optional", errors=(401,), tags=("lookup",),
           description="调用者能看到的、标题含 q 的成果，最多 10 个；页面脚本可用登录会话调用。")
def lookup_resources(query: ResourceLookup):
    rows = outputs.find_resources(_caller(), query.q, studio_slug=query.studio, lendable=query.lendable)
    return jsonify(items=[{"id": r.id, "value": r.title,
                           "label": f"{r.title} · {KIND_LABELS.get(r.kind, '')} · {r.year or ''}".rstrip(" ·")}
                          for r in rows])


@api.get("/lookup/users")
@operation("按姓名或用户名查找教师 (teachers by name, for the member picker)", query=PeopleLookup,
           response=FoundList, auth="optional", errors=(401, 403), tags=("lookup",),
           description="管理员、研训员和工作室主持人可用；最多 10 个；页面脚本可用登录会话调用。")
def lookup_users(query: PeopleLookup):
    rows = people.find_people(_caller(), query.q)
    return jsonify(items=[{"id": u.id, "value": u.username, "label": f"{u.name}（{u.username}）"} for u in rows])


