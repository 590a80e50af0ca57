"""`flask storage-check`: rows without objects, objects without rows, and the grace for uploads in flight."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from library.db import get_session
from library.resources import integrity
from library.resources.models import ResourceFile
from tests.support.app import build_world, upload


def _stored(app) -> set[str]:
    storage = app.extensions["storage"]
    return {key for prefix in integrity.MANAGED_PREFIXES for key in storage.iter_keys(prefix)}


def test_orphans_are_found_and_only_old_ones_deleted(any_app, sample_dir):
    app, client = any_app, any_app.test_client()
    world = build_world(app)
    assert upload(client, world.host_token, [sample_dir / "课堂实录.mp4"]).status_code == 201
    storage = app.extensions["storage"]
    storage.put_bytes("originals/ff/" + "f" * 64, b"left over by a rolled-back upload")
    storage.put_bytes("exports/not-ours.txt", b"outside the managed prefixes")
    kept = _stored(app) - {"originals/ff/" + "f" * 64}

    with app.app_context():
        young = integrity.check_storage(delete_orphans=True)  # default grace: a day
        assert young.missing == [] and young.orphans == [] and young.deleted == []
        assert young.recent_orphans == ["originals/ff/" + "f" * 64]

        old = integrity.check_storage(grace=timedelta(0), delete_orphans=True)
        assert old.deleted == ["originals/ff/" + "f" * 64]
    assert _stored(app) == kept  # the video and its poster stay; nothing else was touched
    assert storage.exists("exports/not-ours.txt")


def test_a_row_whose_object_vanished_is_reported_and_fails_the_command(app, sample_dir):
    client = app.test_client()
    world = build_world(app)
    assert upload(client, world.host_token, [sample_dir / "教学设计.docx"]).status_code == 201
    with app.app_context():
        row = get_session().scalars(select(ResourceFile)).one()
    app.extensions["storage"].delete(row.storage_key)

    result = app.test_cli_runner().invoke(args=["storage-check"])
    assert result.exit_code == 1
    assert f"missing object: file {row.id} → {row.storage_key}" in result.output
    assert "missing: 1, orphans: 0, deleted: 0" in result.output


def _refuse_titled(app, title: str) -> None:
    """A real database failure after the files are stored: a trigger aborts the resource's INSERT."""
    with app.extensions["db_engine"].begin() as conn:
        conn.exec_driver_sql(
            f"CREATE TRIGGER refuse BEFORE INSERT ON resources WHEN NEW.title = '{title}' "
            "BEGIN SELECT RAISE(ABORT, 'refused by the test trigger'); END"
        )


def _post_expecting_failure(client, token, paths, **fields):
    try:
        response = upload(client, token, paths, **fields)
    except Exception as exc:  # noqa: BLE001 - TESTING propagates the database error to the test client
        assert "refused by the test trigger" in str(exc)
    else:
        assert response.status_code == 500


def test_a_failed_commit_removes_the_objects_it_stored(app, sample_dir):
    client = app.test_client()
    world = build_world(app)
    _refuse_titled(app, "会失败的上传")
    before = _stored(app)
    _post_expecting_failure(client, world.host_token, [sample_dir / "课堂实录.mp4"], title="会失败的上传")
    assert _stored(app) == before  # neither the original nor its poster is left behind

