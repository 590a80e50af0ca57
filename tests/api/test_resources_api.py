"""The JSON API end to end: upload → storage → database → index → search → download."""

import hashlib
import shutil

import pytest
from sqlalchemy import func, select

from library.db import get_session
from library.resources.models import Resource, ResourceFile
from library.search.models import ChangeLog
from tests.support.app import bearer, build_world, run_jobs, upload


@pytest.fixture
def api(any_app):
    """A client and a populated world on local storage and on S3."""
    return any_app, any_app.test_client(), build_world(any_app)


def _objects(app, prefix=""):
    return sorted(app.extensions["storage"].iter_keys(prefix))


def _get_file(client, url):
    """Follow a presigned redirect (S3) or read the bytes (local), like a browser."""
    response = client.get(url)
    if response.status_code == 302:
        import urllib.request

        with urllib.request.urlopen(response.headers["Location"], timeout=10) as remote:  # noqa: S310
            return remote.status, remote.read(), dict(remote.headers)
    return response.status_code, response.get_data(), dict(response.headers)


def test_upload_returns_the_resource_with_its_files(api, sample_dir):
    app, client, world = api
    response = upload(client, world.host_token, [sample_dir / "光合作用.pdf", sample_dir / "校园植物.png"],
                      title="光合作用实验", authors="陈静，王丽", keywords="实验、光合作用")
    assert response.status_code == 201, response.json
    body = response.json
    assert body["title"] == "光合作用实验"
    assert body["authors"] == ["陈静", "王丽"]
    assert body["keywords"] == ["实验", "光合作用"]
    assert body["status"] == "published" and body["visibility"] == "public"
    pdf, png = body["files"]
    assert pdf["name"] == "光合作用.pdf" and pdf["content_type"] == "application/pdf"
    assert pdf["sha256"] == hashlib.sha256((sample_dir / "光合作用.pdf").read_bytes()).hexdigest()
    assert pdf["size"] == (sample_dir / "光合作用.pdf").stat().st_size
    # The upload answers once the originals are stored; the worker derives them afterwards.
    assert pdf["state"] == png["state"] == "processing"
    assert "thumbnail_url" not in pdf and "thumbnail_url" not in png
    # On S3 the originals are staged on the app's disk until a move job puts them into the bucket.
    staged = app.extensions["staging"] is not None
    assert pdf["location"] == png["location"] == ("staged" if staged else "stored")
    status, data, _ = _get_file(client, pdf["download_url"])
    assert status == 200 and data == (sample_dir / "光合作用.pdf").read_bytes()
    assert run_jobs(app).done == (4 if staged else 2)  # derive each (and move each)
    body = client.get(f"/api/v1/resources/{body['id']}").json
    pdf, png = body["files"]
    assert pdf["state"] == png["state"] == "ready"
    assert pdf["location"] == png["location"] == "stored"
    assert len(_objects(app, "originals/")) == 2
    assert "thumbnail_url" in pdf and "thumbnail_url" in png  # a PDF's first page, an image scaled down
    thumb = client.get(png["thumbnail_url"])
    assert thumb.status_code == 200 and thumb.content_type == "image/jpeg"
    assert client.get(f"/api/v1/resources/{body['id']}").json["files"] == body["files"]


def test_the_same_file_twice_is_stored_once(api, sample_dir):
    app, client, world = api
    first = upload(client, world.host_token, [sample_dir / "光合作用.pdf"], title="第一次")
    second = upload(client, world.host_token, [sample_dir / "光合作用.pdf"], title="第二次")
    assert first.status_code == second.status_code == 201
    assert first.json["files"][0]["sha256"] == second.json["files"][0]["sha256"]
    staging = app.extensions["staging"]
    if staging is not None:  # S3: one staged copy shared by both, nothing in the bucket yet
        assert len(list(staging.iter_keys("originals/"))) == 1 and _objects(app, "originals/") == []
        run_jobs(app)
        assert list(staging.iter_keys("originals/")) == []
    assert len(_objects(app, "originals/")) == 1
    with app.app_context():
        keys = get_session().scalars(select(ResourceFile.storage_key)).all()
        assert set(get_session().scalars(select(ResourceFile.location))) == {"stored"}
    assert len(keys) == 2 and len(set(keys)) == 1
    third = upload(client, world.host_token, [sample_dir / "光合作用.pdf"], title="第三次")
    assert third.json["files"][0]["location"] == "stored"  # the bucket has it: nothing staged
    assert len(_objects(app, "originals/")) == 1 and (staging is None or list(staging.iter_keys()) == [])


