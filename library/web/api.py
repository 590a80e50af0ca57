"""The JSON API's blueprint, /api/v1: bearer tokens, the request body, dates and times as JSON.

Each domain adds its routes to `api` in its own `api.py`; the factory imports them before it
registers the blueprint."""

from __future__ import annotations

from datetime import date, datetime

from flask import Blueprint, g, request
from flask_babel import gettext as _

from library.accounts import service as accounts
from library.accounts.auth import current_actor
from library.accounts.models import User
from library.errors import InvalidInput, Unauthenticated

api = Blueprint("api", __name__)


def signed_in() -> User:
    """The caller, who must have sent a valid bearer token."""
    actor = current_actor()
    if actor is None:
        raise Unauthenticated(_("请使用 Authorization: Bearer 令牌"))
    return actor


def request_object(*, flat: bool = False) -> dict:
    """The request's JSON object, or its form fields (a field sent several times gives a list).

    `flat` asks for text and number values only (and one value per form field)."""
    data = request.get_json(silent=True)
    if data is None and request.is_json and request.get_data():
        raise InvalidInput(_("请求体不是有效的 JSON"))  # not "no fields": {} would mean "all" to some routes
    if data is None:
        if flat:
            return request.form.to_dict()
        return {k: vs[0] if len(vs) == 1 else vs for k, vs in request.form.lists()}
    if not isinstance(data, dict):
        raise InvalidInput(_("请求体应是一个 JSON 对象"))
    if flat and any(isinstance(v, (dict, list)) for v in data.values()):
        raise InvalidInput(_("请求体应是一个 JSON 对象，值为文字或数字"))
    return data


@api.before_request
def _authenticate() -> None:
    """Resolve `Authorization: Bearer TOKEN`; no header means anonymous, a bad token is refused."""
    header = request.headers.get("Authorization", "")
    if not header:
        g.api_user = None
        return
    scheme, _sep, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated(_("Authorization 头应为 “Bearer 令牌”"))
    user = accounts.user_for_token(token.strip())
    if user is None:
        raise Unauthenticated(_("令牌无效或已被撤销，请重新创建令牌"))
    g.api_user = user


def utc_time(value: datetime | None) -> str | None:
    """A stored (naive UTC) moment as ISO 8601 with its Z."""
    return value.isoformat() + "Z" if value else None


def day(value: date | None) -> str | None:
    return value.isoformat() if value else None
