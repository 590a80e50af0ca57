"""Content-Disposition headers that carry Chinese file names (RFC 6266 / RFC 5987)."""

from __future__ import annotations

import os
import unicodedata
from urllib.parse import quote

# RFC 5987 attr-char beyond what quote() already leaves alone (letters, digits, "_.-~").
_ATTR_CHAR_SAFE = "!#$&+^`|"


def content_disposition(filename: str, *, inline: bool = False) -> str:
    """A Content-Disposition value with an ASCII fallback name and the UTF-8 ``filename*``."""
    kind = "inline" if inline else "attachment"
    name = _clean(filename)
    fallback = _ascii_fallback(name)
    if fallback == name:
        return f'{kind}; filename="{name}"'
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe=_ATTR_CHAR_SAFE)}"


def _clean(filename: str) -> str:
    # Keep only the last path segment and drop control characters (no header injection).
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable())
    return name.strip() or "download"


def _ascii_fallback(name: str) -> str:
    stem, extension = os.path.splitext(name)
    if not (extension.isascii() and extension[1:].isalnum()):
        stem, extension = name, ""
    ascii_stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode("ascii")
    ascii_stem = " ".join(ascii_stem.replace('"', "").replace("\\", "").split()).strip(" ._-")
    return (ascii_stem or "download") + extension
