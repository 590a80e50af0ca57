"""One contract for every backend: LocalStorage on a temp dir, S3Storage on a real weed mini."""

from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import unquote

import pytest
from boto3.s3.transfer import TransferConfig

from storage import (
    InvalidKey,
    LocalStorage,
    ObjectNotFound,
    S3Storage,
    Storage,
    content_disposition,
    content_key,
)

MIB = 1 << 20
# 1 KiB of every byte value and a tail, so an off-by-one range shows up as wrong bytes.
DATA = bytes(range(256)) * 4 + b"--tail--"
SIZE = len(DATA)


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.s3)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Storage:
    """Each contract test runs once per backend."""
    if request.param == "local":
        return LocalStorage(tmp_path / "store")
    return request.getfixturevalue("s3_storage")


@pytest.fixture
def source(tmp_path: Path) -> Path:
    """A small file to store."""
    path = tmp_path / "source.bin"
    path.write_bytes(DATA)
    return path


def read_all(store: Storage, key: str) -> bytes:
    with store.open(key) as stream:
        return stream.read()


def test_is_a_storage(store: Storage) -> None:
    assert isinstance(store, Storage)
    assert store.describe().startswith(("file:///", "s3://"))


def test_put_file_then_read_back(store: Storage, source: Path) -> None:
    key = content_key(hashlib.sha256(DATA).hexdigest())

    assert not store.exists(key)
    assert store.put_file(source, key, "application/octet-stream") is True

    assert store.exists(key)
    assert store.size(key) == SIZE
    assert read_all(store, key) == DATA
    assert source.read_bytes() == DATA  # without move=True the source is left alone


def test_put_file_twice_is_deduplicated_and_writes_nothing(
    store: Storage, source: Path, tmp_path: Path
) -> None:
    key = "originals/dedup"
    assert store.put_file(source, key) is True
    impostor = tmp_path / "other.bin"
    impostor.write_bytes(b"different bytes, same key")

    assert store.put_file(impostor, key) is False

    assert read_all(store, key) == DATA


def test_put_bytes_overwrites(store: Storage) -> None:
    store.put_bytes("thumbs/a.webp", b"first", "image/webp")
    store.put_bytes("thumbs/a.webp", b"second", "image/webp")

    assert read_all(store, "thumbs/a.webp") == b"second"
    assert store.size("thumbs/a.webp") == 6


def test_empty_object(store: Storage) -> None:
    store.put_bytes("empty", b"")

    assert store.exists("empty")
    assert store.size("empty") == 0
    assert read_all(store, "empty") == b""
    assert b"".join(store.iter_range("empty")) == b""


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (0, None, DATA),
        (100, None, DATA[100:]),  # start only
        (100, 200, DATA[100:200]),  # end is exclusive
        (0, 1, DATA[:1]),
        (SIZE - 1, SIZE, DATA[-1:]),  # last byte
        (SIZE - 1, None, DATA[-1:]),
        (SIZE - 5, SIZE + 100, DATA[-5:]),  # end past the object is clamped
        (7, 7, b""),  # empty range
        (SIZE, None, b""),  # starting at the end yields nothing ...
        (SIZE + 10, SIZE + 20, b""),  # ... as does starting past it (the caller checks size)
    ],
)
def test_iter_range_returns_exact_bytes(
    store: Storage, start: int, end: int | None, expected: bytes
) -> None:
    store.put_bytes("ranged", DATA)

    chunks = store.iter_range("ranged", start, end)

    assert chunks.length == len(expected)
    assert b"".join(chunks) == expected


def test_iter_range_respects_chunk_size(store: Storage) -> None:
    store.put_bytes("ranged", DATA)

    chunks = list(store.iter_range("ranged", 3, 40, chunk_size=7))

    assert b"".join(chunks) == DATA[3:40]
    assert max(len(chunk) for chunk in chunks) <= 7


def test_iter_range_can_be_abandoned(store: Storage) -> None:
    store.put_bytes("ranged", DATA)

    chunks = store.iter_range("ranged", chunk_size=10)
    assert next(chunks) == DATA[:10]
    chunks.close()  # a client that hangs up mid-download: the stream is released

    assert list(chunks) == []


