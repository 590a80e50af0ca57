"""Small fake corpora and an in-memory change log for the search index tests."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta

from search_index import Change, ResourceDocument


def resource(id: int, title: str, **fields: object) -> ResourceDocument:
    """A published public math resource unless fields say otherwise."""
    values: dict[str, object] = {
        "kind": "excellent_case",
        "subject": "math",
        "stage": "primary",
        "studio": "wang-math",
        "year": 2024,
        "award_level": None,
        "visibility": "public",
        "status": "published",
        "created": datetime(2024, 1, 1) + timedelta(hours=id),
    }
    values.update(fields)
    return ResourceDocument(id=id, title=title, **values)  # type: ignore[arg-type]


def small_corpus() -> list[ResourceDocument]:
    """Eight resources across subjects, stages, studios, visibilities and statuses."""
    return [
        resource(
            1,
            "小学数学分数的初步认识",
            authors=["王丽"],
            keywords=["分数", "折纸"],
            abstract="借助折纸和分蛋糕，让学生理解几分之一的含义。",
            year=2023,
            award_level="county",
            created=datetime(2023, 3, 1),
            downloads=40,
            kind="lesson_video",
        ),
        resource(
            2,
            "群文阅读在初中语文教学中的实践研究",
            subject="chinese",
            stage="junior",
            studio="li-chinese",
            kind="research_project",
            keywords=["群文阅读", "议题"],
            abstract="围绕一个议题组织多篇文本进行比较阅读。",
            year=2022,
            created=datetime(2022, 9, 1),
            downloads=120,
        ),
        resource(
            3,
            "光合作用（第二课时）",
            subject="biology",
            stage="junior",
            studio="zhao-bio",
            visibility="studio",
            abstract="探究光照强度对光合作用的影响。",
            body="叶绿体色素的提取和分离实验。本实验使用层析液分离叶黄素与胡萝卜素。",
            created=datetime(2024, 5, 1),
            award_level="provincial",
        ),
        resource(
            4,
            "高中英语读后续写教学策略",
            subject="english",
            stage="senior",
            studio="sun-english",
            kind="paper",
            keywords=["读后续写", "PPT"],
            abstract="以STEM主题语篇为例，谈读后续写的情节构思。",
            status="draft",
            created=datetime(2024, 6, 1),
        ),
        resource(
            5,
            "分数加减法的整理与复习",
            authors=["陈静"],
            keywords=["分数", "复习"],
            abstract="梳理异分母分数加减法的算理。",
            visibility="internal",
            created=datetime(2024, 2, 1),
            downloads=7,
            award_level="national",
        ),
        resource(
            6,
            "蜂巢结构中的数学之美",
            keywords=["数学文化"],
            kind="award_case",
            abstract="从蜂巢的六边形出发，体会数学与自然。",
            body="蜂巢由许多正六边形组成。学生在观察中发现分数与比例的关系。",
            created=datetime(2024, 3, 1),
            downloads=7,
            award_level="county",
        ),
        resource(
            7,
            "初中语文名著导读课例",
            subject="chinese",
            stage="junior",
            studio="li-chinese",
            visibility="lendable",
            abstract="以《朝花夕拾》为例的整本书阅读。",
            created=datetime(2023, 11, 1),
            year=2023,
        ),
        resource(
            8,
            "幼儿园数学游戏：认识图形",
            stage="preschool",
            studio="wang-math",
            visibility="studio",
            abstract="在游戏中认识圆形、三角形和正方形。",
            created=datetime(2021, 4, 1),
            year=2021,
        ),
    ]


class ChangeLog:
    """An in-memory stand-in for the database: current resources and an ordered change log."""

    def __init__(self) -> None:
        self.resources: dict[int, ResourceDocument] = {}
        self.changes: list[Change] = []
        self.fetched_after: list[int] = []
        self.page_size: int | None = None

    def put(self, doc: ResourceDocument) -> None:
        """Create or update a resource, logging the change."""
        self.resources[doc.id] = doc
        self.changes.append(Change(seq=len(self.changes) + 1, resource_id=doc.id))

    def put_all(self, docs: Iterable[ResourceDocument]) -> None:
        """Create or update several resources, one change each."""
        for doc in docs:
            self.put(doc)

    def delete(self, resource_id: int) -> None:
        """Delete a resource, logging the change."""
        self.resources.pop(resource_id, None)
        self.changes.append(Change(seq=len(self.changes) + 1, resource_id=resource_id))

    @property
    def last_seq(self) -> int:
        return self.changes[-1].seq if self.changes else 0

    def fetch_changes(self, after: int) -> Sequence[Change]:
        """The changes after a sequence, in order (at most page_size of them when set)."""
        self.fetched_after.append(after)
        pending = [c for c in self.changes if c.seq > after]
        return pending[: self.page_size] if self.page_size else pending

    def load_documents(self, ids: Sequence[int]) -> Mapping[int, ResourceDocument]:
        """The current documents of ids; deleted ones are missing."""
        return {i: self.resources[i] for i in ids if i in self.resources}
