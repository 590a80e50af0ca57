"""A backstop in front of every view: NUL never reaches a view, a service or the database.

PostgreSQL refuses NUL in text (a driver error, a 500), and nothing a person types needs one. The
schemas (library/validation.py) already refuse control characters field by field with a message
naming the field; this guard covers what no schema reads — the path (`/studios/wang%00math`), a
stray query argument, a form field, a JSON body — before any handler runs."""

from __future__ import annotations

from typing import Any

from flask import Flask, request
from flask_babel import gettext as _
from werkzeug.exceptions import NotFound

from library.errors import InvalidInput

NUL = "\x00"


def _has_nul(value: Any, depth: int = 0) -> bool:
    if isinstance(value, str):
        return NUL in value
    if depth > 32:
        return False
    if isinstance(value, dict):
        return any(_has_nul(k, depth + 1) or _has_nul(v, depth + 1) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v, depth + 1) for v in value)
    return False


def _first_with_nul(multidict) -> str | None:
    for key, value in multidict.items(multi=True):
        if NUL in key or (isinstance(value, str) and NUL in value):
            return key.replace(NUL, "")[:64] or "?"
    return None


def refuse_nul() -> None:
    """404 for a path with a control character in it (no page has one); 400 naming the field for
    a query argument, a form field or a JSON value carrying NUL."""
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in request.path):
        raise NotFound()
    name = _first_with_nul(request.args)
    if name is None and request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        name = _first_with_nul(request.form)
    if name is None and request.is_json and _has_nul(request.get_json(silent=True)):
        name = "body"
    if name is not None:
        message = _("不能包含控制字符（U+0000），请删除后重试")
        raise InvalidInput(_("请修改后重新提交：%(first)s", first=message), fields={name: message})


def init_app(app: Flask) -> None:
    # First of the before-request functions, so no other hook reads the input before it.
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_nul)
