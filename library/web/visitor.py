"""Who is asking: the address and browser that usage counting and the audit log record."""

from __future__ import annotations

from typing import TypedDict

from flask import Flask, request

from library.audit import service as audit


class Visitor(TypedDict):
    """The keyword arguments the usage services take about who is asking."""

    address: str | None
    user_agent: str


def visitor() -> Visitor:
    """Who is asking, as usage counting needs it: the address and the browser's user agent."""
    return {"address": request.remote_addr, "user_agent": request.headers.get("User-Agent", "")}


def _name_origin() -> None:
    audit.set_origin(request.remote_addr)


def _forget_origin(exc: BaseException | None) -> None:
    audit.set_origin("cli")


def init_app(app: Flask) -> None:
    """Let the audit log know each request's address (with LIBRARY_PROXY_COUNT, the visitor's)."""
    app.before_request(_name_origin)
    app.teardown_request(_forget_origin)
