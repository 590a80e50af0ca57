"""The baseline: SQLite FTS5 over jieba-segmented text, facets by GROUP BY on a side table."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path

from search_index import ResourceDocument
from search_index.analysis import segment, words

FACETS = ("subject", "stage", "kind", "studio", "award_level", "year")
VISIBLE = "m.status = 'published' AND m.visibility IN ('public', 'internal', 'lendable')"


def _segmented(text: str) -> str:
    """jieba search-mode tokens (the same analysis our index uses), space-separated."""
    return " ".join(word.lower() for word, *_ in segment(text, fine=True))


def build(path: Path, documents: Iterable[ResourceDocument]) -> int:
    """Create the FTS5 database at path from documents; return how many were written."""
    db = sqlite3.connect(path)
    db.executescript(
        """
        create table meta (id integer primary key, subject text, stage text, kind text, studio text,
                           award_level text, year integer, visibility text, status text,
                           created text, downloads integer);
        create virtual table fts using fts5(title, keywords, abstract, body, tokenize='unicode61');
        """
    )
    count = 0
    with db:
        for doc in documents:
            db.execute(
                "insert into meta values (?,?,?,?,?,?,?,?,?,?,?)",
                (doc.id, doc.subject, doc.stage, doc.kind, doc.studio, doc.award_level, doc.year,
                 doc.visibility, doc.status, doc.created.isoformat() if doc.created else None,
                 doc.downloads),
            )  # fmt: skip
            db.execute(
                "insert into fts (rowid, title, keywords, abstract, body) values (?,?,?,?,?)",
                (doc.id, _segmented(doc.title), _segmented(" ".join(doc.keywords)),
                 _segmented(doc.abstract), _segmented(doc.body)),
            )  # fmt: skip
            count += 1
    db.execute("insert into fts(fts) values ('optimize')")
    db.commit()
    db.close()
    return count


def match_expression(text: str) -> str | None:
    """An FTS5 MATCH expression: every jieba word required, quoted phrases kept as phrases."""
    found = []
    for i, chunk in enumerate(text.replace('"', ' " ').split('"')):
        chunk_words = [w.replace('"', "") for w in words(chunk)]
        if i % 2 and chunk_words:  # inside quotes: a phrase
            found.append('"' + " ".join(chunk_words) + '"')
        else:
            found += [f'"{w}"' for w in chunk_words]
    return " AND ".join(found) if found else None


class Searcher:
    """Queries over an FTS5 database: a ranked page with its total, optionally facet counts."""

    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(path)

    def search(
        self, text: str, filters: dict[str, list[str]], *, facets: bool, per_page: int = 20
    ) -> tuple[int, list[int], dict[str, dict[str, int]]]:
        expression = match_expression(text)
        if expression is None:
            return 0, [], {}
        where = f"fts MATCH ? AND {VISIBLE}"
        args: list[object] = [expression]
        for name, values in filters.items():
            where += f" AND m.{name} IN ({','.join('?' * len(values))})"
            args += values
        base = f"from fts join meta m on m.id = fts.rowid where {where}"
        ids = [
            row[0]
            for row in self.db.execute(
                f"select m.id {base} order by bm25(fts, 6.0, 5.0, 2.0, 1.0), m.id limit ?",
                [*args, per_page],
            )
        ]
        total = self.db.execute(f"select count(*) {base}", args).fetchone()[0]
        counts: dict[str, dict[str, int]] = {}
        if facets:
            for name in FACETS:
                counts[name] = {
                    str(value): n
                    for value, n in self.db.execute(
                        f"select m.{name}, count(*) {base} group by m.{name}", args
                    )
                    if value is not None
                }
        return total, ids, counts

    def close(self) -> None:
        self.db.close()


def run_queries(
    path: Path, queries: Sequence[tuple[str, str, dict[str, list[str]]]], *, facets: bool
) -> tuple[list[float], list[int]]:
    """Seconds per query and totals, on a warm connection."""
    import time

    searcher = Searcher(path)
    try:
        for _, text, filters in queries[:20]:
            searcher.search(text, filters, facets=facets)
        times, totals = [], []
        for _, text, filters in queries:
            start = time.perf_counter()
            total, _ids, _counts = searcher.search(text, filters, facets=facets)
            times.append(time.perf_counter() - start)
            totals.append(total)
        return times, totals
    finally:
        searcher.close()
