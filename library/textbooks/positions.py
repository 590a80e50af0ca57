"""Where a resource sits in a textbook, and a guesser that reads it from a title.

Chinese teachers locate a lesson by 学段 → 年级 → 学科 → 版本 → 册 → 单元 → 课. This module holds the
vocabulary of that path as stable ASCII codes (the codes are an external interface: stored in the
database, sent over the API, written in manifests; never rename one):

* stages (学段): ``preschool`` 学前, ``primary`` 小学, ``junior`` 初中, ``senior`` 高中;
* grades (年级), in school order: ``k1``–``k3`` 小班/中班/大班, ``p1``–``p6`` 一年级…六年级,
  ``j1``–``j3`` 七年级…九年级 (初一…初三), ``s1``–``s3`` 高一…高三 (see :data:`GRADES`);
* volumes (册): ``upper`` 上册, ``lower`` 下册, ``whole`` 全一册, ``compulsory-1``…``compulsory-5``
  必修第一册…, ``compulsory-upper``/``compulsory-lower`` 必修上/下册 (统编高中语文),
  ``selective-1``…``selective-4`` 选择性必修第一册…, ``selective-upper``/``-middle``/``-lower``
  选择性必修上/中/下册 (see :data:`VOLUMES`);
* units (单元): a number 1–99 and a title; 章 (senior maths and physics) and Module/模块 (外研版)
  count as units;
* editions (版本): short lowercase ASCII codes seeded from :data:`EDITION_SEED` (``pep`` 人教版,
  ``tongbian`` 统编版 …); the app keeps them in an editable table and passes its rows to
  :func:`guess`.

Subject codes referred to by the seed are the app's: chinese, math, english, physics, chemistry,
biology, history, geography, politics, science, it, music, art, pe, psychology, preschool_ed,
labor, class_mgmt, school_mgmt.

Standard library only: no Flask, no SQLAlchemy, nothing else from ``library``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Generic, NamedTuple, TypeVar

__all__ = [
    "EDITION_SEED",
    "GRADES",
    "GRADE_CODES",
    "STAGE_CODES",
    "SUBJECT_CODES",
    "VOLUMES",
    "VOLUME_CODES",
    "EditionSeed",
    "Grade",
    "Guess",
    "Volume",
    "chinese_numeral",
    "grade_label",
    "grade_stage",
    "grades_of",
    "guess",
    "parse_grade",
    "parse_numeral",
    "parse_unit",
    "parse_volume",
    "unit_label",
    "volume_label",
    "words_of",
]

STAGE_CODES: tuple[str, ...] = ("preschool", "primary", "junior", "senior")
SUBJECT_CODES: tuple[str, ...] = (
    "chinese", "math", "english", "physics", "chemistry", "biology", "history", "geography",
    "politics", "science", "it", "music", "art", "pe", "psychology", "preschool_ed", "labor",
    "class_mgmt", "school_mgmt",
)

# ---------------------------------------------------------------------------------------------
# Text helpers

# Full-width ASCII → ASCII, the ideographic space → a space, A–Z → a–z. One character for one
# character, so an index into the folded text is an index into the original.
_FOLD_TABLE: dict[int, int] = {0x3000: 0x20}
_FOLD_TABLE.update({code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)})
_FOLD_TABLE.update({code: code + 0x20 for code in range(0x41, 0x5B)})
_FOLD_TABLE.update({code: code - 0xFEE0 + 0x20 for code in range(0xFF21, 0xFF3B)})


def _fold(text: str) -> str:
    return text.translate(_FOLD_TABLE)


_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003ffff]")
_ASCII_ALNUM = re.compile(r"[0-9a-z]")
_WHITESPACE = re.compile(r"\s+")


def _is_han(char: str) -> bool:
    return bool(char) and _HAN.match(char) is not None


def _is_ascii_alnum(char: str) -> bool:
    return bool(char) and _ASCII_ALNUM.match(char) is not None


def _char_before(text: str, index: int) -> str:
    return text[index - 1] if index > 0 else ""


def _char_at(text: str, index: int) -> str:
    return text[index] if index < len(text) else ""


def _starts_with_any(text: str, index: int, words: Iterable[str]) -> bool:
    return any(text.startswith(word, index) for word in words)


def _ends_with_any(text: str, index: int, words: Iterable[str]) -> bool:
    return any(text.endswith(word, 0, index) for word in words)


# ---------------------------------------------------------------------------------------------
# Numerals

_CN_DIGITS: dict[str, int] = {
    "零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4,
    "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
}
_CN_NUMERAL_NAMES = "零一二三四五六七八九"
_NUMERAL_CHARS = frozenset("0123456789零〇一二两三四五六七八九十")
_NUMERAL_CLASS = "0-9零〇一二两三四五六七八九十"

_ARABIC_NUMBER = re.compile(r"[0-9]{1,2}")
_CN_NUMBER = re.compile(
    r"(?P<tens>[一二两三四五六七八九])?十(?P<units>[一二三四五六七八九])?"
    r"|(?P<first>[零〇一二两三四五六七八九])(?P<second>[零〇一二两三四五六七八九])?"
)


def chinese_numeral(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 20 → 二十, 99 → 九十九; ValueError outside 1..99."""
    if not 1 <= n <= 99:
        raise ValueError(f"chinese_numeral takes 1..99, not {n}")
    tens, units = divmod(n, 10)
    unit_text = _CN_NUMERAL_NAMES[units] if units else ""
    if tens == 0:
        return unit_text
    return ("" if tens == 1 else _CN_NUMERAL_NAMES[tens]) + "十" + unit_text


