"""Where a file's content lives in storage: the keys of an original and its derived images, and
storing the derived images (shared by every upload of the same bytes)."""

from __future__ import annotations

import re

from library.resources import ingest
from library.resources.models import ResourceFile
from storage import content_key


def content_keys(sha256: str) -> tuple[str, str, str]:
    """The keys an upload of this content may use: its original and its derived images."""
    base = derived_base(sha256)
    return content_key(sha256), f"{base}/thumbnail.jpg", f"{base}/poster.jpg"


def derived_base(sha256: str) -> str:
    return f"derived/{sha256[:2]}/{sha256}"


def page_keys(sha256: str, count: int, start: int = 1) -> list[str]:
    """The keys of page images start…count of this content (a DOCX's pages, a PPTX's slides)."""
    return [f"{derived_base(sha256)}/pages/{n}.webp" for n in range(start, count + 1)]


_PAGE_KEY = re.compile(r"derived/[0-9a-f]{2}/([0-9a-f]{64})/pages/([1-9][0-9]*)\.webp")


def parse_page_key(key: str) -> tuple[str, int] | None:
    """(sha256, page number) of a page image's key, or None for any other key."""
    match = _PAGE_KEY.fullmatch(key)
    return (match.group(1), int(match.group(2))) if match else None


def file_keys(row: ResourceFile) -> list[str]:
    """Every stored object a file row refers to: the original, its thumbnail, poster and pages."""
    keys = [k for k in (row.storage_key, row.thumbnail_key, row.poster_key) if k]
    return keys + page_keys(row.sha256, row.preview_pages or 0)


def apply_derived(storage, row: ResourceFile, derived: ingest.Derived, created_keys: list[str]) -> list[str]:
    """Store derived images under keys named after the original and record them on the row; return
    the page images an earlier derivation stored beyond the new count (to delete once committed)."""
    base = derived_base(row.sha256)
    row.thumbnail_key = row.poster_key = None
    for attr, data in (("thumbnail_key", derived.thumbnail), ("poster_key", derived.poster)):
        if data:
            key = f"{base}/{attr.split('_')[0]}.jpg"
            if not storage.exists(key):
                created_keys.append(key)
            storage.put_bytes(key, data, "image/jpeg")
            setattr(row, attr, key)
    for key, data in zip(page_keys(row.sha256, len(derived.pages)), derived.pages):
        if not storage.exists(key):
            created_keys.append(key)
        storage.put_bytes(key, data, "image/webp")
    stale = page_keys(row.sha256, row.preview_pages or 0, start=len(derived.pages) + 1)
    row.preview_pages = len(derived.pages)
    row.duration_seconds = derived.duration
    row.text = derived.text
    row.derive_error = derived.error
    return stale


def stored_keys(rows) -> set[str]:
    """Every object file rows may have in storage: their originals and derived images, page images
    included (also those a derive job still running may be writing), for claims.delete_unused once
    the rows are gone."""
    return {k for row in rows for k in (*file_keys(row), *content_keys(row.sha256)) if k}
