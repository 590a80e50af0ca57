"""A deterministic generator of realistic Chinese resource metadata and document text."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime, timedelta

from search_index import ResourceDocument

SEED = 20261125

SUBJECTS: dict[str, tuple[str, list[str]]] = {
    "math": ("数学", ["分数", "小数", "方程", "函数", "二次函数", "几何直观", "鸡兔同笼", "轴对称",
                    "长方体", "圆的面积", "百分数", "统计", "概率", "数感", "计算教学", "勾股定理",
                    "三角形", "平行四边形", "位置与方向", "认识钟表"]),
    "chinese": ("语文", ["群文阅读", "整本书阅读", "古诗词", "文言文", "记叙文", "习作教学", "口语交际",
                       "名著导读", "朝花夕拾", "朗读", "识字教学", "阅读理解", "议论文", "散文阅读",
                       "童话", "写作指导", "红楼梦", "鲁迅", "诗歌鉴赏", "学习任务群"]),
    "english": ("英语", ["读后续写", "概要写作", "词汇教学", "语法教学", "阅读教学", "听说课", "思维导图",
                       "语篇分析", "绘本阅读", "写作教学", "自然拼读", "英语戏剧"]),
    "physics": ("物理", ["欧姆定律", "牛顿第一定律", "浮力", "压强", "电路", "光的折射", "机械能",
                       "物理实验", "电磁感应", "声现象"]),
    "chemistry": ("化学", ["化学实验", "酸碱中和", "氧化还原", "元素周期表", "化学方程式", "溶液"]),
    "biology": ("生物", ["光合作用", "细胞分裂", "遗传与变异", "生态系统", "显微镜", "呼吸作用",
                       "实验探究"]),
    "history": ("历史", ["史料实证", "近代史", "丝绸之路", "辛亥革命", "家国情怀", "时空观念"]),
    "geography": ("地理", ["地图", "气候", "地理实践力", "等高线", "人口分布", "区域地理"]),
    "politics": ("道德与法治", ["法治教育", "生命安全", "核心价值观", "国家制度", "诚信"]),
    "science": ("科学", ["植物的生长", "水的三态", "简单机械", "科学探究", "天气观察"]),
    "it": ("信息科技", ["编程教育", "图形化编程", "人工智能", "数据处理", "信息安全"]),
    "music": ("音乐", ["音乐欣赏", "合唱", "节奏", "民歌", "器乐"]),
    "art": ("美术", ["美术鉴赏", "剪纸", "水墨画", "手工制作", "色彩"]),
    "pe": ("体育与健康", ["篮球", "跳绳", "田径", "体能训练", "足球"]),
    "psychology": ("心理健康", ["情绪管理", "心理健康", "青春期", "人际交往", "生涯规划"]),
    "class_mgmt": ("班主任工作", ["班级管理", "家校共育", "主题班会", "德育", "班主任"]),
}  # fmt: skip
GENERAL = ["核心素养", "大单元教学", "单元整体教学", "跨学科", "双减", "作业设计", "教学设计", "说课",
           "微课", "项目式学习", "情境教学", "深度学习", "分层教学", "合作学习", "教学反思", "新课标",
           "评价改革", "同课异构", "问题链", "信息技术"]  # fmt: skip
STAGES = {"primary": "小学", "junior": "初中", "senior": "高中", "preschool": "幼儿园"}
KINDS = {"lesson_video": "课堂实录", "award_case": "获奖课例", "excellent_case": "优秀课例",
         "research_project": "课题研究", "paper": "论文", "other": "课件"}  # fmt: skip
AWARDS = [None] * 6 + ["school", "county", "county", "prefecture", "provincial", "national"]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "丽明静伟芳娜敏强磊军洋勇艳杰涛超华平刚燕"
SENTENCES = [
    "本节课以{t}为主线，引导学生在真实情境中开展探究。",
    "教师围绕{t}设计了层层递进的问题链，学生通过小组合作完成任务。",
    "在{g}的理念下，本课把{t}与学生的生活经验联系起来。",
    "课后作业分为基础、提高和拓展三个层次，体现了{g}的要求。",
    "通过对{t}的学习，学生的{g}得到了发展。",
    "本研究以{s}学科为例，分析了{t}教学中存在的问题，并提出改进策略。",
    "课题组在{y}年立项，经过两年的实践研究，于{y2}年结题。",
    "教学评价关注过程，采用表现性评价记录学生在{t}学习中的表现。",
    "教师在反思中指出，{t}的难点在于帮助学生建立概念之间的联系。",
    "学生在活动中观察、猜想、验证，体会{t}的本质。",
    "这节{s}课获得了专家和同行的好评，被推荐参加{a}展示活动。",
    "结合{g}，教师重新组织了教材内容，形成了完整的学习单元。",
]


def _name(rng: random.Random) -> str:
    return (
        rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.4 else "")
    )


def studios(rng: random.Random) -> list[tuple[str, str, str]]:
    """29 studios: (slug, name, subject code)."""
    codes = list(SUBJECTS)
    found = []
    for i in range(29):
        code = codes[i % len(codes)]
        host = _name(rng)
        found.append((f"studio-{i + 1:02d}", f"{host}{SUBJECTS[code][0]}名师工作室", code))
    return found


def _text(rng: random.Random, subject: str, topics: list[str], chars: int) -> str:
    parts: list[str] = []
    size = 0
    name = SUBJECTS[subject][0]
    while size < chars:
        sentence = rng.choice(SENTENCES).format(
            t=rng.choice(topics), g=rng.choice(GENERAL), s=name, y=rng.randint(2016, 2023),
            y2=rng.randint(2018, 2025), a=rng.choice(["县级", "州级", "省级"]),
        )  # fmt: skip
        parts.append(sentence)
        size += len(sentence)
    return "".join(parts)


def generate(count: int, *, seed: int = SEED, body: bool = True) -> Iterator[ResourceDocument]:
    """count resources, the same ones for the same seed; body=False leaves document text out."""
    rng = random.Random(seed)
    studio_list = studios(rng)
    start = datetime(2015, 1, 1)
    for rid in range(1, count + 1):
        slug, studio_name, home_subject = rng.choice(studio_list)
        subject = home_subject if rng.random() < 0.85 else rng.choice(list(SUBJECTS))
        subject_name, topics = SUBJECTS[subject]
        stage = rng.choice(list(STAGES))
        kind = rng.choice(list(KINDS))
        topic = rng.choice(topics)
        extra = rng.choice(GENERAL)
        grade = rng.choice(["一年级", "三年级", "五年级", "七年级", "八年级", "高一", "高二", ""])
        title = rng.choice([
            f"{grade}{subject_name}《{topic}》{KINDS[kind]}",
            f"{extra}视角下的{topic}教学实践",
            f"基于{extra}的{STAGES[stage]}{subject_name}{topic}研究",
            f"{topic}（第{rng.randint(1, 3)}课时）",
            f"{STAGES[stage]}{subject_name}{topic}{KINDS[kind]}",
        ])  # fmt: skip
        keywords = list(dict.fromkeys([topic, extra, *rng.sample(topics, k=min(2, len(topics)))]))
        created = start + timedelta(minutes=rng.randint(0, 60 * 24 * 365 * 11))
        yield ResourceDocument(
            id=rid, title=title, kind=kind, subject=subject, stage=stage, studio=slug,
            year=created.year, award_level=rng.choice(AWARDS),
            visibility=rng.choice(["public"] * 6 + ["internal", "internal", "lendable", "studio"]),
            status="published" if rng.random() < 0.95 else "draft",
            authors=[_name(rng) for _ in range(rng.randint(1, 3))], keywords=keywords,
            abstract=_text(rng, subject, topics, rng.randint(60, 150)),
            body=_text(rng, subject, topics, int(rng.triangular(200, 2000, 300))) if body else "",
            created=created, downloads=int(rng.expovariate(1 / 30)),
            studio_name=studio_name, subject_name=subject_name,
        )  # fmt: skip


def queries(count: int = 200, *, seed: int = SEED) -> list[tuple[str, str, dict[str, list[str]]]]:
    """(kind, text, filters): single words, two words, phrases, filtered, characters, pinyin."""
    from pypinyin import lazy_pinyin

    rng = random.Random(seed + 1)
    topics = [(code, t) for code, (_, ts) in SUBJECTS.items() for t in ts]
    mix = [("word", 70), ("two_words", 40), ("phrase", 20), ("filtered", 30), ("char", 20),
           ("pinyin", 20)]  # fmt: skip
    found: list[tuple[str, str, dict[str, list[str]]]] = []
    for kind, share in mix:
        for _ in range(share * count // 200):
            code, topic = rng.choice(topics)
            if kind == "word":
                text = rng.choice([topic, rng.choice(GENERAL)])
            elif kind == "two_words":
                text = f"{topic} {rng.choice(GENERAL)}"
            elif kind == "phrase":
                text = f'"{topic}教学"'
            elif kind == "filtered":
                text = topic
            elif kind == "char":
                text = rng.choice(topic)
            else:
                text = "".join(lazy_pinyin(topic))
            filters = {"subject": [code]} if kind == "filtered" else {}
            found.append((kind, text, filters))
    return found


# Realistic queries that need suggestions, written by hand: two words no resource has together,
# a wrong character in a Chinese word, a misspelt pinyin or English word.
SUGGESTION_EXAMPLES: list[tuple[str, str]] = [
    ("fallback", "欧姆定律 剪纸"), ("fallback", "鸡兔同笼 篮球"), ("fallback", "光合作用 红楼梦"),
    ("typo", "分树的意义"), ("typo", "欧姆定侓"), ("typo", "勾骨定理"), ("typo", "fensu"),
    ("typo", "pytagoras"), ("typo", "hanshuu"),
]  # fmt: skip


def suggestion_queries(
    count: int = 60, *, seed: int = SEED
) -> list[tuple[str, str, dict[str, list[str]]]]:
    """(kind, text, filters) of queries that answer with suggestions: "fallback" (topics of two
    subjects, which no resource has together, so the search falls back to any word) and "typo"
    (a topic with one character replaced, or its pinyin with one letter dropped, doubled or
    changed), half each, after the hand-written SUGGESTION_EXAMPLES."""
    from pypinyin import lazy_pinyin

    rng = random.Random(seed + 2)
    codes = list(SUBJECTS)
    han = sorted({ch for _, ts in SUBJECTS.values() for t in ts for ch in t})
    found: list[tuple[str, str, dict[str, list[str]]]] = [
        (kind, text, {}) for kind, text in SUGGESTION_EXAMPLES
    ]
    while len(found) < count:
        first, second = rng.sample(codes, 2)
        topic = rng.choice(SUBJECTS[first][1])
        if len(found) % 2:
            found.append(("fallback", f"{topic} {rng.choice(SUBJECTS[second][1])}", {}))
            continue
        if rng.random() < 0.5:
            i = rng.randrange(len(topic))
            text = topic[:i] + rng.choice([c for c in han if c != topic[i]]) + topic[i + 1 :]
        else:
            spelt = "".join(lazy_pinyin(topic))
            i = rng.randrange(1, len(spelt))
            edit = rng.choice(["drop", "double", "change"])
            if edit == "drop":
                text = spelt[:i] + spelt[i + 1 :]
            elif edit == "double":
                text = spelt[:i] + spelt[i] + spelt[i:]
            else:
                text = spelt[:i] + rng.choice("aeioungh".replace(spelt[i], "")) + spelt[i + 1 :]
        found.append(("typo", text, {}))
    return found[:count]
