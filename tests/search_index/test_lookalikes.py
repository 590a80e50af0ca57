"""Look-alike characters (issue 19, part 10): a PDF that writes 一 as the Kangxi radical ⼀ and
入 as ⼊ is found by 情境导入, and a query typed with them finds the ordinary text."""

from __future__ import annotations

import pytest

from search_index import Audience
from search_index.analysis import fold, normalise_text
from tests.search_index.search_corpus import resource

EVERYONE = Audience(visibilities=frozenset({"public"}))


@pytest.mark.parametrize(("odd", "ordinary"), [
    ("⼀、情境导⼊", "一、情境导入"),  # Kangxi radicals U+2F00, U+2F0A
    ("⼈⺠教育", "人民教育"),  # U+2F08 and the supplement's ⺠ (NFKC leaves it)
    ("⻓⽅体", "长方体"),
    ("\uf900", "岂"),  # a compatibility ideograph (U+F900 → 豈), then simplified; escaped, as
    # an editor that normalises to NFC would write U+F900 as the ordinary 豈
    ("\U0002f800", "丽"),  # the supplement block (U+2F800 → 丽)
])
def test_fold_maps_the_lookalikes_character_for_character(odd: str, ordinary: str) -> None:
    assert fold(odd) == ordinary and len(fold(odd)) == len(odd)
    long = odd * 40  # the numpy path of fold (texts of 48 characters and more)
    assert fold(long) == ordinary * 40


def test_stored_text_is_normalised_whole() -> None:
    assert normalise_text("⼀、情境导⼊：（①）") == "一、情境导入：（①）"  # Chinese punctuation kept
    assert normalise_text("⻔⼝") == "门口"


def test_a_body_with_lookalikes_is_found_by_the_ordinary_words(index, changelog) -> None:
    changelog.put_all([resource(1, "教学设计", body="⼀、情境导⼊：⽤⽣活中的例⼦引⼊新课。"),
                       resource(2, "另一份设计", body="二、新知探究")])
    index.apply_pending(changelog.fetch_changes, changelog.load_documents)
    found = index.search("情境导入", audience=EVERYONE)
    assert [h.id for h in found.hits] == [1]
    # 导⼊ itself is matched (情境 alone would find the document), highlighted at its own offsets.
    assert "导⼊</mark>" in found.hits[0].highlights.get("body", "")
    assert [h.id for h in index.search("导入", audience=EVERYONE).hits] == [1]
    # Typed with a look-alike, the query finds it too.
    assert [h.id for h in index.search("情境导⼊", audience=EVERYONE).hits] == [1]
    assert [h.id for h in index.search("导⼊", audience=EVERYONE).hits] == [1]
