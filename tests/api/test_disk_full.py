"""A full disk refuses an upload with 507 (`insufficient_storage`, in Chinese) and leaves nothing
behind — no spool file, no stored or staged file, no row — whether the disk fills while the body is
spooled, while the original is stored (local storage) or while it is staged (S3)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from library.db import get_session
from library.jobs.models import Job
from library.resources.models import Resource, ResourceFile, StorageClaim
from tests.support.app import bearer, build_world, csrf_token, login
from tests.support.disk import big_pdf, full_disk

MESSAGE = "服务器存储空间已满"


def _post_file(client, path: str, fields: dict, pdf: Path, headers: dict | None = None):
    """A multipart POST whose encoded body (werkzeug spools a large one to a temporary file) is
    closed afterwards: the request is refused before the app reads it all."""
    from werkzeug.datastructures import FileStorage
    from werkzeug.test import stream_encode_multipart

    with open(pdf, "rb") as fh:
        part = FileStorage(fh, filename=pdf.name, content_type="application/pdf")
        stream, length, boundary = stream_encode_multipart({**fields, "file": part})
    with stream:
        return client.post(path, input_stream=stream, content_length=length, headers=headers or {},
                           content_type=f"multipart/form-data; boundary={boundary}")


def _api_upload(client, token: str, pdf: Path):
    fields = {"title": "光合作用", "kind": "excellent_case", "subject": "math", "stage": "primary",
              "studio": "wang-math", "year": "2024", "publish": "true"}
    return _post_file(client, "/api/v1/resources", fields, pdf, bearer(token))


def _files_under(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()]


def _assert_nothing_left(app) -> None:
    assert _files_under(Path(app.config["SPOOL_DIR"])) == []
    with app.app_context():
        session = get_session()
        for model in (Resource, ResourceFile, Job, StorageClaim):
            assert session.scalar(select(func.count()).select_from(model)) == 0, model.__name__


def _assert_refused(response) -> None:
    assert response.status_code == 507, response.get_data(as_text=True)[:500]
    error = response.json["error"]
    assert error["code"] == "insufficient_storage" and MESSAGE in error["message"]


def test_a_full_spool_disk_refuses_an_api_upload_with_507(app, sample_dir, tmp_path):
    world = build_world(app)
    pdf = big_pdf(sample_dir / "光合作用.pdf", tmp_path / "大文件.pdf")
    with full_disk(Path(app.config["SPOOL_DIR"])):
        _assert_refused(_api_upload(app.test_client(), world.host_token, pdf))
        _assert_nothing_left(app)
    assert _files_under(Path(app.config["DATA_DIR"]) / "storage") == []


def test_a_full_spool_disk_is_explained_in_the_upload_form(app, sample_dir, tmp_path):
    build_world(app)
    client = app.test_client()
    login(client, "wangli")
    token = csrf_token(client, "/upload")
    pdf = big_pdf(sample_dir / "光合作用.pdf", tmp_path / "大文件.pdf")
    fields = {"csrf_token": token, "title": "光合作用", "kind": "excellent_case", "subject": "math",
              "stage": "primary", "studio": "wang-math", "intent": "publish"}
    with full_disk(Path(app.config["SPOOL_DIR"])):
        page = _post_file(client, "/upload", fields, pdf)
        assert page.status_code == 507 and page.mimetype == "text/html"
        html = page.get_data(as_text=True)
        assert MESSAGE in html and 'id="upload-submit"' in html  # the form again, with the reason
        # The page's script asks for JSON.
        _assert_refused(_post_file(client, "/upload", fields, pdf, {"Accept": "application/json"}))
        _assert_nothing_left(app)


def test_a_full_storage_disk_refuses_the_upload_and_keeps_nothing(app, sample_dir, tmp_path):
    world = build_world(app)
    storage_dir = Path(app.config["DATA_DIR"]) / "storage"
    pdf = big_pdf(sample_dir / "光合作用.pdf", tmp_path / "大文件.pdf")
    with full_disk(storage_dir):  # the spool is elsewhere: the original is copied in, and the copy fails
        _assert_refused(_api_upload(app.test_client(), world.host_token, pdf))
        _assert_nothing_left(app)
        assert _files_under(storage_dir) == []
    client = app.test_client()  # with room again, the same upload is taken
    assert _api_upload(client, world.host_token, pdf).status_code == 201


@pytest.mark.s3
def test_a_full_staging_disk_refuses_an_s3_upload_and_keeps_nothing(s3_app, sample_dir, tmp_path):
    world = build_world(s3_app)
    staging_dir = Path(s3_app.config["STAGING_DIR"])
    pdf = big_pdf(sample_dir / "光合作用.pdf", tmp_path / "大文件.pdf")
    with full_disk(staging_dir):
        _assert_refused(_api_upload(s3_app.test_client(), world.host_token, pdf))
        _assert_nothing_left(s3_app)
        assert _files_under(staging_dir) == []


def test_the_refusal_is_in_english_for_english_readers(app, sample_dir, tmp_path):
    world = build_world(app)
    pdf = big_pdf(sample_dir / "光合作用.pdf", tmp_path / "大文件.pdf")
    client = app.test_client()
    with full_disk(Path(app.config["SPOOL_DIR"])):
        response = _post_file(client, "/api/v1/resources?lang=en", {"title": "x", "kind": "excellent_case",
                              "subject": "math", "stage": "primary", "studio": "wang-math"}, pdf,
                              {**bearer(world.host_token), "Accept-Language": "en"})
    assert response.status_code == 507 and "storage is full" in response.json["error"]["message"]
