"""Chinese text analysis for the index: folding, jieba words, character n-grams and pinyin."""

from __future__ import annotations

import json
import logging
import re
import threading
import unicodedata
from collections.abc import Iterator
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import jieba
import numpy as np
from pypinyin import Style, lazy_pinyin
from whoosh.analysis import Analyzer, Token, Tokenizer

JIEBA_CACHE_FILE = "jieba.cache"
TERMS_FILE = "education_terms.txt"
SYNONYMS_FILE = "synonyms.txt"

_init_lock = threading.Lock()
_initialised = False
_terms_lock = threading.Lock()
_terms_loaded = False

HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_HAN_CHAR = re.compile(f"[{HAN}]")
_HAN_RUN = re.compile(f"[{HAN}]+")
_WORD_RUN = re.compile(f"[{HAN}]+|[^\\W_]+")
_CUT_CACHE_CHARS = 64  # texts up to this long have their jieba words cached (titles, names)
_FOLD_ARRAY_FROM = 48  # characters: shorter texts are folded with str.translate


# ------------------------------------------------------------------ package data


def _data_lines(name: str) -> list[str]:
    """Non-empty, non-comment lines of a text file shipped in this package."""
    text = resources.files("search_index").joinpath(name).read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


@cache
def education_terms() -> tuple[str, ...]:
    """The shipped user dictionary: education terms jieba keeps whole."""
    return tuple(line.split()[0] for line in _data_lines(TERMS_FILE))


@cache
def synonym_groups() -> tuple[tuple[str, ...], ...]:
    """Groups of interchangeable words (folded, lowercased)."""
    return tuple(
        tuple(dict.fromkeys(fold(word).lower() for word in line.split()))
        for line in _data_lines(SYNONYMS_FILE)
    )


@cache
def _synonym_map() -> dict[str, tuple[str, ...]]:
    found: dict[str, list[str]] = {}
    for group in synonym_groups():
        for word in group:
            found.setdefault(word, [])
            found[word].extend(w for w in group if w != word and w not in found[word])
    return {word: tuple(others) for word, others in found.items()}


def synonyms(word: str) -> tuple[str, ...]:
    """The other words of word's synonym groups (empty when it has none)."""
    return _synonym_map().get(word, ())


# ------------------------------------------------------------------ folding


# CJK Radicals Supplement characters PDFs use for ordinary ones (a font's glyph for 民 named as the
# radical): NFKC maps only 2 of the block, so the ones that stand for a whole common character
# are listed (the radicals that are only components — ⻏ 阝, ⺨ 犭 — are left alone).
RADICAL_LOOKALIKES = {
    "⺠": "民", "⻓": "长", "⻔": "门", "⻛": "风", "⻢": "马", "⻅": "见", "⻆": "角", "⻉": "贝",
    "⻋": "车", "⻜": "飞", "⻝": "食", "⻘": "青", "⻚": "页", "⻦": "鸟", "⻥": "鱼", "⻬": "齐",
    "⻮": "齿", "⻰": "龙", "⻩": "黄", "⻄": "西", "⻨": "麦", "⺟": "母", "⻳": "龟",
}  # fmt: skip
# Blocks whose characters NFKC maps to one ordinary ideograph: Kangxi radicals (⼀ U+2F00 → 一)
# and the CJK compatibility ideographs.
_LOOKALIKE_BLOCKS = ((0x2F00, 0x2FD6), (0xF900, 0xFB00), (0x2F800, 0x2FA20))


@cache
def lookalikes() -> dict[int, str]:
    """Look-alike character → the ordinary one, one to one (so folding keeps offsets)."""
    table = {ord(k): v for k, v in RADICAL_LOOKALIKES.items()}
    for start, end in _LOOKALIKE_BLOCKS:
        for code in range(start, end):
            folded = unicodedata.normalize("NFKC", chr(code))
            if len(folded) == 1 and folded != chr(code):
                table[code] = folded
    return table


def normalise_text(text: str) -> str:
    """Extracted document text as it is stored and indexed: the radical look-alikes and
    compatibility ideographs PDFs use become the ordinary characters (⼀、情境导⼊ → 一、情境导入).
    Not the whole of NFKC: it would also turn Chinese punctuation (：，（）) into ASCII."""
    return text.translate(lookalikes())


