"""Spelling candidates for "did you mean": the indexed words one edit away from a typed word.

Whoosh's corrector scans a field's whole term dictionary per typed word, computing an edit
distance in Python for every term through a reader that merges the segments' dictionaries:
tens of milliseconds per word and field at 10,000 resources, growing with the vocabulary and
the number of segments. Here instead:

- each segment's words of the spelling fields are read once per process (segments never
  change) into a set, with the ASCII characters they use and, for the other words, an index
  from "the word with one character blanked" to the words (so a substitution is one lookup);
  the reading is resumable and a request spends at most `BUILD_SLICE_S` on it, so the first
  searches after a large commit go without corrections rather than waiting;
- a typed word's candidates are looked up, not scanned: for an ASCII word every word one edit
  away over the field's alphabet (deletions, transpositions, substitutions, insertions — a few
  hundred set lookups done in C); for a Chinese word the same-length words one substitution or
  one transposition away;
- the process keeps at most `VOCABULARY_BYTES` of them (least recently used dropped).

Candidates are ranked by the caller with the open searcher's term statistics.
"""

from __future__ import annotations

import string
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

from search_index import whoosh_internals as wi

VOCABULARY_BYTES = 64 * 2**20  # spelling vocabularies per process, all segments together
BUILD_SLICE_S = 0.025  # a request reads term dictionaries at most this long
MAX_CANDIDATES = 32  # per typed word and field
_BLANK = "\x00"
_ASCII_WORD = frozenset(string.ascii_lowercase + string.digits)


class Deadline:
    """When optional work (suggestions) stops, by the clock. (Not by this thread's CPU time:
    reading that clock is a system call, and on a busy virtual machine a system call is where
    the thread is preempted, for milliseconds.)"""

    __slots__ = ("at",)

    def __init__(self, seconds: float) -> None:
        self.at = time.perf_counter() + seconds

    def within(self, seconds: float) -> Deadline:
        """This deadline, or `seconds` from now when that comes first."""
        nearer = Deadline(seconds)
        nearer.at = min(nearer.at, self.at)
        return nearer

    @property
    def passed(self) -> bool:
        return time.perf_counter() >= self.at


class FieldWords:
    """One segment's words of one field, read in slices until done."""

    __slots__ = ("alphabet", "blanked", "done", "lock", "nbytes", "resume", "words")

    def __init__(self) -> None:
        self.words: set[str] = set()
        self.alphabet: set[str] = set()  # ASCII letters and digits the ASCII words use
        self.blanked: dict[str, list[str]] = {}  # non-ASCII word with one char blanked → words
        self.resume = b""  # the next term to read
        self.done = False
        self.nbytes = 0
        self.lock = threading.Lock()  # one thread reads at a time; others do without

    def read(self, segment: Any, field: str, until: Deadline) -> None:
        """Read terms from where the last slice stopped until done or until passed."""
        words, alphabet, blanked = self.words, self.alphabet, self.blanked
        size = 0
        count = 0
        terms = _terms(segment, field, self.resume)
        for name, btext in terms:
            if name != field:
                break
            count += 1
            if not count % 256 and until.passed:
                self.resume = btext  # not added: the next slice starts with it
                self.nbytes += size
                return
            text = btext.decode("utf-8")
            words.add(text)
            size += 64 + len(btext)
            if text.isascii():
                alphabet.update(text)
            elif len(text) > 1:
                for i in range(len(text)):
                    blanked.setdefault(text[:i] + _BLANK + text[i + 1 :], []).append(text)
                    size += 72 + 4 * len(text)
        self.nbytes += size
        self.done = True


def _terms(segment: Any, field: str, start: bytes) -> Iterable[tuple[str, bytes]]:
    """(field, term bytes) of the segment from start on (later fields follow: callers stop)."""
    try:
        return segment.terms_from(field, start)
    except Exception:  # noqa: BLE001 - a field this segment never indexed: no words
        return iter(())


class Vocabularies:
    """FieldWords per (segment, field) for the whole process, within a byte budget."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self._lock = threading.Lock()
        self._found: OrderedDict[tuple, FieldWords] = OrderedDict()
        self._bytes = 0

    def get(self, segment: Any, field: str, until: Deadline) -> FieldWords | None:
        """The segment's words of field, reading more of them until `until`; None while
        incomplete."""
        where = wi.segment_key(segment)
        key = (where, field)
        with self._lock:
            found = self._found.get(key) if where is not None else None
            if found is not None:
                self._found.move_to_end(key)
        if found is None:
            found = FieldWords()
        if found.done:
            return found
        if until.passed:
            return None
        if not found.lock.acquire(blocking=False):
            return None  # another thread is reading it: this search goes without
        try:
            before = found.nbytes
            if not found.done:
                found.read(segment, field, until)
        finally:
            found.lock.release()
        if where is not None:
            with self._lock:
                if key not in self._found:
                    self._found[key] = found
                    self._bytes += found.nbytes
                else:
                    self._bytes += found.nbytes - before
                while self._bytes > self.budget and len(self._found) > 1:
                    _, dropped = self._found.popitem(last=False)
                    self._bytes -= dropped.nbytes
        return found if found.done else None

    @property
    def nbytes(self) -> int:
        return self._bytes

    def clear(self) -> None:
        with self._lock:
            self._found.clear()
            self._bytes = 0


VOCABULARIES = Vocabularies(VOCABULARY_BYTES)


def _ascii_edits(word: str, alphabet: Iterable[str]) -> set[str]:
    """Every string one edit (Damerau-Levenshtein) from word over alphabet."""
    letters = sorted(set(alphabet) | set(word))
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    found = {a + b[1:] for a, b in splits if b}
    found |= {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    found |= {a + c + b[1:] for a, b in splits if b for c in letters}
    found |= {a + c + b for a, b in splits for c in letters}
    found.discard(word)
    return found


def candidates(segments: list[Any], field: str, word: str, deadline: Deadline) -> list[str] | None:
    """Indexed words of field one edit away from word (same length for a Chinese word),
    at most MAX_CANDIDATES of them in a stable order; None when the segments' words could not
    be read before the deadline (suggestions are skipped then, not slowed)."""
    until = deadline.within(BUILD_SLICE_S)
    vocabularies: list[FieldWords] = []
    for segment in segments:
        found = VOCABULARIES.get(segment, field, until)
        if found is None:
            return None
        vocabularies.append(found)
    hits: set[str] = set()
    if word.isascii():
        alphabet: set[str] = set()
        for vocabulary in vocabularies:
            alphabet |= vocabulary.alphabet
        edits = _ascii_edits(word, alphabet & _ASCII_WORD if word.isalnum() else alphabet)
        for vocabulary in vocabularies:
            hits |= edits & vocabulary.words
    else:
        swapped = {word[:i] + word[i + 1] + word[i] + word[i + 2 :] for i in range(len(word) - 1)}
        swapped.discard(word)
        keys = [word[:i] + _BLANK + word[i + 1 :] for i in range(len(word))]
        for vocabulary in vocabularies:
            hits |= swapped & vocabulary.words
            for key in keys:
                hits.update(vocabulary.blanked.get(key, ()))
        hits.discard(word)
        hits = {h for h in hits if len(h) == len(word)}
    return sorted(hits)[:MAX_CANDIDATES] if len(hits) > MAX_CANDIDATES else sorted(hits)