@pytest.mark.parametrize(("start", "end"), [(-1, None), (10, 5)])
def test_iter_range_rejects_malformed_ranges(store: Storage, start: int, end: int | None) -> None:
    store.put_bytes("ranged", DATA)

    with pytest.raises(ValueError):
        store.iter_range("ranged", start, end)


def test_missing_key_is_object_not_found_on_every_read(store: Storage, tmp_path: Path) -> None:
    missing = content_key("0" * 64)
    target = tmp_path / "downloaded.bin"

    assert store.exists(missing) is False
    with pytest.raises(ObjectNotFound) as raised:
        store.size(missing)
    assert raised.value.key == missing
    with pytest.raises(ObjectNotFound):
        store.open(missing)
    with pytest.raises(ObjectNotFound):
        store.download_to(missing, target)
    assert not target.exists()


@pytest.mark.parametrize(("start", "end"), [(0, None), (5, 10), (5, 5), (10_000, None)])
def test_iter_range_raises_object_not_found_before_iterating(
    store: Storage, start: int, end: int | None
) -> None:
    # The view calls iter_range before sending headers, so the error must not wait for next().
    with pytest.raises(ObjectNotFound):
        store.iter_range("originals/missing", start, end)


def test_download_to_streams_a_copy(store: Storage, source: Path, tmp_path: Path) -> None:
    store.put_file(source, "originals/copy-me")
    target = tmp_path / "downloaded.bin"

    store.download_to("originals/copy-me", target)

    assert target.read_bytes() == DATA


def test_delete_is_idempotent(store: Storage) -> None:
    store.put_bytes("thumbs/gone.webp", b"x")

    store.delete("thumbs/gone.webp")
    store.delete("thumbs/gone.webp")
    store.delete("thumbs/never-existed.webp")

    assert not store.exists("thumbs/gone.webp")
    with pytest.raises(ObjectNotFound):
        store.size("thumbs/gone.webp")


def test_modified_is_when_the_object_was_written(store: Storage) -> None:
    before = datetime.now(UTC).replace(tzinfo=None, microsecond=0) - timedelta(seconds=2)
    store.put_bytes("originals/dated", b"x")
    after = datetime.now(UTC).replace(tzinfo=None) + timedelta(seconds=2)

    assert before <= store.modified("originals/dated") <= after
    with pytest.raises(ObjectNotFound):
        store.modified("originals/never-written")


def test_iter_keys_by_prefix(store: Storage) -> None:
    keys = [
        "originals/ab/cd/abcd1",
        "originals/ab/ce/abce2",
        "originals/ff/00/ff003",
        "originals-old/x",  # a string prefix, not a directory: "originals" matches this too
        "thumbs/abcd1.webp",
    ]
    for key in keys:
        store.put_bytes(key, b"x")

    # Order is backend-defined: AWS lists in UTF-8 byte order, SeaweedFS directory by directory
    # ("originals/..." before "originals-old/..."), LocalStorage sorts. Every key comes once.
    def listed(prefix: str = "") -> list[str]:
        found = list(store.iter_keys(prefix))
        assert len(found) == len(set(found))
        return sorted(found)

    assert listed() == sorted(keys)
    assert listed("originals/") == keys[:3]
    assert listed("originals/ab/") == keys[:2]
    assert listed("originals/ab/c") == keys[:2]
    assert listed("originals") == sorted(keys[:4])
    assert listed("nothing/") == []


@pytest.mark.parametrize(
    "key",
    ["../x", "a/../../x", "/etc/passwd", "a\\b", "", "a//b", "a/", "./a", ".hidden", "a/\x00"],
)
def test_keys_that_could_escape_are_rejected(store: Storage, key: str, source: Path) -> None:
    with pytest.raises(InvalidKey):
        store.put_bytes(key, b"x")
    with pytest.raises(InvalidKey):
        store.put_file(source, key)
    with pytest.raises(InvalidKey):
        store.exists(key)
    with pytest.raises(InvalidKey):
        store.iter_range(key)
    with pytest.raises(ValueError):  # InvalidKey is a ValueError too
        store.delete(key)


