"""The errors every storage backend raises, whatever library sits underneath."""

from __future__ import annotations


class StorageError(Exception):
    """Storing or reading an object failed."""


class ObjectNotFound(StorageError):
    """No object is stored under the key (S3 NoSuchKey / 404, or a missing local file)."""

    def __init__(self, key: str) -> None:
        super().__init__(f"no stored object at key {key!r}")
        self.key = key


class InvalidKey(StorageError, ValueError):
    """The key could escape the store or is not a plain ``a/b/c`` path."""


class StorageConfigError(StorageError):
    """The storage configuration is unusable; the message names the setting to fix."""