def parse_numeral(text: str) -> int | None:
    """An Arabic (half- or full-width) or Chinese numeral 0..99 → its value; None otherwise.

    Chinese forms: 三, 十, 十二, 二十, 二十三, 两, 零/〇 and digit by digit (一〇 = 10)."""
    if not isinstance(text, str):
        return None
    folded = _fold(text).strip()
    if _ARABIC_NUMBER.fullmatch(folded):
        return int(folded)
    match = _CN_NUMBER.fullmatch(folded)
    if match is None:
        return None
    if match.group("first") is not None:
        first = _CN_DIGITS[match.group("first")]
        second = match.group("second")
        return first if second is None else first * 10 + _CN_DIGITS[second]
    tens = match.group("tens")
    units = match.group("units")
    return (1 if tens is None else _CN_DIGITS[tens]) * 10 + (0 if units is None else _CN_DIGITS[units])


# ---------------------------------------------------------------------------------------------
# Context words used by the boundary rules

_SUBJECT_WORDS: tuple[str, ...] = (
    "语文", "数学", "英语", "物理", "化学", "生物学", "生物", "历史", "地理", "道德与法治", "道法",
    "思想政治", "政治", "思品", "科学", "信息科技", "信息技术", "音乐", "美术", "艺术", "体育与健康",
    "体育", "心理健康", "心理", "劳动", "综合实践",
)
# What may stand right before a bare (suffix-less) edition alias or a short form such as 三上.
_BEFORE_OK: tuple[str, ...] = (
    "版", "小学", "初中", "高中", "学前", "幼儿园", "基于", "使用", "采用", "结合", "依托", "立足",
    "新", "以", "用", "对", "在", "与", "和", "及", *_SUBJECT_WORDS,
)
# What may follow a short form (三上), a bare 上/下 after a grade, or 小一….
_AFTER_OK: tuple[str, ...] = (
    "册", "第", "单元", "期中", "期末", "复习", "教材", "课文", "习作", "识字", "口语交际",
    "语文园地", *_SUBJECT_WORDS,
)


def _opens_ok(text: str, start: int) -> bool:
    """Whether a word at `start` is not the tail of a longer word (it follows a boundary or 版/数学 …)."""
    return not _is_han(_char_before(text, start)) or _ends_with_any(text, start, _BEFORE_OK)


def _closes_ok(text: str, end: int, extra: tuple[str, ...] = ()) -> bool:
    """Whether a word ending at `end` is not the head of a longer word (a boundary or 册/第/数学 … follows)."""
    return not _is_han(_char_at(text, end)) or _starts_with_any(text, end, (*extra, *_AFTER_OK))


# ---------------------------------------------------------------------------------------------
# A longest-match lexicon

_T = TypeVar("_T")
_Check = Callable[[str, int, int, str], bool]


class _Lexicon(Generic[_T]):
    """Finds the leftmost, then longest, alias in a folded text that passes a boundary check."""

    def __init__(self, entries: Iterable[tuple[str, _T]], check: _Check) -> None:
        by_first: dict[str, list[tuple[str, _T]]] = {}
        seen: set[str] = set()
        for alias, payload in entries:
            key = _fold(alias).strip()
            if len(key) < 2 or key in seen:
                continue
            seen.add(key)
            by_first.setdefault(key[0], []).append((key, payload))
        for candidates in by_first.values():
            candidates.sort(key=lambda entry: len(entry[0]), reverse=True)
        self._by_first = by_first
        self._check = check

    def first(self, text: str) -> tuple[int, int, _T] | None:
        """(start, end, payload) of the first match in `text`, which must be folded."""
        for index, char in enumerate(text):
            candidates = self._by_first.get(char)
            if not candidates:
                continue
            for alias, payload in candidates:
                end = index + len(alias)
                if text.startswith(alias, index) and self._check(text, index, end, alias):
                    return index, end, payload
        return None


# ---------------------------------------------------------------------------------------------
# Grades


class Grade(NamedTuple):
    """A grade: its code, its stage's code, the label teachers read and the other ways to write it."""

    code: str
    stage: str
    label: str
    aliases: tuple[str, ...]


def _primary(number: int) -> Grade:
    cn = chinese_numeral(number)
    return Grade(f"p{number}", "primary", f"{cn}年级",
                 (f"{number}年级", f"小学{cn}年级", f"小学{number}年级", f"小{cn}"))