def test_a_disguised_executable_is_refused_and_leaves_nothing_behind(api, sample_dir):
    app, client, world = api
    response = upload(client, world.host_token, [sample_dir / "光合作用.pdf", sample_dir / "作业.pdf"],
                      title="带病毒的作业")
    assert response.status_code == 415
    error = response.json["error"]
    assert error["code"] == "invalid_upload"
    assert "作业.pdf" in error["message"]
    assert error["details"][0]["file"] == "作业.pdf"
    assert _objects(app) == []
    with app.app_context():
        session = get_session()
        assert session.scalar(select(func.count()).select_from(Resource)) == 0
        assert session.scalar(select(func.count()).select_from(ChangeLog)) == 0
    assert app.extensions["search_index"].doc_count() == 0
    assert client.get("/api/v1/search", query_string={"q": "带病毒"}).json["total"] == 0
    spool = app.config["SPOOL_DIR"]
    import os

    assert os.listdir(spool) == []


def test_a_pdf_is_found_by_a_word_only_inside_it(api, sample_dir):
    app, client, world = api
    created = upload(client, world.host_token, [sample_dir / "光合作用.pdf"], title="生物实验记录",
                     subject="biology", stage="senior", abstract="").json
    # The title is searchable at once; the text inside once the worker has extracted it.
    assert client.get("/api/v1/search", query_string={"q": "生物实验记录"}).json["total"] == 1
    assert client.get("/api/v1/search", query_string={"q": "胡萝卜素"}).json["total"] == 0
    run_jobs(app)
    result = client.get("/api/v1/search", query_string={"q": "胡萝卜素"}).json
    assert result["total"] == 1
    hit = result["hits"][0]
    assert hit["id"] == created["id"] and hit["title"] == "生物实验记录"
    assert "<mark" in hit["highlight"]["body"] and "胡萝卜素" in hit["highlight"]["body"]
    assert result["facets"]["subject"] == {"biology": 1}


def test_a_ranged_download_returns_exactly_the_bytes_asked_for(app, sample_dir):
    client = app.test_client()
    world = build_world(app)
    video = sample_dir / "课堂实录.mp4"
    original = video.read_bytes()
    file_url = upload(client, world.host_token, [video], kind="lesson_video").json["files"][0]["download_url"]
    response = client.get(file_url, headers={"Range": "bytes=100-1123"})
    assert response.status_code == 206
    assert response.get_data() == original[100:1124]
    assert response.headers["Content-Range"] == f"bytes 100-1123/{len(original)}"
    assert response.headers["Accept-Ranges"] == "bytes"
    tail = client.get(file_url, headers={"Range": "bytes=-10"})
    assert tail.status_code == 206 and tail.get_data() == original[-10:]
    beyond = client.get(file_url, headers={"Range": f"bytes={len(original) + 5}-"})
    assert beyond.status_code == 416
    assert beyond.headers["Content-Range"] == f"bytes */{len(original)}"


