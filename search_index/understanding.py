"""Query understanding: typed words that name a filter value become that filter.

`初中 物理 浮力` is the junior stage, the physics subject and the word 浮力 — not three words that
must all occur in the text (a lesson on buoyancy rarely says 初中). The app passes a `Vocabulary`
(word → field and value: stages, grades, subjects, kinds, award and project levels, project
statuses, editions, volumes, units), built from its code tables and the editable editions; this
module knows no words of its own.

Rules:

- only bare words count (not a phrase, a `field:` word or an excluded word), matched whole: as
  jieba's words, or two to four consecutive ones joined (人教 + 版), longest first;
- a word for a field the searcher already filters on is understood only when it names one of the
  filter's values (then it is simply dropped); otherwise it stays text;
- a level word (省级) filters the project level when the query is about research projects (a
  kind word 课题 or a project status word 结题 is understood too), the award level otherwise;
- an understood word still ranks: a resource that also has it in its text comes first (the filter
  decides what is found, the word how it is ordered);
- the search tries the understood filters first; when they leave nothing, it gives the words back
  as text one by one, the least sure first (see `DROP_ORDER`), until something is found: a word
  given back ranks beside the other words, or is required when it is the only one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from search_index.analysis import fold
from search_index.documents import Understood
from search_index.querying import Clause, ParsedQuery

LEVEL = "level"  # a vocabulary field resolved to award_level or project_level by the query
PROJECT_KIND = "research_project"
MAX_JOINED = 6  # jieba words joined at most into one vocabulary word (选择性 必修 第 1 册)
# Given back as text first when the understood filters find nothing: the least sure first.
DROP_ORDER: tuple[str, ...] = (
    "unit", "volume", "edition", "grade", "award_level", "project_level", "project_status", "kind",
    "subject", "stage",
)  # fmt: skip


def _key(word: str) -> str:
    return "".join(fold(word).lower().split())


@dataclass(frozen=True)
class Vocabulary:
    """Words → (field, value). Build it once per vocabulary change; it is read-only."""

    entries: Mapping[str, tuple[str, str]] = field(default_factory=dict)

    @classmethod
    def of(cls, pairs: Iterable[tuple[str, str, str]]) -> Vocabulary:
        """From (word, field, value) triples; the first meaning of a word wins."""
        entries: dict[str, tuple[str, str]] = {}
        for word, name, value in pairs:
            key = _key(word)
            if key and value:
                entries.setdefault(key, (name, value))
        return cls(entries)

    def get(self, word: str) -> tuple[str, str] | None:
        return self.entries.get(_key(word))


@dataclass
class Reading:
    """A query read with a vocabulary: the text clauses left, and the words taken as filters
    with the clauses they came from (to give back as text)."""

    parsed: ParsedQuery
    understood: list[tuple[Understood, list[Clause]]]

    def filters(self, given: Mapping[str, Sequence[str]] | None) -> dict[str, list[str]]:
        """The searcher's filters with the understood ones added."""
        merged = {name: ([values] if isinstance(values, str) else list(values))
                  for name, values in (given or {}).items()}  # fmt: skip
        for meaning, _clauses in self.understood:
            values = merged.setdefault(meaning.field, [])
            if meaning.value not in values:
                values.append(meaning.value)
        return merged

    def give_back(self) -> Reading:
        """The same reading with the least sure understood word given back as text (itself when
        nothing is understood): it keeps ranking where other words are required, and becomes
        required itself where none is (a lone 上册 is then searched as the word)."""
        if not self.understood:
            return self
        rank = {name: i for i, name in enumerate(DROP_ORDER)}
        drop = min(range(len(self.understood)),
                   key=lambda i: (rank.get(self.understood[i][0].field, len(rank)), -i))  # fmt: skip
        kept = [u for i, u in enumerate(self.understood) if i != drop]
        if self.parsed.required:
            return Reading(self.parsed, kept)
        restored = self.understood[drop][1]
        optional = [c for c in self.parsed.optional if all(c is not r for r in restored)]
        return Reading(replace(self.parsed, required=list(restored), optional=optional), kept)


def read(
    parsed: ParsedQuery, vocabulary: Vocabulary | None, given: Mapping[str, Sequence[str]] | None = None
) -> Reading:
    """Take the words of parsed that vocabulary knows out of its text and into filters."""
    if vocabulary is None or not vocabulary.entries or not parsed.required:
        return Reading(parsed, [])
    active = {name: ({values} if isinstance(values, str) else set(values))
              for name, values in (given or {}).items() if values}  # fmt: skip
    found: list[tuple[str, str, str, list[Clause]]] = []  # word, field, value, clauses
    taken: set[int] = set()  # ids of the required clauses that became filters
    tokens = parsed.bare
    i = 0
    while i < len(tokens):
        chunk = tokens[i][0]
        run = 1
        while run < MAX_JOINED and i + run < len(tokens) and tokens[i + run][0] == chunk:
            run += 1
        for size in range(run, 0, -1):
            word = "".join(w for _, w in tokens[i : i + size])
            meaning = vocabulary.get(word)
            if meaning is not None:
                parts = {w for _, w in tokens[i : i + size]}
                source = [c for c in parsed.required if c.chunk == chunk and not c.phrase and c.field is None
                          and c.words[0] in parts and id(c) not in taken]  # fmt: skip
                taken.update(id(c) for c in source)
                found.append((word, *meaning, source))
                i += size
                break
        else:
            i += 1
    if not found:
        return Reading(parsed, [])
    about_projects = any(
        (name == "kind" and value == PROJECT_KIND) or name == "project_status" for _, name, value, _ in found
    )
    understood: list[tuple[Understood, list[Clause]]] = []
    left = [c for c in parsed.required if id(c) not in taken]
    for word, name, value, source in found:
        if name == LEVEL:
            name = "project_level" if about_projects else "award_level"
        if name in active and value not in active[name]:
            left.extend(source)  # the searcher chose another value: the word stays text
            continue
        if any(u.field == name and u.value == value for u, _ in understood):
            continue
        understood.append((Understood(word=word, field=name, value=value), source))
    optional = [c for _, source in understood for c in source]
    return Reading(replace(parsed, required=left, optional=optional), understood)