def _junior(number: int) -> Grade:
    cn = chinese_numeral(number)
    school = chinese_numeral(number + 6)
    return Grade(f"j{number}", "junior", f"{school}年级",
                 (f"初{cn}", f"初{cn}年级", f"初中{cn}年级", f"初中{number}年级", f"初中{school}年级",
                  f"{number + 6}年级", f"初{number}"))


def _senior(number: int) -> Grade:
    cn = chinese_numeral(number)
    return Grade(f"s{number}", "senior", f"高{cn}",
                 (f"高{cn}年级", f"高中{cn}年级", f"高中{number}年级", f"高{number}",
                  f"{chinese_numeral(number + 9)}年级", f"{number + 9}年级"))


GRADES: tuple[Grade, ...] = (
    Grade("k1", "preschool", "小班", ("幼儿园小班", "小班组", "小班段")),
    Grade("k2", "preschool", "中班", ("幼儿园中班", "中班组", "中班段")),
    Grade("k3", "preschool", "大班", ("幼儿园大班", "大班组", "大班段")),
    *(_primary(n) for n in range(1, 7)),
    *(_junior(n) for n in range(1, 4)),
    *(_senior(n) for n in range(1, 4)),
)
GRADE_CODES: tuple[str, ...] = tuple(grade.code for grade in GRADES)
_GRADE_BY_CODE: dict[str, Grade] = {grade.code: grade for grade in GRADES}
_GRADE_LOOKUP: dict[str, str] = {}
for _grade in GRADES:
    for _word in (_grade.code, _grade.label, *_grade.aliases):
        _GRADE_LOOKUP.setdefault(_WHITESPACE.sub("", _fold(_word)), _grade.code)


def grade_label(code: str) -> str:
    """The label of a grade code (七年级 for j1); the code itself when it is unknown."""
    grade = _GRADE_BY_CODE.get(code)
    return grade.label if grade else code


def grade_stage(code: str) -> str | None:
    """The stage code of a grade code (junior for j1); None when it is unknown."""
    grade = _GRADE_BY_CODE.get(code)
    return grade.stage if grade else None


def grades_of(stage: str) -> tuple[Grade, ...]:
    """The grades of a stage, in school order (empty for an unknown stage)."""
    return tuple(grade for grade in GRADES if grade.stage == stage)


def parse_grade(text: str) -> str | None:
    """A grade code, label or alias (七年级, 初一, 高1, 小班, ３年级 …) → its code; None otherwise."""
    if not isinstance(text, str):
        return None
    return _GRADE_LOOKUP.get(_WHITESPACE.sub("", _fold(text)))


# ---------------------------------------------------------------------------------------------
# Volumes


class Volume(NamedTuple):
    """A volume (册) of a textbook: its code, its label and the other ways to write it."""

    code: str
    label: str
    aliases: tuple[str, ...]


def _numbered_volumes(prefix: str, code: str, count: int, short: str) -> tuple[Volume, ...]:
    volumes: list[Volume] = []
    for number in range(1, count + 1):
        cn = chinese_numeral(number)
        aliases = [f"{prefix}{cn}", f"{prefix}{number}", f"{prefix} {number}", f"{prefix}第{number}册",
                   f"{prefix}{cn}册"]
        if short:
            aliases += [f"{short}{cn}", f"{short}{number}", f"{short}第{cn}册"]
        volumes.append(Volume(f"{code}-{number}", f"{prefix}第{cn}册", tuple(aliases)))
    return tuple(volumes)


def _sided_volumes(prefix: str, code: str, sides: Sequence[tuple[str, str]], short: str) -> tuple[Volume, ...]:
    volumes: list[Volume] = []
    for side_code, side in sides:
        aliases = [f"{prefix}{side}"]
        if short:
            aliases += [f"{short}{side}册", f"{short}{side}"]
        volumes.append(Volume(f"{code}-{side_code}", f"{prefix}{side}册", tuple(aliases)))
    return tuple(volumes)


VOLUMES: tuple[Volume, ...] = (
    Volume("upper", "上册", ("上卷",)),
    Volume("lower", "下册", ("下卷",)),
    Volume("whole", "全一册", ("全册", "全1册")),
    *_numbered_volumes("必修", "compulsory", 5, ""),
    *_sided_volumes("必修", "compulsory", (("upper", "上"), ("lower", "下")), ""),
    *_numbered_volumes("选择性必修", "selective", 4, "选必"),
    *_sided_volumes("选择性必修", "selective", (("upper", "上"), ("middle", "中"), ("lower", "下")), "选必"),
)
VOLUME_CODES: tuple[str, ...] = tuple(volume.code for volume in VOLUMES)
_VOLUME_BY_CODE: dict[str, Volume] = {volume.code: volume for volume in VOLUMES}
_VOLUME_LOOKUP: dict[str, str] = {}
for _volume in VOLUMES:
    for _word in (_volume.code, _volume.label, *_volume.aliases):
        _VOLUME_LOOKUP.setdefault(_WHITESPACE.sub("", _fold(_word)), _volume.code)
