"""Helpers for the lending tests: a studio, schools and lendable outputs; agreements, loans, kits."""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from html.parser import HTMLParser
from urllib.parse import unquote

from library.accounts import schools
from library.accounts import service as accounts
from library.db import get_session
from library.lending.models import Loan
from library.studios import service as studios
from tests.support.app import PASSWORD, World, bearer, build_world, county_today, run_jobs, upload

# A fixed "now" for scripted tests: services take `now`, nothing patches the clock.
MARCH = datetime(2026, 3, 2, 9, 0)


@dataclass
class Lending:
    world: World
    school_token: str
    other_school_token: str
    coordinator_token: str
    lendable: int  # a lendable paper of wang-math (PDF + picture)
    lendable_video: int  # a lendable lesson video of wang-math
    internal: int  # an internal (non-lendable) resource of wang-math
    studio_only: int  # visibility "studio"
    other_studio_lendable: int  # a lendable resource of li-chinese


def build_lending(app, client, sample_dir) -> Lending:
    world = build_world(app)
    with app.app_context():
        schools.create_school("希望小学", weak=True, subjects=["math"], stages=["primary"])
        schools.create_school("向阳中学", weak=True, subjects=["chinese"])
        school_user = accounts.create_user("xiwang", "school", PASSWORD, "希望小学教务处", school="希望小学")
        other = accounts.create_user("xiangyang", "school", PASSWORD, "向阳中学", school="向阳中学")
        coordinator = accounts.create_user("liuyan", "coordinator", PASSWORD, "刘研")
        studio = studios.get_studio("wang-math")
        studios.set_coordinators(studio, [coordinator])
        li_host = accounts.create_user("liming", "teacher", PASSWORD, "李明")
        studios.add_member(studios.get_studio("li-chinese"), li_host, "host")
        tokens = (accounts.create_token(school_user), accounts.create_token(other),
                  accounts.create_token(coordinator), accounts.create_token(li_host))

    def make(token, paths, **fields):
        response = upload(client, token, paths, **fields)
        assert response.status_code == 201, response.json
        return response.json["id"]

    pdf, png = sample_dir / "光合作用.pdf", sample_dir / "校园植物.png"
    lend = Lending(
        world=world,
        school_token=tokens[0],
        other_school_token=tokens[1],
        coordinator_token=tokens[2],
        lendable=make(world.host_token, [pdf, png], title="分数的意义教学设计", kind="paper", visibility="lendable"),
        lendable_video=make(world.host_token, [sample_dir / "课堂实录.mp4"], title="分数的初步认识课堂实录",
                            kind="lesson_video", visibility="lendable"),
        internal=make(world.host_token, [pdf], title="内部教研记录", visibility="internal"),
        studio_only=make(world.host_token, [pdf], title="工作室内部资料", visibility="studio"),
        other_studio_lendable=make(tokens[3], [pdf], title="群文阅读课例", studio="li-chinese", subject="chinese",
                                   stage="junior", visibility="lendable"),
    )
    run_jobs(app)  # thumbnails, posters and text, as the worker makes them
    return lend


def agreement_body(**overrides) -> dict:
    body = {"studio": "wang-math", "school": "希望小学", "subjects": ["math"], "scope": "all",
            "starts_on": "2026-01-01", "ends_on": "2026-12-31", "frequency": "2/month",
            "outcomes": "数学组每月完成两次借阅备课，期末均分提高 5 分"}
    body.update(overrides)
    return body


def loan_row(app, loan_id: int) -> Loan:
    with app.app_context():
        row = get_session().get(Loan, loan_id)
        get_session().expunge(row)
        return row


def borrow(client, token, resource_id, purpose="七年级数学组集体备课", **extra):
    return client.post("/api/v1/loans", json={"resource_id": resource_id, "purpose": purpose, **extra},
                       headers=bearer(token))


def active_agreement(client, lend, **overrides):
    body = agreement_body(status="active", starts_on=(county_today() - timedelta(days=60)).isoformat(),
                          ends_on=(county_today() + timedelta(days=300)).isoformat(), **overrides)
    response = client.post("/api/v1/agreements", json=body, headers=bearer(lend.coordinator_token))
    assert response.status_code == 201, response.json
    return response.json


def download(client, url, **kw):
    response = client.get(url, **kw)
    response.close()
    return response.status_code


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.refs: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("href", "src") and value:
                self.refs.append(value)


def check_kit(data: bytes) -> zipfile.ZipFile:
    """Every SHA256SUMS line matches the member's bytes; every index link names a member."""
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.testzip() is None
    names = set(archive.namelist())
    sums = {}
    for line in archive.read("SHA256SUMS").decode().splitlines():
        digest, name = line.split("  ", 1)
        sums[name] = digest
    assert set(sums) == names - {"SHA256SUMS"}
    for name, digest in sums.items():
        assert hashlib.sha256(archive.read(name)).hexdigest() == digest, name
    parser = _Links()
    parser.feed(archive.read("index.html").decode())
    assert parser.refs
    for ref in parser.refs:
        assert not re.match(r"^[a-z]+:|^/", ref), f"not relative: {ref}"
        assert unquote(ref) in names, ref
    return archive
