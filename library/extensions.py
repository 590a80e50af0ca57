"""Shared objects kept in app.extensions: the storage backend and the search index."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from library.config import ConfigError
from search_index import SearchIndex, configure_jieba
from storage import LocalStorage, S3Storage, StorageError, make_s3_client, storage_from_url


def init_storage(app: Flask) -> None:
    """Open the storage named by LIBRARY_STORAGE_URL (an S3 bucket is created if missing)."""
    try:
        storage = storage_from_url(app.config["STORAGE_URL"])
    except StorageError as exc:
        raise ConfigError(str(exc)) from exc
    public_url = app.config.get("S3_PUBLIC_URL")
    if public_url:
        if not isinstance(storage, S3Storage):
            raise ConfigError("LIBRARY_S3_PUBLIC_URL: only applies to s3:// storage")
        # Browsers may reach S3 at another address than the app does (a proxy, a public name):
        # presigned URLs are signed for that address.
        storage.presign_client = make_s3_client(str(public_url))
    app.extensions["storage"] = storage
    # An upload into S3 is staged on local disk and moved to the bucket by a job (resources/staging.py).
    app.extensions["staging"] = LocalStorage(app.config["STAGING_DIR"]) if isinstance(storage, S3Storage) else None


def init_search(app: Flask) -> None:
    """Prepare the search index folder and jieba's dictionary cache in the instance folder."""
    configure_jieba(Path(app.config["DATA_DIR"]) / "jieba")
    index = SearchIndex(Path(app.config["INDEX_DIR"]))
    try:
        index.ensure()
    except OSError as exc:
        raise ConfigError(f"LIBRARY_INDEX_DIR: cannot use {app.config['INDEX_DIR']}: {exc}") from exc
    app.extensions["search_index"] = index
