"""Stored objects are referenced in the database: nothing deletes an object a committed row or an
upload in flight uses (library/resources/claims.py), in either order, and under real concurrency."""

from __future__ import annotations

import hashlib
import random
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from library.db import get_session
from library.resources import claims
from library.resources.integrity import check_storage
from library.resources.models import Resource, StorageClaim
from library.resources.objects import content_keys
from storage import StorageError
from tests.support.app import bearer, make_app, upload


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _upload_one(client, token, path, title="分数的初步认识"):
    response = upload(client, token, [path], title=title)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def test_a_deleter_keeps_an_object_an_upload_has_claimed(app, client, world, sample_dir):
    png = sample_dir / "校园植物.png"
    first = _upload_one(client, world.host_token, png)
    key = content_keys(_sha(png))[0]
    with app.app_context():
        storage = app.extensions["storage"]
        token = claims.claim_for_use([key])  # a second upload of the same bytes, in flight
        response = client.delete(f"/api/v1/resources/{first}", headers=bearer(world.host_token))
        assert response.status_code in (200, 204)
        assert storage.exists(key)  # the claim kept it
        claims.release(token)  # that upload failed after all: now nothing uses the object
        assert claims.delete_unused(storage, [key]) == [key]
        assert not storage.exists(key)


def test_an_upload_waits_for_a_deletion_in_progress(app, sample_dir):
    with app.app_context():
        deleting = claims._add({"originals/aa/bb/x"}, "delete")
        def release_later() -> None:
            with app.app_context():
                claims.release(deleting)

        released = threading.Timer(0.3, release_later)
        released.start()
        token = claims.claim_for_use(["originals/aa/bb/x"])  # returns once the deletion is over
        released.join()
        assert get_session().scalar(select(func.count(StorageClaim.id)).where(
            StorageClaim.purpose == "delete")) == 0
        claims.release(token)


def test_a_deletion_that_never_ends_is_not_waited_for_forever(app, monkeypatch):
    monkeypatch.setattr(claims, "WAIT_SECONDS", 0.2)
    with app.app_context():
        claims._add({"originals/cc/dd/y"}, "delete")
        with pytest.raises(StorageError):
            claims.claim_for_use(["originals/cc/dd/y"])
        assert get_session().scalar(select(func.count(StorageClaim.id)).where(
            StorageClaim.purpose == "use")) == 0  # its own claim released


def test_claims_a_crash_left_behind_lapse(app):
    with app.app_context():
        claims._add({"originals/ee/ff/z"}, "use")
        get_session().execute(text("UPDATE storage_claims SET created_at = '2000-01-01 00:00:00'"))
        get_session().commit()
        assert claims.in_use(["originals/ee/ff/z"]) == set()
        assert claims.sweep_lapsed() == 1


def _slow_inserts(app, pg: bool) -> None:
    """The database takes 1.5 s to insert a resource titled 慢: the upload's window between storing
    its object and committing its row, held open so another request can act inside it."""
    engine = app.extensions["db_engine"]
    with engine.begin() as conn:
        if pg:
            conn.execute(text(
                "CREATE FUNCTION slow() RETURNS trigger AS $$ BEGIN "
                "IF NEW.title = '慢' THEN PERFORM pg_sleep(1.5); END IF; RETURN NEW; END $$ LANGUAGE plpgsql"))
            conn.execute(text("CREATE TRIGGER slow BEFORE INSERT ON resources FOR EACH ROW EXECUTE FUNCTION slow()"))
            conn.execute(text(
                "CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN "
                "IF NEW.title = '拒收' THEN PERFORM pg_sleep(1.5); RAISE EXCEPTION 'refused'; END IF; "
                "RETURN NEW; END $$ LANGUAGE plpgsql"))
            conn.execute(text("CREATE TRIGGER refuse BEFORE INSERT ON resources FOR EACH ROW EXECUTE FUNCTION refuse()"))
            return
    import time as _time

    from sqlalchemy import event

    @event.listens_for(engine, "connect")
    def _sleep_function(dbapi_conn, _record):
        dbapi_conn.create_function("sleep", 1, _time.sleep)

    engine.dispose()  # every connection from now on has sleep()
    with engine.begin() as conn:
        conn.execute(text("CREATE TRIGGER slow BEFORE INSERT ON resources WHEN NEW.title = '慢' "
                          "BEGIN SELECT sleep(1.5); END"))
        conn.execute(text("CREATE TRIGGER refuse BEFORE INSERT ON resources WHEN NEW.title = '拒收' "
                          "BEGIN SELECT sleep(1.5); SELECT RAISE(ABORT, 'refused'); END"))


