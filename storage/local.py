"""LocalStorage: objects are files under one directory (the embedded default, no service needed)."""

from __future__ import annotations

import errno
import os
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from storage.errors import ObjectNotFound
from storage.keys import validate_key, validate_prefix
from storage.protocol import ByteChunks, check_range

# Stored files are world-readable like any file the web user writes with umask 022; temp files
# (mkstemp, and upload spools) start as 0600.
_FILE_MODE = 0o644
_TEMP_PREFIX = ".tmp-"  # keys cannot have segments starting with ".", so these never clash


class LocalStorage:
    """Objects as files under `root`; every write lands whole via a temp file and os.replace."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).absolute()
        self.root.mkdir(parents=True, exist_ok=True)

    def describe(self) -> str:
        """The store's location as a file:// URL."""
        return self.root.as_uri()

    def put_file(
        self,
        path: str | os.PathLike[str],
        key: str,
        content_type: str | None = None,
        *,
        move: bool = False,
    ) -> bool:
        """Store the file at `key` unless it exists; with move=True rename it in when possible."""
        target = self._path(key)
        if target.is_file():
            return False
        source = Path(path)
        if move and self._move_in(source, target):
            return True
        with open(source, "rb") as src:
            self._write_atomically(target, lambda out: shutil.copyfileobj(src, out, 1 << 20))
        if move:
            source.unlink(missing_ok=True)
        return True

    def put_bytes(self, key: str, data: bytes, content_type: str | None = None) -> None:
        """Write `data` at `key`, replacing any previous object."""
        self._write_atomically(self._path(key), lambda out: out.write(data))

    def exists(self, key: str) -> bool:
        """Whether a file is stored at `key`."""
        return self._path(key).is_file()

    def size(self, key: str) -> int:
        """The stored file's size in bytes."""
        try:
            status = self._path(key).stat()
        except (FileNotFoundError, NotADirectoryError) as exc:
            raise ObjectNotFound(key) from exc
        if not stat.S_ISREG(status.st_mode):
            raise ObjectNotFound(key)
        return status.st_size

    def modified(self, key: str) -> datetime:
        """The file's modification time (UTC, naive)."""
        try:
            status = self._path(key).stat()
        except (FileNotFoundError, NotADirectoryError) as exc:
            raise ObjectNotFound(key) from exc
        return datetime.fromtimestamp(status.st_mtime, UTC).replace(tzinfo=None)

    def open(self, key: str) -> BinaryIO:
        """The stored file opened for binary reading."""
        path = self._path(key)
        try:
            stream = open(path, "rb")  # noqa: SIM115 - the caller owns and closes it
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as exc:
            raise ObjectNotFound(key) from exc
        return stream

    def iter_range(
        self, key: str, start: int = 0, end: int | None = None, chunk_size: int = 1 << 20
    ) -> ByteChunks:
        """Bytes [start, end) of the stored file, clamped to its size."""
        check_range(start, end)
        stream = self.open(key)
        try:
            size = os.fstat(stream.fileno()).st_size
            stop = size if end is None else min(end, size)
            length = max(0, stop - start)
            if length:
                stream.seek(start)
        except BaseException:
            stream.close()
            raise
        return ByteChunks(stream, length, chunk_size)

    def download_to(self, key: str, path: str | os.PathLike[str]) -> None:
        """Copy the stored file to `path`."""
        with self.open(key) as src, open(path, "wb") as out:
            shutil.copyfileobj(src, out, 1 << 20)

    def local_path(self, key: str) -> Path:
        """The file holding `key`, to read in place (not part of the Storage protocol: S3 has none)."""
        path = self._path(key)
        if not path.is_file():
            raise ObjectNotFound(key)
        return path

    def delete(self, key: str) -> None:
        """Remove the stored file if present."""
        self._path(key).unlink(missing_ok=True)

    def iter_keys(self, prefix: str = "") -> Iterator[str]:
        """Keys under the root starting with `prefix`, sorted."""
        validate_prefix(prefix)
        start_dir = self.root / prefix.rpartition("/")[0]
        keys = []
        for dirpath, dirnames, filenames in os.walk(start_dir):
            dirnames[:] = [name for name in dirnames if not name.startswith(".")]
            relative = Path(dirpath).relative_to(self.root).as_posix()
            for name in filenames:
                if name.startswith("."):
                    continue
                key = name if relative == "." else f"{relative}/{name}"
                if key.startswith(prefix):
                    keys.append(key)
        return iter(sorted(keys))

    def presigned_url(
        self,
        key: str,
        expires: int = 300,
        *,
        filename: str | None = None,
        content_type: str | None = None,
        inline: bool = False,
    ) -> str | None:
        """Always None: a local store has no URL of its own, the app streams the file."""
        validate_key(key)
        return None

    def _path(self, key: str) -> Path:
        return self.root / validate_key(key)

    def _move_in(self, source: Path, target: Path) -> bool:
        """Rename `source` to `target` if both are on one filesystem; False if they are not."""
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(source, "rb") as src:
            os.fsync(src.fileno())  # the data must be on disk before the name points at it
        os.chmod(source, _FILE_MODE)
        try:
            os.replace(source, target)
        except OSError as exc:
            if exc.errno == errno.EXDEV:
                return False
            raise
        _fsync_dir(target.parent)
        return True

    def _write_atomically(self, target: Path, fill: Callable[[BinaryIO], object]) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temp_name = tempfile.mkstemp(dir=target.parent, prefix=_TEMP_PREFIX, suffix=".part")
        try:
            with os.fdopen(fd, "wb") as out:
                fill(out)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(temp_name, _FILE_MODE)
            os.replace(temp_name, target)
        except BaseException:
            Path(temp_name).unlink(missing_ok=True)
            raise
        _fsync_dir(target.parent)


def _fsync_dir(directory: Path) -> None:
    # Makes the rename itself durable; not possible on every platform, harmless to skip there.
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
