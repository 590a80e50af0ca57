"""S3Storage: objects in an S3-compatible bucket (SeaweedFS, MinIO, a cloud S3) through boto3."""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, BinaryIO, cast

import boto3
from boto3.exceptions import Boto3Error
from boto3.s3.transfer import TransferConfig
from s3transfer.utils import ChunksizeAdjuster
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from storage.disposition import content_disposition
from storage.errors import ObjectNotFound, StorageError
from storage.keys import validate_key, validate_prefix
from storage.protocol import ByteChunks, check_range

MIB = 1 << 20
# HEAD answers a bare status (no body), so a missing key shows up as "404" as well as NoSuchKey.
_NOT_FOUND_CODES = frozenset({"NoSuchKey", "NotFound", "404"})
_MISSING_BUCKET_CODES = frozenset({"NoSuchBucket", "NotFound", "404"})
_MAX_PRESIGN_SECONDS = 7 * 24 * 3600  # the SigV4 limit


def default_transfer_config() -> TransferConfig:
    """Multipart above 16 MiB in 8 MiB parts, 4 at a time: memory stays flat per upload."""
    return TransferConfig(
        multipart_threshold=16 * MIB,
        multipart_chunksize=8 * MIB,
        max_concurrency=4,
        max_io_queue=16,  # download_to: at most 16 x 256 KiB waiting to be written
        use_threads=True,
        preferred_transfer_client="classic",  # the CRT client ignores these limits
    )


# Calls a web request waits on (HEAD, a ranged GET's first byte, a small PUT, DELETE): a stalled
# object store must fail them within seconds so the request answers 503 and the thread is freed
# (boto3's defaults, 60 s read timeout x 3 attempts, held every gunicorn thread for minutes).
REQUEST_TIMEOUTS = (2.0, 3.0, 1)  # connect s, read s, total attempts
# Whole-file transfers (upload_file, download_file: multipart parts of 8 MiB) may wait longer
# for each part's answer, and retry a part.
TRANSFER_TIMEOUTS = (5.0, 60.0, 3)


def make_s3_client(
    endpoint_url: str | None = None,
    *,
    access_key: str | None = None,
    secret_key: str | None = None,
    timeouts: tuple[float, float, int] = REQUEST_TIMEOUTS,
) -> Any:
    """A boto3 S3 client (SigV4, path-style); endpoint and keys default to the AWS_* environment.

    timeouts: (connect seconds, read seconds, total attempts)."""
    connect_timeout, read_timeout, attempts = timeouts
    # Own session: boto3's module-level default session is shared, mutable state.
    session = boto3.session.Session(aws_access_key_id=access_key, aws_secret_access_key=secret_key)
    config = Config(
        signature_version="s3v4",
        s3={"addressing_style": "path"},
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        retries={"total_max_attempts": attempts, "mode": "standard"},
    )
    return session.client(
        "s3",
        region_name=os.environ.get("AWS_DEFAULT_REGION") or "us-east-1",
        endpoint_url=endpoint_url or None,  # None: boto3 reads AWS_ENDPOINT_URL itself
        config=config,
    )