def test_s3_downloads_redirect_to_a_presigned_url_that_honours_range(s3_app, sample_dir):
    import urllib.request

    client = s3_app.test_client()
    world = build_world(s3_app)
    video = sample_dir / "课堂实录.mp4"
    original = video.read_bytes()
    file_url = upload(client, world.host_token, [video], kind="lesson_video").json["files"][0]["download_url"]
    staged = client.get(file_url + "?inline=1", headers={"Range": "bytes=10-19"})
    assert staged.status_code == 206 and staged.get_data() == original[10:20]  # staged: the app streams it
    run_jobs(s3_app)  # moved into the bucket
    response = client.get(file_url + "?inline=1")
    assert response.status_code == 302
    location = response.headers["Location"]
    assert "X-Amz-Signature" in location and "X-Amz-Expires=300" in location
    request = urllib.request.Request(location, headers={"Range": "bytes=10-19"})
    with urllib.request.urlopen(request, timeout=10) as remote:  # noqa: S310 - loopback weed server
        assert remote.status == 206
        assert remote.read() == original[10:20]


def test_s3_downloads_can_be_streamed_by_the_app(tmp_path, migrated_sqlite, s3_env, sample_dir):
    from tests.support.app import make_app

    app = make_app(tmp_path / "i", migrated_sqlite, STORAGE_URL=s3_env, PRESIGNED_DOWNLOADS=False)
    client = app.test_client()
    world = build_world(app)
    video = sample_dir / "课堂实录.mp4"
    url = upload(client, world.host_token, [video], kind="lesson_video").json["files"][0]["download_url"]
    response = client.get(url, headers={"Range": "bytes=5-"})
    assert response.status_code == 206 and response.get_data() == video.read_bytes()[5:]
    app.extensions["db_engine"].dispose()


def test_video_gets_a_poster_and_duration(api, sample_dir):
    app, client, world = api
    body = upload(client, world.host_token, [sample_dir / "课堂实录.mp4"], kind="lesson_video").json
    assert body["files"][0]["state"] == "processing" and "poster_url" not in body["files"][0]
    run_jobs(app)  # on S3 the job fetches the original back from the bucket
    file = client.get(f"/api/v1/resources/{body['id']}").json["files"][0]
    assert file["state"] == "ready"
    assert file["content_type"] == "video/mp4"
    assert file["duration_seconds"] == pytest.approx(3.0, abs=0.2)
    poster = client.get(file["poster_url"])
    assert poster.status_code == 200 and poster.get_data()[:2] == b"\xff\xd8"


def test_a_broken_pdf_keeps_the_upload_and_records_why(app, sample_dir):
    client = app.test_client()
    world = build_world(app)
    response = upload(client, world.host_token, [sample_dir / "broken.pdf"], title="损坏的论文")
    assert response.status_code == 201
    assert response.json["files"][0]["state"] == "processing"
    run_jobs(app)
    file = client.get(f"/api/v1/resources/{response.json['id']}").json["files"][0]
    assert file["state"] == "failed" and file["derive_error"]
    assert client.get("/api/v1/search", query_string={"q": "损坏"}).json["total"] == 1


@pytest.mark.parametrize(
    ("fields", "bad_field"),
    [
        ({"title": ""}, "title"),
        ({"kind": "poem"}, "kind"),
        ({"subject": "alchemy"}, "subject"),
        ({"stage": "college"}, "stage"),
        ({"studio": "nope"}, "studio"),
        ({"year": "20x4"}, "year"),
        ({"kind": "award_case"}, "award_level"),
        ({"visibility": "secret"}, "visibility"),
    ],
)
def test_bad_metadata_is_a_structured_error(app, sample_dir, fields, bad_field):
    client = app.test_client()
    world = build_world(app)
    response = upload(client, world.host_token, [sample_dir / "光合作用.pdf"], **fields)
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_input"
    assert bad_field in response.json["error"]["fields"]
    assert _objects(app) == []


def test_no_file_is_refused(app):
    client = app.test_client()
    world = build_world(app)
    response = upload(client, world.host_token, [])
    assert response.status_code == 415 and response.json["error"]["fields"]["file"]


def test_permissions_on_upload(app, sample_dir):
    client = app.test_client()
    world = build_world(app)
    anonymous = client.post("/api/v1/resources", data={"title": "x"})
    assert anonymous.status_code == 403
    outsider = upload(client, world.teacher_token, [sample_dir / "光合作用.pdf"])
    assert outsider.status_code == 403 and outsider.json["error"]["code"] == "forbidden"
    bad_token = client.get("/api/v1/studios", headers=bearer("sl_nope"))
    assert bad_token.status_code == 401 and bad_token.json["error"]["code"] == "unauthenticated"
    assert _objects(app) == []


