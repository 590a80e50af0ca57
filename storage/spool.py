"""HashingSpool: receive an upload into a temp file while computing its SHA-256 and size."""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any


class HashingSpool(io.BufferedIOBase):
    """A writable binary file that spools to a temp file in `directory` while hashing it.

    Used as werkzeug's upload stream factory, so an upload is hashed as it is received and
    never held in memory. Writes must be sequential (werkzeug writes, then seeks to 0 and
    reads). ``close()`` keeps the file (werkzeug closes request files at teardown);
    ``discard()`` deletes it, ``detach()`` hands it over. A spool dropped without either is
    deleted when garbage-collected, so abandoned uploads do not pile up.
    """

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        super().__init__()
        self._fileobj: IO[bytes] = tempfile.NamedTemporaryFile(  # noqa: SIM115
            dir=directory, delete=False, prefix="upload-"
        )
        self._path = Path(self._fileobj.name)
        self._hash = hashlib.sha256()
        self._size = 0
        self._detached = False
        self._cleanup = weakref.finalize(self, _remove, self._fileobj, self._path)

    @classmethod
    def factory(cls, directory: str | os.PathLike[str]) -> Callable[..., HashingSpool]:
        """A werkzeug ``stream_factory``: every uploaded file part gets its own spool."""

        def make_spool(
            total_content_length: int | None = None,
            content_type: str | None = None,
            filename: str | None = None,
            content_length: int | None = None,
        ) -> HashingSpool:
            return cls(directory)

        return make_spool

    @property
    def sha256(self) -> str:
        """Hex SHA-256 of every byte written so far."""
        return self._hash.hexdigest()

    @property
    def size(self) -> int:
        """Number of bytes written so far."""
        return self._size

    @property
    def path(self) -> Path:
        """Where the spooled bytes are on disk."""
        return self._path

    @property
    def name(self) -> str:
        """The temp file's path, as a file object's ``name``."""
        return str(self._path)

    def readable(self) -> bool:
        return True

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        """Append `data` to the spool and to the running hash."""
        self._check_open()
        if self._fileobj.tell() != self._size:
            raise io.UnsupportedOperation("HashingSpool only appends; seek to the end to write")
        written = self._fileobj.write(data)
        self._hash.update(data)
        self._size += written
        return written

    def read(self, size: int | None = -1) -> bytes:
        """Read back spooled bytes from the current position."""
        self._check_open()
        return self._fileobj.read(-1 if size is None else size)

    def read1(self, size: int = -1) -> bytes:
        """Read back spooled bytes with at most one underlying read."""
        self._check_open()
        return self._fileobj.read1(size)  # type: ignore[attr-defined]

    def readinto(self, buffer: Any) -> int:
        """Read back spooled bytes into a writable buffer."""
        self._check_open()
        return self._fileobj.readinto(buffer)  # type: ignore[attr-defined]

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        """Move the read position (werkzeug seeks to 0 once the part is received)."""
        self._check_open()
        return self._fileobj.seek(offset, whence)

    def tell(self) -> int:
        """The current read/write position."""
        self._check_open()
        return self._fileobj.tell()

    def flush(self) -> None:
        """Push buffered bytes to the operating system."""
        self._check_open()
        self._fileobj.flush()

    def fileno(self) -> int:
        """The temp file's descriptor."""
        self._check_open()
        return self._fileobj.fileno()

    def close(self) -> None:
        """Close the handle but keep the file on disk (see discard/detach)."""
        if self.closed:
            return
        try:
            super().close()  # flushes first
        finally:
            self._fileobj.close()

    def discard(self) -> None:
        """Close and delete the temp file, unless it was detached; idempotent. The file goes even
        when closing fails (a full disk refusing the last buffered bytes)."""
        try:
            self.close()
        except OSError:
            pass  # the bytes it could not flush are being deleted
        finally:
            if not self._detached:
                self._cleanup()

    def detach(self) -> Path:  # type: ignore[override]
        """Close the spool and hand the file over: nobody here will delete it any more."""
        self.close()
        self._detached = True
        self._cleanup.detach()
        return self._path

    def __enter__(self) -> HashingSpool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.discard()

    def __repr__(self) -> str:
        return f"<HashingSpool {self._path} size={self._size}>"

    def _check_open(self) -> None:
        if self.closed:
            raise ValueError("I/O operation on closed HashingSpool")


def _remove(fileobj: IO[bytes], path: Path) -> None:
    try:
        fileobj.close()
    except OSError:
        pass  # the bytes it could not flush were going to be deleted anyway
    finally:
        path.unlink(missing_ok=True)
