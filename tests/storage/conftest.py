"""Fixtures for the storage tests: a real `weed mini` S3 server and a fresh bucket per test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from storage import S3Storage, make_s3_client
from tests.support.seaweed import WeedServer

# The session's `weed` server fixture lives in tests/conftest.py, shared with the app tests.


@pytest.fixture
def s3_storage(weed: WeedServer) -> Iterator[S3Storage]:
    """An S3Storage on a bucket of its own, emptied and removed afterwards."""
    client = make_s3_client(
        weed.endpoint_url, access_key=weed.access_key, secret_key=weed.secret_key
    )
    storage = S3Storage(client, f"test-{uuid.uuid4().hex}")
    storage.ensure_bucket()
    yield storage
    for key in list(storage.iter_keys()):
        storage.delete(key)
    client.delete_bucket(Bucket=storage.bucket)
    client.close()
