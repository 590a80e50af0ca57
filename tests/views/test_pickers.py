"""Searchable pickers instead of typed ids and usernames (issue 19, part 5): the look-ups, the forms
that take titles and names (checked by the server too), and a host never removing herself."""

from __future__ import annotations

from sqlalchemy import select

from library.db import get_session
from library.lending.models import Agreement
from library.stats.models import Activity
from library.studios.models import Membership
from tests.support.app import bearer, csrf_token, login
from tests.support.lending import build_lending


def _form(token, **fields):
    return {"csrf_token": token, "studio": "wang-math", "school": "希望小学", "subjects": ["math"],
            "scope": "list", "starts_on": "2026-03-01", "ends_on": "2026-12-31", "frequency_count": "2",
            "frequency_period": "month", "outcomes": "每月两次借阅备课", **fields}


def test_the_resource_lookup_finds_what_the_caller_sees_by_title(app, client, sample_dir):
    lend = build_lending(app, client, sample_dir)
    assert client.get("/api/v1/lookup/resources?q=分数").status_code == 401
    found = client.get("/api/v1/lookup/resources?q=分数&studio=wang-math&lendable=1",
                       headers=bearer(lend.world.host_token)).json["items"]
    assert {i["id"] for i in found} == {lend.lendable, lend.lendable_video}
    assert all(i["value"].startswith("分数") and "·" in i["label"] for i in found)
    # The page's own script calls it with the sign-in session; studio-only outputs stay hidden from others.
    login(client, "zhangsan")
    assert client.get("/api/v1/lookup/resources?q=工作室内部").json["items"] == []
    assert client.get("/api/v1/lookup/resources?q=%25").json["items"] == []  # LIKE wildcards are literal
    assert client.get("/api/v1/lookup/resources?q=" + "长" * 101).status_code == 400


def test_the_people_lookup_is_for_those_who_add_members(app, client, world):
    assert client.get("/api/v1/lookup/users?q=张", headers=bearer(world.member_token)).status_code == 403
    login(client, "wangli")  # a host
    items = client.get("/api/v1/lookup/users?q=张").json["items"]
    assert items == [{"id": items[0]["id"], "value": "zhangsan", "label": "张三（zhangsan）"}]


def test_an_agreement_names_its_outputs_by_title(app, client, sample_dir):
    lend = build_lending(app, client, sample_dir)
    login(client, "wangli")
    page = client.get("/agreements/new").get_data(as_text=True)
    assert "指定成果的编号" not in page and 'list="f-resource-titles-options"' in page and "js/picker.js" in page
    token = csrf_token(client, "/agreements/new")
    wrong = client.post("/agreements/new", data=_form(token, resource_titles="不存在的课"))
    assert wrong.status_code == 400 and "没有找到标题为“不存在的课”的成果" in wrong.get_data(as_text=True)
    not_lendable = client.post("/agreements/new", data=_form(token, resource_titles="内部教研记录"))
    assert not_lendable.status_code == 400
    # A title typed in full (no script), and one chosen in the picker (its hidden id), together.
    made = client.post("/agreements/new", data=_form(token, resource_titles="分数的意义教学设计",
                                                     resource_ids=str(lend.lendable_video)))
    assert made.status_code == 302, made.get_data(as_text=True)
    with app.app_context():
        row = get_session().scalar(select(Agreement))
        assert sorted(row.scope_resource_ids) == sorted([lend.lendable, lend.lendable_video])
    # Shown again after a refusal, a chosen output is listed by its title.
    again = client.post("/agreements/new", data=_form(token, resource_ids=str(lend.lendable), outcomes=""))
    assert again.status_code == 400 and "分数的意义教学设计" in again.get_data(as_text=True).split("picked")[1]


def test_an_activity_names_its_outputs_by_title(app, client, sample_dir):
    lend = build_lending(app, client, sample_dir)
    login(client, "wangli")
    token = csrf_token(client, "/studios/wang-math/activities")
    body = {"csrf_token": token, "title": "送教下乡", "kind": "outreach", "held_on": "2026-03-01", "participants": "20"}
    refused = client.post("/studios/wang-math/activities", data={**body, "resource_titles": "群文阅读课例"},
                          follow_redirects=True)
    assert "没有找到标题为“群文阅读课例”的成果" in refused.get_data(as_text=True)  # another studio's
    client.post("/studios/wang-math/activities", data={**body, "resource_titles": "分数的意义教学设计"})
    with app.app_context():
        activity = get_session().scalar(select(Activity))
        assert [r.id for r in activity.resources] == [lend.lendable]


def test_members_are_added_by_name_and_the_host_cannot_remove_herself(app, client, world):
    login(client, "wangli")
    page = client.get("/admin/studios/wang-math").get_data(as_text=True)
    assert 'data-lookup="/api/v1/lookup/users"' in page
    rows = {row.split("<td>")[1].split("</td>")[0]: row for row in page.split("<tr>")[2:]}
    assert "移除" not in rows["王丽"] and "移除" in rows["陈静"]
    token = csrf_token(client, "/admin/studios/wang-math")
    client.post("/admin/studios/wang-math", data={"csrf_token": token, "action": "add", "username": "张三",
                                                  "role": "trainee"})
    unknown = client.post("/admin/studios/wang-math", follow_redirects=True,
                          data={"csrf_token": token, "action": "add", "username": "李四", "role": "member"})
    assert "没有找到姓名或用户名为“李四”的教师" in unknown.get_data(as_text=True)
    with app.app_context():
        session = get_session()
        roles = {m.user.username: m.role for m in session.scalars(select(Membership))}
        assert roles["zhangsan"] == "trainee"
        host_id = next(m.user_id for m in session.scalars(select(Membership)) if m.user.username == "wangli")
    refused = client.post("/admin/studios/wang-math", follow_redirects=True,
                          data={"csrf_token": token, "action": "remove", "user_id": host_id})
    assert "不能把自己移出工作室" in refused.get_data(as_text=True)
    with app.app_context():
        assert any(m.user.username == "wangli" for m in get_session().scalars(select(Membership)))
