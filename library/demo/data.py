"""A small, realistic demo data set so a fresh `make run` shows something."""

from __future__ import annotations

import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from library import clock
from library.accounts import schools
from library.accounts import service as accounts
from library.accounts.models import School, User
from library.db import get_session
from library.demo import samples
from library.lending import agreements, loans
from library.resources import service as resources
from library.resources.models import Resource
from library.stats import activities
from library.stats.schemas import ActivityBody
from library.studios import service as studios
from library.studios.models import Studio
from library.validation import parse

DEMO_PASSWORD = "demo-password"


STUDIOS = [
    ("wang-math", "王丽数学名师工作室", "math", "primary", "wangli", "王丽"),
    ("li-chinese", "李明语文名师工作室", "chinese", "junior", "liming", "李明"),
    ("zhao-biology", "赵华生物名师工作室", "biology", "senior", "zhaohua", "赵华"),
]


RESOURCES: list[dict[str, Any]] = [
    dict(studio="wang-math", kind="excellent_case", title="“双减”背景下的分层作业设计", subject="math",
         stage="primary", grade="四年级", year="2025", authors="陈静", keywords="双减，作业设计，分层",
         abstract="按基础、提高、拓展三层设计课后作业，控制总量，关注学生差异。", status="submitted",
         file=("docx", "分层作业设计.docx", ["基础层：巩固计算。", "提高层：解决问题。", "拓展层：综合实践。"])),
    dict(studio="wang-math", kind="lesson_video", title="《分数的初步认识》课堂实录", subject="math",
         stage="primary", grade="三年级", year="2024", authors="王丽", keywords="分数，课堂实录、直观模型",
         edition="人教版", volume="上册", unit="第八单元 分数的初步认识", lesson="几分之一",
         abstract="借助折纸和分蛋糕的情境，引导学生理解几分之一的含义，经历分数概念的形成过程。",
         file=("video", "分数的初步认识.mp4")),
    dict(studio="wang-math", kind="award_case", title="大单元教学视角下的“图形的运动”教学设计", subject="math",
         stage="primary", grade="五年级", year="2023", authors="王丽, 陈静", award_level="provincial",
         edition="人教版", volume="下册", unit="第五单元 图形的运动（三）",
         award_name="省级优质课一等奖", keywords="大单元教学，图形的运动，核心素养", visibility="lendable",
         abstract="以大单元教学统整平移、旋转与轴对称，设计层层递进的探究任务，发展学生的空间观念。",
         file=("docx", "图形的运动教学设计.docx",
               ["单元整体教学目标：理解平移、旋转、轴对称的特征。", "活动一：在方格纸上画出图形平移后的位置。",
                "评价设计：以作业设计检测空间观念的发展。"])),
    dict(studio="li-chinese", kind="excellent_case", title="群文阅读《家国情怀》单元课例", subject="chinese",
         stage="junior", grade="八年级", year="2024", authors="李明", keywords="群文阅读、家国情怀",
         edition="统编版", volume="上册", unit="第二单元",
         abstract="选取四篇文本组成群文，围绕“家国情怀”议题开展比较阅读和读写结合。",
         file=("pptx", "群文阅读家国情怀.pptx",
               ["议题：什么是家国情怀", "比较阅读：四篇文本的异同", "读后续写：写给远方的一封信"])),
    dict(studio="li-chinese", kind="research_project", title="初中语文读后续写教学策略研究", subject="chinese",
         stage="junior", year="2022", authors="李明, 周芳", project_level="county", project_status="ongoing",
         project_number="XJ2022-017", keywords="读后续写，写作教学", visibility="internal",
         abstract="课题研究读后续写在初中写作教学中的实施路径与评价方式。",
         file=("docx", "读后续写课题开题报告.docx",
               ["研究背景：双减背景下作业设计的转变。", "研究内容：读后续写的任务设计与评价量表。"])),
    dict(studio="zhao-biology", kind="paper", title="高中生物光合作用探究实验的改进", subject="biology",
         stage="senior", year="2024", authors="赵华", publication="《中学生物教学》2024 年第 6 期",
         keywords="光合作用，实验改进", abstract="改进叶绿体色素提取与分离实验，缩短实验时间，提高成功率。",
         file=("docx", "光合作用实验改进.docx",
               ["实验材料：新鲜菠菜叶、无水乙醇、层析液。", "改进要点：用微型层析装置代替传统滤纸条。"])),
    dict(studio="zhao-biology", kind="other", title="校园植物识别图谱", subject="biology", stage="senior",
         year="2023", authors="赵华", keywords="校园植物，图谱", abstract="学生拍摄整理的校园植物图片。",
         file=("png", "校园植物.png")),
]


def _make_file(folder: Path, spec: tuple) -> Path:
    kind, name = spec[0], spec[1]
    path = folder / name
    if kind == "video":
        return samples.make_mp4(path)
    if kind == "docx":
        return samples.make_docx(path, name.rsplit(".", 1)[0], spec[2])
    if kind == "pptx":
        return samples.make_pptx(path, name.rsplit(".", 1)[0], spec[2])
    return samples.make_png(path)


