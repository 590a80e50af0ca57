"""The production path: migrations and the whole upload/search path on a real PostgreSQL."""

import pytest
from sqlalchemy import inspect

from tests.support.app import build_world, make_app, run_jobs, upload

pytestmark = pytest.mark.postgres


def test_migrations_and_upload_on_postgresql(tmp_path, pg_url, sample_dir):
    app = make_app(tmp_path / "i", DATABASE_URL=pg_url)
    engine = app.extensions["db_engine"]
    assert engine.dialect.name == "postgresql"
    tables = set(inspect(engine).get_table_names())
    assert {"resources", "resource_files", "change_log", "studios", "memberships", "users", "api_tokens",
            "subjects", "stages", "alembic_version"} <= tables
    client = app.test_client()
    world = build_world(app)
    body = upload(client, world.host_token, [sample_dir / "光合作用.pdf", sample_dir / "光合作用.pdf"],
                  title="光合作用", authors="陈静、王丽").json
    assert body["authors"] == ["陈静", "王丽"] and len(body["files"]) == 2
    assert [f["state"] for f in body["files"]] == ["processing", "processing"]
    # One derive job for the one content (claimed with FOR UPDATE SKIP LOCKED); it fills in its twin.
    assert run_jobs(app).done == 1
    file_ids = [f["id"] for f in body["files"]]
    states = [client.get(f"/api/v1/resources/{body['id']}", headers={"Authorization": f"Bearer {world.host_token}"})
              .json["files"][i]["state"] for i in range(len(file_ids))]
    assert states == ["ready", "ready"]
    assert client.get("/api/v1/search", query_string={"q": "胡萝卜素"}).json["total"] == 1
    for procs in ("1", "2"):  # one process, and forked writers beside an open PostgreSQL cursor
        assert app.test_cli_runner().invoke(args=["reindex", "--procs", procs]).exit_code == 0
        assert client.get("/api/v1/search", query_string={"q": "胡萝卜素"}).json["total"] == 1
    # Running the migrations again is a no-op.
    assert app.test_cli_runner().invoke(args=["init-db"]).exit_code == 0
    engine.dispose()
