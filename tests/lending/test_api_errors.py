"""Every refusal of the lending API is structured JSON with a stable code and a Chinese message."""

from __future__ import annotations

import pytest

from tests.support.app import bearer
from tests.support.lending import agreement_body, borrow


def error(response, status: int, code: str) -> dict:
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:300])
    assert response.content_type.startswith("application/json")
    body = response.json["error"]
    assert body["code"] == code and body["message"]
    return body


def test_anonymous_callers_are_told_to_authenticate(client, lend):
    for method, path in (("get", "/api/v1/agreements"), ("post", "/api/v1/agreements"), ("get", "/api/v1/loans"),
                         ("get", "/api/v1/loans/1"), ("post", "/api/v1/loans/1/approve"),
                         ("get", "/api/v1/loans/1/kit"), ("get", "/api/v1/notifications")):
        body = error(getattr(client, method)(path, json={}), 401, "unauthenticated")
        assert "Bearer" in body["message"]
    error(client.get("/api/v1/loans", headers={"Authorization": "Bearer nonsense"}), 401, "unauthenticated")


def test_missing_things_are_not_found(client, lend):
    for path in ("/api/v1/agreements/999", "/api/v1/loans/999"):
        assert error(client.get(path, headers=bearer(lend.school_token)), 404, "not_found")["message"]
    bodies = {"decline": {"reason": "不在范围内"}, "feedback": {"lessons": 1, "rating": 5}}
    for action in ("approve", "decline", "renew", "return", "feedback"):
        error(client.post(f"/api/v1/loans/999/{action}", json=bodies.get(action, {}),
                          headers=bearer(lend.world.host_token)), 404, "not_found")
    error(borrow(client, lend.school_token, 999), 404, "not_found")


@pytest.mark.parametrize("body,field", [
    ({"resource_id": "abc", "purpose": "x"}, "resource_id"),
    ({"resource_id": None, "purpose": "x"}, "resource_id"),
    ({"purpose": "x"}, "resource_id"),
])
def test_bad_loan_requests(client, lend, body, field):
    assert field in error(client.post("/api/v1/loans", json=body, headers=bearer(lend.school_token)),
                          400, "invalid_input")["fields"]


def test_bad_bodies_and_values(client, lend):
    error(client.post("/api/v1/agreements", data="[1, 2]", content_type="application/json",
                      headers=bearer(lend.world.host_token)), 400, "invalid_input")
    body = error(client.post("/api/v1/agreements", json=agreement_body(scope="everything"),
                             headers=bearer(lend.world.host_token)), 400, "invalid_input")
    assert "scope" in body["fields"]
    body = error(client.post("/api/v1/agreements", json=agreement_body(scope="filter"),
                             headers=bearer(lend.world.host_token)), 400, "invalid_input")
    assert body["fields"]["scope"] == "按类型/学科的范围请至少选择一个类型或学科"
    loan = borrow(client, lend.school_token, lend.lendable).json
    body = error(client.post(f"/api/v1/loans/{loan['id']}/feedback", json={"lessons": 2, "rating": 5},
                             headers=bearer(lend.school_token)), 409, "conflict")
    assert body["message"] == "借阅获批后才能填写使用反馈"
    client.post(f"/api/v1/loans/{loan['id']}/approve", headers=bearer(lend.world.host_token))
    body = error(client.post(f"/api/v1/loans/{loan['id']}/feedback", json={"lessons": -1, "rating": 7},
                             headers=bearer(lend.school_token)), 400, "invalid_input")
    assert set(body["fields"]) == {"lessons", "rating"}
    error(client.post(f"/api/v1/loans/{loan['id']}/decline", json={"reason": "晚了"},
                      headers=bearer(lend.world.host_token)), 409, "conflict")
    error(client.post(f"/api/v1/loans/{loan['id']}/approve", headers=bearer(lend.world.teacher_token)),
          404, "not_found")
    error(client.post(f"/api/v1/loans/{loan['id']}/renew", headers=bearer(lend.world.host_token)), 403, "forbidden")
