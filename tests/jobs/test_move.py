"""Object storage off the request path: with S3 an upload is staged on the app's disk, served from
there, and moved into the bucket by a `move` job that verifies it (size and ChecksumSHA256) before
the row says `stored` and the staged copy goes; an interrupted move is retried and completes."""

from __future__ import annotations

import gc
import os
import random
import signal
import warnings
from datetime import timedelta

import pytest
from sqlalchemy import select

from library.accounts import service as accounts
from library.db import get_session, utcnow
from library.jobs import service as jobs
from library.jobs.models import Job
from library.resources import review
from library.resources.models import ResourceFile
from tests.support.app import build_world, run_jobs, upload


def _row(app, file_id) -> ResourceFile:
    with app.app_context():
        row = get_session().get(ResourceFile, file_id)
        get_session().expunge(row)
        return row


def _jobs(app) -> list[tuple[str, str]]:
    with app.app_context():
        return [(j.kind, j.state) for j in get_session().scalars(select(Job).order_by(Job.id))]


def _later(app, days: float):
    """Run the due jobs as if `days` had passed (past every backoff)."""
    with app.app_context():
        return jobs.run_pending(now=utcnow() + timedelta(days=days))


def test_an_s3_upload_is_staged_served_from_disk_then_moved_and_verified(s3_app, sample_dir):
    app, client = s3_app, s3_app.test_client()
    world = build_world(app)
    storage, staging = app.extensions["storage"], app.extensions["staging"]
    video = sample_dir / "课堂实录.mp4"
    original = video.read_bytes()

    response = upload(client, world.host_token, [video], kind="lesson_video", title="课堂实录")
    assert response.status_code == 201, response.json
    file = response.json["files"][0]
    key = _row(app, file["id"]).storage_key
    assert file["location"] == "staged" and file["state"] == "processing"
    assert list(storage.iter_keys("originals/")) == []  # nothing in the bucket yet
    assert staging.local_path(key).read_bytes() == original
    assert _jobs(app) == [("derive", "queued"), ("move", "queued")]

    # Served from the staging area: streamed by the app (no presigned redirect), ranges too.
    full = client.get(file["download_url"])
    assert full.status_code == 200 and full.get_data() == original
    part = client.get(file["download_url"] + "?inline=1", headers={"Range": "bytes=100-1123"})
    assert part.status_code == 206 and part.get_data() == original[100:1124]
    assert part.headers["Content-Range"] == f"bytes 100-1123/{len(original)}"

    assert run_jobs(app).done == 2
    row = _row(app, file["id"])
    assert row.location == "stored" and row.state == "ready" and row.poster_key  # derived from the staged file
    assert not staging.exists(key)
    size, checksum = storage.checksum(key)
    assert size == len(original) and checksum == storage.expected_checksum(video)[1]
    moved = client.get(file["download_url"])
    assert moved.status_code == 302 and "X-Amz-Signature" in moved.headers["Location"]
    assert client.get(f"/files/{file['id']}/poster").status_code == 200


def test_a_multipart_original_is_verified_by_its_composite_checksum(s3_app, sample_dir, tmp_path):
    app, client = s3_app, s3_app.test_client()
    world = build_world(app)
    storage = app.extensions["storage"]
    big = tmp_path / "长视频.mp4"  # past the 16 MiB multipart threshold: three 8 MiB parts
    big.write_bytes((sample_dir / "课堂实录.mp4").read_bytes() + random.Random(13).randbytes(17 << 20))
    with warnings.catch_warnings():
        # Werkzeug's test client spools a request body past 500 KB into a temp file it never closes.
        warnings.simplefilter("ignore", ResourceWarning)
        file = upload(client, world.host_token, [big], kind="lesson_video").json["files"][0]
        gc.collect()
    assert run_jobs(app).done == 2
    key = _row(app, file["id"]).storage_key
    size, checksum = storage.checksum(key)
    expected = storage.expected_checksum(big)
    assert size == big.stat().st_size and checksum == expected[1] and checksum.endswith("-3")
    assert expected[0] == file["sha256"]


def test_a_move_finding_its_object_already_uploaded_does_not_upload_again(s3_app, sample_dir):
    """A worker killed after the upload, before its commit: the retry finds the object, verifies it."""
    app, client = s3_app, s3_app.test_client()
    world = build_world(app)
    storage, staging = app.extensions["storage"], app.extensions["staging"]
    pdf = sample_dir / "光合作用.pdf"
    file = upload(client, world.host_token, [pdf]).json["files"][0]
    key = _row(app, file["id"]).storage_key
    assert storage.put_file(staging.local_path(key), key, "application/pdf")  # what the killed move did
    before = storage.modified(key)
    assert run_jobs(app).done == 2
    assert storage.modified(key) == before  # put_file skipped the object of the right size
    assert _row(app, file["id"]).location == "stored" and not staging.exists(key)