def test_visibility_in_search_and_pages(app, sample_dir):
    client = app.test_client()
    world = build_world(app)
    upload(client, world.host_token, [sample_dir / "光合作用.pdf"], title="公开的分数课例")
    internal = upload(client, world.host_token, [sample_dir / "教学设计.docx"], title="内部的分数课例",
                      visibility="studio").json
    anonymous = client.get("/api/v1/search", query_string={"q": "分数"}).json
    assert [h["title"] for h in anonymous["hits"]] == ["公开的分数课例"]
    outsider = client.get("/api/v1/search", query_string={"q": "分数"}, headers=bearer(world.teacher_token)).json
    assert outsider["total"] == 1
    member = client.get("/api/v1/search", query_string={"q": "分数"}, headers=bearer(world.host_token)).json
    assert member["total"] == 2
    assert client.get(f"/api/v1/resources/{internal['id']}").status_code == 404
    assert client.get(internal["files"][0]["download_url"]).status_code == 404
    assert client.get(f"/api/v1/resources/{internal['id']}", headers=bearer(world.host_token)).status_code == 200


def test_search_filters_facets_and_pages(app, sample_dir):
    client = app.test_client()
    world = build_world(app)
    for i in range(3):
        upload(client, world.host_token, [sample_dir / "光合作用.pdf"], title=f"分数课例{i}", year=str(2022 + i))
    upload(client, world.admin_token, [sample_dir / "教学设计.docx"], title="分数阅读", subject="chinese",
           stage="junior", studio="li-chinese")
    everything = client.get("/api/v1/search", query_string={"q": "分数"}).json
    assert everything["total"] == 4
    assert everything["facets"]["subject"] == {"math": 3, "chinese": 1}
    assert everything["facets"]["studio"] == {"wang-math": 3, "li-chinese": 1}
    math = client.get("/api/v1/search", query_string={"q": "分数", "subject": "math", "per_page": 2}).json
    assert math["total"] == 3 and len(math["hits"]) == 2 and math["per_page"] == 2
    # The subject facet still counts the other subject, so a teacher can switch.
    assert math["facets"]["subject"] == {"math": 3, "chinese": 1}
    assert math["facets"]["year"] == {"2022": 1, "2023": 1, "2024": 1}
    page2 = client.get("/api/v1/search", query_string={"q": "分数", "subject": "math", "per_page": 2, "page": 2}).json
    assert len(page2["hits"]) == 1
    assert {h["id"] for h in math["hits"]}.isdisjoint({h["id"] for h in page2["hits"]})
    only_2023 = client.get("/api/v1/search", query_string={"q": "分数", "year": "2023"}).json
    assert [h["title"] for h in only_2023["hits"]] == ["分数课例1"]


def test_reindex_after_deleting_the_index_gives_the_same_results(app, sample_dir):
    client = app.test_client()
    world = build_world(app)
    upload(client, world.host_token, [sample_dir / "光合作用.pdf"], title="光合作用")
    upload(client, world.host_token, [sample_dir / "群文阅读.pptx"], title="群文阅读课例", subject="chinese")
    upload(client, world.host_token, [sample_dir / "教学设计.docx"], title="分数的初步认识")
    run_jobs(app)
    queries = ["胡萝卜素", "家国情怀", "分数", "课例", ""]
    before = [client.get("/api/v1/search", query_string={"q": q}).json for q in queries]
    shutil.rmtree(app.config["INDEX_DIR"])
    result = app.test_cli_runner().invoke(args=["reindex", "--procs", "2"])
    assert result.exit_code == 0, result.output
    assert "2 processes" in result.output
    after = [client.get("/api/v1/search", query_string={"q": q}).json for q in queries]
    assert after == before
    assert before[0]["total"] == 1 and before[-1]["total"] == 3


