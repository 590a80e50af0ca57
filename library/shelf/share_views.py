"""The QR code of a public output's page (the 分享 box of the resource page shows it)."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, url_for

from library.shelf import share

bp = Blueprint("share", __name__)

QR_MAX_AGE = 86_400  # the code only spells the page's address, which does not change


def share_url(resource_id: int) -> str:
    """The resource page's absolute address as it is shared."""
    path = url_for("resources.resource", resource_id=resource_id)
    return share.absolute_url(current_app.config.get("BASE_URL"), path,
                              url_for("resources.resource", resource_id=resource_id, _external=True))


@bp.app_template_global()
def share_link(resource) -> str | None:
    """The address to share for a resource page, or None when it is not public."""
    return share_url(resource.id) if share.shareable(resource) else None


@bp.get("/resources/<int:resource_id>/qr.svg")
def qr(resource_id: int):
    """The page's address as a QR code: public outputs only (404 for every other)."""
    row = share.shared_resource(resource_id)
    response = Response(share.qr_svg(share_url(row.id)), content_type="image/svg+xml")
    response.headers["Cache-Control"] = f"public, max-age={QR_MAX_AGE}"
    return response
