"""The one storage interface the application codes against, and its byte-range iterator."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime
from typing import BinaryIO, Protocol, runtime_checkable


@runtime_checkable
class Storage(Protocol):
    """Where originals and derived files live: a local directory or an S3 bucket."""

    def put_file(
        self,
        path: str | os.PathLike[str],
        key: str,
        content_type: str | None = None,
        *,
        move: bool = False,
    ) -> bool:
        """Store the file at `key` atomically; False (nothing written) if `key` already exists.

        `move=True` lets the backend consume the source file instead of copying it; the
        caller must still clean up the source, which may or may not still exist.
        """
        ...

    def put_bytes(self, key: str, data: bytes, content_type: str | None = None) -> None:
        """Store a small derived file (thumbnail, poster frame) at `key`, replacing any old one."""
        ...

    def exists(self, key: str) -> bool:
        """Whether an object is stored at `key`."""
        ...

    def size(self, key: str) -> int:
        """The object's size in bytes; raises ObjectNotFound."""
        ...

    def modified(self, key: str) -> datetime:
        """When the object was last written (UTC, naive); raises ObjectNotFound."""
        ...

    def open(self, key: str) -> BinaryIO:
        """A readable stream of the whole object (close it); raises ObjectNotFound."""
        ...

    def iter_range(
        self, key: str, start: int = 0, end: int | None = None, chunk_size: int = 1 << 20
    ) -> ByteChunks:
        """Iterate over bytes [start, end) of the object, clamped to its size.

        Raises ObjectNotFound before returning, so a view can answer 404 before it sends
        headers. A range starting at or past the end yields nothing.
        """
        ...

    def download_to(self, key: str, path: str | os.PathLike[str]) -> None:
        """Copy the object to a local file, streaming; raises ObjectNotFound."""
        ...

    def delete(self, key: str) -> None:
        """Remove the object; deleting a missing key is not an error."""
        ...

    def iter_keys(self, prefix: str = "") -> Iterator[str]:
        """Each stored key starting with `prefix` once; the order is the backend's.

        AWS S3 lists in UTF-8 byte order, SeaweedFS directory by directory ("a/b" before
        "a-b"), LocalStorage sorted; sort the result if order matters.
        """
        ...

    def presigned_url(
        self,
        key: str,
        expires: int = 300,
        *,
        filename: str | None = None,
        content_type: str | None = None,
        inline: bool = False,
    ) -> str | None:
        """A short-lived URL for a browser to GET the object; None if the app must stream it."""
        ...

    def describe(self) -> str:
        """Where the objects live, for logs (never includes credentials)."""
        ...


class ByteChunks(Iterator[bytes]):
    """Up to `length` bytes of an open stream, in chunks; closes the stream when done or closed.

    Has `close()`, so a WSGI server releases the file or HTTP connection even when the client
    goes away mid-download. `length` is the exact number of bytes it will yield.
    """

    def __init__(self, stream: BinaryIO | None, length: int, chunk_size: int = 1 << 20) -> None:
        if chunk_size <= 0:
            raise ValueError(f"chunk_size must be positive, got {chunk_size}")
        self._stream = stream
        self._remaining = length
        self._chunk_size = chunk_size
        self.length = length
        if length == 0:
            self.close()

    def __iter__(self) -> ByteChunks:
        return self

    def __next__(self) -> bytes:
        if self._stream is None or self._remaining <= 0:
            self.close()
            raise StopIteration
        chunk = self._stream.read(min(self._chunk_size, self._remaining))
        if not chunk:
            self.close()
            raise StopIteration
        self._remaining -= len(chunk)
        return chunk

    def close(self) -> None:
        """Release the underlying stream; safe to call more than once."""
        stream, self._stream = self._stream, None
        if stream is not None:
            stream.close()

    def __enter__(self) -> ByteChunks:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def check_range(start: int, end: int | None) -> None:
    """Raise ValueError unless [start, end) is a well-formed range (end None means to the end)."""
    if start < 0:
        raise ValueError(f"range start must be >= 0, got {start}")
    if end is not None and end < start:
        raise ValueError(f"range end must be >= start, got [{start}, {end})")