# Bracketed forms, looked for inside titles and accepted by parse_volume: 数学(上), 必修(下).
_BRACKETED_VOLUMES: tuple[tuple[str, str], ...] = (
    ("(上)", "upper"), ("(下)", "lower"), ("必修(上)", "compulsory-upper"), ("必修(下)", "compulsory-lower"),
    ("选择性必修(上)", "selective-upper"), ("选择性必修(中)", "selective-middle"),
    ("选择性必修(下)", "selective-lower"),
)
# parse_volume (a form field) also takes these; of them only the bracketed forms are looked for
# inside titles (上学期 alone is as often "last term" as a volume).
for _word, _code in (*_BRACKETED_VOLUMES, ("上", "upper"), ("下", "lower"), ("全", "whole"),
                     ("上学期", "upper"), ("下学期", "lower"), ("第一学期", "upper"), ("第二学期", "lower")):
    _VOLUME_LOOKUP.setdefault(_word, _code)
del _grade, _volume, _word, _code


def volume_label(code: str) -> str:
    """The label of a volume code (上册 for upper); the code itself when it is unknown."""
    volume = _VOLUME_BY_CODE.get(code)
    return volume.label if volume else code


def parse_volume(text: str) -> str | None:
    """A volume code, label or alias (上册, 必修1, 选必二, 选择性必修中册 …) → its code; None otherwise."""
    if not isinstance(text, str):
        return None
    return _VOLUME_LOOKUP.get(_WHITESPACE.sub("", _fold(text)))


# ---------------------------------------------------------------------------------------------
# Units

_SEPARATORS = " \t\r\n:：、·—–-.．,，\u3000"
_EN_NUMBER_WORDS: dict[str, int] = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
}
_EN_NUMBER = "[0-9]{1,2}|" + "|".join(_EN_NUMBER_WORDS)
_CN_UNIT = re.compile(rf"第\s*([{_NUMERAL_CLASS}]{{1,3}})\s*(单元|章|模块)")
_EN_UNIT = re.compile(rf"(?<![a-z])(unit|module)\s*({_EN_NUMBER})(?![0-9a-z])")
_BARE_UNIT = re.compile(rf"([0-9]{{1,2}})(?=$|[{re.escape(_SEPARATORS)}])")


def _unit_number(text: str) -> int | None:
    value = _EN_NUMBER_WORDS.get(text) if text in _EN_NUMBER_WORDS else parse_numeral(text)
    return value if value is not None and 1 <= value <= 99 else None


def parse_unit(text: str) -> tuple[int | None, str]:
    """(number, title) of a unit: "3", "第三单元", "第3单元 分数的初步认识", "Unit 3 My friends",
    "Module 2", "第一章 集合与常用逻辑用语"; (None, text stripped) when it has no number."""
    if not isinstance(text, str):
        return None, ""
    stripped = text.strip()
    folded = _fold(stripped)
    number: int | None = None
    end = 0
    for pattern, group in ((_CN_UNIT, 1), (_EN_UNIT, 2), (_BARE_UNIT, 1)):
        match = pattern.match(folded)
        if match:
            number = _unit_number(match.group(group))
            end = match.end()
            break
    if number is None:
        whole = parse_numeral(folded)
        if whole is not None and 1 <= whole <= 99:
            return whole, ""
        return None, stripped
    return number, stripped[end:].strip(_SEPARATORS)


def unit_label(number: int | None, title: str) -> str:
    """"第三单元 分数的初步认识"; just the title without a number; just "第三单元" without a title."""
    title = (title or "").strip()
    if number is None:
        return title
    label = f"第{chinese_numeral(number)}单元" if 1 <= number <= 99 else f"第{number}单元"
    return f"{label} {title}" if title else label


# ---------------------------------------------------------------------------------------------
# Editions


class EditionSeed(NamedTuple):
    """A textbook edition in use in China: code, the name teachers write, other spellings, and the
    subjects and stages (codes) it is published for."""

    code: str
    name: str
    aliases: tuple[str, ...]
    subjects: tuple[str, ...]
    stages: tuple[str, ...]


_ALL = ("primary", "junior", "senior")