@cache
def _fold_table() -> dict[int, str]:
    """One-to-one character map: full-width ASCII → half-width, look-alike radicals and
    compatibility ideographs → the ordinary character, traditional → simplified."""
    table: dict[int, str] = {0x3000: " "}
    for code in range(0xFF01, 0xFF5F):
        table[code] = chr(code - 0xFEE0)
    table.update(lookalikes())
    raw = resources.files("zhconv").joinpath("zhcdict.json").read_bytes()
    to_simplified = json.loads(raw.decode("utf-8"))["zh2Hans"]
    for traditional, simplified in to_simplified.items():
        if len(traditional) == 1 and len(simplified) == 1 and traditional != simplified:
            table[ord(traditional)] = simplified
    for code, ordinary in list(table.items()):  # a look-alike of a traditional character: both steps
        if len(ordinary) == 1 and ord(ordinary) in table and table[ord(ordinary)] != ordinary:
            table[code] = table[ord(ordinary)]
    return table


@cache
def _fold_array() -> np.ndarray:
    """_fold_table as a lookup array over every code point (4 MiB)."""
    table = np.arange(0x110000, dtype=np.uint32)
    for code, folded in _fold_table().items():
        table[code] = ord(folded)
    return table


def fold(text: str) -> str:
    """text with full-width forms made half-width and traditional characters simplified.

    Character for character, so offsets into the folded text are offsets into the original.
    Long texts go through a numpy lookup (5× faster than str.translate with a dict).
    """
    if len(text) < _FOLD_ARRAY_FROM:
        return text.translate(_fold_table())
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    return _fold_array()[codes].tobytes().decode("utf-32-le", "surrogatepass")


# ------------------------------------------------------------------ jieba


def _load_terms() -> None:
    """Add the education terms and synonyms to jieba's dictionary, once per process."""
    global _terms_loaded
    if _terms_loaded:
        return
    with _terms_lock:
        if _terms_loaded:
            return
        words = list(education_terms())
        words += [w for group in synonym_groups() for w in group if _HAN_CHAR.search(w)]
        for word in dict.fromkeys(words):
            if not jieba.dt.FREQ.get(word) or len(word) > 2:
                jieba.add_word(word)
        _cut_short.cache_clear()
        _terms_loaded = True


def configure_jieba(cache_dir: Path) -> None:
    """Point jieba's dictionary cache at cache_dir, load it and our terms once per process."""
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
        _load_terms()
        _initialised = True


def _ensure_jieba() -> None:
    """Load jieba's dictionary quietly if configure_jieba was never called (system temp cache)."""
    if not jieba.dt.initialized:
        jieba.setLogLevel(logging.WARNING)
        jieba.dt.initialize()
    if not _terms_loaded:
        _load_terms()


def jieba_frequencies() -> dict[str, int]:
    """jieba's word frequencies (with our terms), loaded if need be."""
    _ensure_jieba()
    return jieba.dt.FREQ


def _is_word(text: str) -> bool:
    """Whether a segment has a letter or digit, i.e. is neither space nor punctuation."""
    return text.isalnum() or any(ch.isalnum() for ch in text)  # most words: the first test


@lru_cache(maxsize=8192)
def _cut_short(folded: str) -> tuple[str, ...]:
    """jieba's words of a short text, remembered: a resource's title and keywords are cut for
    their own fields and again for pinyin, and studio and subject names recur in every resource."""
    return tuple(jieba.dt.cut(folded, HMM=True))


def segment(text: str, *, fine: bool) -> Iterator[tuple[str, int, int, int]]:
    """Yield (word, position, startchar, endchar) of folded text; fine=True adds sub-words.

    Sub-words (中华人民共和国 → 中华, 人民, 共和国 …) share their parent word's position, so
    a phrase that is consecutive in the text stays consecutive in the index.
    """
    _ensure_jieba()
    freq = jieba.dt.FREQ
    start = 0
    position = 0
    folded = fold(text)
    pieces = (
        _cut_short(folded) if len(folded) <= _CUT_CACHE_CHARS else jieba.dt.cut(folded, HMM=True)
    )
    # The same walk as jieba.tokenize(text, mode="search"), keeping track of the parent word.
    for word in pieces:
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


