"""The review workflow: each transition, who may take it, and its audit trail."""

from sqlalchemy import select

from library.audit.models import AuditEntry
from library.db import get_session
from library.resources.models import ResourceEvent
from tests.support.app import bearer, build_world, run_jobs, upload


def _audit(app, action):
    with app.app_context():
        return get_session().scalars(select(AuditEntry).where(AuditEntry.action == action)).all()


def test_member_draft_submit_return_resubmit_publish_withdraw(app, sample_dir):
    client = app.test_client()
    world = build_world(app)
    created = upload(client, world.member_token, [sample_dir / "光合作用.pdf"], title="待审的课例", publish="").json
    rid = created["id"]
    assert created["status"] == "draft"
    search = lambda: client.get("/api/v1/search", query_string={"q": "待审"}).json["total"]  # noqa: E731
    assert search() == 0

    def act(token, action, **body):
        return client.post(f"/api/v1/resources/{rid}/{action}", headers=bearer(token), json=body)

    assert act(world.member_token, "publish").status_code == 403  # members cannot publish
    assert act(world.member_token, "submit").json["status"] == "submitted"
    assert act(world.member_token, "submit").status_code == 409  # already submitted
    refused = act(world.host_token, "return")
    assert refused.status_code == 400 and refused.json["error"]["fields"]["comment"]  # a reason is required
    assert act(world.host_token, "return", comment="请补充教学反思").json["status"] == "returned"
    assert client.patch(f"/api/v1/resources/{rid}", headers=bearer(world.member_token),
                        json={"abstract": "补充了教学反思"}).status_code == 200
    assert act(world.member_token, "submit").json["status"] == "submitted"
    assert client.patch(f"/api/v1/resources/{rid}", headers=bearer(world.member_token),
                        json={"title": "提交后不能改"}).status_code == 403
    assert act(world.teacher_token, "publish").status_code == 404  # not even visible to outsiders
    assert act(world.host_token, "publish").json["status"] == "published"
    assert search() == 1
    assert act(world.member_token, "withdraw").json["status"] == "withdrawn"
    assert search() == 0

    history = client.get(f"/api/v1/resources/{rid}/history", headers=bearer(world.host_token)).json["events"]
    assert [(e["action"], e["to"], e["by"]) for e in history] == [
        ("create", "draft", "chenjing"), ("submit", "submitted", "chenjing"), ("return", "returned", "wangli"),
        ("submit", "submitted", "chenjing"), ("publish", "published", "wangli"), ("withdraw", "withdrawn", "chenjing"),
    ]
    assert history[2]["comment"] == "请补充教学反思"
    for action in ("submit", "return", "publish", "withdraw"):
        entries = _audit(app, f"resource.{action}")
        assert entries and all(e.target_id == str(rid) for e in entries)
    assert _audit(app, "permission.denied")  # the member's attempt to publish


def test_review_queue_lists_submitted_for_reviewers_only(app, sample_dir):
    client = app.test_client()
    world = build_world(app)
    upload(client, world.member_token, [sample_dir / "光合作用.pdf"], title="排队的课例", publish="", submit="true")
    queue = client.get("/api/v1/review-queue", headers=bearer(world.host_token)).json["items"]
    assert [r["title"] for r in queue] == ["排队的课例"]
    assert client.get("/api/v1/review-queue", headers=bearer(world.teacher_token)).json["items"] == []
    assert client.get("/api/v1/review-queue", headers=bearer(world.admin_token)).json["items"][0]["status"] == "submitted"


def test_only_reviewers_may_publish_on_upload(app, sample_dir):
    client = app.test_client()
    world = build_world(app)
    response = upload(client, world.member_token, [sample_dir / "光合作用.pdf"], publish="true")
    assert response.status_code == 403
    assert upload(client, world.host_token, [sample_dir / "光合作用.pdf"]).json["status"] == "published"
    with app.app_context():
        events = get_session().scalars(select(ResourceEvent)).all()
    assert [(e.action, e.to_status) for e in events] == [("create", "published")]


def test_delete_removes_rows_index_and_unshared_objects(app, sample_dir):
    client = app.test_client()
    world = build_world(app)
    first = upload(client, world.host_token, [sample_dir / "光合作用.pdf", sample_dir / "校园植物.png"]).json
    second = upload(client, world.host_token, [sample_dir / "光合作用.pdf"], title="共用文件").json
    run_jobs(app)
    storage = app.extensions["storage"]
    before = set(storage.iter_keys())
    assert client.delete(f"/api/v1/resources/{first['id']}", headers=bearer(world.teacher_token)).status_code == 403
    assert client.delete(f"/api/v1/resources/{first['id']}", headers=bearer(world.host_token)).status_code == 204
    after = set(storage.iter_keys())
    # The PDF is still used by the second resource; the picture and its thumbnail are gone.
    assert len(before - after) == 2 and any(k.startswith("originals/") for k in after)
    assert client.get(second["files"][0]["download_url"]).get_data() == (sample_dir / "光合作用.pdf").read_bytes()
    assert client.get(f"/api/v1/resources/{first['id']}").status_code == 404
    assert client.get("/api/v1/search", query_string={"q": "分数"}).json["total"] == 0
    assert [e.target_id for e in _audit(app, "resource.delete")] == [str(first["id"])]
