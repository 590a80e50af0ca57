"""The jieba analyzer: which tokens a Chinese sentence gives, with positions and offsets."""

from __future__ import annotations

import logging

import jieba
import pytest

from search_index import configure_jieba
from search_index.analysis import chinese_analyzer


def tokens(text: str, mode: str = "index") -> list[tuple[str, int, int, int]]:
    """(text, pos, startchar, endchar) of every token the analyzer yields."""
    return [
        (t.text, t.pos, t.startchar, t.endchar)
        for t in chinese_analyzer()(text, positions=True, chars=True, mode=mode)
    ]


def test_a_lesson_title_yields_its_words() -> None:
    words = [t[0] for t in tokens("小学数学分数的初步认识")]
    assert {"小学", "数学", "分数", "初步", "认识"} <= set(words)


def test_search_mode_adds_sub_words_of_long_words() -> None:
    words = [t[0] for t in tokens("中华人民共和国")]
    assert {"中华", "人民", "共和国", "中华人民共和国"} <= set(words)


def test_a_query_is_segmented_into_whole_words_only() -> None:
    assert [t[0] for t in tokens("中华人民共和国", mode="query")] == ["中华人民共和国"]


@pytest.mark.parametrize(
    "text",
    [
        "小学数学分数的初步认识",
        "群文阅读在初中语文教学中的实践研究",
        "光合作用（第二课时）：叶绿体色素的提取",
        "高中英语读后续写 PPT 课件，STEM 项目",
        "  前面有空格\n换行\t制表符",
    ],
)
def test_offsets_point_at_the_token_text(text: str) -> None:
    found = tokens(text)
    assert found
    for word, _pos, start, end in found:
        assert text[start:end].lower() == word


def test_punctuation_and_spaces_are_dropped() -> None:
    words = [t[0] for t in tokens("光合作用（第二课时）， 实验、反思！")]
    assert all(any(ch.isalnum() for ch in w) for w in words)
    assert "（" not in words and " " not in words and "、" not in words


def test_ascii_words_stay_whole_and_lowercased() -> None:
    words = [t[0] for t in tokens("PPT课件与STEM教育")]
    assert "ppt" in words and "stem" in words


def test_sub_words_share_their_parent_words_position() -> None:
    found = tokens("中华人民共和国成立")
    positions = {word: pos for word, pos, _s, _e in found}
    assert positions["共和国"] == positions["中华人民共和国"] == 0
    assert positions["成立"] == 1


def test_configure_jieba_is_idempotent_and_quiet(
    tmp_path, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_jieba(tmp_path / "again")
    configure_jieba(tmp_path / "again")
    assert jieba.dt.initialized
    assert logging.getLogger("jieba").level >= logging.WARNING
    out = capsys.readouterr()
    assert out.out == ""
