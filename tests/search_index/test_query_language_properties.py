"""Property tests (hypothesis) for the search query language, on a real on-disk index: whatever a
teacher types — syntax fragments, odd digits (², ①, full-width), control characters, pinyin,
traditional characters — parsing and searching never fail, and filters and exclusions only ever
narrow the answer."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from search_index import Audience
from search_index.querying import parse

ANYONE = Audience()

# Pieces of the query language and of what people paste, recombined by hypothesis.
TOKENS = ['"', "-", "(", ")", "OR", "AND", "NOT", "*", "?", "\\", ":", "subject:", "stage:", "year:",
          "title:", "kind:", "studio:", "²", "①", "２０２４", "2024", "99999999999", "分数", "折纸", "數學",
          "shuxue", "fs", "群文阅读", "光合作用", "PPT", "\x00", "\x01", "\u200b", "\ufeff", "　", " ", "\n"]

queries = st.lists(st.one_of(st.sampled_from(TOKENS), st.text(max_size=6)), max_size=12).map("".join)

SETTINGS = settings(max_examples=150, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


@SETTINGS
@given(text=queries)
def test_any_text_parses(text):
    parsed = parse(text)
    for clause in parsed.required:
        assert all(isinstance(w, str) for w in clause.words)


@SETTINGS
@given(text=queries, sort=st.sampled_from(["relevance", "newest", "downloads"]),
       page=st.integers(min_value=1, max_value=50))
def test_any_text_searches(loaded, text, sort, page):
    result = loaded.search(text, audience=ANYONE, sort=sort, page=page, per_page=5)
    ids = [hit.id for hit in result.hits]
    assert len(ids) == len(set(ids)) and len(ids) <= 5
    assert result.total >= len(ids) and result.match in ("all", "any")


@SETTINGS
@given(text=queries, subject=st.sampled_from(["math", "chinese", "science", "²", "", "ma\x00th"]),
       year=st.sampled_from(["2023", "2022", "²", "①", "２０２４", "99999999999", "-1", ""]))
def test_filters_only_narrow(loaded, text, subject, year):
    everything = loaded.search(text, audience=ANYONE, per_page=100)
    narrowed = loaded.search(text, filters={"subject": [subject], "year": [year]}, audience=ANYONE, per_page=100)
    if everything.match == narrowed.match == "all":
        assert {h.id for h in narrowed.hits} <= {h.id for h in everything.hits}


@SETTINGS
@given(word=st.sampled_from(["分数", "阅读", "光合作用", "教学", "shuxue"]), excluded=queries)
def test_an_exclusion_only_narrows(loaded, word, excluded):
    base = loaded.search(word, audience=ANYONE, per_page=100)
    without = loaded.search(f"{word} -{excluded.strip()}", audience=ANYONE, per_page=100)
    if base.match == without.match == "all" and excluded.strip():
        assert {h.id for h in without.hits} <= {h.id for h in base.hits}


@pytest.mark.parametrize("text", ["year:²", "year:①", "year:２０２４", "subject:ma\x00th", "\x00"])
def test_the_digits_that_used_to_fail(loaded, text):
    """`year:²` passed str.isdigit() and failed int() inside the engine."""
    loaded.search(text, audience=ANYONE)