def words(text: str) -> list[str]:
    """The whole words of a text as a query sees them (folded, lowercased, no punctuation)."""
    return [word.lower() for word, *_ in segment(text, fine=False)]


def grams(text: str) -> Iterator[tuple[str, int, int, int]]:
    """Single Chinese characters and character pairs of folded text, positioned by character.

    A pair shares its first character's position, so a run of pairs is a phrase: 读后续写 is
    读后 @0, 后续 @1, 续写 @2. Letters and digits are left to the word fields.
    """
    folded = fold(text)
    for match in _HAN_RUN.finditer(folded):
        run, base = match.group(0), match.start()
        for i, ch in enumerate(run):
            yield ch, base + i, base + i, base + i + 1
            if i + 1 < len(run):
                yield run[i : i + 2], base + i, base + i, base + i + 2


def query_grams(word: str) -> list[str]:
    """The pairs a word is made of (the word itself when it is one or two characters)."""
    if len(word) <= 2:
        return [word]
    return [word[i : i + 2] for i in range(len(word) - 1)]


def is_han(word: str) -> bool:
    """Whether word is all Chinese characters."""
    return bool(_HAN_RUN.fullmatch(word))


@cache
def _word_pinyin(word: str) -> tuple[str, str]:
    syllables = lazy_pinyin(word)
    initials = lazy_pinyin(word, style=Style.FIRST_LETTER)
    return "".join(syllables).lower(), "".join(initials).lower()


def pinyin_words(text: str) -> Iterator[str]:
    """Full pinyin and initials of every Chinese word of text (数学 → shuxue, sx)."""
    folded = fold(text)
    for run in _HAN_RUN.findall(folded):
        found = [w for w, *_ in segment(run, fine=False)]
        for word in found:
            full, initials = _word_pinyin(word)
            yield full
            if initials != full:
                yield initials
        if len(found) > 1 and len(run) <= 12:
            full, initials = _word_pinyin(run)  # a whole short title or name, typed at once
            yield full
            yield initials


# ------------------------------------------------------------------ Whoosh analyzers


class _BaseTokenizer(Tokenizer):
    # Lowercase token texts here rather than in a filter stage (one generator less per token).
    lowercase = False

    def _pieces(self, value: str, mode: str) -> Iterator[tuple[str, int, int, int]]:
        raise NotImplementedError

    def __call__(
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
            token.original = token.text = fold(value).lower() if self.lowercase else fold(value)
            token.boost = 1.0
            if positions:
                token.pos = start_pos
            if chars:
                token.startchar = start_char
                token.endchar = start_char + len(value)
            yield token
            return
        lowercase = self.lowercase
        for word, pos, startchar, endchar in self._pieces(value, mode):
            token.text = word.lower() if lowercase else word
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


class ChineseTokenizer(_BaseTokenizer):
    """jieba tokens: search mode (with sub-words) when indexing, accurate mode for queries."""

    lowercase = True

    def _pieces(self, value: str, mode: str) -> Iterator[tuple[str, int, int, int]]:
        # A query is segmented coarsely: its whole words match the indexed words and sub-words.
        return segment(value, fine=mode != "query")


class GramTokenizer(_BaseTokenizer):
    """Chinese single characters and pairs, for recall of words jieba did not cut out."""

    def _pieces(self, value: str, mode: str) -> Iterator[tuple[str, int, int, int]]:
        return grams(value)


class PinyinTokenizer(_BaseTokenizer):
    """Full pinyin and initials of each Chinese word (no positions worth keeping)."""

    def _pieces(self, value: str, mode: str) -> Iterator[tuple[str, int, int, int]]:
        for i, word in enumerate(pinyin_words(value)):
            yield word, i, 0, 0


def chinese_analyzer() -> Analyzer:
    """The analyzer of the word fields: folded jieba tokens, lowercased; no stop words."""
    return ChineseTokenizer()


def gram_analyzer() -> Analyzer:
    """The analyzer of the n-gram recall field."""
    return GramTokenizer()


def pinyin_analyzer() -> Analyzer:
    """The analyzer of the pinyin field."""
    return PinyinTokenizer()
