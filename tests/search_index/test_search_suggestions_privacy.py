"""Suggestions never reveal words that only hidden resources contain."""

from search_index import Audience, SearchIndex
from tests.search_index.search_corpus import resource as doc


def test_related_terms_come_only_from_visible_resources(tmp_path):
    index = SearchIndex(tmp_path / "index")
    index.ensure()
    hidden = doc(1, title="幻灯片草稿", status="draft", visibility="studio")
    index.rebuild([hidden], applied_seq=1)
    anonymous = Audience(visibilities=frozenset({"public"}))
    result = index.search("课件", audience=anonymous)
    assert result.total == 0
    assert "幻灯片" not in result.related
    index.close()