EDITION_SEED: tuple[EditionSeed, ...] = (
    EditionSeed("pep", "人教版", ("人教", "人教社", "人民教育出版社", "人教PEP", "人教PEP版", "PEP",
                                 "新人教版", "人教新版", "人教新课标版"),
                ("chinese", "math", "english", "physics", "chemistry", "biology", "history", "geography",
                 "politics", "music", "art", "pe"), _ALL),
    EditionSeed("pep_a", "人教A版", ("人教A", "人教版A版", "新人教A版"), ("math",), ("senior",)),
    EditionSeed("pep_b", "人教B版", ("人教B", "人教版B版", "新人教B版"), ("math",), ("senior",)),
    EditionSeed("tongbian", "统编版", ("部编版", "部编", "统编", "部编人教版", "人教统编版", "统编教材",
                                      "部编教材"),
                ("chinese", "politics", "history"), _ALL),
    EditionSeed("bnu", "北师大版", ("北师版", "北京师范大学出版社", "北师大出版社", "新北师大版"),
                ("math", "english", "physics", "biology", "psychology"), _ALL),
    EditionSeed("sujiao", "苏教版", ("苏教", "江苏教育出版社", "江苏凤凰教育出版社"),
                ("math", "science", "chemistry", "biology"), _ALL),
    EditionSeed("yilin", "译林版", ("译林", "牛津译林版", "译林牛津版", "牛津译林", "译林出版社"),
                ("english",), _ALL),
    EditionSeed("waiyan", "外研版", ("外研", "外研社", "外研社版", "外语教学与研究出版社"), ("english",), _ALL),
    EditionSeed("hujiao", "沪教版", ("沪教", "上海教育出版社", "沪教牛津版", "牛津上海版", "上教版"),
                ("math", "english", "chemistry"), _ALL),
    EditionSeed("xiangjiao", "湘教版", ("湘教", "湖南教育出版社"), ("math", "geography"), ("junior", "senior")),
    EditionSeed("qingdao", "青岛版", ("青岛出版社", "青岛版六三制", "青岛版五四制"), ("math", "science"),
                ("primary", "junior")),
    EditionSeed("jijiao", "冀教版", ("冀教", "河北教育出版社"), ("math", "english"), ("primary", "junior")),
    EditionSeed("lujiao", "鲁教版", ("鲁教", "山东教育出版社", "鲁教版五四制"),
                ("math", "english", "chemistry", "geography"), ("junior", "senior")),
    EditionSeed("luke", "鲁科版", ("鲁科", "山东科学技术出版社"), ("physics", "chemistry", "english"),
                ("primary", "senior")),
    EditionSeed("zhejiao", "浙教版", ("浙教", "浙江教育出版社"), ("math", "science", "it"), _ALL),
    EditionSeed("huashi", "华师大版", ("华东师大版", "华东师范大学出版社", "华师版"), ("math", "science"),
                ("junior",)),
    EditionSeed("jiaoke", "教科版", ("教育科学出版社", "教科社"), ("science", "physics"), _ALL),
    EditionSeed("yuejiao", "粤教版", ("粤教", "广东教育出版社"), ("physics", "it"), ("primary", "senior")),
    EditionSeed("huke", "沪科版", ("沪科", "沪科教版", "上海科学技术出版社", "上海科技出版社"),
                ("physics", "chemistry", "it"), ("junior", "senior")),
    EditionSeed("hukeyue", "沪粤版", ("沪科粤教版", "粤沪版", "沪粤"), ("physics",), ("junior",)),
    EditionSeed("jiangsu_phoenix", "苏科版", ("苏科", "江苏凤凰科学技术出版社", "江苏科学技术出版社"),
                ("physics", "math", "biology"), ("junior",)),
    EditionSeed("beijing", "北京版", ("北京出版社", "北京课改版", "北京课改"),
                ("math", "english", "physics", "chemistry"), ("primary", "junior")),
    EditionSeed("renyin", "人音版", ("人民音乐出版社",), ("music",), _ALL),
    EditionSeed("renmei", "人美版", ("人民美术出版社",), ("art",), _ALL),
    EditionSeed("xiangyi", "湘艺版", ("湖南文艺出版社",), ("music",), ("primary", "junior")),
    EditionSeed("huacheng", "花城版", ("花城出版社",), ("music",), ("primary", "junior")),
    EditionSeed("xiangmei", "湘美版", ("湖南美术出版社",), ("art",), _ALL),
    EditionSeed("lingnan", "岭南版", ("岭南美术出版社",), ("art",), ("primary", "junior")),
    EditionSeed("kepu", "科普版", ("科学普及出版社",), ("english",), ("primary",)),
    EditionSeed("renai", "仁爱版", ("仁爱英语", "仁爱科普版"), ("english",), ("junior",)),
    EditionSeed("xiangshao", "湘少版", ("湖南少年儿童出版社",), ("english",), ("primary",)),
    EditionSeed("jieli", "接力版", ("接力出版社",), ("english",), ("primary",)),
    EditionSeed("minjiao", "闽教版", ("福建教育出版社",), ("english",), ("primary",)),
    EditionSeed("zhonghua", "中华书局版", ("中华书局",), ("history",), ("junior",)),
    EditionSeed("zhongtu", "中图版", ("中图", "中国地图出版社"), ("geography", "it"), ("junior", "senior")),
    EditionSeed("xishi", "西师大版", ("西师版", "西南师范大学出版社", "西南大学出版社"), ("math", "music"),
                ("primary",)),
    EditionSeed("ejiao", "人教鄂教版", ("鄂教版", "湖北教育出版社"), ("science",), ("primary",)),
    EditionSeed("daxiang", "大象版", ("大象出版社",), ("science", "psychology"), ("primary", "junior")),
    EditionSeed("keyue", "科粤版", ("科学出版社广东教育出版社",), ("chemistry",), ("junior",)),
    EditionSeed("chuanjiao", "川教版", ("四川教育出版社",), ("it",), ("primary", "junior")),
)

