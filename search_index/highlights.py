"""HTML highlight fragments (<mark>, escaped text) for the words a hit matched."""

from __future__ import annotations

import re
from collections.abc import Iterable

from whoosh.analysis import Analyzer
from whoosh.highlight import HtmlFormatter, WholeFragmenter, highlight

SNIPPET_BEFORE = 40
SNIPPET_AFTER = 120
SNIPPET_COUNT = 2
ELLIPSIS = "…"


def _formatter() -> HtmlFormatter:
    """A new formatter each time: HtmlFormatter keeps per-search state (term → class)."""
    return HtmlFormatter(tagname="mark", classname="match", between=ELLIPSIS)


def _mark(text: str, words: frozenset[str], analyzer: Analyzer) -> str:
    """text with every token equal to one of words wrapped in <mark>; "" when none is."""
    return highlight(
        text, words, analyzer, WholeFragmenter(charlimit=None), _formatter(), top=1, mode="index"
    )


def whole(text: str, words: frozenset[str], analyzer: Analyzer) -> str:
    """All of a short text (a title) highlighted, or "" when no word matches."""
    if not text or not words:
        return ""
    return _mark(text, words, analyzer)


def _windows(text: str, words: Iterable[str]) -> list[tuple[int, int]]:
    """Non-overlapping character windows around the first occurrences of words in text."""
    pattern = re.compile("|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)), re.I)
    windows: list[tuple[int, int]] = []
    for match in pattern.finditer(text):
        start = max(0, match.start() - SNIPPET_BEFORE)
        end = min(len(text), match.end() + SNIPPET_AFTER)
        if windows and start <= windows[-1][1]:
            continue
        windows.append((start, end))
        if len(windows) >= SNIPPET_COUNT * 3:
            break
    return windows


def snippet(text: str, words: frozenset[str], analyzer: Analyzer) -> str:
    """Up to SNIPPET_COUNT highlighted excerpts of a long text (abstract, body), or "".

    Only short windows around plain-text occurrences are re-segmented: running jieba over a
    whole 50,000-character body for every hit on a page would cost more than the search.
    """
    if not text or not words:
        return ""
    pieces: list[str] = []
    for start, end in _windows(text, words):
        marked = _mark(text[start:end], words, analyzer)
        if not marked:
            continue  # the letters occur, but inside another word
        lead = ELLIPSIS if start > 0 and not pieces else ""
        trail = ELLIPSIS if end < len(text) else ""
        pieces.append(lead + marked + trail)
        if len(pieces) >= SNIPPET_COUNT:
            break
    return "".join(pieces)
