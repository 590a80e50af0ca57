"""A stalled object store (its process stopped with SIGSTOP: it accepts connections and never
answers) fails storage requests with 503 within seconds, and pages that need no storage stay up."""

from __future__ import annotations

import os
import signal
import time

from sqlalchemy import func, select

from library.db import get_session
from library.resources.models import Resource
from tests.support.app import bearer, build_world, upload


def _timed(call):
    start = time.monotonic()
    response = call()
    return response, time.monotonic() - start


def test_a_stopped_store_answers_503_quickly_and_pages_stay_up(stalling, sample_dir):
    app, server = stalling
    world = build_world(app)
    client = app.test_client()
    made = upload(client, world.host_token, [sample_dir / "校园植物.png"], title="分数的初步认识")
    assert made.status_code == 201, made.get_json()
    resource_id = made.get_json()["id"]

    pages = ("/", "/search?q=分数", f"/resources/{resource_id}", "/api/v1/search?q=分数")
    for path in pages:  # first requests compile templates and open the index: not what is timed here
        assert client.get(path).status_code == 200, path

    os.kill(server.process.pid, signal.SIGSTOP)
    for path in pages:
        response, seconds = _timed(lambda path=path: client.get(path))
        assert response.status_code == 200, path
        assert seconds <= 1.0, (path, seconds)

    response, seconds = _timed(lambda: upload(client, world.host_token, [sample_dir / "光合作用.pdf"],
                                              title="光合作用"))
    assert response.status_code == 503, response.get_data(as_text=True)
    assert seconds <= 5.0, seconds
    assert response.get_json()["error"]["code"] == "storage_unavailable"
    assert response.headers["Retry-After"]
    with app.app_context():
        assert get_session().scalar(select(func.count(Resource.id))) == 1  # nothing left behind

    response, seconds = _timed(lambda: client.get(
        "/search?q=分数", headers={"Accept": "text/html", **bearer(world.teacher_token)}))
    assert response.status_code == 200 and seconds <= 1.0