_EditionRow = tuple[str, str, tuple[str, ...]]
_SEED_ROWS: tuple[_EditionRow, ...] = tuple(
    (edition.code, edition.name, edition.aliases) for edition in EDITION_SEED
)


def _edition_ok(text: str, start: int, end: int, alias: str) -> bool:
    before, after = _char_before(text, start), _char_at(text, end)
    if _is_ascii_alnum(alias[0]) and _is_ascii_alnum(before):
        return False
    if _is_ascii_alnum(alias[-1]) and _is_ascii_alnum(after):
        return False
    if alias.endswith("版"):
        return after not in ("画", "图")  # 岭南版画, 中华版图
    if alias.endswith(("社", "局")) or not _is_han(alias[0]):
        return True
    # A bare alias (人教, 统编, 外研 …) must not be the tail of another word (个人教学, 系统编程,
    # 课外研学, 江苏教育 …).
    return _opens_ok(text, start)


@lru_cache(maxsize=16)
def _edition_lexicon(rows: tuple[_EditionRow, ...]) -> _Lexicon[str]:
    entries = [(word, code) for code, name, aliases in rows for word in (name, *aliases)]
    return _Lexicon(entries, _edition_ok)


# ---------------------------------------------------------------------------------------------
# The guesser


class _GradeHit(NamedTuple):
    code: str
    volume: str | None  # set by a short form such as 四下


_SHORT_FORMS: tuple[tuple[str, _GradeHit], ...] = (
    *((f"{chinese_numeral(n)}{side}", _GradeHit(f"p{n}", code))
      for n in range(1, 7) for side, code in (("上", "upper"), ("下", "lower"))),
    *((f"{chinese_numeral(n + 6)}{side}", _GradeHit(f"j{n}", code))
      for n in range(1, 4) for side, code in (("上", "upper"), ("下", "lower"))),
    ("九全", _GradeHit("j3", "whole")),
)
_SHORT_ALIASES = frozenset(alias for alias, _ in _SHORT_FORMS)

_RANGE_MARKS = frozenset("至到~-—–、")
_GAO_BEFORE_DENY = frozenset("提最较更很太增拔崇升清登偏身跳调抬过")  # 提高一线 …
_CHU_BEFORE_DENY = frozenset("年月当起最之太伊正")  # 大年初一, 最初 …
_GAO_CHU_AFTER_DENY = frozenset("点些倍筹层级度")  # 高一点, 高一级
_CLASS_BEFORE_DENY = frozenset("初高集其")  # 初中班主任, 高中班级
_CLASS_AFTER_DENY = frozenset("主会级化额长制委干规风务车底次")  # 班主任, 小班化, 大班额


def _grade_ok(text: str, start: int, end: int, alias: str) -> bool:
    before, after = _char_before(text, start), _char_at(text, end)
    if alias[0] in _NUMERAL_CHARS and (before in _NUMERAL_CHARS or before in _RANGE_MARKS):
        return False  # 十三年级, 五六年级, 三至六年级
    if alias[-1] in _NUMERAL_CHARS and after.isascii() and after.isdigit():
        return False  # 高1 in 高10
    if alias in _SHORT_ALIASES:  # 三上, 四下: only where it reads as a textbook position
        return _short_context_ok(text, start, end)
    if len(alias) == 2 and alias[1] in _NUMERAL_CHARS:
        if alias[0] == "高":
            return before not in _GAO_BEFORE_DENY and after not in _GAO_CHU_AFTER_DENY
        if alias[0] == "初":
            return before not in _CHU_BEFORE_DENY and after not in _GAO_CHU_AFTER_DENY
        if alias[0] == "小":  # 小一 … 小六; not 大小一致, 小三角形
            return before != "大" and _closes_ok(text, end, ("上", "下", "新", "学"))
    if alias.endswith("班"):
        return before not in _CLASS_BEFORE_DENY and after not in _CLASS_AFTER_DENY
    return True


def _short_context_ok(text: str, start: int, end: int) -> bool:
    return _opens_ok(text, start) and _closes_ok(text, end)


_GRADE_LEXICON: _Lexicon[_GradeHit] = _Lexicon(
    [*((word, _GradeHit(grade.code, None)) for grade in GRADES for word in (grade.label, *grade.aliases)),
     *_SHORT_FORMS],
    _grade_ok,
)


