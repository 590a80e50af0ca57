"""The lending flow on a real PostgreSQL."""

from __future__ import annotations

import pytest

from tests.support.app import bearer, make_app
from tests.support.lending import active_agreement, borrow, build_lending, check_kit

pytestmark = pytest.mark.postgres


def test_lending_on_postgresql(tmp_path, pg_url, sample_dir):
    app = make_app(tmp_path / "i", DATABASE_URL=pg_url)
    assert app.extensions["db_engine"].dialect.name == "postgresql"
    client = app.test_client()
    lend = build_lending(app, client, sample_dir)
    agreement = active_agreement(client, lend, scope="list", resource_ids=[lend.lendable])
    granted = borrow(client, lend.school_token, lend.lendable).json
    assert granted["status"] == "active" and granted["agreement_id"] == agreement["id"]
    requested = borrow(client, lend.school_token, lend.lendable_video).json
    assert requested["status"] == "requested"
    approved = client.post(f"/api/v1/loans/{requested['id']}/approve", headers=bearer(lend.world.host_token)).json
    assert approved["status"] == "active"
    feedback = client.post(f"/api/v1/loans/{granted['id']}/feedback", json={"lessons": 3, "rating": 5},
                           headers=bearer(lend.school_token))
    assert feedback.status_code == 201
    progress = client.get(f"/api/v1/agreements/{agreement['id']}", headers=bearer(lend.coordinator_token)).json["progress"]
    assert (progress["loans"], progress["uses"], progress["lessons"]) == (2, 1, 3)
    check_kit(client.get("/api/v1/loans/kit", headers=bearer(lend.school_token)).get_data())
    client.post(f"/api/v1/loans/{granted['id']}/return", headers=bearer(lend.school_token))
    assert client.get(granted["files"][0]["download_url"]).status_code == 403
    assert app.test_cli_runner().invoke(args=["loans", "sweep"]).exit_code == 0
    app.extensions["db_engine"].dispose()
