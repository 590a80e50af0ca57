"""HashingSpool: hash and size in one pass while spooling, and fit werkzeug's upload parsing."""

from __future__ import annotations

import gc
import hashlib
import io
import random
from pathlib import Path

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from storage import HashingSpool, LocalStorage, content_key


@pytest.fixture
def payload() -> bytes:
    return random.Random(20240901).randbytes(3 * 1024 * 1024 + 17)


def write_in_odd_chunks(spool: HashingSpool, data: bytes) -> None:
    rng = random.Random(7)
    position = 0
    while position < len(data):
        step = rng.choice([0, 1, 3, 511, 4097, 65_537, 300_001])
        piece = data[position : position + step]
        assert spool.write(piece) == len(piece)
        position += step


def test_hash_and_size_match_hashlib(tmp_path: Path, payload: bytes) -> None:
    with HashingSpool(tmp_path) as spool:
        write_in_odd_chunks(spool, payload)

        assert spool.sha256 == hashlib.sha256(payload).hexdigest()
        assert spool.size == len(payload)
        spool.flush()
        assert spool.path.read_bytes() == payload


def test_empty_spool_hashes_the_empty_string(tmp_path: Path) -> None:
    with HashingSpool(tmp_path) as spool:
        assert spool.sha256 == hashlib.sha256(b"").hexdigest()
        assert spool.size == 0


def test_seek_back_and_read(tmp_path: Path, payload: bytes) -> None:
    with HashingSpool(tmp_path) as spool:
        write_in_odd_chunks(spool, payload)

        assert spool.seek(0) == 0
        assert spool.tell() == 0
        assert spool.read(10) == payload[:10]
        assert spool.read() == payload[10:]
        spool.seek(5)
        buffer = bytearray(4)
        assert spool.readinto(buffer) == 4 and bytes(buffer) == payload[5:9]


def test_writes_are_append_only(tmp_path: Path) -> None:
    with HashingSpool(tmp_path) as spool:
        spool.write(b"abcdef")
        spool.seek(2)
        with pytest.raises(io.UnsupportedOperation):
            spool.write(b"XX")  # would make the hash lie about the file
        spool.seek(0, io.SEEK_END)
        spool.write(b"gh")

        assert spool.sha256 == hashlib.sha256(b"abcdefgh").hexdigest()


def test_file_lives_in_the_directory_with_upload_prefix(tmp_path: Path) -> None:
    with HashingSpool(tmp_path) as spool:
        assert spool.path.parent == tmp_path
        assert spool.path.name.startswith("upload-")
        assert spool.name == str(spool.path)
        assert spool.readable() and spool.writable() and spool.seekable()


def test_close_keeps_the_file_and_discard_removes_it(tmp_path: Path) -> None:
    spool = HashingSpool(tmp_path)
    spool.write(b"lesson")

    spool.close()
    assert spool.closed
    assert spool.path.read_bytes() == b"lesson"  # werkzeug closes request files; we keep them
    with pytest.raises(ValueError):
        spool.write(b"more")

    spool.discard()
    spool.discard()  # idempotent
    assert not spool.path.exists()


def test_context_manager_discards(tmp_path: Path) -> None:
    with HashingSpool(tmp_path) as spool:
        spool.write(b"draft")
    assert spool.closed
    assert list(tmp_path.iterdir()) == []


def test_detach_hands_the_file_over(tmp_path: Path) -> None:
    with HashingSpool(tmp_path) as spool:
        spool.write(b"keep me")
        path = spool.detach()
    spool.discard()

    assert path == spool.path
    assert path.read_bytes() == b"keep me"


def test_an_abandoned_spool_is_removed_when_collected(tmp_path: Path) -> None:
    spool = HashingSpool(tmp_path)
    spool.write(b"never processed")
    path = spool.path

    del spool
    gc.collect()

    assert not path.exists()


def test_discard_after_the_store_moved_the_file(tmp_path: Path, payload: bytes) -> None:
    store = LocalStorage(tmp_path / "store")
    spool = HashingSpool(tmp_path)
    spool.write(payload)
    spool.close()

    key = content_key(spool.sha256)
    assert store.put_file(spool.path, key, move=True) is True
    spool.discard()  # the usual cleanup after put_file, whether or not the file was moved

    with store.open(key) as stored:
        assert stored.read() == payload


def _multipart_environ(files: dict[str, tuple[bytes, str]]) -> dict:
    data = {"title": "七年级语文《春》", **{k: (io.BytesIO(b), name) for k, (b, name) in files.items()}}
    builder = EnvironBuilder(method="POST", path="/upload", data=data)
    try:
        return builder.get_environ()
    finally:
        builder.close()


def test_werkzeug_parses_uploads_into_spools(tmp_path: Path, payload: bytes) -> None:
    upload_dir = tmp_path / "uploads"
    upload_dir.mkdir()
    make_spool = HashingSpool.factory(upload_dir)

    class SpoolingRequest(Request):
        def _get_file_stream(  # type: ignore[override]
            self, total_content_length, content_type, filename=None, content_length=None
        ):
            return make_spool(total_content_length, content_type, filename, content_length)

    second = b"%PDF-1.7 small paper"
    environ = _multipart_environ({"file": (payload, "课堂实录.mp4"), "paper": (second, "论文.pdf")})
    request = SpoolingRequest(environ)
    try:
        assert request.form["title"] == "七年级语文《春》"
        upload = request.files["file"]
        spool = upload.stream
        assert isinstance(spool, HashingSpool)
        assert upload.filename == "课堂实录.mp4"
        assert spool.sha256 == hashlib.sha256(payload).hexdigest()
        assert spool.size == len(payload)
        assert spool.tell() == 0  # werkzeug seeked back after writing
        assert upload.read() == payload

        paper = request.files["paper"].stream
        assert isinstance(paper, HashingSpool)
        assert paper.sha256 == hashlib.sha256(second).hexdigest()
        assert paper.path != spool.path

        saved = tmp_path / "saved.mp4"
        upload.seek(0)
        upload.save(saved)  # FileStorage.save copies from our stream
        assert saved.read_bytes() == payload
    finally:
        request.close()  # what Flask does at teardown: closes, does not delete
        environ["wsgi.input"].close()  # the encoded body EnvironBuilder spooled to a temp file

    assert spool.closed and spool.path.exists()
    spool.discard()
    paper.discard()
    assert list(upload_dir.iterdir()) == []