def test_prefixes_that_could_escape_are_rejected(store: Storage) -> None:
    with pytest.raises(InvalidKey):
        store.iter_keys("../")


def test_chinese_file_name_in_presigned_download(store: Storage) -> None:
    filename = "七年级语文《春》优秀课例.mp4"
    store.put_bytes("originals/video", DATA, "video/mp4")

    url = store.presigned_url(
        "originals/video", expires=60, filename=filename, content_type="video/mp4"
    )

    if isinstance(store, LocalStorage):
        assert url is None  # the app streams local files itself
        return
    assert url is not None and url.startswith("http://127.0.0.1:")
    with _no_proxy().open(url, timeout=10) as response:
        body = response.read()
        disposition = response.headers["Content-Disposition"]
        content_type = response.headers["Content-Type"]
    assert body == DATA
    assert content_type == "video/mp4"
    assert disposition == content_disposition(filename)
    assert disposition.startswith('attachment; filename="download.mp4"; ')
    encoded = disposition.split("filename*=UTF-8''", 1)[1]
    assert unquote(encoded, encoding="utf-8") == filename


@pytest.mark.s3
def test_presigned_url_serves_byte_ranges_for_video(s3_storage: S3Storage) -> None:
    s3_storage.put_bytes("originals/video", DATA, "video/mp4")
    url = s3_storage.presigned_url("originals/video")
    assert url is not None

    request = urllib.request.Request(url, headers={"Range": "bytes=100-199"})
    with _no_proxy().open(request, timeout=10) as response:
        assert response.status == 206
        assert response.headers["Content-Range"] == f"bytes 100-199/{SIZE}"
        assert response.read() == DATA[100:200]


@pytest.mark.s3
def test_presigned_url_cannot_be_reused_for_another_key(s3_storage: S3Storage) -> None:
    s3_storage.put_bytes("originals/a", b"a")
    s3_storage.put_bytes("originals/b", b"b")
    url = s3_storage.presigned_url("originals/a")
    assert url is not None

    with pytest.raises(urllib.error.HTTPError) as raised:
        _no_proxy().open(url.replace("originals/a", "originals/b"), timeout=10)
    raised.value.close()
    assert raised.value.code == 403


def test_large_file_round_trips_with_its_sha256(store: Storage, tmp_path: Path) -> None:
    if isinstance(store, S3Storage):
        # A small threshold keeps the test fast while still splitting into 4 parts.
        store = S3Storage(
            store.client,
            store.bucket,
            transfer_config=TransferConfig(
                multipart_threshold=5 * MIB, multipart_chunksize=5 * MIB
            ),
        )
    payload = os.urandom(20 * MIB)
    digest = hashlib.sha256(payload).hexdigest()
    source = tmp_path / "lesson.mp4"
    source.write_bytes(payload)
    key = content_key(digest)

    assert store.put_file(source, key, "video/mp4") is True

    assert store.size(key) == len(payload)
    if isinstance(store, S3Storage):
        etag = store.client.head_object(Bucket=store.bucket, Key=key)["ETag"]
        assert etag.strip('"').endswith("-4"), etag  # really a multipart upload
    streamed = hashlib.sha256()
    for chunk in store.iter_range(key):
        streamed.update(chunk)
    assert streamed.hexdigest() == digest
    target = tmp_path / "downloaded.mp4"
    store.download_to(key, target)
    assert _sha256_of(target) == digest


def test_move_lets_local_storage_consume_the_source(store: Storage, source: Path) -> None:
    assert store.put_file(source, "originals/moved", move=True) is True

    assert read_all(store, "originals/moved") == DATA
    if isinstance(store, LocalStorage):
        assert not source.exists()  # renamed into the store
    else:
        assert source.exists()  # S3 ignores move; the caller cleans up the source


def test_move_onto_an_existing_key_leaves_the_source(store: Storage, source: Path) -> None:
    store.put_bytes("originals/existing", DATA)

    assert store.put_file(source, "originals/existing", move=True) is False

    assert source.exists()


