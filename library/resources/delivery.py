"""Getting a stored file to the person asking: a presigned link straight from S3, a byte range of
the original (from the staging area while it is staged), a derived image. The views decide who may have it; this module only fetches."""

from __future__ import annotations

from collections.abc import Iterator

from flask import current_app
from flask_babel import gettext as _

from library.errors import NotFound
from library.resources import staging
from library.resources.models import ResourceFile
from library.resources.objects import page_keys
from storage import ObjectNotFound, Storage


def _storage() -> Storage:
    return current_app.extensions["storage"]


def presigned_url(row: ResourceFile, *, inline: bool) -> str | None:
    """A short-lived URL the browser can fetch the original from directly, or None when downloads
    go through the app (local storage, a staged original, or LIBRARY_PRESIGNED_DOWNLOADS=false)."""
    if not current_app.config["PRESIGNED_DOWNLOADS"] or row.location == "staged":
        return None  # a staged original is not in the bucket yet: the app streams it
    return _storage().presigned_url(
        row.storage_key,
        current_app.config["PRESIGN_SECONDS"],
        filename=row.original_name,
        inline=inline,
        content_type=row.content_type,
    )


def byte_range(row: ResourceFile, start: int, end: int) -> Iterator[bytes]:
    """Bytes [start, end) of the original, streamed."""
    try:
        return staging.read_range(row.storage_key, row.location == "staged", start, end)
    except ObjectNotFound as exc:
        raise NotFound(_("文件已不在存储中，请联系管理员")) from exc


def derived_image(row: ResourceFile, which: str) -> bytes:
    """The thumbnail or poster frame (JPEG, small: read whole, so no open file outlives the request)."""
    key = row.thumbnail_key if which == "thumbnail" else row.poster_key
    if not key:
        raise NotFound(_("这个文件没有预览图"))
    return _read_small(key, _("这个文件没有预览图"))


def page_image(row: ResourceFile, number: int) -> bytes:
    """Page (or slide) `number` of a document's preview, as WebP."""
    if not 1 <= number <= (row.preview_pages or 0):
        raise NotFound(_("这个文件没有第 %(n)s 页的预览", n=number))
    return _read_small(page_keys(row.sha256, number, start=number)[0], _("这个文件没有第 %(n)s 页的预览", n=number))


def _read_small(key: str, missing: str) -> bytes:
    try:
        with _storage().open(key) as fh:
            return fh.read()
    except ObjectNotFound as exc:
        raise NotFound(missing) from exc
