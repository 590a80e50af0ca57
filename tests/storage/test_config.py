"""storage_from_url: good URLs build the right backend, bad ones say which setting to fix."""

from __future__ import annotations

import socket
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from storage import LocalStorage, S3Storage, StorageConfigError, make_s3_client, storage_from_url

if TYPE_CHECKING:
    from tests.support.seaweed import WeedServer


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """An AWS environment that reads nothing from this machine and never leaves 127.0.0.1."""
    for name in (
        "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
        "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_DEFAULT_REGION", "AWS_REGION",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # no 169.254.169.254 lookups
    return monkeypatch


@pytest.fixture
def weed_env(aws_env: pytest.MonkeyPatch, weed: WeedServer) -> pytest.MonkeyPatch:
    """The environment a production deployment sets, pointing at the test weed mini."""
    aws_env.setenv("AWS_ENDPOINT_URL", weed.endpoint_url)
    aws_env.setenv("AWS_ACCESS_KEY_ID", weed.access_key)
    aws_env.setenv("AWS_SECRET_ACCESS_KEY", weed.secret_key)
    return aws_env


def test_file_url_gives_local_storage(tmp_path: Path) -> None:
    root = tmp_path / "instance" / "files"

    storage = storage_from_url(root.as_uri())

    assert isinstance(storage, LocalStorage)
    assert storage.root == root
    assert root.is_dir()  # created on the spot


def test_file_url_may_name_localhost_and_percent_encode(tmp_path: Path) -> None:
    root = tmp_path / "资源 库"

    storage = storage_from_url(f"file://localhost{root.as_uri().removeprefix('file://')}")

    assert isinstance(storage, LocalStorage) and storage.root == root


@pytest.mark.parametrize("url", ["file://instance/files", "file:instance/files", "file://"])
def test_relative_file_url_is_rejected(url: str) -> None:
    with pytest.raises(StorageConfigError) as raised:
        storage_from_url(url)

    message = str(raised.value)
    assert message.startswith("LIBRARY_STORAGE_URL")
    assert "absolute" in message and "file:///" in message and url in message


def test_file_url_on_a_file_is_rejected(tmp_path: Path) -> None:
    not_a_dir = tmp_path / "plain.txt"
    not_a_dir.write_text("x")

    with pytest.raises(StorageConfigError, match="LIBRARY_STORAGE_URL: cannot create directory"):
        storage_from_url(not_a_dir.as_uri())


@pytest.mark.parametrize(
    "url", ["", "/srv/files", "instance/files", "http://example.org/files", "minio://bucket", "S3"]
)
def test_unknown_scheme_is_rejected_with_the_expected_forms(url: str) -> None:
    with pytest.raises(StorageConfigError) as raised:
        storage_from_url(url)

    assert str(raised.value) == (
        "LIBRARY_STORAGE_URL must be file:///absolute/dir or s3://bucket[/prefix], "
        f"got {url!r}"
    )


@pytest.mark.parametrize("url", ["s3://", "s3://Studio_Files", "s3://ab", "s3://bucket:9000"])
def test_bad_bucket_name_is_rejected_before_any_request(url: str) -> None:
    with pytest.raises(StorageConfigError, match=r"^LIBRARY_STORAGE_URL: .* is not an S3 bucket"):
        storage_from_url(url)


@pytest.mark.parametrize("url", ["s3://AKIA:hunter2@studio-files", "file://u:hunter2@/srv/files"])
def test_credentials_in_the_url_are_refused_without_echoing_them(url: str) -> None:
    with pytest.raises(StorageConfigError) as raised:
        storage_from_url(url)

    assert "hunter2" not in str(raised.value)
    assert "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY" in str(raised.value)


def test_bad_prefix_is_rejected() -> None:
    with pytest.raises(StorageConfigError, match=r"^LIBRARY_STORAGE_URL: bad key prefix"):
        storage_from_url("s3://studio-files/a/../b")


@pytest.mark.s3
def test_s3_url_gives_s3_storage_and_creates_the_bucket(weed_env: pytest.MonkeyPatch) -> None:
    bucket = f"config-{uuid.uuid4().hex[:12]}"

    storage = storage_from_url(f"s3://{bucket}/county/library")

    assert isinstance(storage, S3Storage)
    assert (storage.bucket, storage.prefix) == (bucket, "county/library")
    storage.put_bytes("originals/a", b"a")
    raw = storage.client.get_object(Bucket=bucket, Key="county/library/originals/a")
    with raw["Body"] as body:
        assert body.read() == b"a"
    assert storage.describe().startswith(f"s3://{bucket}/county/library at http://127.0.0.1:")

    again = storage_from_url(f"s3://{bucket}")  # an existing bucket is fine
    assert list(again.iter_keys()) == ["county/library/originals/a"]
    storage.delete("originals/a")
    storage.client.delete_bucket(Bucket=bucket)


def test_s3_endpoint_that_does_not_answer(aws_env: pytest.MonkeyPatch) -> None:
    aws_env.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{_closed_port()}")
    aws_env.setenv("AWS_ACCESS_KEY_ID", "key")
    aws_env.setenv("AWS_SECRET_ACCESS_KEY", "secret")

    with pytest.raises(StorageConfigError) as raised:
        storage_from_url("s3://studio-files")

    message = str(raised.value)
    assert message.startswith("LIBRARY_STORAGE_URL=s3://studio-files: cannot reach the S3 endpoint")
    assert "AWS_ENDPOINT_URL" in message


@pytest.mark.s3
def test_s3_wrong_secret_names_the_key_settings(
    weed_env: pytest.MonkeyPatch, weed: WeedServer
) -> None:
    weed_env.setenv("AWS_SECRET_ACCESS_KEY", "not-" + weed.secret_key)

    with pytest.raises(StorageConfigError) as raised:
        storage_from_url("s3://studio-files")

    assert "refused the credentials" in str(raised.value)
    assert "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY" in str(raised.value)


@pytest.mark.s3
def test_s3_without_credentials_says_which_to_set(
    aws_env: pytest.MonkeyPatch, weed: WeedServer
) -> None:
    aws_env.setenv("AWS_ENDPOINT_URL", weed.endpoint_url)

    with pytest.raises(StorageConfigError) as raised:
        storage_from_url("s3://studio-files")

    assert "no S3 credentials; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY" in str(raised.value)


def test_make_s3_client_reads_region_and_endpoint_from_the_environment(
    aws_env: pytest.MonkeyPatch,
) -> None:
    aws_env.setenv("AWS_DEFAULT_REGION", "cn-northwest-1")
    aws_env.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")

    client = make_s3_client()
    try:
        assert client.meta.region_name == "cn-northwest-1"
        assert client.meta.endpoint_url == "http://127.0.0.1:9"
        assert client.meta.config.signature_version == "s3v4"
        assert client.meta.config.s3["addressing_style"] == "path"
    finally:
        client.close()

    explicit = make_s3_client("http://127.0.0.1:10")
    try:
        assert explicit.meta.endpoint_url == "http://127.0.0.1:10"
    finally:
        explicit.close()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