_VOLUME_LEXICON: _Lexicon[str] = _Lexicon(
    [*((word, volume.code) for volume in VOLUMES for word in (volume.label, *volume.aliases)),
     *_BRACKETED_VOLUMES],
    lambda text, start, end, alias: True,  # a volume's words are long enough to stand anywhere
)

# 上/下/(上)/上学期/第一学期 right after a grade word: 三年级上, 一年级(下), 三年级上学期.
_ADJACENT_VOLUME = re.compile(r"\s*(?:\(\s*([上下])\s*\)|([上下])(学期)?|第([一二12])学期)")

_QUOTED = re.compile(r"《([^《》]*)》|「([^「」]*)」|“([^“”]*)”")
_MASK = "\x00"
_LESSON_MAX = 80
# Quoted names that are documents or books, not lessons.
_DOCUMENT_WORDS = re.compile(r"课程标准|课标|纲要|指南|意见|通知|规定|办法|条例|方案|规划|标准|报告|决定")
# Titles about reading a book, not teaching a lesson.
_REFLECTION_WORDS = re.compile(r"有感|读后感|心得|体会|启示|解读|书评|读书笔记")

_GENRE_SUFFIXES: tuple[str, ...] = tuple(sorted((
    "单元整体教学设计", "大单元教学设计", "整体教学设计", "教学设计", "教学实录", "课堂实录", "说课稿", "说课",
    "优秀课例", "课例", "教案", "导学案", "学案", "课件", "教学反思", "作业设计", "复习课", "公开课",
    "示范课", "优质课", "微课", "教材分析", "学习任务单", "总复习", "复习", "练习课", "单元测试", "单元检测",
), key=len, reverse=True))
# The parts of a 统编 Chinese unit, which head a lesson, not a unit: 第二单元 习作：看图画，写一写.
_UNIT_PARTS = frozenset(("习作", "口语交际", "语文园地", "快乐读书吧", "综合性学习", "名著导读", "写作", "阅读",
                         "识字", "课文", "交流平台", "词句段运用", "日积月累"))
_GENRE_AFTER = re.compile(
    r"[\s:\-—·、,]*(?:$|\(|【|第[" + _NUMERAL_CLASS + r"]{1,3}课时|教学|"
    + "|".join(map(re.escape, _GENRE_SUFFIXES)) + ")"
)

_CN_TITLE_STOP = re.compile(
    r"[\s《》「」“”\"(\[【】\]{},;!?|/\\。:]|——|第[" + _NUMERAL_CLASS
    + r"]{1,3}\s*(?:课时|课|节|部分|框|单元|章|模块)"
)
_PAREN_NUMBER = re.compile(r"\([一二三四五六七八九十0-9]{1,2}\)")
_EN_TITLE = re.compile(r"[a-z0-9 '’?!.,&:;\-]*")
_EN_TITLE_STOP = re.compile(
    r"\b(?:section|period|lesson|part|unit|topic|module|story time|cartoon time|fun time|"
    r"grammar time|sound time|culture time|checkout time|ticking time|song time|rhyme time|"
    r"welcome to the unit|integrated skills|study skills|self-assessment|task)\b"
)


@dataclass(frozen=True)
class Guess:
    """What a title says about its textbook position; None/"" for what it does not say."""

    edition: str | None = None
    grade: str | None = None
    volume: str | None = None
    unit_number: int | None = None
    unit_title: str = ""
    lesson: str = ""

    @property
    def empty(self) -> bool:
        """True when the title said nothing at all about a textbook position."""
        return (self.edition is None and self.grade is None and self.volume is None
                and self.unit_number is None and not self.unit_title and not self.lesson)


def _quoted_spans(folded: str) -> list[tuple[str, int, int]]:
    """(kind, start, end) of the content of each 《》, 「」 and “” pair."""
    spans: list[tuple[str, int, int]] = []
    for match in _QUOTED.finditer(folded):
        group = next(index for index in (1, 2, 3) if match.group(index) is not None)
        spans.append(("book" if group == 1 else "quote", match.start(group), match.end(group)))
    return spans


def _mask(folded: str, spans: Sequence[tuple[str, int, int]]) -> str:
    chars = list(folded)
    for _, start, end in spans:
        chars[start:end] = _MASK * (end - start)
    return "".join(chars)


def _find_volume(masked: str, grade_hit: tuple[int, int, _GradeHit] | None) -> str | None:
    found = _VOLUME_LEXICON.first(masked)
    if found is not None:
        return found[2]
    if grade_hit is None:
        return None
    _, end, hit = grade_hit
    if hit.volume is not None:
        return hit.volume
    if grade_stage(hit.code) == "senior":
        return None  # 高一上学期 is a term, not a volume: senior books are 必修/选择性必修
    match = _ADJACENT_VOLUME.match(masked, end)
    if match is None:
        return None
    bracketed, side, term, nth_term = match.groups()
    if side and not term and not _closes_ok(masked, match.end()):
        return None  # 一年级上课
    if nth_term:
        return "upper" if nth_term in ("一", "1") else "lower"
    return "upper" if (bracketed or side) == "上" else "lower"