def test_a_wrong_object_in_the_bucket_is_replaced_after_the_checksum_check(s3_app, sample_dir, tmp_path):
    app, client = s3_app, s3_app.test_client()
    world = build_world(app)
    storage, staging = app.extensions["storage"], app.extensions["staging"]
    pdf = sample_dir / "光合作用.pdf"
    file = upload(client, world.host_token, [pdf]).json["files"][0]
    key = _row(app, file["id"]).storage_key
    impostor = tmp_path / "same-size"
    impostor.write_bytes(b"\0" * pdf.stat().st_size)
    storage.put_file(impostor, key)  # same size, other bytes: only the checksum can tell

    report = run_jobs(app)
    assert (report.done, report.retried) == (1, 1)  # derive done; the move found the wrong object
    assert _row(app, file["id"]).location == "staged" and staging.exists(key)
    assert _later(app, 1).done == 1
    assert _row(app, file["id"]).location == "stored" and not staging.exists(key)
    with storage.open(key) as fh:
        assert fh.read() == pdf.read_bytes()


def test_deleting_a_resource_while_staged_removes_the_staged_copy(s3_app, sample_dir):
    app, client = s3_app, s3_app.test_client()
    world = build_world(app)
    storage, staging = app.extensions["storage"], app.extensions["staging"]
    created = upload(client, world.host_token, [sample_dir / "教学设计.docx"]).json
    key = _row(app, created["files"][0]["id"]).storage_key
    assert staging.exists(key)
    with app.app_context():
        review.delete_resource(accounts.get_user("admin"), created["id"])
    assert not staging.exists(key)
    report = run_jobs(app)  # both jobs find nothing left to do
    assert report.failed == 0 and report.done == 2
    assert list(storage.iter_keys("originals/")) == [] and list(staging.iter_keys()) == []


def test_a_second_upload_of_staged_content_shares_the_staged_copy(s3_app, sample_dir):
    app, client = s3_app, s3_app.test_client()
    world = build_world(app)
    storage, staging = app.extensions["storage"], app.extensions["staging"]
    png = sample_dir / "校园植物.png"
    first = upload(client, world.host_token, [png], title="第一次").json
    second = upload(client, world.host_token, [png], title="第二次").json
    assert first["files"][0]["location"] == second["files"][0]["location"] == "staged"
    # The first resource goes while the second still needs the staged copy: it stays.
    with app.app_context():
        review.delete_resource(accounts.get_user("admin"), first["id"])
    key = _row(app, second["files"][0]["id"]).storage_key
    assert staging.exists(key)
    run_jobs(app)
    assert _row(app, second["files"][0]["id"]).location == "stored"
    assert list(storage.iter_keys("originals/")) == [key] and not staging.exists(key)




def test_a_move_while_the_store_is_stopped_is_retried_and_the_file_stays_downloadable(stalling, sample_dir):
    app, server = stalling
    client = app.test_client()
    world = build_world(app)
    storage, staging = app.extensions["storage"], app.extensions["staging"]
    pdf = sample_dir / "光合作用.pdf"
    file = upload(client, world.host_token, [pdf]).json["files"][0]
    key = _row(app, file["id"]).storage_key

    os.kill(server.process.pid, signal.SIGSTOP)
    try:
        report = run_jobs(app)
        assert report.retried == 2 and report.done == 0  # derive (its thumbnail) and move both wait
        assert _row(app, file["id"]).location == "staged" and staging.exists(key)
        download = client.get(file["download_url"])  # from the staging area: no S3 needed
        assert download.status_code == 200 and download.get_data() == pdf.read_bytes()
    finally:
        os.kill(server.process.pid, signal.SIGCONT)
    assert _later(app, 1).done == 2
    assert _row(app, file["id"]).location == "stored" and not staging.exists(key)
    assert storage.checksum(key)[1] == storage.expected_checksum(pdf)[1]


def test_storage_check_reports_an_original_whose_move_failed(s3_app, sample_dir):
    app, client = s3_app, s3_app.test_client()
    world = build_world(app)
    runner = app.test_cli_runner()
    staging = app.extensions["staging"]
    file = upload(client, world.host_token, [sample_dir / "教学设计.docx"]).json["files"][0]
    key = _row(app, file["id"]).storage_key

    fresh = runner.invoke(args=["storage-check"])
    assert fresh.exit_code == 0 and "staged for over" not in fresh.output, fresh.output
    pending = runner.invoke(args=["storage-check", "--grace-hours", "0"])
    assert pending.exit_code == 0
    assert f"staged for over 0 h: file {file['id']} → {key} (its move job has not run yet)" in pending.output

    staging.delete(key)  # the staged copy lost before its move: every attempt fails
    for day in range(1, 10):
        _later(app, day)
    assert ("move", "failed") in _jobs(app)
    failed = runner.invoke(args=["storage-check", "--grace-hours", "0"])
    assert failed.exit_code == 1
    assert f"missing object: file {file['id']} → staging:{key}" in failed.output
    assert f"staged for over 0 h: file {file['id']} → {key} (move job" in failed.output
    assert "is missing and not in the bucket" in failed.output


def test_local_storage_has_no_staging_and_no_move_job(app, sample_dir):
    client = app.test_client()
    world = build_world(app)
    assert app.extensions["staging"] is None
    file = upload(client, world.host_token, [sample_dir / "教学设计.docx"]).json["files"][0]
    assert file["location"] == "stored"
    assert _jobs(app) == [("derive", "queued")]
    assert app.extensions["storage"].exists(_row(app, file["id"]).storage_key)
