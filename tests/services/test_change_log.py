"""One unit of work: the session runs what services register after commit (or rollback), and the
search change log is written by a flush listener for every change that alters a search document,
including the ones no service used to log (a counted download, a renamed subject or studio)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from library.db import get_session, on_commit, on_rollback, unit_of_work
from library.resources.models import Resource
from library.search import indexing
from library.search.models import ChangeLog
from library.studios import service as studios
from library.studios.models import Studio
from tests.support.app import bearer, upload


def _log(app) -> list[tuple[int, str]]:
    with app.app_context():
        return [(row.entity_id, row.op) for row in get_session().scalars(select(ChangeLog).order_by(ChangeLog.seq))]


def _search(client, token: str, **args) -> list[int]:
    response = client.get("/api/v1/search", query_string=args, headers=bearer(token))
    assert response.status_code == 200, response.get_json()
    return [hit["id"] for hit in response.get_json()["hits"]]


@pytest.fixture
def two(app, client, world, sample_dir):
    """Two published resources of the world's studio."""
    ids = []
    for title in ("分数的初步认识", "分数的意义"):
        response = upload(client, world.host_token, [sample_dir / "校园植物.png"], title=title)
        assert response.status_code == 201, response.get_json()
        ids.append(response.get_json()["id"])
    return ids


# ------------------------------------------------------------------ the unit of work


def test_commit_runs_what_was_registered_once_and_rollback_discards_it(app):
    ran: list[str] = []
    with app.app_context():
        session = get_session()
        on_commit(session, "a", lambda: ran.append("a"))
        on_commit(session, "a", lambda: ran.append("a twice"))  # one per name
        on_rollback(session, "undo", lambda: ran.append("undo"))
        session.commit()
        assert ran == ["a"]
        on_commit(session, "b", lambda: ran.append("b"))
        on_rollback(session, "undo", lambda: ran.append("undo"))
        session.rollback()
        assert ran == ["a", "undo"]
        session.commit()  # nothing left registered
        assert ran == ["a", "undo"]


def test_a_failing_operation_is_logged_and_the_commit_stands(app, caplog):
    with app.app_context(), caplog.at_level(logging.ERROR, logger="library.db"):
        with unit_of_work() as session:
            studio = session.scalar(select(Studio).limit(1))
            if studio is None:
                studio = studios.create_studio("s1", "一号工作室", "math", "primary")
            on_commit(session, "boom", lambda: 1 / 0)
            studio.description = "改过了"
        assert "after commit: boom failed" in caplog.text
        assert get_session().get(Studio, studio.id).description == "改过了"


def test_the_block_rolls_back_on_an_error(app):
    undone: list[bool] = []
    with app.app_context():
        with pytest.raises(RuntimeError), unit_of_work() as session:
            on_rollback(session, "undo", lambda: undone.append(True))
            session.add(Studio(slug="s2", name="二号工作室", subject_code="math", stage_code="primary"))
            session.flush()
            raise RuntimeError("stop")
        assert undone == [True]
        assert studios.find_studio("s2") is None


def test_a_failed_upload_removes_what_it_stored(app, client, world, sample_dir):
    """The database refuses the row after the file was stored: the upload's rollback operation
    deletes the object (nothing left behind)."""
    with app.app_context():
        get_session().execute(text(
            "CREATE TRIGGER refuse BEFORE INSERT ON resources WHEN NEW.title = '拒收' "
            "BEGIN SELECT RAISE(ABORT, 'refused'); END"))
        get_session().commit()
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = upload(client, world.host_token, [sample_dir / "校园植物.png"], title="拒收")
    assert response.status_code == 500
    with app.app_context():
        assert get_session().scalar(select(func.count(Resource.id))) == 0
    stored = [p for p in (Path(app.config["DATA_DIR"]) / "storage").rglob("*") if p.is_file()]
    assert stored == []
    response = upload(client, world.host_token, [sample_dir / "校园植物.png"], title="收下")
    assert response.status_code == 201
    assert [p for p in (Path(app.config["DATA_DIR"]) / "storage").rglob("*") if p.is_file()]


# ------------------------------------------------------------------ the change log


def test_every_write_is_logged_once_by_the_session(app, client, world, two):
    first, second = two
    assert _log(app) == [(first, "upsert"), (second, "upsert")]  # one per upload, none by hand
    response = client.patch(f"/api/v1/resources/{first}", json={"abstract": "新的摘要"},
                            headers=bearer(world.host_token))
    assert response.status_code == 200, response.get_json()
    response = client.delete(f"/api/v1/resources/{second}", headers=bearer(world.host_token))
    assert response.status_code in (200, 204), response.get_data(as_text=True)
    assert _log(app)[2:] == [(first, "upsert"), (second, "delete")]
    assert _search(client, world.teacher_token, q="分数") == [first]


def test_a_counted_download_reaches_the_downloads_order(app, client, world, two):
    first, second = two
    with app.app_context():
        file_id = get_session().get(Resource, first).files[0].id
    before = len(_log(app))
    response = client.get(f"/files/{file_id}/download", headers=bearer(world.member_token))
    assert response.status_code in (200, 302)
    response.close()
    assert _log(app)[before:] == [(first, "upsert")]
    with app.app_context():
        assert get_session().get(Resource, first).download_count == 1
        indexing.sync()  # the worker's turn (a download does not wait for the index)
    assert _search(client, world.teacher_token, sort="downloads")[:2] == [first, second]


def test_renaming_a_subject_reindexes_its_resources(app, client, world, two):
    assert _search(client, world.teacher_token, q="算术课") == []
    with app.app_context():
        studios.save_subject("math", "算术课", "Arithmetic")
    assert set(_search(client, world.teacher_token, q="算术课")) == set(two)


def test_renaming_a_studio_reindexes_its_resources(app, client, world, two):
    with app.app_context():
        studio = studios.get_studio(world.studio_slug)
        studio.name = "星河数学名师工作室"
        get_session().commit()
    assert set(_search(client, world.teacher_token, q="星河")) == set(two)
