"""Helpers for the statistics tests: a known year of outputs, usage, loans and activities."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from library.accounts import schools
from library.accounts import service as accounts
from library.db import get_session
from library.lending.models import Agreement, Loan
from library.resources.models import Resource
from library.resources.service import IncomingFile, create_resource
from library.stats import activities, usage
from library.stats.schemas import ActivityBody
from library.studios import service as studios
from library.validation import parse
from tests.support.app import PASSWORD, build_world

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"


YEAR = 2024


@dataclass
class KnownYear:
    ids: dict[str, int] = field(default_factory=dict)  # name → resource id
    schools: dict[str, int] = field(default_factory=dict)
    loans: dict[str, int] = field(default_factory=dict)
    agreements: dict[str, int] = field(default_factory=dict)
    activities: dict[str, int] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)


# name, kind, year, extra fields, publish
OUTPUTS = [
    ("video1", "lesson_video", 2024, {}, True),
    ("video2", "lesson_video", 2024, {}, True),
    ("award_nat", "award_case", 2024, {"award_level": "national", "award_name": "全国一等奖"}, True),
    ("award_prov1", "award_case", 2024, {"award_level": "provincial"}, True),
    ("award_prov2", "award_case", 2024, {"award_level": "provincial"}, True),
    ("award_pref", "award_case", 2024, {"award_level": "prefecture"}, True),
    ("award_county", "award_case", 2024, {"award_level": "county"}, True),
    ("excellent1", "excellent_case", 2024, {}, True),
    ("excellent2", "excellent_case", 2024, {}, True),
    ("excellent3", "excellent_case", 2024, {}, True),
    ("project_prov", "research_project", 2024, {"project_level": "provincial", "project_status": "approved", "project_number": "P-1"}, True),
    ("project_county", "research_project", 2024, {"project_level": "county", "project_status": "ongoing"}, True),
    ("project_pref", "research_project", 2024, {"project_level": "prefecture", "project_status": "concluded"}, True),
    ("paper1", "paper", 2024, {"publication": "小学数学教师 2024(3)"}, True),
    ("paper2", "paper", 2024, {}, True),
    ("other1", "other", 2024, {}, True),
    # Not counted in 2024: a draft, an output of 2023.
    ("award_draft", "award_case", 2024, {"award_level": "national"}, False),
    ("paper_2023", "paper", 2023, {}, True),
]


def _output(actor, sample_dir, name, kind, year, extra, publish, studio="wang-math", subject="math", stage="primary"):
    data = {"title": f"成果 {name}", "kind": kind, "subject": subject, "stage": stage, "studio": studio,
            "year": str(year), "authors": "王丽", "publish": "true" if publish else "false",
            "visibility": "public", **extra}
    return create_resource(actor, data, [IncomingFile.from_path(sample_dir / "校园植物.png")])


def build_known_year(app, sample_dir, world=None) -> KnownYear:
    """Everything the dashboard, the API, the assessment and the exports are checked against."""
    world = world or build_world(app)
    known = KnownYear(tokens={"admin": world.admin_token, "host": world.host_token,
                              "member": world.member_token, "teacher": world.teacher_token})
    with app.app_context():
        session = get_session()
        host = accounts.get_user("wangli")
        member = accounts.get_user("chenjing")
        teacher = accounts.get_user("zhangsan")
        coordinator = accounts.create_user("zhaoyx", "coordinator", PASSWORD, "赵研训")
        other_coordinator = accounts.create_user("qianyx", "coordinator", PASSWORD, "钱研训")
        studio = studios.get_studio("wang-math")
        studios.set_coordinators(studio, [coordinator])
        known.tokens["coordinator"] = accounts.create_token(coordinator)
        known.tokens["other_coordinator"] = accounts.create_token(other_coordinator)
        for name, kind, year, extra, publish in OUTPUTS:
            known.ids[name] = _output(host, sample_dir, name, kind, year, extra, publish).id
        li_host = accounts.create_user("liming", "teacher", PASSWORD, "李明")
        li = studios.get_studio("li-chinese")
        studios.add_member(li, li_host, "host")
        known.tokens["li_host"] = accounts.create_token(li_host)
        known.ids["li_paper"] = _output(li_host, sample_dir, "li_paper", "paper", 2024, {}, True,
                                        studio="li-chinese", subject="chinese", stage="junior").id

        for key, name in (("a", "城南小学"), ("b", "河西小学"), ("c", "山区中心校"), ("d", "北关小学")):
            known.schools[key] = schools.create_school(name, weak=True, subjects=["math"]).id
        # Agreements: one active in 2024, one ended in March 2024 (still overlaps), one draft (never counts).
        for key, school, starts, ends, status in (
            ("active", "a", date(2024, 2, 1), date(2024, 12, 31), "active"),
            ("ended", "b", date(2023, 1, 1), date(2024, 3, 31), "ended"),
            ("draft", "d", date(2024, 1, 1), date(2024, 12, 31), "draft"),
        ):
            agreement = Agreement(studio_id=studio.id, school_id=known.schools[school], starts_on=starts,
                                  ends_on=ends, status=status, outcomes="每月两次送教")
            session.add(agreement)
            session.flush()
            known.agreements[key] = agreement.id
        # Loans: two granted in 2024 (one under the agreement), one granted in 2023, one requested, one declined.
        for key, resource, school, agreement, status, granted in (
            ("under", "video1", "a", "active", "returned", datetime(2024, 4, 1, 9)),
            ("plain", "excellent1", "c", None, "active", datetime(2024, 5, 5, 10)),
            ("old", "video2", "a", "active", "expired", datetime(2023, 12, 30, 10)),
            ("asked", "paper1", "b", None, "requested", None),
            ("declined", "paper2", "c", None, "declined", None),
        ):
            loan = Loan(resource_id=known.ids[resource], studio_id=studio.id, school_id=known.schools[school],
                        agreement_id=known.agreements[agreement] if agreement else None, status=status,
                        granted_at=granted, due_on=granted.date() if granted else None)
            session.add(loan)
            session.flush()
            known.loans[key] = loan.id
        session.commit()

        for key, title, kind, held_on, participants, reached, materials in (
            ("training", "新课标专题培训", "training", "2024-03-10", 120, ["a", "b"], ["video1"]),
            ("research", "同课异构教研", "teaching_research", "2024-09-01", 35, [], []),
            ("live", "线上直播课", "live", "2024-11-20", 400, ["c"], ["excellent1", "paper1"]),
            ("old", "往年培训", "training", "2023-12-15", 80, [], []),
        ):
            activity = activities.record_activity(host, studio, parse(ActivityBody, {
                "title": title, "kind": kind, "held_on": held_on, "participants": participants,
                "school_ids": [known.schools[s] for s in reached],
                "resource_ids": ",".join(str(known.ids[m]) for m in materials)}))
            known.activities[key] = activity.id

        # Views and downloads, through the same recording functions the pages call.
        video1 = session.get(Resource, known.ids["video1"])
        file1 = video1.files[0]
        at = datetime
        usage.record_view(teacher, video1, user_agent=BROWSER, when=at(2024, 3, 5, 9))
        usage.record_view(teacher, video1, user_agent=BROWSER, when=at(2024, 3, 5, 15))  # same day: once
        usage.record_view(teacher, video1, user_agent=BROWSER, when=at(2024, 3, 6, 9))   # next day: again
        usage.record_view(None, video1, address="10.0.0.8", user_agent=BROWSER, when=at(2024, 7, 1, 9))
        usage.record_view(None, video1, address="10.0.0.9", user_agent="Googlebot/2.1", when=at(2024, 7, 1, 9))
        usage.record_view(host, video1, user_agent=BROWSER, when=at(2024, 7, 2, 9))  # the uploader
        usage.record_view(teacher, video1, user_agent=BROWSER, when=at(2023, 7, 2, 9))  # another year
        usage.record_download(teacher, file1, 0, user_agent=BROWSER, when=at(2024, 5, 1, 9))
        usage.record_download(teacher, file1, 1000, user_agent=BROWSER, when=at(2024, 5, 1, 9, 1))  # a seek
        usage.record_download(teacher, file1, 0, user_agent=BROWSER, when=at(2024, 5, 1, 10))  # repeat
        usage.record_download(member, file1, 0, user_agent=BROWSER, when=at(2024, 5, 2, 9))
        usage.record_download(None, file1, 0, address="10.0.0.7", user_agent="curl/8.5.0", when=at(2024, 5, 2, 9))
    return known


def coded_csv_rows(text: str) -> list[dict[str, str]]:
    """The rows of the assessment CSV asked for with ?codes=1, by field name (the second header row)."""
    import csv
    import io

    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff").split("\r\n", 1)[1])))