@pytest.fixture(params=["sqlite+local", "postgresql+s3"])
def racing(request, tmp_path, migrated_sqlite):
    """An app whose database holds an upload's commit open (see _slow_inserts)."""
    pg = request.param.startswith("postgresql")
    if pg:
        app = make_app(tmp_path / "instance", DATABASE_URL=request.getfixturevalue("pg_url"),
                       STORAGE_URL=request.getfixturevalue("s3_env"))
        assert app.test_cli_runner().invoke(args=["init-db"]).exit_code == 0
    else:
        app = make_app(tmp_path / "instance", migrated_sqlite)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    _slow_inserts(app, pg)
    from tests.support.app import build_world

    yield app, build_world(app)
    app.extensions["db_engine"].dispose()


def _in_thread(call):
    box: dict = {}
    thread = threading.Thread(target=lambda: box.setdefault("response", call()))
    thread.start()
    return thread, box


def _downloads(app, client, token) -> list[int]:
    """Each file's download status (a local file is sent: 200; S3 redirects to the object: 302, so
    the object is looked for as well, in the staging area while the original is staged)."""
    storage, staging = app.extensions["storage"], app.extensions["staging"]
    with app.app_context():
        files = [(f.id, f.storage_key, f.location) for r in get_session().scalars(select(Resource)) for f in r.files]
    codes = []
    for file_id, key, location in files:
        response = client.get(f"/files/{file_id}/download?inline=1", headers=bearer(token))
        response.close()
        store = staging if location == "staged" else storage
        codes.append(200 if response.status_code in (200, 302) and store.exists(key) else 404)
    return codes


def test_deleting_the_only_holder_while_an_upload_of_its_bytes_commits(racing, sample_dir):
    """The reported loss: the new resource answered 201 and its download was 404."""
    app, world = racing
    client = app.test_client()
    png = sample_dir / "校园植物.png"
    first = _upload_one(client, world.host_token, png)
    thread, box = _in_thread(lambda: upload(app.test_client(), world.host_token, [png], title="慢"))
    threading.Event().wait(0.6)  # the upload has stored (reused) the object and is committing
    response = client.delete(f"/api/v1/resources/{first}", headers=bearer(world.host_token))
    assert response.status_code in (200, 204)
    thread.join()
    assert box["response"].status_code == 201, box["response"].get_json()
    assert _downloads(app, client, world.host_token) == [200]
    with app.app_context():
        assert check_storage().missing == []


def test_a_failing_upload_does_not_remove_what_a_committed_twin_uses(racing, sample_dir):
    """A concurrent upload of the same bytes that fails cleans up only what nothing else uses."""
    app, world = racing
    client = app.test_client()
    pdf = sample_dir / "光合作用.pdf"
    thread, box = _in_thread(lambda: upload(app.test_client(), world.host_token, [pdf], title="拒收"))
    threading.Event().wait(0.6)  # the failing upload has stored the object; its insert will fail
    second = _upload_one(client, world.host_token, pdf, title="慢")  # still committing when the first fails
    thread.join()
    assert box["response"].status_code == 500
    assert second
    assert _downloads(app, client, world.host_token) == [200]
    with app.app_context():
        assert check_storage().missing == []
        assert get_session().scalar(select(func.count(StorageClaim.id))) == 0  # all released