def _find_unit(masked: str) -> tuple[int, int, bool] | None:
    """(number, end of the marker, English?) of the first unit a title names (第三单元, 第一章,
    Unit 3, Module 2); a 外研版 Module comes before its Units, so the first marker is the unit."""
    found: list[tuple[int, int, int, bool]] = []
    for pattern, group, english in ((_CN_UNIT, 1, False), (_EN_UNIT, 2, True)):
        for match in pattern.finditer(masked):
            number = _unit_number(match.group(group))
            if number is not None:
                found.append((match.start(), number, match.end(), english))
                break
    if not found:
        return None
    _, number, end, english = min(found)
    return number, end, english


def _strip_genres(title: str) -> str:
    changed = True
    while changed and title:
        changed = False
        for suffix in _GENRE_SUFFIXES:
            if title.endswith(suffix):
                title = title[: -len(suffix)].rstrip(_SEPARATORS)
                changed = True
                break
    return title


def _unit_title(original: str, folded: str, end: int, english: bool) -> str:
    start = end
    while start < len(folded) and folded[start] in _SEPARATORS:
        start += 1
    if english:
        run = _EN_TITLE.match(folded, start)
        stop = run.end() if run else start
        cut = _EN_TITLE_STOP.search(folded, start, stop)
        if cut is not None:
            stop = cut.start()
        return original[start:stop].rstrip(" ,-:;.").strip()
    stop = start
    while True:
        cut = _CN_TITLE_STOP.search(folded, stop)
        if cut is None:
            stop = len(folded)
            break
        paren = _PAREN_NUMBER.match(folded, cut.start())
        if paren is not None and cut.start() > start:  # 表内乘法（一）
            stop = paren.end()
            continue
        stop = cut.start()
        break
    title = _strip_genres(original[start:stop].strip()).strip(_SEPARATORS)
    return "" if title in _UNIT_PARTS else title


def _lesson(original: str, folded: str, spans: Sequence[tuple[str, int, int]], positioned: bool) -> str:
    books = [span for span in spans if span[0] == "book"]
    for _, start, end in books:
        content = original[start:end].strip()
        if not content or len(content) > _LESSON_MAX or _DOCUMENT_WORDS.search(folded, start, end):
            continue
        if not positioned and _REFLECTION_WORDS.search(folded):
            return ""  # 读《给教师的建议》有感
        return content
    if books or not positioned:
        return ""
    for _, start, end in spans:
        content = original[start:end].strip()
        if (content and len(content) <= _LESSON_MAX and not _DOCUMENT_WORDS.search(folded, start, end)
                and _GENRE_AFTER.match(folded, end + 1)):
            return content  # 人教版三年级上册“分数的初步认识”教学设计; not “双减”背景下
    return ""


def guess(title: str, editions: Iterable[tuple[str, str, Sequence[str]]] = _SEED_ROWS, *,
          stage: str | None = None) -> Guess:
    """Read the textbook position (edition, grade, volume, unit, lesson) a title states.

    `editions` are (code, name, aliases) rows, by default those of EDITION_SEED; the longest alias
    wins where several start at the same place, the leftmost where several are named. A grade of
    another stage than `stage` (when given) is dropped. Never raises; says nothing it cannot read."""
    if not isinstance(title, str) or not title.strip():
        return Guess()
    rows = tuple(
        (str(code), str(name), tuple(alias for alias in aliases if isinstance(alias, str)))
        for code, name, aliases in editions
    )
    folded = _fold(title)
    spans = _quoted_spans(folded)
    masked = _mask(folded, spans)

    edition_hit = _edition_lexicon(rows).first(masked)
    edition = edition_hit[2] if edition_hit else None
    grade_hit = _GRADE_LEXICON.first(masked)
    grade = grade_hit[2].code if grade_hit else None
    volume = _find_volume(masked, grade_hit)
    unit = _find_unit(masked)
    unit_number, unit_title = None, ""
    if unit is not None:
        unit_number = unit[0]
        unit_title = _unit_title(title, folded, unit[1], unit[2])

    positioned = any(value is not None for value in (edition, grade, volume, unit_number))
    lesson = _lesson(title, folded, spans, positioned)
    if stage is not None and grade is not None and grade_stage(grade) != stage:
        grade = None
    return Guess(edition, grade, volume, unit_number, unit_title, lesson)


def words_of(edition_name: str, grade: str, volume: str, unit_number: int | None, unit_title: str,
             lesson: str) -> str:
    """A textbook position as the words a teacher reads and types (人教版 三年级 上册 第三单元 测量
    分数的初步认识), for the search index."""
    parts = [edition_name, grade_label(grade) if grade else "", volume_label(volume) if volume else "",
             unit_label(unit_number, unit_title) if unit_number is not None or unit_title else "", lesson]
    return " ".join(p for p in parts if p)
