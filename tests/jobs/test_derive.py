"""Derivation out of the request: an upload answers `processing`, `flask worker --once` derives it;
failures end `failed` with a reason, shown on /admin/jobs and by `flask jobs list --failed`, and retry."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from library.db import get_session
from library.jobs.models import Job
from library.resources.models import ResourceFile
from tests.support.app import csrf_token, login, make_app, run_jobs, upload


def _file(client, resource_id):
    return client.get(f"/api/v1/resources/{resource_id}").json["files"][0]


def _jobs(app):
    with app.app_context():
        return list(get_session().scalars(select(Job).order_by(Job.id)))


def test_upload_answers_processing_and_the_worker_makes_it_ready(app, runner, world, sample_dir):
    client = app.test_client()
    response = upload(client, world.host_token, [sample_dir / "校园植物.png"], title="校园植物图鉴")
    assert response.status_code == 201
    file = response.json["files"][0]
    assert file["state"] == "processing" and "thumbnail_url" not in file and "derive_error" not in file
    [job] = _jobs(app)
    assert (job.kind, job.state, job.payload) == ("derive", "queued",
                                                 {"file_id": file["id"], "resource_id": response.json["id"]})
    page = client.get(f"/resources/{response.json['id']}").get_data(as_text=True)
    assert "正在处理…" in page

    result = runner.invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "jobs: 1 done" in result.output
    file = _file(client, response.json["id"])
    assert file["state"] == "ready" and "derive_error" not in file
    thumb = client.get(file["thumbnail_url"])
    assert thumb.status_code == 200 and thumb.content_type == "image/jpeg"
    page = client.get(f"/resources/{response.json['id']}").get_data(as_text=True)
    assert "正在处理…" not in page and f"/files/{file['id']}/thumbnail" in page
    assert _jobs(app)[0].state == "done"

    # The same content again: its twin's derived images are reused at once, no job.
    again = upload(client, world.host_token, [sample_dir / "校园植物.png"], title="再传一次").json["files"][0]
    assert again["state"] == "ready" and "thumbnail_url" in again
    assert len(_jobs(app)) == 1


def test_extracted_text_reaches_the_search_index_after_the_job(app, world, sample_dir):
    client = app.test_client()
    upload(client, world.host_token, [sample_dir / "教学设计.docx"], title="一份教学设计")
    assert client.get("/api/v1/search", query_string={"q": "蜂巢"}).json["total"] == 0
    assert run_jobs(app).done == 1
    assert client.get("/api/v1/search", query_string={"q": "蜂巢"}).json["total"] == 1


def test_a_failing_derivation_ends_failed_shows_why_and_can_be_retried(app, runner, world, sample_dir):
    client = app.test_client()
    created = upload(client, world.host_token, [sample_dir / "broken.pdf"], title="损坏的论文").json
    assert run_jobs(app).failed == 1
    file = _file(client, created["id"])
    assert file["state"] == "failed" and file["derive_error"]
    [job] = _jobs(app)
    assert job.state == "failed" and job.last_error == file["derive_error"] and job.attempts == 1

    listed = runner.invoke(args=["jobs", "list", "--failed"])
    assert listed.exit_code == 0 and f"{job.id:>6}  failed" in listed.output and file["derive_error"] in listed.output
    page = client.get(f"/resources/{created['id']}").get_data(as_text=True)
    assert f"derive-error\">{file['derive_error']}<" in page  # the reason, as the JSON gives it

    # Only admins see the page.
    teacher = app.test_client()
    login(teacher, "wangli")
    assert teacher.get("/admin/jobs").status_code == 403
    admin = app.test_client()
    login(admin, "admin")
    html = admin.get("/admin/jobs").get_data(as_text=True)
    assert file["derive_error"] in html and f'name="job_id" value="{job.id}"' in html and "重试" in html
    response = admin.post("/admin/jobs", data={"job_id": job.id, "csrf_token": csrf_token(admin, "/admin/jobs")})
    assert response.status_code == 302
    assert _jobs(app)[0].state == "queued" and _file(client, created["id"])["state"] == "processing"
    assert "没有失败的任务" in admin.get("/admin/jobs").get_data(as_text=True)
    assert run_jobs(app).failed == 1  # the same bytes fail the same way
    assert _file(client, created["id"])["state"] == "failed"


def test_a_lost_original_is_retried_then_failed_and_recovers_after_flask_jobs_retry(tmp_path, migrated_sqlite,
                                                                                    sample_dir):
    from tests.support.app import build_world

    app = make_app(tmp_path / "i", migrated_sqlite, JOBS_BACKOFF_SECONDS=0)
    world = build_world(app)
    client, runner = app.test_client(), app.test_cli_runner()
    created = upload(client, world.host_token, [sample_dir / "校园植物.png"], title="丢失的原件").json
    storage = app.extensions["storage"]
    with app.app_context():
        key = get_session().get(ResourceFile, created["files"][0]["id"]).storage_key
    storage.delete(key)  # the store lost it (or is unreachable): every attempt fails
    report = run_jobs(app)
    assert (report.retried, report.failed) == (4, 1)
    [job] = _jobs(app)
    assert job.state == "failed" and job.attempts == 5 and "ObjectNotFound" in job.last_error
    file = _file(client, created["id"])
    assert file["state"] == "failed" and "ObjectNotFound" in file["derive_error"]

    storage.put_file(sample_dir / "校园植物.png", key, "image/png")  # restored from the backup
    result = runner.invoke(args=["jobs", "retry", str(job.id)])
    assert result.exit_code == 0 and "queued again" in result.output
    assert runner.invoke(args=["jobs", "retry", "99999"]).exit_code == 1
    assert runner.invoke(args=["worker", "--once"]).exit_code == 0
    file = _file(client, created["id"])
    assert file["state"] == "ready" and "thumbnail_url" in file and "derive_error" not in file
    assert client.get(file["thumbnail_url"]).status_code == 200
    app.extensions["db_engine"].dispose()


def test_rebuild_derived_queues_jobs_or_derives_inline(app, runner, world, sample_dir):
    client = app.test_client()
    created = upload(client, world.host_token, [sample_dir / "校园植物.png"]).json
    run_jobs(app)
    result = runner.invoke(args=["rebuild-derived"])
    assert result.exit_code == 0 and "queued 1 derive jobs" in result.output
    assert [j.state for j in _jobs(app)] == ["done", "queued"]
    assert _file(client, created["id"])["state"] == "ready"  # keeps its images until the job replaces them
    assert run_jobs(app).done == 1
    result = runner.invoke(args=["rebuild-derived", "--inline"])
    assert result.exit_code == 0 and "derived 1 files, 0 failed" in result.output
    assert len(_jobs(app)) == 2


def _migrate(url, revision):
    from alembic import command

    from library.cli import alembic_config
    from library.db import make_engine

    engine = make_engine(url)
    cfg = alembic_config()
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        (command.downgrade if revision != "head" else command.upgrade)(cfg, revision)
    engine.dispose()


def _round_trip(app, sample_dir):
    """0006 down and up: files that existed before it are 'ready'."""
    from tests.support.app import build_world

    world = build_world(app)
    client = app.test_client()
    created = upload(client, world.host_token, [sample_dir / "校园植物.png"]).json
    assert created["files"][0]["state"] == "processing"
    url = app.config["DATABASE_URL"]
    app.extensions["db_engine"].dispose()
    _migrate(url, "0005")
    with app.extensions["db_engine"].connect() as conn:
        assert "jobs" not in {r[0] for r in conn.execute(text(
            "SELECT table_name FROM information_schema.tables" if conn.dialect.name == "postgresql"
            else "SELECT name FROM sqlite_master WHERE type = 'table'"))}
    _migrate(url, "head")
    assert _file(client, created["id"])["state"] == "ready"
    app.extensions["db_engine"].dispose()


def test_migration_0006_round_trip_on_sqlite(app, sample_dir):
    _round_trip(app, sample_dir)


@pytest.mark.postgres
def test_migration_0006_round_trip_on_postgres(tmp_path, pg_url, sample_dir):
    _round_trip(make_app(tmp_path / "i", DATABASE_URL=pg_url), sample_dir)


def test_jobs_list_shows_every_state(app, runner, world, sample_dir):
    upload(app.test_client(), world.host_token, [sample_dir / "校园植物.png"])
    result = runner.invoke(args=["jobs", "list"])
    assert result.exit_code == 0 and "queued" in result.output and "queued: 1, running: 0, done: 0, failed: 0" in result.output