class S3Storage:
    """Objects in `bucket` under an optional key `prefix`, through a boto3 S3 client.

    `presign_client` signs browser URLs when browsers reach S3 by another address than
    this process does (e.g. an internal endpoint vs. a public one); it defaults to `client`.
    `transfer_client` moves whole files (longer timeouts, retried parts); it defaults to `client`.
    """

    def __init__(
        self,
        client: Any,
        bucket: str,
        prefix: str = "",
        *,
        transfer_config: TransferConfig | None = None,
        presign_client: Any = None,
        transfer_client: Any = None,
    ) -> None:
        self.client = client
        self.transfer_client = transfer_client or client
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        if self.prefix:
            validate_key(self.prefix)
        self.transfer_config = transfer_config or default_transfer_config()
        self.presign_client = presign_client or client

    def describe(self) -> str:
        """``s3://bucket/prefix at <endpoint>``."""
        location = f"s3://{self.bucket}/{self.prefix}" if self.prefix else f"s3://{self.bucket}"
        return f"{location} at {self.client.meta.endpoint_url}"

    def ensure_bucket(self) -> None:
        """Create the bucket if it does not exist yet."""
        with self._translated("check bucket"):
            try:
                self.client.head_bucket(Bucket=self.bucket)
                return
            except ClientError as exc:
                if _error_code(exc) not in _MISSING_BUCKET_CODES:
                    raise
            options: dict[str, Any] = {}
            region = self.client.meta.region_name
            if region and region != "us-east-1":
                options["CreateBucketConfiguration"] = {"LocationConstraint": region}
            try:
                self.client.create_bucket(Bucket=self.bucket, **options)
            except ClientError as exc:
                if _error_code(exc) != "BucketAlreadyOwnedByYou":  # lost a race: fine
                    raise

    def put_file(
        self,
        path: str | os.PathLike[str],
        key: str,
        content_type: str | None = None,
        *,
        move: bool = False,
    ) -> bool:
        """Upload the file unless `key` exists; multipart above the threshold, every part sent with
        its SHA-256 (`ChecksumSHA256`, see `checksum`); `move` ignored."""
        full_key = self._full_key(key)
        if self.exists(key):
            return False
        extra_args: dict[str, str] = {"ChecksumAlgorithm": "SHA256"}
        if content_type:
            extra_args["ContentType"] = content_type
        # Multipart objects only appear on CompleteMultipartUpload, so readers never see a part.
        with self._translated("upload", key):
            self.transfer_client.upload_file(
                os.fspath(path), self.bucket, full_key,
                ExtraArgs=extra_args, Config=self.transfer_config,
            )
        return True

    def checksum(self, key: str) -> tuple[int, str | None]:
        """The object's size and the `ChecksumSHA256` the server keeps for it (None when it has none:
        uploaded without one, or a server without checksums); compare with `expected_checksum`."""
        with self._translated("head", key):
            head = self.client.head_object(Bucket=self.bucket, Key=self._full_key(key), ChecksumMode="ENABLED")
        return int(head["ContentLength"]), head.get("ChecksumSHA256")

    def expected_checksum(self, path: str | os.PathLike[str]) -> tuple[str, str]:
        """Read the file once: its SHA-256 (hex) and the `ChecksumSHA256` an upload of it by
        `put_file` gets: base64 SHA-256 of the bytes, or, multipart, base64 SHA-256 of the parts'
        SHA-256 digests with "-<parts>" (parts sized as the transfer manager sizes them)."""
        size = os.path.getsize(path)
        whole = hashlib.sha256()
        parts: list[bytes] = []
        multipart = size >= self.transfer_config.multipart_threshold
        part_size = ChunksizeAdjuster().adjust_chunksize(self.transfer_config.multipart_chunksize, size)
        with open(path, "rb") as fh:
            while True:
                part = hashlib.sha256()
                left = part_size if multipart else size
                read = 0
                while left > 0 and (chunk := fh.read(min(left, MIB))):
                    whole.update(chunk)
                    part.update(chunk)
                    left -= len(chunk)
                    read += len(chunk)
                if not multipart:
                    return whole.hexdigest(), base64.b64encode(part.digest()).decode()
                if not read:
                    break
                parts.append(part.digest())
        composite = base64.b64encode(hashlib.sha256(b"".join(parts)).digest()).decode()
        return whole.hexdigest(), f"{composite}-{len(parts)}"

    def put_bytes(self, key: str, data: bytes, content_type: str | None = None) -> None:
        """Write `data` at `key`, replacing any previous object."""
        extra = {"ContentType": content_type} if content_type else {}
        with self._translated("put", key):
            self.client.put_object(Bucket=self.bucket, Key=self._full_key(key), Body=data, **extra)

    def exists(self, key: str) -> bool:
        """Whether an object is stored at `key` (one HEAD request)."""
        try:
            self._head(key)
        except ObjectNotFound:
            return False
        return True

    def size(self, key: str) -> int:
        """The object's size in bytes (one HEAD request)."""
        return int(self._head(key)["ContentLength"])

    def modified(self, key: str) -> datetime:
        """The object's Last-Modified (UTC, naive; one HEAD request)."""
        return self._head(key)["LastModified"].astimezone(UTC).replace(tzinfo=None)

    def open(self, key: str) -> BinaryIO:
        """A streaming body over the whole object; close it to free the connection."""
        with self._translated("read", key):
            response = self.client.get_object(Bucket=self.bucket, Key=self._full_key(key))
        return cast(BinaryIO, response["Body"])

    def iter_range(
        self, key: str, start: int = 0, end: int | None = None, chunk_size: int = 1 << 20
    ) -> ByteChunks:
        """Bytes [start, end) of the object through one ranged GetObject."""
        check_range(start, end)
        if end == start:
            if not self.exists(key):
                raise ObjectNotFound(key)
            return ByteChunks(None, 0, chunk_size)
        request: dict[str, Any] = {"Bucket": self.bucket, "Key": self._full_key(key)}
        if start or end is not None:
            request["Range"] = f"bytes={start}-" if end is None else f"bytes={start}-{end - 1}"
        with self._translated("read", key):
            try:
                response = self.client.get_object(**request)
            except ClientError as exc:
                if _error_code(exc) == "InvalidRange":  # start at or past the end (or empty object)
                    return ByteChunks(None, 0, chunk_size)
                raise
        return ByteChunks(response["Body"], int(response["ContentLength"]), chunk_size)

    def download_to(self, key: str, path: str | os.PathLike[str]) -> None:
        """Download the object to `path` (ranged GETs in parallel for large objects)."""
        with self._translated("download", key):
            self.transfer_client.download_file(
                self.bucket, self._full_key(key), os.fspath(path), Config=self.transfer_config
            )

    def delete(self, key: str) -> None:
        """Delete the object; S3 answers success for missing keys too."""
        with self._translated("delete", key):
            self.client.delete_object(Bucket=self.bucket, Key=self._full_key(key))

    def iter_keys(self, prefix: str = "") -> Iterator[str]:
        """Keys starting with `prefix`, in the server's listing order."""
        validate_prefix(prefix)
        return self._list(prefix)

    def incomplete_uploads(self) -> list[tuple[str, str, datetime]]:
        """Multipart uploads begun and never completed or aborted (a process killed mid-upload):
        (key, upload id, when it began, UTC naive). Their parts take space but no object."""
        found: list[tuple[str, str, datetime]] = []
        root = f"{self.prefix}/" if self.prefix else ""
        with self._translated("list multipart uploads"):
            paginator = self.client.get_paginator("list_multipart_uploads")
            for page in paginator.paginate(Bucket=self.bucket, Prefix=root):
                for upload in page.get("Uploads", []):
                    began = upload["Initiated"].astimezone(UTC).replace(tzinfo=None)
                    found.append((upload["Key"][len(root):], upload["UploadId"], began))
        return found

    def abort_upload(self, key: str, upload_id: str) -> None:
        """Abort an incomplete multipart upload, freeing its parts."""
        with self._translated("abort multipart upload", key):
            self.client.abort_multipart_upload(
                Bucket=self.bucket, Key=self._full_key(key), UploadId=upload_id
            )

    def presigned_url(
        self,
        key: str,
        expires: int = 300,
        *,
        filename: str | None = None,
        content_type: str | None = None,
        inline: bool = False,
    ) -> str | None:
        """A SigV4 GET URL valid for `expires` seconds; does not check that the object exists."""
        if not 0 < expires <= _MAX_PRESIGN_SECONDS:
            raise ValueError(f"expires must be 1..{_MAX_PRESIGN_SECONDS} seconds, got {expires}")
        params: dict[str, Any] = {"Bucket": self.bucket, "Key": self._full_key(key)}
        if filename:
            params["ResponseContentDisposition"] = content_disposition(filename, inline=inline)
        if content_type:
            params["ResponseContentType"] = content_type
        with self._translated("presign", key):
            url = self.presign_client.generate_presigned_url(
                "get_object", Params=params, ExpiresIn=expires
            )
        return cast(str, url)

    def _full_key(self, key: str) -> str:
        validate_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def _head(self, key: str) -> dict[str, Any]:
        with self._translated("head", key):
            return cast(
                dict[str, Any],
                self.client.head_object(Bucket=self.bucket, Key=self._full_key(key)),
            )

    def _list(self, prefix: str) -> Iterator[str]:
        root = f"{self.prefix}/" if self.prefix else ""
        paginator = self.client.get_paginator("list_objects_v2")
        with self._translated(f"list prefix {prefix!r}"):
            for page in paginator.paginate(Bucket=self.bucket, Prefix=root + prefix):
                for entry in page.get("Contents", ()):
                    key = entry["Key"][len(root):]
                    if key and not key.endswith("/"):  # skip directory markers
                        yield key

    @contextmanager
    def _translated(self, action: str, key: str | None = None) -> Iterator[None]:
        """Turn botocore/boto3 errors into ObjectNotFound / StorageError."""
        try:
            yield
        except ClientError as exc:
            code = _error_code(exc)
            if key is not None and code in _NOT_FOUND_CODES:
                raise ObjectNotFound(key) from exc
            target = f" {key!r}" if key else ""
            raise StorageError(f"{self.describe()}: {action}{target} failed: {exc}") from exc
        except (BotoCoreError, Boto3Error) as exc:
            target = f" {key!r}" if key else ""
            raise StorageError(f"{self.describe()}: {action}{target} failed: {exc}") from exc


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))
