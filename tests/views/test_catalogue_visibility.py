"""The catalogue shows exactly what `policy.can_view` allows, counted the same (issue 15 moved its
counts to the search index and split its lists in two parts): for every role, every
(visibility, status) of a studio's outputs, on the studio page, the subject page, the home page
and /api/v1/studios."""

from __future__ import annotations

import itertools
import re
from collections import Counter

import pytest
from sqlalchemy import select

from library import policy
from library.accounts import service as accounts
from library.accounts.models import School, User
from library.db import get_session
from library.resources.models import Resource
from library.studios import service as studios
from library.studios.models import Studio
from tests.support.app import PASSWORD, bearer, login, make_app

VISIBILITIES = ("public", "internal", "studio", "lendable")
STATUSES = ("draft", "submitted", "published", "returned", "withdrawn")
ROLES = ("anonymous", "admin", "coordinator", "host", "uploader", "trainee", "teacher", "school", "leaver", "demoted")


@pytest.fixture(scope="module")
def catalogue_app(tmp_path_factory):
    """wang-math holds one output per (visibility, status), all uploaded by "uploader" (a member);
    "leaver" uploaded a published studio-only output to the other studio and is no longer in it."""
    app = make_app(tmp_path_factory.mktemp("catalogue"))
    with app.app_context():
        session = get_session()
        session.add(School(name="希望小学", is_weak=True))
        session.commit()
        users = {role: accounts.create_user(role, {"admin": "admin", "coordinator": "coordinator",
                                                   "school": "school"}.get(role, "teacher"), PASSWORD,
                                            school="希望小学" if role == "school" else None)
                 for role in ROLES if role != "anonymous"}
        studio = studios.create_studio("wang-math", "王丽数学名师工作室", "math", "primary")
        other = studios.create_studio("other", "其他工作室", "math", "junior")
        studios.add_member(studio, users["host"], "host")
        studios.add_member(studio, users["uploader"], "member")
        studios.add_member(studio, users["trainee"], "trainee")
        studios.set_coordinators(studio, [users["coordinator"]])
        # A coordinator who became a teacher keeps the liaison row; it no longer shows studio-only outputs.
        users["demoted"].liaison_studios.append(studio)
        for i, (visibility, status) in enumerate(itertools.product(VISIBILITIES, STATUSES)):
            session.add(Resource(title=f"目录{visibility}{status}", kind=("paper", "award_case")[i % 2],
                                 award_level="county" if i % 2 else None, subject_code="math",
                                 stage_code="primary", studio_id=studio.id, visibility=visibility, status=status,
                                 uploader_id=users["uploader"].id, download_count=i))
        session.add(Resource(title="离开者的成果", kind="paper", subject_code="math", stage_code="junior",
                             studio_id=other.id, visibility="studio", status="published",
                             uploader_id=users["leaver"].id, download_count=1))
        session.commit()  # indexed inline after the commit
    yield app
    app.extensions["db_engine"].dispose()


def _expected(app, role: str) -> dict[int, Resource]:
    with app.app_context():
        session = get_session()
        actor = session.scalar(select(User).where(User.username == role)) if role != "anonymous" else None
        rows = session.scalars(select(Resource)).unique().all()
        return {r.id: r for r in rows if policy.can_view(actor, r)}


def _ids(html: str, start: str) -> set[int]:
    part = html[html.index(start):] if start else html
    return {int(n) for n in re.findall(r'class="card">\s*<a class="card-cover[^"]*" href="/resources/(\d+)"', part)}


def _client(app, role: str):
    client = app.test_client()
    if role != "anonymous":
        assert login(client, role).status_code == 302
    return client


@pytest.mark.parametrize("role", ROLES)
def test_studio_and_subject_pages_list_and_count_what_the_role_may_see(catalogue_app, role):
    expected = _expected(catalogue_app, role)
    client = _client(catalogue_app, role)
    with catalogue_app.app_context():
        studio_id = get_session().scalar(select(Studio.id).where(Studio.slug == "wang-math"))
    in_studio = {i for i, r in expected.items() if r.studio_id == studio_id}
    html = client.get("/studios/wang-math").get_data(as_text=True)
    assert _ids(html, 'id="h-outputs"') == in_studio
    assert f"全部 ({len(in_studio)})" in html
    subject = client.get("/subjects/math?stage=primary").get_data(as_text=True)
    assert _ids(subject, "") == in_studio and f"共 {len(in_studio)} 项成果" in subject
    with catalogue_app.app_context():
        user = get_session().scalar(select(User).where(User.username == role))
        headers = bearer(accounts.create_token(user)) if user is not None else {}
    answer = catalogue_app.test_client().get("/api/v1/studios", headers=headers).json
    by_slug = {s["slug"]: s["resource_count"] for s in answer["studios"]}
    assert by_slug == {"wang-math": len(in_studio), "other": len(expected) - len(in_studio)}
    home = client.get("/").get_data(as_text=True)
    newest = sorted(expected.values(), key=lambda r: (r.created_at, r.id), reverse=True)[:8]
    assert _ids(home, 'id="h-newest"') == {r.id for r in newest}
    popular = re.findall(r'<li><a href="/resources/(\d+)">', home[home.index('id="h-popular"'):]) \
        if 'id="h-popular"' in home else []
    best = sorted((r for r in expected.values() if r.download_count), key=lambda r: (r.download_count, r.id),
                  reverse=True)[:6]
    assert [int(i) for i in popular] == [r.id for r in best]
    assert re.search(rf'数学</strong><span class="count">{len(expected)} 项', home)


@pytest.mark.parametrize("role", ROLES)
def test_the_two_parts_are_exactly_what_the_role_may_see(catalogue_app, role):
    """audience_clause and beyond_audience_clause never overlap, together are visible_clause,
    and the audience part is what the search index counts for the role."""
    expected = set(_expected(catalogue_app, role))
    with catalogue_app.app_context():
        session = get_session()
        actor = session.scalar(select(User).where(User.username == role)) if role != "anonymous" else None
        audience = set(session.scalars(select(Resource.id).where(policy.audience_clause(actor))))
        beyond_clause = policy.beyond_audience_clause(actor)
        beyond = set(session.scalars(select(Resource.id).where(beyond_clause))) if beyond_clause is not None else set()
        visible = set(session.scalars(select(Resource.id).where(policy.visible_clause(actor))))
        total, by = catalogue_app.extensions["search_index"].counts(
            ("studio", "kind"), audience=policy.audience(actor), filters={"stage": ["primary"]})
        rows = session.scalars(select(Resource).where(Resource.id.in_(audience), Resource.stage_code == "primary"))
        per_kind = Counter(r.kind for r in rows.unique())
    assert not audience & beyond
    assert audience | beyond == visible == expected
    assert total == sum(per_kind.values()) and by["kind"] == dict(per_kind)
    assert by["studio"] == ({"wang-math": total} if total else {})
