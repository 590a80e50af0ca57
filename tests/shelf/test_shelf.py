"""A teacher's shelf (issue 19, part 8): favourites and recently viewed, in the API and pages,
always under the caller's visibility."""

from __future__ import annotations

import pytest

from tests.support.app import bearer, csrf_token, login, upload


@pytest.fixture
def pdf(sample_dir):
    return sample_dir / "光合作用.pdf"


def test_favourites_through_the_api(client, world, pdf):
    first = upload(client, world.host_token, [pdf], title="分数的意义").json["id"]
    second = upload(client, world.host_token, [pdf], title="小数的意义").json["id"]
    hidden = upload(client, world.host_token, [pdf], title="工作室内部资料", visibility="studio").json["id"]
    teacher = bearer(world.teacher_token)
    assert client.get("/api/v1/me/favourites", headers=teacher).json == {"items": []}
    for rid in (first, second, second):  # keeping one twice is no change
        response = client.post("/api/v1/me/favourites", json={"resource_id": rid}, headers=teacher)
        assert response.status_code == 201 and response.json == {"resource_id": rid, "favourite": True}
    items = client.get("/api/v1/me/favourites", headers=teacher).json["items"]
    assert [i["id"] for i in items] == [second, first]  # newest first
    assert items[0]["title"] == "小数的意义" and items[0]["url"].endswith(f"/resources/{second}")
    # What the teacher may not see cannot be kept, and says so as for any hidden resource.
    refused = client.post("/api/v1/me/favourites", json={"resource_id": hidden}, headers=teacher)
    assert refused.status_code == 404
    assert client.post("/api/v1/me/favourites", json={"resource_id": "abc"}, headers=teacher).status_code == 400
    assert client.delete(f"/api/v1/me/favourites/{first}", headers=teacher).json == {
        "resource_id": first, "favourite": False}
    assert client.delete(f"/api/v1/me/favourites/{first}", headers=teacher).status_code == 404
    assert [i["id"] for i in client.get("/api/v1/me/favourites", headers=teacher).json["items"]] == [second]
    # Each teacher has their own shelf; anonymous callers have none.
    assert client.get("/api/v1/me/favourites", headers=bearer(world.member_token)).json == {"items": []}
    assert client.get("/api/v1/me/favourites").status_code == 401


def test_a_favourite_that_is_hidden_later_is_not_listed(client, world, pdf):
    rid = upload(client, world.member_token, [pdf], title="待审成果", submit="true", publish="").json["id"]
    client.post(f"/api/v1/resources/{rid}/publish", headers=bearer(world.host_token))
    client.post("/api/v1/me/favourites", json={"resource_id": rid}, headers=bearer(world.teacher_token))
    client.post(f"/api/v1/resources/{rid}/withdraw", headers=bearer(world.host_token))
    listed = client.get("/api/v1/me/favourites", headers=bearer(world.teacher_token)).json["items"]
    assert listed == []


def test_recently_viewed_lists_the_pages_opened_last_first(client, world, pdf):
    ids = [upload(client, world.host_token, [pdf], title=f"课例{i}").json["id"] for i in range(3)]
    login(client, "zhangsan")
    for rid in (ids[0], ids[1], ids[0], ids[2]):
        assert client.get(f"/resources/{rid}").status_code == 200
    history = client.get("/api/v1/me/history", headers=bearer(world.teacher_token)).json["items"]
    assert [i["id"] for i in history] == [ids[2], ids[0], ids[1]]
    page = client.get("/me/history").get_data(as_text=True)
    assert page.index("课例2") < page.index("课例0") < page.index("课例1")
    assert client.get("/api/v1/me/history", headers=bearer(world.member_token)).json == {"items": []}


def test_the_resource_page_keeps_and_drops_a_favourite(client, world, pdf):
    rid = upload(client, world.host_token, [pdf], title="分数墙").json["id"]
    assert "☆ 收藏" not in client.get(f"/resources/{rid}").get_data(as_text=True)  # signed out: no button
    login(client, "zhangsan")
    page = client.get(f"/resources/{rid}").get_data(as_text=True)
    assert "☆ 收藏" in page
    token = csrf_token(client, f"/resources/{rid}")
    response = client.post("/me/favourites", data={"csrf_token": token, "resource_id": rid, "action": "add"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/resources/{rid}")
    page = client.get(f"/resources/{rid}").get_data(as_text=True)
    assert "★ 已收藏" in page and "已收藏" in page
    assert "分数墙" in client.get("/me/favourites").get_data(as_text=True)
    client.post("/me/favourites", data={"csrf_token": token, "resource_id": rid, "action": "remove"})
    assert "还没有收藏" in client.get("/me/favourites").get_data(as_text=True)
    assert client.post("/me/favourites", data={"csrf_token": token, "resource_id": "x"}).status_code == 400


def test_the_shelf_pages_want_a_signed_in_user(client, world):
    assert client.get("/me/favourites").status_code in (302, 401)
    assert client.get("/me/history").status_code in (302, 401)
