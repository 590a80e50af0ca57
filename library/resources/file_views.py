"""File delivery: downloads and video playback with HTTP Range, thumbnails, posters and page images."""

from __future__ import annotations

from flask import Blueprint, Response, redirect, request

from library.accounts.auth import current_actor
from library.resources import delivery
from library.resources import service as resources
from library.resources.models import ResourceFile
from library.stats import usage
from library.web.visitor import visitor
from storage import content_disposition

bp = Blueprint("files", __name__)


def ranged_response(row: ResourceFile, disposition: str | None) -> Response:
    """Stream an object, honouring a single-range Range header (206/416) as video seeking needs."""
    headers = {"Accept-Ranges": "bytes", "Cache-Control": "private, max-age=3600"}
    if disposition:
        headers["Content-Disposition"] = disposition
    size, content_type = row.size, row.content_type
    start, end, status = 0, size, 200
    rng = request.range
    if rng is not None and rng.units == "bytes" and len(rng.ranges) == 1:
        bounds = rng.range_for_length(size)
        if bounds is None:
            headers["Content-Range"] = f"bytes */{size}"
            return Response(status=416, headers=headers)
        start, end = bounds
        status = 206
        headers["Content-Range"] = f"bytes {start}-{end - 1}/{size}"
    headers["Content-Length"] = str(end - start)
    if request.method == "HEAD" or start == end:
        return Response(status=status, headers=headers, content_type=content_type)
    return Response(delivery.byte_range(row, start, end), status=status, headers=headers, content_type=content_type, direct_passthrough=True)


def range_start(size: int) -> int:
    """The first byte the request asks for, as the usage counting rule needs it: a suffix range
    ('bytes=-500', the last 500 bytes) starts at size - 500, not at a negative offset."""
    rng = request.range
    if rng is None or rng.units != "bytes" or not rng.ranges:
        return 0
    bounds = rng.range_for_length(size)
    return bounds[0] if bounds else max(rng.ranges[0][0], 0)


@bp.route("/files/<int:file_id>/download", methods=["GET", "HEAD"])
def download(file_id: int):
    actor = current_actor()
    return deliver(actor, resources.get_file(actor, file_id))


def deliver(user, row):
    """Count the download, then send the file: a presigned redirect (S3) or the bytes themselves,
    with Range support."""
    inline = request.args.get("inline") == "1"
    if request.method == "GET" and not inline:
        # Previews (the page's player, PDF frame and image zoom ask with ?inline=1) are not downloads;
        # counting them would rank whatever is merely looked at as "most downloaded".
        usage.record_download(user, row, range_start(row.size), **visitor())
    # The PDF viewer (js/pdf_viewer.js) reads the file with fetch(), asking ?stream=1: streamed by
    # the app, as a redirect to the bucket's origin would need CORS there and in the page's CSP.
    url = None if inline and request.args.get("stream") == "1" else delivery.presigned_url(row, inline=inline)
    if url:
        return redirect(url, code=302)
    return ranged_response(row, content_disposition(row.original_name, inline=inline))


@bp.get("/files/<int:file_id>/<any(thumbnail, poster):which>")
def derived_image(file_id: int, which: str):
    row = resources.get_catalogue_file(current_actor(), file_id)
    response = Response(delivery.derived_image(row, which), content_type="image/jpeg")
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response


@bp.get("/files/<int:file_id>/pages/<int:number>")
def page_image(file_id: int, number: int):
    """One page image of a DOCX or PPTX preview: the document itself, so only for those who may
    download it."""
    row = resources.get_file(current_actor(), file_id)
    response = Response(delivery.page_image(row, number), content_type="image/webp")
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response


@bp.route("/files/loan/<token>", methods=["GET", "HEAD"])
def loan_download(token: str):
    """A borrowing school's short-lived link: valid only while the signature is fresh and the
    loan is still active (checked on every request, so returning or expiry ends it at once)."""
    from library.lending import links as loan_links

    loan, row = loan_links.resolve(token)
    return deliver(loan.requester, row)
