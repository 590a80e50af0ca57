"""HTML highlight fragments (<mark>, escaped text) for the words a hit matched."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from functools import lru_cache
from html import escape

from search_index.analysis import fold

SNIPPET_BEFORE = 40
SNIPPET_AFTER = 120
SNIPPET_COUNT = 2
ELLIPSIS = "…"
SNIPPET_CHUNK = 1_000  # characters folded at a time while looking for matches


@lru_cache(maxsize=256)
def _pattern(words: tuple[str, ...]) -> re.Pattern[str] | None:
    """A pattern for any of words, longest first; letters and digits only at word boundaries.

    Cached: every hit of a page is highlighted with the same words."""
    alternatives = []
    for word in sorted(dict.fromkeys(w for w in words if w), key=len, reverse=True):
        piece = re.escape(word)
        if word.isascii():
            piece = rf"(?<![a-z0-9]){piece}(?![a-z0-9])"
        alternatives.append(piece)
    return re.compile("|".join(alternatives)) if alternatives else None


def _searchable(text: str) -> str:
    """The text as words are compared against it, with the same length as text."""
    folded = fold(text)
    lowered = folded.lower()
    return lowered if len(lowered) == len(folded) else folded


def _mark(text: str, words: Sequence[str], pattern: re.Pattern[str]) -> str:
    """text escaped, every occurrence of one of words wrapped in <mark>; "" when none is."""
    order = {w: i for i, w in enumerate(words)}
    pieces: list[str] = []
    last = 0
    for match in pattern.finditer(_searchable(text)):
        term = order.get(match.group(0), 0)
        pieces.append(escape(text[last : match.start()], quote=False))
        pieces.append(f'<mark class="match term{term}">')
        pieces.append(escape(text[match.start() : match.end()], quote=False))
        pieces.append("</mark>")
        last = match.end()
    if not pieces:
        return ""
    pieces.append(escape(text[last:], quote=False))
    return "".join(pieces)


def whole(text: str, words: Sequence[str]) -> str:
    """All of a short text (a title) highlighted, or "" when no word occurs in it."""
    pattern = _pattern(tuple(words))
    if not text or pattern is None:
        return ""
    return _mark(text, words, pattern)


def _matches(text: str, pattern: re.Pattern[str], longest: int) -> Iterator[_Shifted]:
    """pattern's matches in the folded text, folding it a chunk at a time (a snippet needs the
    first few; long PDF text is not folded whole). Chunks overlap by the longest word."""
    start = 0
    while start < len(text):
        end = min(len(text), start + SNIPPET_CHUNK)
        base = max(0, start - longest)
        for match in pattern.finditer(_searchable(text[base:end])):
            if base + match.end() > start or base == start:
                yield _Shifted(match, base)
        start = end


class _Shifted:
    """A match in a chunk, reported with offsets in the whole text."""

    __slots__ = ("_match", "_base")

    def __init__(self, match: re.Match[str], base: int) -> None:
        self._match = match
        self._base = base

    def start(self) -> int:
        return self._base + self._match.start()

    def end(self) -> int:
        return self._base + self._match.end()


def snippet(text: str, words: Sequence[str]) -> str:
    """Up to SNIPPET_COUNT highlighted excerpts of a long text (abstract, body), or ""."""
    pattern = _pattern(tuple(words))
    if not text or pattern is None:
        return ""
    longest = max(len(w) for w in words if w)
    pieces: list[str] = []
    previous_end = -1
    for match in _matches(text, pattern, longest):
        start = max(0, match.start() - SNIPPET_BEFORE)
        end = min(len(text), match.end() + SNIPPET_AFTER)
        if start <= previous_end:
            continue
        lead = ELLIPSIS if start > 0 and not pieces else ""
        trail = ELLIPSIS if end < len(text) else ""
        pieces.append(lead + _mark(text[start:end], words, pattern) + trail)
        previous_end = end
        if len(pieces) >= SNIPPET_COUNT:
            break
    return "".join(pieces)