def load_demo() -> list[str]:
    """Create demo accounts, studios and resources (skipped when they exist); return what was made."""
    session = get_session()
    made: list[str] = []
    if session.scalar(select(User).where(User.username == "admin")) is None:
        accounts.create_user("admin", "admin", DEMO_PASSWORD, "教育局管理员")
        made.append(f"user admin / {DEMO_PASSWORD}")
    admin = accounts.get_user("admin")
    for slug, name, subject, stage, host_name, host_display in STUDIOS:
        if session.scalar(select(Studio).where(Studio.slug == slug)) is not None:
            continue
        studio = studios.create_studio(slug, name, subject, stage)
        host = accounts.create_user(host_name, "teacher", DEMO_PASSWORD, host_display)
        studios.add_member(studio, host, "host")
        made.append(f"studio {slug} (host {host_name} / {DEMO_PASSWORD})")
    if session.scalar(select(User).where(User.username == "teacher")) is None:
        accounts.create_user("teacher", "teacher", DEMO_PASSWORD, "普通教师")
        made.append(f"user teacher / {DEMO_PASSWORD}")
    if session.scalar(select(User).where(User.username == "chenjing")) is None:
        member = accounts.create_user("chenjing", "teacher", DEMO_PASSWORD, "陈静")
        studios.add_member(studios.get_studio("wang-math"), member, "member")
        coordinator = accounts.create_user("yanxun", "coordinator", DEMO_PASSWORD, "研训员张老师")
        studios.set_coordinators(studios.get_studio("wang-math"), [coordinator])
        made.append(f"member chenjing, coordinator yanxun / {DEMO_PASSWORD}")
    existing = set(session.scalars(select(resources.Resource.title)))
    with tempfile.TemporaryDirectory() as tmp:
        for spec in RESOURCES:
            if spec["title"] in existing:
                continue
            # One output waits in the host's review queue, submitted by a member.
            waiting = spec.get("status") == "submitted"
            data = {k: v for k, v in spec.items() if k not in ("file", "status")}
            data |= {"submit": "true"} if waiting else {"publish": "true"}
            path = _make_file(Path(tmp), spec["file"])
            uploader = accounts.get_user("chenjing") if waiting else admin
            resources.create_resource(uploader, data, [resources.IncomingFile.from_path(path)])
            made.append(f"resource {spec['title']}")
    made += _demo_assistance()
    return made


WEAK_SCHOOL = "城关镇第二小学"


def _demo_assistance() -> list[str]:
    """A weak school helped by the maths studio: its account, an agreement in force, a loan with
    feedback, and a training the studio held there — so lending pages and dashboards show something."""
    session = get_session()
    if session.scalar(select(School).where(School.name == WEAK_SCHOOL)) is not None:
        return []
    today = clock.today()
    school = schools.create_school(WEAK_SCHOOL, weak=True, subjects=["math"], stages=["primary"])
    school_user = accounts.create_user("chengguan", "school", DEMO_PASSWORD, "城关二小教务处", school=WEAK_SCHOOL)
    coordinator = accounts.get_user("yanxun")
    studio = studios.get_studio("wang-math")
    agreement = agreements.create_agreement(coordinator, {
        "studio": studio.slug, "school": WEAK_SCHOOL, "subjects": ["math"], "scope": "all",
        "starts_on": (today - timedelta(days=60)).isoformat(), "ends_on": (today + timedelta(days=300)).isoformat(),
        "frequency": "2/month", "outcomes": "数学组每月借阅两次优秀课例用于集体备课，一学期后课堂教学评价提高一个等级。",
    })
    lendable = session.scalar(select(Resource).where(Resource.studio_id == studio.id, Resource.visibility == "lendable",
                                                     Resource.status == "published"))
    made = [f"weak school {WEAK_SCHOOL} (account chengguan / {DEMO_PASSWORD}), agreement {agreement.id}"]
    if lendable is not None:
        loan = loans.request_loan(school_user, lendable.id, "五年级数学组集体备课：图形的运动单元", "五年级 第 3 周")
        loans.add_feedback(school_user, loan.id, {"lessons": 2, "rating": 5,
                                                    "comment": "单元任务设计清楚，两个班上课效果很好。"})
        made.append(f"loan {loan.id} ({loan.status}) with feedback")
    video = session.scalar(select(Resource).where(Resource.studio_id == studio.id, Resource.kind == "lesson_video"))
    activities.record_activity(accounts.get_user("wangli"), studio, parse(ActivityBody, {
        "title": "分数教学专题培训（送教下乡）", "kind": "outreach", "held_on": (today - timedelta(days=20)).isoformat(),
        "participants": 86, "school_ids": [school.id], "resource_ids": [video.id] if video else [],
        "description": "观摩《分数的初步认识》课堂实录并研讨。",
    }))
    made.append("activity 分数教学专题培训（送教下乡）")
    return made
