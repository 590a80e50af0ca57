"""Sharing a public output (issue 19, part 8): its page's address and that address as a QR code,
drawn by segno as SVG, for teachers passing it on in WeChat."""

from __future__ import annotations

import io
from functools import lru_cache

import segno
from flask_babel import gettext as _

from library import policy
from library.db import get_session
from library.errors import NotFound
from library.resources.models import Resource

QR_SCALE = 4  # px per module: a version 3–5 code is 150–200 px, easy for a phone to read off a screen
QR_BORDER = 4  # the quiet zone the QR standard asks for


def shareable(resource: Resource) -> bool:
    """Only what anyone may open without signing in is offered for sharing: published and public."""
    return policy.can_view(None, resource)


def shared_resource(resource_id: int) -> Resource:
    """A resource whose address may be shared; NotFound for every other (existence does not leak)."""
    resource = get_session().get(Resource, resource_id)
    if resource is None or not shareable(resource):
        raise NotFound(_("只有公开的成果可以分享"))
    return resource


def absolute_url(base_url: str | None, path: str, fallback: str) -> str:
    """The address people open the library at (LIBRARY_BASE_URL) joined with path; without a
    configured base, the address this request came in on (fallback)."""
    return f"{base_url.rstrip('/')}{path}" if base_url else fallback


@lru_cache(maxsize=512)
def qr_svg(url: str) -> bytes:
    """The URL as a QR code (never a Micro QR, which WeChat does not read), as an SVG document with
    a white background, so it scans from a dark-mode screen too."""
    out = io.BytesIO()
    segno.make(url, error="m", micro=False).save(out, kind="svg", scale=QR_SCALE, border=QR_BORDER, light="#fff")
    return out.getvalue()
