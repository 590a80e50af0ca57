"""Object keys: content-addressed names for originals, and the rules every key must follow."""

from __future__ import annotations

import re

from storage.errors import InvalidKey

_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


def content_key(sha256_hex: str, prefix: str = "originals") -> str:
    """The key an original with this SHA-256 is stored under: ``originals/ab/cd/abcd…``."""
    digest = sha256_hex.lower()
    if not _SHA256_HEX.fullmatch(digest):
        raise ValueError(f"not a SHA-256 hex digest (64 hex characters): {sha256_hex!r}")
    validate_key(f"{prefix}/x")
    return f"{prefix}/{digest[:2]}/{digest[2:4]}/{digest}"


def validate_key(key: str) -> str:
    """Return `key` if it is a relative ``a/b/c`` path that cannot escape the store, else raise."""
    if not isinstance(key, str) or not key:
        raise InvalidKey(f"storage key must be a non-empty string, got {key!r}")
    if key.startswith("/"):
        raise InvalidKey(f"storage key must be relative, got {key!r}")
    if "\\" in key or "\x00" in key:
        raise InvalidKey(f"storage key must not contain backslashes or NUL, got {key!r}")
    for segment in key.split("/"):
        # Empty segments ("a//b", trailing "/") name directories on a filesystem-backed store;
        # dot segments ("..", ".", ".tmp-…") could escape the root or collide with temp files.
        if not segment or segment.startswith("."):
            raise InvalidKey(
                f"storage key segments must be non-empty and not start with '.', got {key!r}"
            )
    return key


def validate_prefix(prefix: str) -> str:
    """Return `prefix` if it is a usable key prefix (``""``, ``"a/"``, ``"a/b"``), else raise."""
    if prefix:
        # A prefix may end in "/" or in the middle of a segment; the rest must be a valid key.
        validate_key(prefix.removesuffix("/"))
    return prefix
