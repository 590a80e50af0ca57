"""The process-wide cache of a segment's term documents holds every document of the term, deleted
or not, whichever searcher read it first: searchers opened at different commits share it.

Whoosh's `SegmentReader.postings` wraps the posting list in a filter that skips the reader's
deleted documents as it is made, moving the list underneath past the leading ones; read as it
was, a term's one posting (inlined: every id and most rare words) came out empty for a searcher
that saw it deleted, and a searcher still leased on the commit before then took that empty array
from the cache: its meta document became a hit (one extra document) and a document it still held
stopped matching its own words.
"""

from __future__ import annotations

from search_index import Audience, SearchIndex
from search_index.search import run_search
from tests.search_index.search_corpus import ChangeLog, resource

ADMIN = Audience(everything=True)


def _hits(searcher, q: str) -> tuple[int, set[int]]:
    result = run_search(
        searcher, q, filters=None, audience=ADMIN, page=1, per_page=50, sort="relevance"
    )
    return result.total, {hit.id for hit in result.hits}


def test_a_searcher_on_an_earlier_commit_is_not_misled_by_a_later_ones_deletions(
    index: SearchIndex, changelog: ChangeLog
) -> None:
    changelog.put_all([resource(1, "光合作用 课例"), resource(2, "分数 课例")])
    index.apply_pending(changelog.fetch_changes, changelog.load_documents)
    with index._searchers.lease() as earlier:  # a search still running on the first commit
        assert earlier is not None
        # The next commit deletes resource 1 and the meta document from the first segment.
        changelog.put(resource(1, "改过的标题"))
        index.apply_pending(changelog.fetch_changes, changelog.load_documents)
        # A searcher on the new commit reads the first segment's postings (and caches them).
        assert index.search("光合作用", audience=ADMIN).total == 0
        assert index.search("", audience=ADMIN).total == 2
        # The earlier searcher still holds resource 1 as it was, and no meta document.
        assert _hits(earlier, "光合作用") == (1, {1})
        assert _hits(earlier, "") == (2, {1, 2})