def test_a_commit_that_was_not_indexed_is_applied_later(tmp_path, migrated_sqlite, sample_dir):
    """A crash between commit and indexing loses nothing: the change log still has it."""
    from tests.support.app import make_app

    app = make_app(tmp_path / "i", migrated_sqlite, INDEX_MODE="worker")
    client = app.test_client()
    world = build_world(app)
    upload(client, world.host_token, [sample_dir / "光合作用.pdf"], title="还没进索引")
    assert client.get("/api/v1/search", query_string={"q": "胡萝卜素"}).json["total"] == 0
    check = app.test_cli_runner().invoke(args=["index-check"])
    assert check.exit_code == 1 and "missing from index: [1]" in check.output
    result = app.test_cli_runner().invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert client.get("/api/v1/search", query_string={"q": "胡萝卜素"}).json["total"] == 1
    assert app.test_cli_runner().invoke(args=["index-check"]).exit_code == 0
    app.extensions["db_engine"].dispose()


def test_studios_and_subjects(app, sample_dir):
    client = app.test_client()
    world = build_world(app)
    upload(client, world.host_token, [sample_dir / "光合作用.pdf"])
    studios = client.get("/api/v1/studios").json["studios"]
    by_slug = {s["slug"]: s for s in studios}
    assert by_slug["wang-math"]["resource_count"] == 1 and by_slug["wang-math"]["hosts"] == ["王丽"]
    assert by_slug["li-chinese"]["resource_count"] == 0
    subjects = client.get("/api/v1/subjects").json
    assert len(subjects["subjects"]) == 19 and subjects["subjects"][1] == {"code": "math", "name": "数学", "name_en": "Mathematics"}
    assert [s["code"] for s in subjects["stages"]] == ["preschool", "primary", "junior", "senior"]


@pytest.mark.parametrize("q", ['"unclosed', "-", "AND OR NOT", "title:", "*", "分数" * 200, "\x00\x01", "((("])
def test_malformed_queries_never_fail(app, q):
    response = app.test_client().get("/api/v1/search", query_string={"q": q})
    assert response.status_code == 200
    assert response.json["total"] >= 0
    # A page that is no number is a 400 naming it (issue 14), whatever the words.
    refused = app.test_client().get("/api/v1/search", query_string={"q": q, "page": "x", "per_page": "-3"})
    assert refused.status_code == 400 and set(refused.json["error"]["fields"]) == {"page", "per_page"}


def test_unknown_resource_is_a_json_404(app):
    response = app.test_client().get("/api/v1/resources/999")
    assert response.status_code == 404 and response.json["error"]["code"] == "not_found"


def test_presigned_urls_can_name_the_public_s3_address(tmp_path, migrated_sqlite, s3_env, sample_dir, weed):
    """Browsers may reach S3 by another name than the app: URLs are signed for that name."""
    from tests.support.app import make_app

    public = weed.endpoint_url.replace("127.0.0.1", "localhost")
    app = make_app(tmp_path / "i", migrated_sqlite, STORAGE_URL=s3_env, S3_PUBLIC_URL=public)
    client = app.test_client()
    world = build_world(app)
    url = upload(client, world.host_token, [sample_dir / "光合作用.pdf"]).json["files"][0]["download_url"]
    run_jobs(app)  # moved from staging into the bucket
    location = client.get(url).headers["Location"]
    assert location.startswith(public + "/")
    import urllib.request

    with urllib.request.urlopen(location, timeout=10) as remote:  # noqa: S310 - loopback weed server
        assert remote.read() == (sample_dir / "光合作用.pdf").read_bytes()
    app.extensions["db_engine"].dispose()


def test_public_s3_address_needs_s3_storage(tmp_path):
    from library import ConfigError, create_app

    with pytest.raises(ConfigError, match="LIBRARY_S3_PUBLIC_URL"):
        create_app({"DATA_DIR": str(tmp_path), "S3_PUBLIC_URL": "http://s3.example"})
