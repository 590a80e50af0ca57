"""A second baseline: tantivy (Rust, PyPI `tantivy`) over the same jieba-segmented text."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from pathlib import Path

import tantivy

from bench.search.fts5 import FACETS, _segmented
from search_index import ResourceDocument
from search_index.analysis import words

TEXT = {"title": 6.0, "keywords": 5.0, "abstract": 2.0, "body": 1.0}
KEYWORDS = ("subject", "stage", "kind", "studio", "award_level", "visibility", "status")


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_integer_field("id", stored=True, indexed=True, fast=True)
    builder.add_integer_field("year", indexed=True, fast=True)
    for name in TEXT:
        builder.add_text_field(name, tokenizer_name="whitespace")
    for name in KEYWORDS:
        builder.add_text_field(name, tokenizer_name="raw", fast=True)
    return builder.build()


def build(path: Path, documents: Iterable[ResourceDocument]) -> int:
    """Index documents into a new tantivy index at path; return how many."""
    path.mkdir(parents=True, exist_ok=True)
    index = tantivy.Index(_schema(), path=str(path))
    writer = index.writer(heap_size=256_000_000, num_threads=2)
    count = 0
    for doc in documents:
        fields = {name: _segmented(text) for name, text in (
            ("title", doc.title), ("keywords", " ".join(doc.keywords)),
            ("abstract", doc.abstract), ("body", doc.body))}  # fmt: skip
        values = {name: getattr(doc, name) or "" for name in KEYWORDS}
        writer.add_document(tantivy.Document(id=doc.id, year=doc.year or 0, **fields, **values))
        count += 1
    writer.commit()
    writer.wait_merging_threads()
    return count


class Searcher:
    """Ranked page with exact count, and terms aggregations for the facets."""

    def __init__(self, path: Path) -> None:
        self.index = tantivy.Index.open(str(path))
        self.schema = self.index.schema
        self.searcher = self.index.searcher()

    def _terms(self, field: str, values: Sequence[str]) -> tantivy.Query:
        should = [(tantivy.Occur.Should, tantivy.Query.term_query(self.schema, field, v))
                  for v in values]  # fmt: skip
        return tantivy.Query.boolean_query(should)

    def query(self, text: str, filters: dict[str, list[str]]) -> tantivy.Query | None:
        must: list[tuple[tantivy.Occur, tantivy.Query]] = []
        for i, chunk in enumerate(text.replace('"', ' " ').split('"')):
            found = words(chunk)
            if not found:
                continue
            if i % 2 and len(found) > 1:  # inside quotes: a phrase
                alternatives = [tantivy.Query.boost_query(
                    tantivy.Query.phrase_query(self.schema, name, found), boost)
                    for name, boost in TEXT.items()]  # fmt: skip
                must.append((tantivy.Occur.Must, tantivy.Query.disjunction_max_query(alternatives)))
                continue
            for word in found:
                alternatives = [(tantivy.Occur.Should, tantivy.Query.boost_query(
                    tantivy.Query.term_query(self.schema, name, word), boost))
                    for name, boost in TEXT.items()]  # fmt: skip
                must.append((tantivy.Occur.Must, tantivy.Query.boolean_query(alternatives)))
        if not must:
            return None
        must.append(
            (tantivy.Occur.Must, tantivy.Query.term_query(self.schema, "status", "published"))
        )
        must.append(
            (tantivy.Occur.Must, self._terms("visibility", ["public", "internal", "lendable"]))
        )
        for name, values in filters.items():
            must.append((tantivy.Occur.Must, self._terms(name, values)))
        return tantivy.Query.boolean_query(must)

    def search(self, text: str, filters: dict[str, list[str]], *, facets: bool, per_page: int = 20):
        q = self.query(text, filters)
        if q is None:
            return 0, [], {}
        result = self.searcher.search(q, limit=per_page, count=True)
        ids = [self.searcher.doc(address)["id"][0] for _score, address in result.hits]
        counts = {}
        if facets:
            aggs = {name: {"terms": {"field": name, "size": 200}} for name in FACETS}
            found = self.searcher.aggregate(q, aggs)
            counts = {name: {str(b["key"]): b["doc_count"] for b in found[name]["buckets"]}
                      for name in FACETS}  # fmt: skip
        return result.count, ids, counts


def run_queries(path: Path, queries, *, facets: bool) -> tuple[list[float], list[int]]:
    """Seconds per query and totals, on a warm searcher."""
    searcher = Searcher(path)
    for _, text, filters in queries[:20]:
        searcher.search(text, filters, facets=facets)
    times, totals = [], []
    for _, text, filters in queries:
        start = time.perf_counter()
        total, _ids, _counts = searcher.search(text, filters, facets=facets)
        times.append(time.perf_counter() - start)
        totals.append(total)
    return times, totals
