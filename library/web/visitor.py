"""Who is asking, as the usage counters need it."""

from __future__ import annotations

from flask import request


def visitor() -> dict[str, str | None]:
    """Who is asking, as usage counting needs it: the address and the browser's user agent."""
    return {"address": request.remote_addr, "user_agent": request.headers.get("User-Agent", "")}
