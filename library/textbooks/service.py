"""Editions, the textbook tree of a subject and stage, and a teacher's pinned textbook.

The tree is 版本 → 册 (grade and volume: 三年级上册, 必修第一册) → 单元 → 课, with the number of
resources the actor may see at each node, read in one GROUP BY through the index
`ix_resources_textbook` (migration 0013). Resources with no position at all are counted apart
(`unplaced`): the tree is how teachers browse a textbook, not a second catalogue.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import case, func, or_, select

from library import policy
from library.accounts.models import User
from library.audit import service as audit
from library.db import Page, get_session
from library.errors import InvalidInput, NotFound
from library.resources.catalogue import card_options
from library.resources.models import Resource
from library.studios.models import Stage, Subject
from library.studios.service import SLUG_CODE
from library.textbooks import positions
from library.textbooks.models import Edition, TextbookPin

NONE = "none"  # the node of resources without an edition, or without a unit
EDITIONS_TTL_S = 30.0  # how long a process trusts its copy of the edition table


def seed_editions() -> None:
    """Insert the editions in use that are not there yet (admin edits and deletions are kept:
    a code once seeded is not seeded again)."""
    session = get_session()
    existing = set(session.scalars(select(Edition.code)))
    for position, seed in enumerate(positions.EDITION_SEED):
        if seed.code not in existing:
            session.add(Edition(code=seed.code, name_zh=seed.name, name_en="", aliases=list(seed.aliases),
                                subjects=list(seed.subjects), stages=list(seed.stages), position=position))
    session.commit()


@dataclass(frozen=True)
class EditionInfo:
    code: str
    name: str
    aliases: tuple[str, ...]
    subjects: tuple[str, ...]
    stages: tuple[str, ...]

    def serves(self, subject: str | None, stage: str | None) -> bool:
        return (not subject or not self.subjects or subject in self.subjects) and (
            not stage or not self.stages or stage in self.stages)


_KEY = "library.textbooks.editions"  # in app.extensions: (read at, editions), per app


def editions(*, fresh: bool = False) -> tuple[EditionInfo, ...]:
    """Every edition, in order; a process re-reads the table at most every EDITIONS_TTL_S (an
    admin's edit reaches every node within that)."""
    cached = current_app.extensions.get(_KEY)
    if not fresh and cached is not None and time.monotonic() - cached[0] < EDITIONS_TTL_S:
        return cached[1]
    rows = get_session().scalars(select(Edition).order_by(Edition.position, Edition.code))
    found = tuple(EditionInfo(e.code, e.name_zh, tuple(e.aliases or ()), tuple(e.subjects or ()),
                              tuple(e.stages or ())) for e in rows)  # fmt: skip
    current_app.extensions[_KEY] = (time.monotonic(), found)
    return found


def forget_editions() -> None:
    """Drop this process's copy (after an edit here, so the next read is fresh)."""
    current_app.extensions.pop(_KEY, None)


def edition_names() -> dict[str, str]:
    return {e.code: e.name for e in editions()}


def edition_of(text: str) -> str | None:
    """An edition's code from its code, name or an alias (人教版, 部编版, pep); None if unknown."""
    wanted = "".join(text.split()).lower()
    for e in editions():
        if wanted in (e.code, e.name.lower(), *(a.lower() for a in e.aliases)):
            return e.code
    return None


def guess(title: str, stage: str | None = None) -> positions.Guess:
    """The textbook position a title names, read with the edition table's names and aliases."""
    return positions.guess(title, [(e.code, e.name, e.aliases) for e in editions()], stage=stage)


# ---- the tree ---------------------------------------------------------------------------------


@dataclass
class Node:
    """One node of the tree: its key for links, its name, how many resources lie below it."""

    key: str
    name: str
    count: int = 0
    children: list[Node] = field(default_factory=list)

    def as_json(self, level: Sequence[str]) -> dict[str, Any]:
        out: dict[str, Any] = {"key": self.key, "name": self.name, "count": self.count}
        if level:
            out[level[0]] = [child.as_json(level[1:]) for child in self.children]
        return out


@dataclass
class Tree:
    subject: Subject
    stage: Stage
    editions: list[Node]
    placed: int
    unplaced: int

    def as_json(self) -> dict[str, Any]:
        return {
            "subject": self.subject.code,
            "stage": self.stage.code,
            "total": self.placed + self.unplaced,
            "placed": self.placed,
            "unplaced": self.unplaced,
            "editions": [node.as_json(("books", "units", "lessons")) for node in self.editions],
        }


def book_key(grade: str, volume: str) -> str:
    """A 册's key in links: grade and volume codes, either may be empty (p3.upper, .compulsory-1)."""
    return f"{grade}.{volume}"


def book_name(grade: str, volume: str) -> str:
    if not grade and not volume:
        return _("未注明年级与册次")
    return f"{positions.grade_label(grade) if grade else ''}{positions.volume_label(volume) if volume else ''}"


def _order(codes: Sequence[str], code: str) -> int:
    return codes.index(code) if code in codes else len(codes)


def vocabulary_rows(subject_code: str, stage_code: str) -> tuple[Subject, Stage]:
    session = get_session()
    subject, stage = session.get(Subject, subject_code), session.get(Stage, stage_code)
    if subject is None or stage is None:
        raise NotFound(_("没有这个学科或学段"))
    return subject, stage


def tree(actor: User | None, subject_code: str, stage_code: str) -> Tree:
    """The textbook tree of a subject and stage, counted over what the actor may see."""
    subject, stage = vocabulary_rows(subject_code, stage_code)
    placed_clause = or_(Resource.edition_code.is_not(None), Resource.grade != "", Resource.volume != "",
                        Resource.unit_number.is_not(None), Resource.lesson != "")
    stmt = (
        select(Resource.edition_code, Resource.grade, Resource.volume, Resource.unit_number, Resource.unit_title,
               Resource.lesson, func.count())
        .where(Resource.subject_code == subject_code, Resource.stage_code == stage_code,
               policy.visible_clause(actor), placed_clause)
        .group_by(Resource.edition_code, Resource.grade, Resource.volume, Resource.unit_number, Resource.unit_title,
                  Resource.lesson)
    )  # fmt: skip
    session = get_session()
    rows = session.execute(stmt).all()
    unplaced = session.scalar(
        select(func.count()).select_from(Resource).where(
            Resource.subject_code == subject_code, Resource.stage_code == stage_code,
            policy.visible_clause(actor), ~placed_clause)) or 0  # fmt: skip
    names = edition_names()
    order = {e.code: i for i, e in enumerate(editions())}
    grouped: dict[str, dict[str, dict[str, Counter[str]]]] = {}
    unit_titles: dict[tuple[str, str, str], Counter[str]] = {}
    for edition, grade, volume, number, unit_title, lesson, count in rows:
        e_key, b_key = edition or NONE, book_key(grade or "", volume or "")
        u_key = str(number) if number is not None else (f"t:{unit_title}" if unit_title else NONE)
        grouped.setdefault(e_key, {}).setdefault(b_key, {}).setdefault(u_key, Counter())[lesson or ""] += count
        if unit_title:
            unit_titles.setdefault((e_key, b_key, u_key), Counter())[unit_title] += count
    nodes = []
    for e_key in sorted(grouped, key=lambda k: (k == NONE, order.get(k, len(order)), k)):
        e_node = Node(e_key, names.get(e_key, e_key) if e_key != NONE else _("未注明版本"))
        for b_key in sorted(grouped[e_key], key=_book_order):
            grade, volume = b_key.split(".", 1)
            b_node = Node(b_key, book_name(grade, volume))
            for u_key in sorted(grouped[e_key][b_key], key=_unit_order):
                lessons = grouped[e_key][b_key][u_key]
                title = unit_titles.get((e_key, b_key, u_key), Counter()).most_common(1)
                number = int(u_key) if u_key.isdigit() else None
                name = positions.unit_label(number, title[0][0] if title else "") if u_key != NONE else _("未注明单元")
                u_node = Node(u_key, name)
                for lesson, count in sorted(lessons.items(), key=lambda item: (item[0] == "", item[0])):
                    u_node.children.append(Node(lesson, lesson or _("本单元其他成果"), count))
                u_node.count = sum(c.count for c in u_node.children)
                b_node.children.append(u_node)
            b_node.count = sum(c.count for c in b_node.children)
            e_node.children.append(b_node)
        e_node.count = sum(c.count for c in e_node.children)
        nodes.append(e_node)
    return Tree(subject, stage, nodes, sum(n.count for n in nodes), unplaced)


def _book_order(key: str) -> tuple[int, int, str]:
    grade, volume = key.split(".", 1)
    return (_order(positions.GRADE_CODES, grade) if grade else len(positions.GRADE_CODES),
            _order(positions.VOLUME_CODES, volume) if volume else len(positions.VOLUME_CODES), key)  # fmt: skip


def _unit_order(key: str) -> tuple[int, int, str]:
    if key.isdigit():
        return (0, int(key), "")
    return (1 if key != NONE else 2, 0, key)


@dataclass(frozen=True)
class Place:
    """A node of the tree as a link names it: each part None when not chosen."""

    edition: str | None = None  # a code, or NONE
    book: str | None = None  # book_key()
    unit: str | None = None  # a number, "t:<title>", or NONE
    lesson: str | None = None

    def clauses(self) -> list[Any]:
        found: list[Any] = []
        if self.edition is not None:
            found.append(Resource.edition_code.is_(None) if self.edition == NONE
                         else Resource.edition_code == self.edition)  # fmt: skip
        if self.book is not None and "." in self.book:
            grade, volume = self.book.split(".", 1)
            found += [Resource.grade == grade, Resource.volume == volume]
        if self.unit is not None:
            if self.unit == NONE:
                found += [Resource.unit_number.is_(None), Resource.unit_title == ""]
            elif self.unit.isdigit():
                found.append(Resource.unit_number == int(self.unit))
            elif self.unit.startswith("t:"):
                found += [Resource.unit_number.is_(None), Resource.unit_title == self.unit[2:]]
        if self.lesson is not None:
            found.append(Resource.lesson == self.lesson)
        return found


def resources_at(actor: User | None, subject_code: str, stage_code: str, place: Place, page: int,
                 per_page: int) -> Page[Resource]:  # fmt: skip
    """The resources at a node of the tree, lesson videos first, then in textbook order."""
    where = [Resource.subject_code == subject_code, Resource.stage_code == stage_code,
             policy.visible_clause(actor), *place.clauses()]  # fmt: skip
    session = get_session()
    total = session.scalar(select(func.count()).select_from(Resource).where(*where)) or 0
    video_first = case((Resource.kind == "lesson_video", 0), else_=1)
    rows = session.scalars(
        select(Resource).where(*where).options(*card_options())
        .order_by(video_first, Resource.unit_number, Resource.lesson, Resource.created_at.desc(), Resource.id.desc())
        .limit(per_page).offset((page - 1) * per_page)).unique().all()  # fmt: skip
    return Page(list(rows), page, per_page, total)


# ---- my textbook ---------------------------------------------------------------------------------


def pin_of(user: User | None) -> TextbookPin | None:
    if user is None or not user.is_authenticated:
        return None
    return get_session().get(TextbookPin, user.id)


def pin(user: User, subject_code: str, stage_code: str, edition_code: str | None, grade: str) -> TextbookPin:
    """Pin (or re-pin) a teacher's textbook: subject + edition + grade (the stage follows the grade)."""
    session = get_session()
    errors: dict[str, str] = {}
    if session.get(Subject, subject_code) is None:
        errors["subject"] = _("未知的学科代码：%(code)s", code=subject_code)
    if grade and positions.grade_stage(grade) is None:
        errors["grade"] = _("未知的年级代码：%(code)s", code=grade)
    elif grade:
        stage_code = positions.grade_stage(grade) or stage_code
    if session.get(Stage, stage_code) is None:
        errors["stage"] = _("未知的学段代码：%(code)s", code=stage_code)
    if edition_code and session.get(Edition, edition_code) is None:
        errors["edition"] = _("未知的教材版本：%(code)s", code=edition_code)
    if errors:
        raise InvalidInput(_("我的教材信息有误：") + "；".join(errors.values()), fields=errors)
    row = session.get(TextbookPin, user.id) or TextbookPin(user_id=user.id)
    row.subject_code, row.stage_code, row.edition_code, row.grade = subject_code, stage_code, edition_code or None, grade
    session.add(row)
    session.commit()
    return row


def unpin(user: User) -> None:
    session = get_session()
    row = session.get(TextbookPin, user.id)
    if row is not None:
        session.delete(row)
        session.commit()


@dataclass
class Pinned:
    """The home page's 我的教材: the pin, and the 册 of its edition and grade in the tree."""

    pin: TextbookPin
    subject: Subject
    stage: Stage
    edition_key: str
    books: list[Node]


def pinned(actor: User | None) -> Pinned | None:
    """The actor's pinned textbook with its books (units and counts), or None."""
    row = pin_of(actor)
    if row is None:
        return None
    found = tree(actor, row.subject_code, row.stage_code)
    key = row.edition_code or NONE
    books = next((e.children for e in found.editions if e.key == key), [])
    if row.grade:
        books = [b for b in books if b.key.split(".", 1)[0] == row.grade]
    return Pinned(row, found.subject, found.stage, key, books)


# ---- the edition vocabulary, edited by admins ---------------------------------------------------


def edition_rows() -> list[Edition]:
    return list(get_session().scalars(select(Edition).order_by(Edition.position, Edition.code)))


def save_edition(code: str, name: str, aliases: Sequence[str], subjects: Sequence[str], stages: Sequence[str],
                 actor: User | None = None) -> Edition:  # fmt: skip
    """Add an edition or change one's name, aliases, subjects and stages (codes never change:
    resources refer to them). Every node reads the change within EDITIONS_TTL_S."""
    session = get_session()
    code = code.strip()
    errors: dict[str, str] = {}
    if not SLUG_CODE.match(code):
        errors["code"] = _("版本代码只能用小写字母、数字和下划线（2 到 32 个字符），如 pep")
    if not name.strip():
        errors["name_zh"] = _("请填写版本名称，如 人教版")
    known_subjects = set(session.scalars(select(Subject.code)))
    known_stages = set(session.scalars(select(Stage.code)))
    if unknown := [s for s in subjects if s not in known_subjects]:
        errors["subjects"] = _("未知的学科代码：%(codes)s", codes="、".join(unknown))
    if unknown := [s for s in stages if s not in known_stages]:
        errors["stages"] = _("未知的学段代码：%(codes)s", codes="、".join(unknown))
    taken = {word.lower(): e.code for e in editions(fresh=True) if e.code != code for word in (e.name, *e.aliases)}
    if clash := [w for w in (name.strip(), *aliases) if w.lower() in taken]:
        errors["aliases"] = _("“%(word)s”已是另一个版本（%(code)s）的名称或别名", word=clash[0], code=taken[clash[0].lower()])
    if errors:
        raise InvalidInput(_("版本信息有误：") + "；".join(errors.values()), fields=errors)
    row = session.get(Edition, code)
    if row is None:
        position = (session.scalar(select(func.max(Edition.position))) or 0) + 1
        row = Edition(code=code, position=position)
        session.add(row)
    row.name_zh, row.name_en = name.strip(), row.name_en or ""
    row.aliases = list(dict.fromkeys(a.strip() for a in aliases if a.strip() and a.strip() != name.strip()))
    row.subjects, row.stages = list(dict.fromkeys(subjects)), list(dict.fromkeys(stages))
    audit.record("edition.save", actor, "edition", code, name_zh=row.name_zh)
    session.commit()
    forget_editions()
    return row


@dataclass
class GuessReport:
    looked_at: int = 0
    guessed: list[tuple[int, str, positions.Guess]] = field(default_factory=list)


def guess_missing(*, apply: bool, batch: int = 500) -> GuessReport:
    """Read the textbook position of every resource that has none from its title (the 352 outputs
    a county had before, imported without one); with apply, write them, marked as guessed."""
    session = get_session()
    report = GuessReport()
    unplaced = (Resource.edition_code.is_(None), Resource.grade == "", Resource.volume == "",
                Resource.unit_number.is_(None), Resource.lesson == "")  # fmt: skip
    last = 0
    while True:
        rows = list(session.scalars(select(Resource).where(*unplaced, Resource.id > last)
                                    .order_by(Resource.id).limit(batch)))  # fmt: skip
        if not rows:
            break
        for row in rows:
            report.looked_at += 1
            found = guess(row.title, stage=row.stage_code)
            if found.empty:
                continue
            report.guessed.append((row.id, row.title, found))
            if apply:
                row.edition_code, row.grade, row.volume = found.edition, found.grade or "", found.volume or ""
                row.unit_number, row.unit_title, row.lesson = found.unit_number, found.unit_title, found.lesson
                row.textbook_guessed = True
        last = rows[-1].id
        if apply:
            session.commit()  # one change-log batch (and index commit) a batch
    return report