def test_missing_source_file_is_an_os_error(store: Storage, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        store.put_file(tmp_path / "nope.bin", "originals/nope")
    assert not store.exists("originals/nope")


# --- backend specifics -------------------------------------------------------------------------


def test_local_writes_leave_no_temp_files_and_readable_modes(tmp_path: Path, source: Path) -> None:
    store = LocalStorage(tmp_path / "store")
    store.put_file(source, "originals/a")
    store.put_bytes("thumbs/b", b"b")
    store.put_file(source, "originals/c", move=True)

    files = sorted(
        p.relative_to(store.root).as_posix() for p in store.root.rglob("*") if p.is_file()
    )
    assert files == ["originals/a", "originals/c", "thumbs/b"]
    assert all((store.root / f).stat().st_mode & 0o777 == 0o644 for f in files)


@pytest.mark.skipif(
    not Path("/dev/shm").is_dir() or os.stat("/dev/shm").st_dev == os.stat("/tmp").st_dev,
    reason="needs /dev/shm on another filesystem than the store",
)
def test_local_move_across_filesystems_copies_then_removes_the_source(tmp_path: Path) -> None:
    store = LocalStorage(tmp_path / "store")
    source = Path(tempfile.mkstemp(dir="/dev/shm", prefix="studio-test-")[1])
    try:
        source.write_bytes(DATA)
        assert os.stat(source).st_dev != os.stat(store.root).st_dev

        assert store.put_file(source, "originals/from-tmpfs", move=True) is True

        assert read_all(store, "originals/from-tmpfs") == DATA
        assert not source.exists()
        assert list(store.iter_keys()) == ["originals/from-tmpfs"]  # no temp file left over
    finally:
        source.unlink(missing_ok=True)


def test_local_listing_ignores_stray_temp_files(tmp_path: Path) -> None:
    store = LocalStorage(tmp_path / "store")
    store.put_bytes("originals/a", b"a")
    (store.root / "originals" / ".tmp-crashed.part").write_bytes(b"half")

    assert list(store.iter_keys()) == ["originals/a"]


def test_local_describe_is_a_file_url(tmp_path: Path) -> None:
    assert LocalStorage(tmp_path).describe() == tmp_path.absolute().as_uri()


@pytest.mark.s3
def test_s3_stores_content_type(s3_storage: S3Storage, source: Path) -> None:
    s3_storage.put_file(source, "originals/typed", "application/pdf")
    s3_storage.put_bytes("thumbs/typed.webp", b"x", "image/webp")

    head = s3_storage.client.head_object
    assert head(Bucket=s3_storage.bucket, Key="originals/typed")["ContentType"] == "application/pdf"
    assert head(Bucket=s3_storage.bucket, Key="thumbs/typed.webp")["ContentType"] == "image/webp"


@pytest.mark.s3
def test_s3_prefix_scopes_every_key(s3_storage: S3Storage) -> None:
    scoped = S3Storage(s3_storage.client, s3_storage.bucket, "county/library/")
    scoped.put_bytes("originals/a", b"a")
    s3_storage.put_bytes("elsewhere", b"b")

    assert list(scoped.iter_keys()) == ["originals/a"]
    assert list(s3_storage.iter_keys()) == ["county/library/originals/a", "elsewhere"]
    assert scoped.describe().startswith(f"s3://{s3_storage.bucket}/county/library at http://")
    assert "county/library/originals/a" in (scoped.presigned_url("originals/a") or "")


def test_content_key_shards_by_digest() -> None:
    digest = hashlib.sha256(b"lesson").hexdigest()

    assert content_key(digest) == f"originals/{digest[:2]}/{digest[2:4]}/{digest}"
    assert content_key(digest.upper()) == content_key(digest)
    assert content_key(digest, prefix="text").startswith(f"text/{digest[:2]}/")


@pytest.mark.parametrize("bad", ["", "abc", "g" * 64, "0" * 63, "0" * 65, "../" + "0" * 61])
def test_content_key_rejects_non_digests(bad: str) -> None:
    with pytest.raises(ValueError):
        content_key(bad)


def _no_proxy() -> urllib.request.OpenerDirector:
    # Talk to 127.0.0.1 directly even if the environment names an HTTP proxy.
    return urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(MIB), b""):
            digest.update(block)
    return digest.hexdigest()
