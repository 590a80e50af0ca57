"""Where a file's content lives in storage: the keys of an original and its derived images, and
storing the derived images (shared by every upload of the same bytes)."""

from __future__ import annotations

from library.resources import ingest
from library.resources.models import ResourceFile
from storage import content_key


def content_keys(sha256: str) -> tuple[str, str, str]:
    """The keys an upload of this content may use: its original and its derived images."""
    base = derived_base(sha256)
    return content_key(sha256), f"{base}/thumbnail.jpg", f"{base}/poster.jpg"


def derived_base(sha256: str) -> str:
    return f"derived/{sha256[:2]}/{sha256}"


def apply_derived(storage, row: ResourceFile, derived: ingest.Derived, created_keys: list[str]) -> None:
    """Store derived images under keys named after the original and record them on the row."""
    base = derived_base(row.sha256)
    row.thumbnail_key = row.poster_key = None
    for attr, data in (("thumbnail_key", derived.thumbnail), ("poster_key", derived.poster)):
        if data:
            key = f"{base}/{attr.split('_')[0]}.jpg"
            if not storage.exists(key):
                created_keys.append(key)
            storage.put_bytes(key, data, "image/jpeg")
            setattr(row, attr, key)
    row.duration_seconds = derived.duration
    row.text = derived.text
    row.derive_error = derived.error


def stored_keys(rows) -> set[str]:
    """Every object file rows may have in storage: their originals and derived images (also those
    a derive job still running may be writing), for claims.delete_unused once the rows are gone."""
    return {k for row in rows for k in (row.storage_key, row.thumbnail_key, row.poster_key,
                                         *content_keys(row.sha256)) if k}
