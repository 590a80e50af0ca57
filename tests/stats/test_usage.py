"""The counting rule of views and downloads, through real HTTP requests (Range headers included)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from library.accounts import service as accounts
from library.db import get_session, utcnow
from library.resources.models import Resource, ResourceFile
from library.stats import usage
from library.stats.models import UsageEvent
from tests.support.app import bearer, build_world, run_jobs, upload
from tests.support.stats import BROWSER

FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"


def _events(app, kind: str) -> list[tuple[int | None, bool, str, int]]:
    with app.app_context():
        rows = get_session().scalars(select(UsageEvent).where(UsageEvent.kind == kind).order_by(UsageEvent.id))
        return [(e.user_id, e.counted, e.reason, e.range_start) for e in rows]


def _download_count(app, resource_id: int) -> int:
    with app.app_context():
        return get_session().scalar(select(Resource.download_count).where(Resource.id == resource_id))


@pytest.fixture
def pdf(any_app, sample_dir):
    """A public PDF uploaded (and published) by the host, on local storage and on S3."""
    client = any_app.test_client()
    world = build_world(any_app)
    body = upload(client, world.host_token, [sample_dir / "光合作用.pdf"], title="光合作用实验").json
    assert body["status"] == "published"
    run_jobs(any_app)  # on S3: moved from the staging area into the bucket (downloads redirect)
    return any_app, client, world, body["id"], body["files"][0]["id"]


def _get(client, file_id, token=None, agent=BROWSER, **headers):
    if token:
        headers.update(bearer(token))
    response = client.get(f"/files/{file_id}/download", headers={"User-Agent": agent, **headers})
    response.close()
    return response


def test_a_ranged_download_counts_once_per_person_per_day(pdf):
    app, client, world, resource_id, file_id = pdf
    with app.app_context():
        teacher_id = accounts.get_user("zhangsan").id
        host_id = accounts.get_user("wangli").id
    presigned = app.config["STORAGE_URL"].startswith("s3://") and app.config["PRESIGNED_DOWNLOADS"]
    first = _get(client, file_id, world.teacher_token, Range="bytes=0-1023")
    assert first.status_code == (302 if presigned else 206)
    # Later ranges are the same download continuing (a player seeking, a download manager resuming).
    assert _get(client, file_id, world.teacher_token, Range="bytes=1024-").status_code in (206, 302)
    assert _get(client, file_id, world.teacher_token, Range="bytes=2048-4095").status_code in (206, 302)
    # Asking again from the first byte the same day is the same person's same download.
    assert _get(client, file_id, world.teacher_token).status_code in (200, 302)
    # Previews and HEAD requests are not downloads at all.
    with client.get(f"/files/{file_id}/download?inline=1", headers={"User-Agent": BROWSER}) as r:
        assert r.status_code in (200, 302)
    assert client.head(f"/files/{file_id}/download", headers={"User-Agent": BROWSER}).status_code in (200, 302)
    assert _events(app, "download") == [
        (teacher_id, True, "", 0), (teacher_id, False, "range", 1024), (teacher_id, False, "range", 2048),
        (teacher_id, False, "repeat", 0)]
    assert _download_count(app, resource_id) == 1

    # The uploader's own download and crawlers are stored but never counted.
    _get(client, file_id, world.host_token)
    _get(client, file_id, agent="Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)")
    _get(client, file_id, agent="curl/8.5.0")
    _get(client, file_id, agent="")
    events = _events(app, "download")[4:]
    assert events == [(host_id, False, "uploader", 0), (None, False, "bot", 0), (None, False, "bot", 0),
                      (None, False, "bot", 0)]
    # Two anonymous visitors with different browsers are two people; each counts once.
    _get(client, file_id, agent=BROWSER)
    _get(client, file_id, agent=BROWSER)
    _get(client, file_id, agent=FIREFOX)
    assert [e[1:3] for e in _events(app, "download")[8:]] == [(True, ""), (False, "repeat"), (True, "")]
    assert _download_count(app, resource_id) == 3

    # The next day the same person's download counts again.
    with app.app_context():
        session = get_session()
        teacher = accounts.get_user("zhangsan")
        row = session.get(ResourceFile, file_id)
        event = usage.record_download(teacher, row, 0, user_agent=BROWSER, when=utcnow() + timedelta(days=1))
        assert event.counted
    assert _download_count(app, resource_id) == 4


def test_views_count_once_per_person_per_day_and_can_be_recounted(pdf):
    app, client, world, resource_id, _file_id = pdf
    for token, agent in ((world.teacher_token, BROWSER), (world.teacher_token, BROWSER),
                         (world.member_token, BROWSER), (world.host_token, BROWSER),
                         (None, "Baiduspider+(+http://www.baidu.com/search/spider.htm)"),
                         (None, "Mozilla/5.0 (compatible; Bytespider; spider-feedback@bytedance.com)"), (None, BROWSER)):
        headers = {"User-Agent": agent, **(bearer(token) if token else {})}
        assert client.get(f"/resources/{resource_id}", headers=headers).status_code == 200
    views = _events(app, "view")
    assert [(counted, reason) for _u, counted, reason, _r in views] == [
        (True, ""), (False, "repeat"), (True, ""), (False, "uploader"), (False, "bot"), (False, "bot"), (True, "")]
    with app.app_context():
        stored = get_session().scalars(select(UsageEvent).where(UsageEvent.kind == "view")).all()
        anonymous = stored[-1]
        # An anonymous visitor is a daily hash; the address itself is not stored.
        assert anonymous.visitor.startswith("a:") and "127.0.0.1" not in anonymous.visitor
        assert stored[0].role == "teacher" and stored[0].visitor == f"u:{stored[0].user_id}"
        # Recounting from the raw events gives the same result.
        assert usage.recount() == {"view": 3, "download": 0}
        again = [(e.counted, e.reason) for e in get_session().scalars(
            select(UsageEvent).where(UsageEvent.kind == "view").order_by(UsageEvent.id))]
    assert again == [(c, r) for _u, c, r, _s in views]


def test_recount_applies_the_rule_to_stored_events(app, sample_dir, runner):
    client = app.test_client()
    world = build_world(app)
    body = upload(client, world.host_token, [sample_dir / "光合作用.pdf"]).json
    file_id = body["files"][0]["id"]
    for _ in range(2):
        _get(client, file_id, world.teacher_token)
    with app.app_context():
        session = get_session()
        # An event stored by hand for yesterday, as an older rule would have left it (counted twice).
        first = session.scalars(select(UsageEvent)).first()
        session.add(UsageEvent(kind="download", resource_id=first.resource_id, file_id=file_id,
                               studio_id=first.studio_id, user_id=first.user_id, role="teacher",
                               visitor=first.visitor, user_agent=BROWSER, range_start=0,
                               day=(datetime(2024, 5, 1)).date(), created_at=datetime(2024, 5, 1, 8),
                               counted=False, reason="repeat"))
        session.commit()
    result = runner.invoke(args=["usage", "recount"])
    assert result.exit_code == 0 and "counted 0 views and 2 downloads" in result.output


def test_head_requests_and_previews_record_nothing(app, sample_dir):
    client = app.test_client()
    world = build_world(app)
    body = upload(client, world.host_token, [sample_dir / "光合作用.pdf"]).json
    assert client.head(f"/resources/{body['id']}", headers={"User-Agent": BROWSER}).status_code == 200
    with client.get(f"/files/{body['files'][0]['id']}/download?inline=1", headers={"User-Agent": BROWSER}) as r:
        assert r.status_code == 200
    assert _events(app, "view") == [] and _events(app, "download") == []
