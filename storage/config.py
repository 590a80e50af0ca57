"""Build the configured Storage from LIBRARY_STORAGE_URL, failing fast with a clear message."""

from __future__ import annotations

import os
import re
from urllib.parse import SplitResult, unquote, urlsplit

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    EndpointConnectionError,
    NoCredentialsError,
    PartialCredentialsError,
)

from storage.errors import InvalidKey, StorageConfigError, StorageError
from storage.keys import validate_key
from storage.local import LocalStorage
from storage.protocol import Storage
from storage.s3 import TRANSFER_TIMEOUTS, S3Storage, make_s3_client

SETTING = "LIBRARY_STORAGE_URL"
_BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_CREDENTIAL_CODES = frozenset(
    {"403", "AccessDenied", "Forbidden", "InvalidAccessKeyId", "SignatureDoesNotMatch"}
)


def storage_from_url(url: str) -> Storage:
    """Build the Storage a URL names: ``file:///abs/dir`` or ``s3://bucket[/prefix]``."""
    parts = urlsplit(url.strip())
    if "@" in parts.netloc:
        # Never echo the URL: it holds a secret. Keys belong in the AWS_* variables.
        raise StorageConfigError(
            f"{SETTING} must not contain user:password@; "
            "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY instead"
        )
    if parts.scheme == "file":
        return _local_storage(url, parts)
    if parts.scheme == "s3":
        return _s3_storage(url, parts)
    raise StorageConfigError(
        f"{SETTING} must be file:///absolute/dir or s3://bucket[/prefix], got {url!r}"
    )


def _local_storage(url: str, parts: SplitResult) -> LocalStorage:
    path = unquote(parts.path)
    if parts.netloc not in ("", "localhost") or not os.path.isabs(path):
        raise StorageConfigError(
            f"{SETTING} must name an absolute directory with three slashes, "
            f"e.g. file:///srv/studio-library/files, got {url!r}"
        )
    if parts.query or parts.fragment:
        raise StorageConfigError(f"{SETTING}: a file URL takes no ?query or #fragment, got {url!r}")
    try:
        storage = LocalStorage(path)
    except OSError as exc:
        raise StorageConfigError(f"{SETTING}: cannot create directory {path}: {exc}") from exc
    if not os.access(storage.root, os.W_OK | os.X_OK):
        raise StorageConfigError(f"{SETTING}: directory {storage.root} is not writable")
    return storage


def _s3_storage(url: str, parts: SplitResult) -> S3Storage:
    bucket = parts.netloc
    if not _BUCKET_NAME.fullmatch(bucket) or ".." in bucket:
        raise StorageConfigError(
            f"{SETTING}: {bucket!r} is not an S3 bucket name (3-63 lowercase letters, digits, "
            f"dots and hyphens) in {url!r}"
        )
    if parts.query or parts.fragment:
        raise StorageConfigError(f"{SETTING}: an s3 URL takes no ?query or #fragment, got {url!r}")
    prefix = unquote(parts.path).strip("/")
    try:
        if prefix:
            validate_key(prefix)
    except InvalidKey as exc:
        raise StorageConfigError(f"{SETTING}: bad key prefix in {url!r}: {exc}") from exc
    try:
        client = make_s3_client()
        transfer_client = make_s3_client(timeouts=TRANSFER_TIMEOUTS)
    except (BotoCoreError, ValueError) as exc:
        raise StorageConfigError(f"AWS_ENDPOINT_URL / AWS_DEFAULT_REGION: {exc}") from exc
    storage = S3Storage(client, bucket, prefix, transfer_client=transfer_client)
    try:
        storage.ensure_bucket()
    except StorageError as exc:
        raise StorageConfigError(_explain(exc.__cause__, storage, url)) from exc
    return storage


def _explain(cause: BaseException | None, storage: S3Storage, url: str) -> str:
    endpoint = storage.client.meta.endpoint_url
    if isinstance(cause, (NoCredentialsError, PartialCredentialsError)):
        return (
            f"{SETTING}={url}: no S3 credentials; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
        )
    if isinstance(cause, (EndpointConnectionError, ConnectionClosedError)):
        return (
            f"{SETTING}={url}: cannot reach the S3 endpoint {endpoint}; "
            f"check AWS_ENDPOINT_URL and that the server is running ({cause})"
        )
    if isinstance(cause, ClientError):
        code = str(cause.response.get("Error", {}).get("Code", ""))
        if code in _CREDENTIAL_CODES:
            return (
                f"{SETTING}={url}: the S3 endpoint {endpoint} refused the credentials ({code}); "
                f"check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
            )
    return f"{SETTING}={url}: cannot use bucket {storage.bucket!r} at {endpoint}: {cause}"
