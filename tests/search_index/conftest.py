"""Search index fixtures: a configured jieba and real Whoosh indexes under tmp_path."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from search_index import SearchIndex, configure_jieba
from tests.search_index.judged_corpus import judged_corpus
from tests.search_index.search_corpus import ChangeLog, small_corpus


@pytest.fixture(scope="session", autouse=True)
def jieba_ready(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Load jieba's dictionary once for the session, with its cache in a temp instance folder."""
    configure_jieba(tmp_path_factory.mktemp("instance") / "jieba")


@pytest.fixture
def changelog() -> ChangeLog:
    return ChangeLog()


@pytest.fixture
def index(tmp_path: Path) -> Iterator[SearchIndex]:
    """An empty, ensured index under tmp_path."""
    ix = SearchIndex(tmp_path / "index")
    ix.ensure()
    yield ix
    ix.close()


@pytest.fixture
def loaded(index: SearchIndex, changelog: ChangeLog) -> SearchIndex:
    """The index holding small_corpus(), applied through the change log."""
    changelog.put_all(small_corpus())
    index.apply_pending(changelog.fetch_changes, changelog.load_documents)
    return index


@pytest.fixture(scope="module")
def judged_library(tmp_path_factory: pytest.TempPathFactory, jieba_ready: None) -> Iterator[SearchIndex]:
    """The judged corpus (tests/search_index/judged_corpus.py) in a real index, once per module."""
    index = SearchIndex(Path(tmp_path_factory.mktemp("judged")) / "index")
    log = ChangeLog()
    log.put_all(judged_corpus())
    index.apply_pending(log.fetch_changes, log.load_documents)
    yield index
    index.close()
