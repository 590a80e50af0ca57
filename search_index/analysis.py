"""Chinese text analysis for the index: jieba segmentation wrapped as a Whoosh analyzer."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jieba
from whoosh.analysis import Analyzer, LowercaseFilter, Token, Tokenizer

JIEBA_CACHE_FILE = "jieba.cache"

_init_lock = threading.Lock()
_initialised = False


def configure_jieba(cache_dir: Path) -> None:
    """Point jieba's dictionary cache at cache_dir and load the dictionary once per process."""
    global _initialised
    if _initialised:
        return
    with _init_lock:
        if _initialised:
            return
        jieba.setLogLevel(logging.WARNING)
        cache_dir.mkdir(parents=True, exist_ok=True)
        jieba.dt.tmp_dir = str(cache_dir)
        jieba.dt.cache_file = JIEBA_CACHE_FILE
        jieba.dt.initialize()
        _initialised = True


def _ensure_jieba() -> None:
    """Load jieba's dictionary quietly if configure_jieba was never called (system temp cache)."""
    if not jieba.dt.initialized:
        jieba.setLogLevel(logging.WARNING)
        jieba.dt.initialize()


def _is_word(text: str) -> bool:
    """Whether a segment has a letter or digit, i.e. is neither space nor punctuation."""
    return any(ch.isalnum() for ch in text)


def segment(text: str, *, fine: bool) -> Iterator[tuple[str, int, int, int]]:
    """Yield (word, position, startchar, endchar); fine=True adds jieba search-mode sub-words.

    Sub-words (中华人民共和国 → 中华, 人民, 共和国 …) share their parent word's position, so
    a phrase that is consecutive in the text stays consecutive in the index.
    """
    _ensure_jieba()
    freq = jieba.dt.FREQ
    start = 0
    position = 0
    # The same walk as jieba.tokenize(text, mode="search"), keeping track of the parent word.
    for word in jieba.dt.cut(text, HMM=True):
        width = len(word)
        if _is_word(word):
            if fine and width > 2:
                for size in (2, 3):
                    if width <= size:
                        continue
                    for i in range(width - size + 1):
                        gram = word[i : i + size]
                        if freq.get(gram):
                            yield gram, position, start + i, start + i + size
            yield word, position, start, start + width
            position += 1
        start += width


class ChineseTokenizer(Tokenizer):
    """jieba tokens: search mode (with sub-words) when indexing, accurate mode for queries."""

    def __call__(  # type: ignore[override]
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs: Any,
    ) -> Iterator[Token]:
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:
            token.original = token.text = value
            token.boost = 1.0
            if positions:
                token.pos = start_pos
            if chars:
                token.startchar = start_char
                token.endchar = start_char + len(value)
            yield token
            return
        # A query is segmented coarsely: its whole words match the indexed words and sub-words.
        for word, pos, startchar, endchar in segment(value, fine=mode != "query"):
            token.text = word
            token.boost = 1.0
            token.stopped = False
            if keeporiginal:
                token.original = word
            if positions:
                token.pos = start_pos + pos
            if chars:
                token.startchar = start_char + startchar
                token.endchar = start_char + endchar
            yield token


def chinese_analyzer() -> Analyzer:
    """The analyzer of every text field: jieba tokens, lowercased; no stemming, no stop words."""
    return ChineseTokenizer() | LowercaseFilter()
