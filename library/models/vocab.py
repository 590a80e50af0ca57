"""Controlled vocabularies kept in tables: subjects (admin-editable) and stages."""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from library.db import Base


class Subject(Base):
    """A school subject (学科), e.g. math 数学."""

    __tablename__ = "subjects"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(64))
    name_en: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(default=0)


class Stage(Base):
    """A school stage (学段): preschool, primary, junior, senior."""

    __tablename__ = "stages"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name_zh: Mapped[str] = mapped_column(String(64))
    name_en: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(default=0)


SUBJECTS: list[tuple[str, str, str]] = [
    ("chinese", "语文", "Chinese"),
    ("math", "数学", "Mathematics"),
    ("english", "英语", "English"),
    ("physics", "物理", "Physics"),
    ("chemistry", "化学", "Chemistry"),
    ("biology", "生物", "Biology"),
    ("history", "历史", "History"),
    ("geography", "地理", "Geography"),
    ("politics", "道德与法治/思想政治", "Morality, Law and Politics"),
    ("science", "科学", "Science"),
    ("it", "信息科技", "Information Technology"),
    ("music", "音乐", "Music"),
    ("art", "美术", "Art"),
    ("pe", "体育与健康", "PE and Health"),
    ("psychology", "心理健康", "Mental Health"),
    ("preschool_ed", "学前教育", "Preschool Education"),
    ("labor", "劳动", "Labour"),
    ("class_mgmt", "班主任工作", "Homeroom Teaching"),
    ("school_mgmt", "学校管理", "School Management"),
]

STAGES: list[tuple[str, str, str]] = [
    ("preschool", "学前", "Preschool"),
    ("primary", "小学", "Primary"),
    ("junior", "初中", "Junior secondary"),
    ("senior", "高中", "Senior secondary"),
]
