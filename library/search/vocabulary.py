"""The words a search understands as filters (search_index.understanding): stages, grades,
subjects, kinds, award and project levels, project statuses, editions, volumes and units.

Built from the code tables (subjects, stages, the editable editions) and the fixed codes, in
Chinese as teachers write them; a process rebuilds it at most every VOCABULARY_TTL_S, so an
admin's new edition or subject name is understood on every node within that.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Sequence

from flask import current_app
from sqlalchemy import select

from library.db import get_session
from library.studios.models import Stage, Subject
from library.textbooks import positions
from library.textbooks import service as textbooks
from search_index import Vocabulary
from search_index.understanding import LEVEL

VOCABULARY_TTL_S = 30.0
MAX_UNIT = 20  # 第一单元 … 第二十单元 are understood

STAGE_WORDS = {"幼儿园": "preschool", "学前": "preschool", "小学": "primary", "初中": "junior", "初级中学": "junior",
               "高中": "senior", "高级中学": "senior"}  # fmt: skip
SUBJECT_WORDS = {"道法": "politics", "道德与法治": "politics", "思想政治": "politics", "思政": "politics", "政治": "politics",
                 "信息技术": "it", "体育": "pe", "心理": "psychology", "班主任": "class_mgmt"}  # fmt: skip
KIND_WORDS = {
    "录课视频": "lesson_video", "课堂实录": "lesson_video", "录课": "lesson_video", "录像课": "lesson_video",
    "视频课": "lesson_video", "教学视频": "lesson_video", "课堂录像": "lesson_video",
    "获奖课例": "award_case", "获奖案例": "award_case", "优秀课例": "excellent_case", "优秀案例": "excellent_case",
    "课题": "research_project", "课题研究": "research_project", "研究课题": "research_project",
    "论文": "paper", "教学论文": "paper",
}  # fmt: skip
LEVEL_WORDS = {"国家级": "national", "全国": "national", "省级": "provincial", "市级": "prefecture",
               "地市级": "prefecture", "县级": "county", "区级": "county", "县区级": "county",
               "校级": "school"}  # fmt: skip
STATUS_WORDS = {"立项": "approved", "已立项": "approved", "在研": "ongoing", "结题": "concluded",
                "已结题": "concluded"}  # fmt: skip


def pairs(
    stages: Iterable[tuple[str, str]], subjects: Iterable[tuple[str, str]],
    editions: Iterable[tuple[str, str, Sequence[str]]],
) -> Iterator[tuple[str, str, str]]:
    """(word, field, value) of every understood word: stages and subjects as (name, code), the
    editions as (code, name, aliases); the fixed words and codes added."""
    for name, code in stages:
        yield name, "stage", code
    yield from ((w, "stage", v) for w, v in STAGE_WORDS.items())
    for grade in positions.GRADES:
        for word in (grade.label, *grade.aliases):
            yield word, "grade", grade.code
    for name, code in subjects:
        for part in name.split("/"):
            yield part, "subject", code
    yield from ((w, "subject", v) for w, v in SUBJECT_WORDS.items())
    yield from ((w, "kind", v) for w, v in KIND_WORDS.items())
    yield from ((w, LEVEL, v) for w, v in LEVEL_WORDS.items())
    yield from ((w, "project_status", v) for w, v in STATUS_WORDS.items())
    for code, name, aliases in editions:
        for word in (name, *aliases):
            yield word, "edition", code
    for volume in positions.VOLUMES:
        for word in (volume.label, *volume.aliases):
            yield word, "volume", volume.code
    for n in range(1, MAX_UNIT + 1):
        for number in (positions.chinese_numeral(n), str(n)):
            yield f"第{number}单元", "unit", str(n)


def _pairs(editions: Sequence[textbooks.EditionInfo]) -> Iterator[tuple[str, str, str]]:
    session = get_session()
    return pairs(
        [(s.name_zh, s.code) for s in session.scalars(select(Stage))],
        [(s.name_zh, s.code) for s in session.scalars(select(Subject))],
        [(e.code, e.name, e.aliases) for e in editions],
    )


_KEY = "library.search.vocabulary"  # in app.extensions: (built at, editions read, Vocabulary), per app


def vocabulary() -> Vocabulary:
    """The words understood as filters, rebuilt at most every VOCABULARY_TTL_S per process, and
    at once when this process's copy of the editions changed (an admin's edit here)."""
    built = current_app.extensions.get(_KEY)
    editions = textbooks.editions()
    if built is not None and built[1] is editions and time.monotonic() - built[0] < VOCABULARY_TTL_S:
        return built[2]
    found = Vocabulary.of(_pairs(editions))
    current_app.extensions[_KEY] = (time.monotonic(), editions, found)
    return found


def forget() -> None:
    """Drop this process's vocabulary (after an admin's edit here)."""
    current_app.extensions.pop(_KEY, None)
