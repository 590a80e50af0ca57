"""The textbook-position vocabulary (grades, volumes, units, numerals, the edition seed) and the
guesser that reads a position from the titles teachers and manifests really use."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from library.textbooks import positions as textbook
from library.textbooks.positions import (
    EDITION_SEED,
    GRADE_CODES,
    GRADES,
    STAGE_CODES,
    SUBJECT_CODES,
    VOLUME_CODES,
    VOLUMES,
    Guess,
    chinese_numeral,
    grade_label,
    grade_stage,
    grades_of,
    guess,
    parse_grade,
    parse_numeral,
    parse_unit,
    parse_volume,
    unit_label,
    volume_label,
)

# (title, edition, grade, volume, unit number, unit title, lesson)
TITLES: list[tuple[str, str | None, str | None, str | None, int | None, str, str]] = [
    # -- the examples of the brief
    ("《分数的初步认识》（人教版三年级上册）", "pep", "p3", "upper", None, "", "分数的初步认识"),
    ("人教版三年级上册第三单元《测量》教学设计", "pep", "p3", "upper", 3, "", "测量"),
    ("部编版七年级语文下册第二单元《黄河颂》课堂实录", "tongbian", "j1", "lower", 2, "", "黄河颂"),
    ("北师大版八年级物理上册 第一章 物态及其变化", "bnu", "j2", "upper", 1, "物态及其变化", ""),
    ("人教A版高中数学必修第一册 第三章《函数的概念与性质》", "pep_a", None, "compulsory-1", 3, "",
     "函数的概念与性质"),
    ("外研版七年级英语上册 Module 2 My family 说课", "waiyan", "j1", "upper", 2, "My family", ""),
    ("统编版高中语文必修上册第六单元《劝学》", "tongbian", None, "compulsory-upper", 6, "", "劝学"),
    ("译林版四下 Unit 5 Seasons", "yilin", "p4", "lower", 5, "Seasons", ""),
    ("大单元教学视角下的长方体和正方体", None, None, None, None, "", ""),
    ("小学数学作业设计的实践研究", None, None, None, None, "", ""),
    # -- lesson videos, designs, talks and courseware, primary
    ("人教版数学四年级下册第五单元三角形《三角形的内角和》", "pep", "p4", "lower", 5, "三角形", "三角形的内角和"),
    ("苏教版五年级数学上册《小数的意义和读写》课件", "sujiao", "p5", "upper", None, "", "小数的意义和读写"),
    ("北师大版六年级下册第一单元 圆柱与圆锥 教学设计", "bnu", "p6", "lower", 1, "圆柱与圆锥", ""),
    ("人教PEP五年级英语上册 Unit 3 What would you like? Part A Let's talk", "pep", "p5", "upper", 3,
     "What would you like?", ""),
    ("统编版二年级语文上册《曹冲称象》第二课时教学设计", "tongbian", "p2", "upper", None, "", "曹冲称象"),
    ("教科版三年级科学上册 第一单元 水 第1课《水到哪里去了》", "jiaoke", "p3", "upper", 1, "水", "水到哪里去了"),
    ("青岛版一年级数学下册 第二单元 20以内的退位减法", "qingdao", "p1", "lower", 2, "20以内的退位减法", ""),
    ("冀教版五年级英语上册 Unit 1 Li Ming Goes to Canada Lesson 2", "jijiao", "p5", "upper", 1,
     "Li Ming Goes to Canada", ""),
    ("人音版三年级音乐上册《小红帽》欣赏课", "renyin", "p3", "upper", None, "", "小红帽"),
    ("人美版四年级美术下册第6课《奇妙的撕纸添画》", "renmei", "p4", "lower", None, "", "奇妙的撕纸添画"),
    ("北京版二年级数学上册 第三单元 表内乘法（一）", "beijing", "p2", "upper", 3, "表内乘法（一）", ""),
    ("湘艺版五年级音乐下册《彩色的中国》教学设计", "xiangyi", "p5", "lower", None, "", "彩色的中国"),
    ("科普版四年级英语下册 Lesson 3 复习课", "kepu", "p4", "lower", None, "", ""),
    ("人教版二年级数学下册 第4单元 表内除法（二） 课件", "pep", "p2", "lower", 4, "表内除法（二）", ""),
    ("三上第五单元《铺满金色巴掌的水泥道》说课", None, "p3", "upper", 5, "", "铺满金色巴掌的水泥道"),
    ("人教版小学英语 PEP 六年级上册 Unit 4 I have a pen pal", "pep", "p6", "upper", 4, "I have a pen pal", ""),
    ("部编版一年级上册语文《秋天》课件", "tongbian", "p1", "upper", None, "", "秋天"),
    ("人教版三年级下册数学第1单元 位置与方向（一） 第1课时", "pep", "p3", "lower", 1, "位置与方向（一）", ""),
    ("北师大版一下《买文具》优秀课例", "bnu", "p1", "lower", None, "", "买文具"),
    ("译林版英语三年级上册 Unit 1 Hello! Story time 课堂实录", "yilin", "p3", "upper", 1, "Hello!", ""),
    ("人教版 PEP 三年级英语下册 Unit 6 How many?", "pep", "p3", "lower", 6, "How many?", ""),
    ("人教版五年级上册数学《植树问题》（数学广角）", "pep", "p5", "upper", None, "", "植树问题"),
    ("说课：人教版四年级数学上册《角的度量》", "pep", "p4", "upper", None, "", "角的度量"),
    ("【优秀课例】北师大版五年级数学下册《分数除法（一）》", "bnu", "p5", "lower", None, "", "分数除法（一）"),
    ("人教版一年级上册数学 第3单元 1～5的认识和加减法", "pep", "p1", "upper", 3, "1～5的认识和加减法", ""),
    ("统编版小学语文四年级下册第七单元整体教学设计", "tongbian", "p4", "lower", 7, "", ""),
    ("部编版语文三年级下册第二单元 习作：看图画，写一写", "tongbian", "p3", "lower", 2, "", ""),
    ("北师大版数学二年级上册第五单元 2~5的乘法口诀", "bnu", "p2", "upper", 5, "2~5的乘法口诀", ""),
    ("译林版五上 Unit 2 A new student (Story time)", "yilin", "p5", "upper", 2, "A new student", ""),
    ("以《秋天的雨》为例谈小学语文阅读教学", None, None, None, None, "", "秋天的雨"),
    ("浙教版信息科技五年级上册第一单元", "zhejiao", "p5", "upper", 1, "", ""),
    ("人教版三年级上册“分数的初步认识”教学设计", "pep", "p3", "upper", None, "", "分数的初步认识"),
    ("人教版三年级数学“双减”背景下的作业设计", "pep", "p3", None, None, "", ""),
    ("基于《义务教育语文课程标准（2022年版）》的七年级名著阅读教学", None, "j1", None, None, "", ""),
    ("高中语文必修上的古诗词教学", None, None, "compulsory-upper", None, "", ""),
    ("三年级上学期数学期末复习课", None, "p3", "upper", None, "", ""),
    ("《第一次抱母亲》第二课时 苏教版四年级下册", "sujiao", "p4", "lower", None, "", "第一次抱母亲"),
    # -- junior
    ("部编人教版八年级历史上册第5课《甲午中日战争与瓜分中国狂潮》", "tongbian", "j2", "upper", None, "",
     "甲午中日战争与瓜分中国狂潮"),
    ("人教版九年级物理全一册 第十三章 内能", "pep", "j3", "whole", 13, "内能", ""),
    ("沪教版七年级数学上册 第九章 整式", "hujiao", "j1", "upper", 9, "整式", ""),
    ("浙教版七年级科学上册第一章 科学入门", "zhejiao", "j1", "upper", 1, "科学入门", ""),
    ("华师大版八年级数学下册第十六章 分式", "huashi", "j2", "lower", 16, "分式", ""),
    ("沪科版八年级物理全一册 第二章 运动的世界", "huke", "j2", "whole", 2, "运动的世界", ""),
    ("沪粤版九年级物理上册第十一章 机械功与机械能", "hukeyue", "j3", "upper", 11, "机械功与机械能", ""),
    ("苏科版八年级数学上册第二章 轴对称图形", "jiangsu_phoenix", "j2", "upper", 2, "轴对称图形", ""),
    ("中华书局版七年级历史上册《远古的传说》", "zhonghua", "j1", "upper", None, "", "远古的传说"),
    ("人教版七年级生物上册第二单元第一章第一节 练习使用显微镜", "pep", "j1", "upper", 2, "", ""),
    ("人教版八年级上册道德与法治第二单元 遵守社会规则", "pep", "j2", "upper", 2, "遵守社会规则", ""),
    ("统编版九年级道德与法治上册 第三单元 文明与家园", "tongbian", "j3", "upper", 3, "文明与家园", ""),
    ("人教版七年级英语下册 Unit 5 Why do you like pandas? Section A 1a-2c", "pep", "j1", "lower", 5,
     "Why do you like pandas?", ""),
    ("外研版九年级英语上册 Module 3 Heroes Unit 1 She trained hard so she became a champion", "waiyan", "j3",
     "upper", 3, "Heroes", ""),
    ("仁爱版八年级英语上册 Unit 1 Playing Sports Topic 1", "renai", "j2", "upper", 1, "Playing Sports", ""),
    ("湘教版七年级地理上册第二章第一节 认识地球", "xiangjiao", "j1", "upper", 2, "", ""),
    ("人教版九年级数学下册 第二十六章 反比例函数", "pep", "j3", "lower", 26, "反比例函数", ""),
    ("初三化学 第五单元 化学方程式 复习课", None, "j3", None, 5, "化学方程式", ""),
    ("九年级全一册英语 Unit 7 Teenagers should be allowed to choose their own clothes.", None, "j3", "whole", 7,
     "Teenagers should be allowed to choose their own clothes", ""),
    ("八下第三单元《桃花源记》课堂实录", None, "j2", "lower", 3, "", "桃花源记"),
    ("初一数学《有理数》说课稿", None, "j1", None, None, "", "有理数"),
    ("新人教版九年级化学上册第二单元 我们周围的空气 课题1 空气", "pep", "j3", "upper", 2, "我们周围的空气", ""),
    ("北师大版七年级下册生物 第4单元 第9章 第2节 血液循环", "bnu", "j1", "lower", 4, "", ""),
    ("人教版八年级下册英语Unit 2 I'll help to clean up the city parks. Section B", "pep", "j2", "lower", 2,
     "I'll help to clean up the city parks", ""),
    ("初中物理八年级上册《光的反射》", None, "j2", "upper", None, "", "光的反射"),
    ("２０２３年人教版七年级数学上册期中复习", "pep", "j1", "upper", None, "", ""),
    ("人教版七上期末复习", "pep", "j1", "upper", None, "", ""),
    ("八年级（下）物理 第七章 力", None, "j2", "lower", 7, "力", ""),
    # -- senior
    ("人教版高中生物学必修1 第2章 组成细胞的分子 第1节 细胞中的元素和化合物", "pep", None, "compulsory-1", 2,
     "组成细胞的分子", ""),
    ("湘教版高中地理必修第一册 第二章 第一节 大气的组成和垂直分层", "xiangjiao", None, "compulsory-1", 2, "", ""),
    ("鲁科版高中物理选择性必修第二册 第1章 安培力与洛伦兹力", "luke", None, "selective-2", 1, "安培力与洛伦兹力", ""),
    ("统编版高中语文选择性必修中册第二单元《老人与海（节选）》", "tongbian", None, "selective-middle", 2, "",
     "老人与海（节选）"),
    ("人教版高中英语必修第一册 Unit 2 Travelling Around 读写课", "pep", None, "compulsory-1", 2,
     "Travelling Around", ""),
    ("外研版高中英语选择性必修一 Unit 3 Faster, higher, stronger", "waiyan", None, "selective-1", 3,
     "Faster, higher, stronger", ""),
    ("北师大版高中数学必修第一册第一章 预备知识", "bnu", None, "compulsory-1", 1, "预备知识", ""),
    ("人教B版高中数学必修第二册 第四章 指数函数、对数函数与幂函数", "pep_b", None, "compulsory-2", 4,
     "指数函数、对数函数与幂函数", ""),
    ("高中数学人教A版必修二 第六章 平面向量及其应用", "pep_a", None, "compulsory-2", 6, "平面向量及其应用", ""),
    ("人教版高中化学必修第二册第五章 化工生产中的重要非金属元素", "pep", None, "compulsory-2", 5,
     "化工生产中的重要非金属元素", ""),
    ("高二物理复习课教学反思", None, "s2", None, None, "", ""),
    ("高三英语读后续写教学实践研究", None, "s3", None, None, "", ""),
    ("高一新生数学学习适应性调查", None, "s1", None, None, "", ""),
    ("高一上学期化学学习困难调查", None, "s1", None, None, "", ""),
    ("高２物理实验探究", None, "s2", None, None, "", ""),
    ("高一数学必修一第一章集合复习", None, "s1", "compulsory-1", 1, "集合", ""),
    ("人教版高中物理必修第三册第十章 静电场中的能量", "pep", None, "compulsory-3", 10, "静电场中的能量", ""),
    ("人教版高二化学选修4 第一章", "pep", "s2", None, 1, "", ""),
    # -- preschool
    ("小班语言活动《小兔乖乖》优秀课例", None, "k1", None, None, "", "小兔乖乖"),
    ("中班科学活动《有趣的磁铁》", None, "k2", None, None, "", "有趣的磁铁"),
    ("幼儿园大班健康活动《我会保护眼睛》课例", None, "k3", None, None, "", "我会保护眼睛"),
    ("幼儿园中班美术活动：漂亮的雨伞", None, "k2", None, None, "", ""),
    ("《一年级的小豌豆》绘本阅读（大班）", None, "k3", None, None, "", "一年级的小豌豆"),
    # -- research and papers: a grade, an edition, or nothing at all
    ("七年级英语阅读教学中思维品质培养的实践研究", None, "j1", None, None, "", ""),
    ("初二物理实验教学的有效性探究", None, "j2", None, None, "", ""),
    ("一年级语文识字教学游戏化策略研究", None, "p1", None, None, "", ""),
    ("小一新生入学适应课程设计", None, "p1", None, None, "", ""),
    ("一年级上课常规培养的策略", None, "p1", None, None, "", ""),
    ("2023学年第一学期三年级数学组工作计划", None, "p3", None, None, "", ""),
    ("统编教材背景下小学语文单元整体教学研究", "tongbian", None, None, None, "", ""),
    ("《背影》教学设计", None, None, None, None, "", "背影"),
    ("大班额背景下的课堂管理策略", None, None, None, None, "", ""),
    ("初中班主任工作中的沟通艺术", None, None, None, None, "", ""),
    ("小班化教学在农村小学的实践", None, None, None, None, "", ""),
    ("个人教学反思：如何提高一线教师的课堂效率", None, None, None, None, "", ""),
    ("基于“双减”背景下的初中数学作业设计研究", None, None, None, None, "", ""),
    ("读《给教师的建议》有感", None, None, None, None, "", ""),
    ("《义务教育数学课程标准（2022年版）》解读", None, None, None, None, "", ""),
    ("信息技术与小学数学深度融合的策略研究", None, None, None, None, "", ""),
    ("系统编程思维在初中信息科技教学中的应用", None, None, None, None, "", ""),
    ("课外研学活动设计与实施", None, None, None, None, "", ""),
    ("江苏教育现代化背景下的教师专业发展", None, None, None, None, "", ""),
    ("新课标下高中数学单元整体教学设计", None, None, None, None, "", ""),
    ("小学语文“1+X”群文阅读教学研究", None, None, None, None, "", ""),
    ("试一下！小学数学趣味游戏设计", None, None, None, None, "", ""),
    ("三至六年级学生课外阅读现状调查", None, None, None, None, "", ""),
    ("岭南版画进校园的实践探索", None, None, None, None, "", ""),
]


@pytest.mark.parametrize(
    ("title", "edition", "grade", "volume", "unit_number", "unit_title", "lesson"),
    TITLES, ids=[row[0] for row in TITLES],
)
def test_guess_reads_real_titles(title, edition, grade, volume, unit_number, unit_title, lesson) -> None:
    assert guess(title) == Guess(edition, grade, volume, unit_number, unit_title, lesson)


def test_the_title_table_is_large_and_varied() -> None:
    assert len(TITLES) >= 60
    assert len({row[0] for row in TITLES}) == len(TITLES)
    assert sum(1 for row in TITLES if guess(row[0]).empty) >= 10  # titles with no position at all
    assert {grade_stage(row[2]) for row in TITLES if row[2]} == set(STAGE_CODES)


# ---- grades -----------------------------------------------------------------------------------


def test_grades_are_in_school_order() -> None:
    assert GRADE_CODES == ("k1", "k2", "k3", "p1", "p2", "p3", "p4", "p5", "p6", "j1", "j2", "j3",
                           "s1", "s2", "s3")
    assert [grade.code for grade in GRADES] == list(GRADE_CODES)
    assert [grade.label for grade in GRADES] == [
        "小班", "中班", "大班", "一年级", "二年级", "三年级", "四年级", "五年级", "六年级",
        "七年级", "八年级", "九年级", "高一", "高二", "高三"]
    assert all(grade.stage in STAGE_CODES for grade in GRADES)


@pytest.mark.parametrize(("word", "code"), [
    (word, grade.code) for grade in GRADES for word in (grade.code, grade.label, *grade.aliases)])
def test_parse_grade_round_trips_every_word(word: str, code: str) -> None:
    assert parse_grade(word) == code
    assert parse_grade(f"  {word}\t") == code


def test_grade_words_are_unique() -> None:
    words = [word for grade in GRADES for word in (grade.code, grade.label, *grade.aliases)]
    assert len(words) == len(set(words))


@pytest.mark.parametrize(("text", "code"), [
    ("初一", "j1"), ("初中一年级", "j1"), ("7年级", "j1"), ("初三", "j3"), ("高中二年级", "s2"), ("高1", "s1"),
    ("小学一年级", "p1"), ("小一", "p1"), ("1年级", "p1"), ("３年级", "p3"), ("高２", "s2"), ("幼儿园小班", "k1"),
    ("小班组", "k1"), ("九年级", "j3"), ("Ｊ1", "j1"), ("P6", "p6"),
])
def test_parse_grade_aliases(text: str, code: str) -> None:
    assert parse_grade(text) == code


@pytest.mark.parametrize("text", ["", "  ", "小学", "初中", "高中", "学前", "十三年级", "三年级上册", "p7", "k0",
                                  "grade 3", "年级", "高四", "初四"])
def test_parse_grade_refuses_junk(text: str) -> None:
    assert parse_grade(text) is None


def test_grade_helpers() -> None:
    assert grade_label("j1") == "七年级"
    assert grade_label("s3") == "高三"
    assert grade_label("nonsense") == "nonsense"
    assert grade_stage("k2") == "preschool"
    assert grade_stage("p6") == "primary"
    assert grade_stage("j3") == "junior"
    assert grade_stage("s1") == "senior"
    assert grade_stage("x9") is None
    assert [g.code for g in grades_of("junior")] == ["j1", "j2", "j3"]
    assert [g.code for g in grades_of("preschool")] == ["k1", "k2", "k3"]
    assert len(grades_of("primary")) == 6
    assert grades_of("college") == ()


# ---- volumes ----------------------------------------------------------------------------------


def test_volumes_are_in_tree_order() -> None:
    assert VOLUME_CODES == (
        "upper", "lower", "whole", "compulsory-1", "compulsory-2", "compulsory-3", "compulsory-4",
        "compulsory-5", "compulsory-upper", "compulsory-lower", "selective-1", "selective-2",
        "selective-3", "selective-4", "selective-upper", "selective-middle", "selective-lower")
    assert [v.code for v in VOLUMES] == list(VOLUME_CODES)
    assert volume_label("upper") == "上册"
    assert volume_label("whole") == "全一册"
    assert volume_label("compulsory-3") == "必修第三册"
    assert volume_label("selective-middle") == "选择性必修中册"
    assert volume_label("mystery") == "mystery"


@pytest.mark.parametrize(("word", "code"), [
    (word, volume.code) for volume in VOLUMES for word in (volume.code, volume.label, *volume.aliases)])
def test_parse_volume_round_trips_every_word(word: str, code: str) -> None:
    assert parse_volume(word) == code


def test_volume_words_name_one_volume_each() -> None:
    owners: dict[str, set[str]] = {}
    for volume in VOLUMES:
        for word in (volume.code, volume.label, *volume.aliases):
            owners.setdefault(re.sub(r"\s", "", word), set()).add(volume.code)
    assert {word: codes for word, codes in owners.items() if len(codes) > 1} == {}


@pytest.mark.parametrize(("text", "code"), [
    ("必修一", "compulsory-1"), ("必修1", "compulsory-1"), ("必修 1", "compulsory-1"), ("必修第1册", "compulsory-1"),
    ("必修５", "compulsory-5"), ("选择性必修一", "selective-1"), ("选必一", "selective-1"), ("选择性必修1", "selective-1"),
    ("选择性必修第四册", "selective-4"), ("必修上册", "compulsory-upper"), ("选择性必修中册", "selective-middle"),
    ("全一册", "whole"), ("下册", "lower"), ("（上）", "upper"), ("上", "upper"), ("下学期", "lower"),
])
def test_parse_volume_aliases(text: str, code: str) -> None:
    assert parse_volume(text) == code


@pytest.mark.parametrize("text", ["", "必修", "选择性必修", "必修第六册", "选必五", "中册", "上下册", "第一册", "册"])
def test_parse_volume_refuses_junk(text: str) -> None:
    assert parse_volume(text) is None


# ---- units and numerals -----------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("3", (3, "")),
    ("  12 ", (12, "")),
    ("三", (3, "")),
    ("第三单元", (3, "")),
    ("第3单元 分数的初步认识", (3, "分数的初步认识")),
    ("第３单元：分数的初步认识", (3, "分数的初步认识")),
    ("第十二单元：统计与概率", (12, "统计与概率")),
    ("第二十三单元、复习", (23, "复习")),
    ("Unit 3 My friends", (3, "My friends")),
    ("unit3: My friends", (3, "My friends")),
    ("UNIT 11 — Rules", (11, "Rules")),
    ("Module 2", (2, "")),
    ("第一章 集合与常用逻辑用语", (1, "集合与常用逻辑用语")),
    ("第二章·一元二次函数", (2, "一元二次函数")),
    ("第三模块 My family", (3, "My family")),
    ("分数的初步认识", (None, "分数的初步认识")),
    ("  三角形 ", (None, "三角形")),
    ("", (None, "")),
    ("第零单元", (None, "第零单元")),
    ("Unit 100", (None, "Unit 100")),
])
def test_parse_unit(text: str, expected: tuple[int | None, str]) -> None:
    assert parse_unit(text) == expected


def test_unit_label() -> None:
    assert unit_label(3, "分数的初步认识") == "第三单元 分数的初步认识"
    assert unit_label(3, "") == "第三单元"
    assert unit_label(12, "  统计 ") == "第十二单元 统计"
    assert unit_label(None, "分数的初步认识") == "分数的初步认识"
    assert unit_label(None, "") == ""
    assert unit_label(120, "") == "第120单元"


@pytest.mark.parametrize(("n", "text"), [(1, "一"), (9, "九"), (10, "十"), (11, "十一"), (19, "十九"),
                                         (20, "二十"), (21, "二十一"), (70, "七十"), (99, "九十九")])
def test_chinese_numeral(n: int, text: str) -> None:
    assert chinese_numeral(n) == text


@pytest.mark.parametrize("n", [0, -1, 100])
def test_chinese_numeral_refuses_out_of_range(n: int) -> None:
    with pytest.raises(ValueError):
        chinese_numeral(n)


def test_numerals_round_trip() -> None:
    for n in range(1, 100):
        assert parse_numeral(chinese_numeral(n)) == n
        assert parse_numeral(str(n)) == n
        assert parse_numeral(str(n).translate({ord(d): ord(d) + 0xFEE0 for d in "0123456789"})) == n


@pytest.mark.parametrize(("text", "n"), [("两", 2), ("〇", 0), ("零", 0), ("一〇", 10), ("二〇", 20), ("九九", 99),
                                         ("０", 0), (" 7 ", 7), ("一十", 10), ("两十", 20)])
def test_parse_numeral_other_forms(text: str, n: int) -> None:
    assert parse_numeral(text) == n


@pytest.mark.parametrize("text", ["", "百", "一百", "100", "十十", "三四五", "abc", "3a", "十零", "-1", "1.5"])
def test_parse_numeral_refuses_junk(text: str) -> None:
    assert parse_numeral(text) is None


# ---- editions ---------------------------------------------------------------------------------


def test_edition_seed_codes_are_unique_and_valid() -> None:
    codes = [edition.code for edition in EDITION_SEED]
    assert 25 <= len(codes) <= 40
    assert len(codes) == len(set(codes))
    assert all(re.fullmatch(r"[a-z][a-z0-9_]{1,31}", code) for code in codes)
    for code in ("pep", "pep_a", "pep_b", "tongbian", "bnu", "sujiao", "yilin", "waiyan", "hujiao", "xiangjiao",
                 "qingdao", "jijiao", "lujiao", "luke", "zhejiao", "huashi", "jiaoke", "yuejiao", "beijing",
                 "renyin", "renmei", "kepu", "xiangyi", "jiangsu_phoenix", "zhonghua"):
        assert code in codes


def test_edition_aliases_are_unique_across_editions() -> None:
    words = [word.lower() for edition in EDITION_SEED for word in (edition.name, *edition.aliases)]
    assert len(words) == len(set(words))


def test_edition_seed_subjects_and_stages_are_the_apps() -> None:
    for edition in EDITION_SEED:
        assert edition.name.endswith(("版",)), edition
        assert edition.subjects and set(edition.subjects) <= set(SUBJECT_CODES), edition
        assert edition.stages and set(edition.stages) <= set(STAGE_CODES), edition
    seed = {edition.code: edition for edition in EDITION_SEED}
    assert seed["pep"].stages == ("primary", "junior", "senior")
    assert seed["pep_a"].subjects == ("math",) and seed["pep_a"].stages == ("senior",)
    assert set(seed["tongbian"].subjects) == {"chinese", "politics", "history"}
    assert seed["yilin"].subjects == ("english",)
    assert seed["waiyan"].subjects == ("english",)
    assert seed["renyin"].subjects == ("music",)
    assert seed["renmei"].subjects == ("art",)
    for alias in ("人教", "人民教育出版社", "人教PEP", "新人教版"):
        assert alias in seed["pep"].aliases
    for alias in ("部编版", "部编", "统编", "部编人教版"):
        assert alias in seed["tongbian"].aliases


def test_every_seed_name_and_alias_is_read_in_a_title() -> None:
    for edition in EDITION_SEED:
        for word in (edition.name, *edition.aliases):
            assert guess(f"{word} 三年级上册").edition == edition.code, word


# ---- the guesser's rules ----------------------------------------------------------------------


def test_the_longest_alias_wins() -> None:
    rows = [("pep", "人教版", ["人教"]), ("pep_a", "人教A版", [])]
    assert guess("人教A版必修一", rows).edition == "pep_a"
    assert guess("人教版必修一", rows).edition == "pep"
    assert guess("人教 必修一", rows).edition == "pep"


def test_guess_uses_the_editions_it_is_given() -> None:
    rows = [("guangming", "光明版", ("光明",))]
    assert guess("光明版三年级上册《秋天》", rows) == Guess("guangming", "p3", "upper", None, "", "秋天")
    assert guess("人教版三年级上册", rows).edition is None
    assert guess("人教版三年级上册", []).edition is None
    assert guess("人教版三年级上册", iter([("renjiao", "人教版", [])])).edition == "renjiao"


def test_an_alias_does_not_match_inside_another_word() -> None:
    rows = [("beijing", "北京版", ["北京课改版"])]
    assert guess("北京市海淀区三年级数学教研", rows).edition is None
    assert guess("北京版三年级数学", rows).edition == "beijing"
    assert guess("PEP小学英语三年级").edition == "pep"
    assert guess("PEPPER三年级").edition is None


def test_stage_drops_a_grade_of_another_stage() -> None:
    assert guess("初一数学《有理数》", stage="junior").grade == "j1"
    dropped = guess("初一数学《有理数》", stage="primary")
    assert dropped.grade is None
    assert dropped.lesson == "有理数"
    assert guess("译林版四下 Unit 5 Seasons", stage="senior") == Guess("yilin", None, "lower", 5, "Seasons", "")
    assert guess("小班《小兔乖乖》", stage="preschool").grade == "k1"


@pytest.mark.parametrize(("title", "grade"), [
    ("初一", "j1"), ("高二", "s2"), ("七年级", "j1"), ("小班", "k1"), ("关于初二学生的调查", "j2"),
    ("三年级组教研活动", "p3"), ("十三年级", None), ("五六年级", None), ("提高一线教师素养", None),
    ("大年初一的习俗", None), ("高中班级管理", None), ("大小一致的正方形", None), ("七上八下的心情", None),
    ("小三角形的面积", None), ("跳得高一点", None), ("再三上访", None), ("北京市第一中学高一年级", "s1"),
])
def test_grade_words_anywhere(title: str, grade: str | None) -> None:
    assert guess(title).grade == grade


def test_empty_property() -> None:
    assert Guess().empty
    assert guess("").empty
    assert guess("   ").empty
    assert not Guess(lesson="秋天").empty
    assert not Guess(unit_number=1).empty
    assert not Guess(unit_title="测量").empty
    assert not guess("《背影》").empty


@pytest.mark.parametrize("title", [
    "", "\x00\x01\x02", "《", "》《", "《》", "““", "第", "第单元", "Unit", "Module ", "第999单元", "Unit 999",
    "😀" * 50, "人教版😀三年级\u200b上册", "一" * 10_000, "人教版三年级上册第三单元《" + "测" * 10_000 + "》",
    "三上" * 5000, "第" * 10_000, "\ud800", "（（（（（", "第一单元（" * 2000,
])
def test_guess_survives_odd_input(title: str) -> None:
    result = guess(title)
    assert isinstance(result, Guess)
    assert result.lesson in title
    assert result.unit_title in title


_TEXTBOOKISH = st.text(alphabet=st.sampled_from(list(
    "人教版部编统北师大苏外研沪上下册全一二三四五六七八九十年级初高小中大班第单元章模块必修选择性《》「」“”"
    "()（）UnitModule 0123456789：:、·—\x00😀")), max_size=60)


PROPERTIES = settings(max_examples=300, deadline=None, derandomize=True, database=None)


@PROPERTIES
@given(title=st.one_of(st.text(max_size=200), _TEXTBOOKISH), stage=st.sampled_from([None, *STAGE_CODES]))
def test_guess_never_raises_and_says_only_what_is_there(title: str, stage: str | None) -> None:
    result = guess(title, stage=stage)
    codes = {edition.code for edition in EDITION_SEED}
    assert result.edition is None or result.edition in codes
    assert result.grade is None or result.grade in GRADE_CODES
    if stage is not None and result.grade is not None:
        assert grade_stage(result.grade) == stage
    assert result.volume is None or result.volume in VOLUME_CODES
    assert result.unit_number is None or 1 <= result.unit_number <= 99
    assert result.lesson in title
    assert result.unit_title in title
    assert result.lesson == result.lesson.strip()


@PROPERTIES
@given(st.text(max_size=40))
def test_parsers_never_raise(text: str) -> None:
    assert parse_grade(text) is None or parse_grade(text) in GRADE_CODES
    assert parse_volume(text) is None or parse_volume(text) in VOLUME_CODES
    number, title = parse_unit(text)
    assert number is None or 1 <= number <= 99
    assert title in text
    value = parse_numeral(text)
    assert value is None or 0 <= value <= 99


def test_module_is_pure() -> None:
    tree = ast.parse(Path(textbook.__file__).read_text(encoding="utf-8"))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert imported
    assert all(name.split(".")[0] in sys.stdlib_module_names or name == "__future__" for name in imported), imported
