"""The edit page and the API change a resource's files as an upload stores them (issue 19, part 1):
add, replace and remove, judged by content, stored under claims, derived by the jobs, indexed and
audited; and the edit form has the upload form's fields for its kind, from one description."""

from __future__ import annotations

import lxml.html
import pytest
from sqlalchemy import select

from library.audit.models import AuditEntry
from library.db import get_session
from library.jobs.models import Job
from library.resources.kinds import KIND_FIELD_GROUPS
from library.resources.models import Resource
from storage import content_key
from tests.support.app import bearer, build_world, csrf_token, login, run_jobs, upload


def _files(client, token: str, rid: int) -> list[dict]:
    return client.get(f"/api/v1/resources/{rid}", headers=bearer(token)).json["files"]


def _post_files(client, token: str, url: str, paths, method: str = "post"):
    handles = [open(p, "rb") for p in paths]
    try:
        return client.open(url, method=method.upper(), headers=bearer(token), content_type="multipart/form-data",
                           data={"file": [(h, p.name) for h, p in zip(handles, paths, strict=True)]})
    finally:
        for h in handles:
            h.close()


def _keys(app, prefix: str = "") -> set[str]:
    return set(app.extensions["storage"].iter_keys(prefix))


def _audit(app, action: str) -> list[AuditEntry]:
    with app.app_context():
        return list(get_session().scalars(select(AuditEntry).where(AuditEntry.action == action)))


def _derive_jobs(app) -> list[dict]:
    with app.app_context():
        return [j.payload for j in get_session().scalars(select(Job).where(Job.kind == "derive", Job.state == "queued"))]


def _groups(page: str) -> dict[str, lxml.html.HtmlElement]:
    """The kind-only field groups of a form page, by name."""
    return {el.get("data-group"): el for el in lxml.html.fromstring(page).xpath('//fieldset[contains(@class, "kind-fields")]')}


def _shown(group) -> bool:
    return group.get("hidden") is None and group.get("disabled") is None


# ---- the fields of the kind -----------------------------------------------------------------------


def test_both_forms_take_their_kind_fields_from_the_one_description(app, world, sample_dir):
    client = app.test_client()
    rid = upload(client, world.host_token, [sample_dir / "光合作用.pdf"]).json["id"]
    login(client, "wangli")
    described = {g.name: [f.name for f in g.fields] for g in KIND_FIELD_GROUPS}
    for path in ("/upload", f"/resources/{rid}/edit"):
        groups = _groups(client.get(path).get_data(as_text=True))
        assert list(groups) == list(described), path
        for group in KIND_FIELD_GROUPS:
            element = groups[group.name]
            assert element.get("data-kinds") == " ".join(group.kinds)
            names = [c.get("name") for c in element.xpath(".//input|.//select")]
            assert names == described[group.name], (path, group.name)


def test_the_edit_form_shows_only_the_fields_of_the_kind(app, world, sample_dir):
    client = app.test_client()
    pdf = [sample_dir / "光合作用.pdf"]
    award = upload(client, world.host_token, pdf, kind="award_case", award_level="provincial",
                   award_name="省级优质课一等奖").json["id"]
    project = upload(client, world.host_token, pdf, kind="research_project", project_level="county",
                     project_number="XJ-2024-07").json["id"]
    excellent = upload(client, world.host_token, pdf, kind="excellent_case").json["id"]
    login(client, "wangli")

    page = client.get(f"/resources/{award}/edit").get_data(as_text=True)
    groups = _groups(page)
    assert _shown(groups["award"]) and not _shown(groups["project"]) and not _shown(groups["publication"])
    assert groups["award"].get_element_by_id("f-award-name").get("value") == "省级优质课一等奖"
    # 课题级别 and 立项编号 are in the hidden, disabled group only (not sent, not seen).
    for label in ("课题级别", "立项编号"):
        assert label in groups["project"].text_content() and label not in groups["award"].text_content()
    assert 'id="f-grade"' in page and 'id="f-edition"' in page  # 年级 and the textbook fields

    groups = _groups(client.get(f"/resources/{project}/edit").get_data(as_text=True))
    assert _shown(groups["project"]) and not _shown(groups["award"])
    assert groups["project"].get_element_by_id("f-project-number").get("value") == "XJ-2024-07"
    assert "课题级别" in groups["project"].text_content()

    groups = _groups(client.get(f"/resources/{excellent}/edit").get_data(as_text=True))
    assert not any(_shown(g) for g in groups.values())  # an 优秀课例 has none of them


def test_changing_the_kind_clears_the_fields_it_does_not_have(app, world, sample_dir):
    client = app.test_client()
    rid = upload(client, world.host_token, [sample_dir / "光合作用.pdf"], kind="award_case",
                 award_level="provincial", award_name="省级一等奖").json["id"]
    response = client.patch(f"/api/v1/resources/{rid}", headers=bearer(world.host_token),
                            json={"kind": "excellent_case"})
    assert response.status_code == 200, response.json
    assert (response.json["award_level"], response.json["award_name"]) == (None, "")
    # The same kind again keeps what it has.
    kept = client.patch(f"/api/v1/resources/{rid}", headers=bearer(world.host_token),
                        json={"kind": "excellent_case", "title": "新标题"}).json
    assert kept["kind"] == "excellent_case" and kept["title"] == "新标题"


# ---- adding ---------------------------------------------------------------------------------------


def test_added_files_are_stored_derived_indexed_and_audited(app, world, sample_dir):
    client = app.test_client()
    rid = upload(client, world.host_token, [sample_dir / "光合作用.pdf"]).json["id"]
    run_jobs(app)
    assert client.get("/api/v1/search", query_string={"q": "蜂巢结构"}).json["total"] == 0

    response = _post_files(client, world.host_token, f"/api/v1/resources/{rid}/files",
                           [sample_dir / "教学设计.docx", sample_dir / "校园植物.png"])
    assert response.status_code == 201, response.json
    pdf, docx, png = response.json["files"]
    assert [docx["name"], png["name"]] == ["教学设计.docx", "校园植物.png"]
    assert docx["state"] == png["state"] == "processing"
    # The same derive jobs as an upload: one per new content.
    assert sorted(p["file_id"] for p in _derive_jobs(app)) == [docx["id"], png["id"]]
    run_jobs(app)
    files = _files(client, world.host_token, rid)
    assert [f["state"] for f in files] == ["ready", "ready", "ready"]
    assert files[2].get("thumbnail_url")
    # The docx's text is in the resource's search document now.
    found = client.get("/api/v1/search", query_string={"q": "蜂巢结构"}).json
    assert found["total"] == 1 and found["hits"][0]["id"] == rid
    [entry] = _audit(app, "resource.file_add")
    assert entry.target_id == str(rid) and entry.detail["files"] == ["教学设计.docx", "校园植物.png"]


def test_a_file_refused_by_its_content_changes_nothing(app, world, sample_dir):
    client = app.test_client()
    rid = upload(client, world.host_token, [sample_dir / "光合作用.pdf"]).json["id"]
    before = _keys(app)
    response = _post_files(client, world.host_token, f"/api/v1/resources/{rid}/files", [sample_dir / "作业.pdf"])
    assert response.status_code == 415
    assert "以下文件未被接受：作业.pdf" in response.json["error"]["message"]
    assert len(_files(client, world.host_token, rid)) == 1 and _keys(app) == before
    # Replacing with it is refused the same way, and the old file stays.
    [old] = _files(client, world.host_token, rid)
    response = _post_files(client, world.host_token, f"/api/v1/resources/{rid}/files/{old['id']}",
                           [sample_dir / "作业.pdf"], method="put")
    assert response.status_code == 415
    assert _files(client, world.host_token, rid) == [old] and _keys(app) == before


def test_only_those_who_may_edit_change_the_files(app, world, sample_dir):
    client = app.test_client()
    two = [sample_dir / "光合作用.pdf", sample_dir / "校园植物.png"]
    published = upload(client, world.host_token, two).json
    submitted = upload(client, world.member_token, two, publish="", submit="true").json
    png = [sample_dir / "校园植物.png"]
    # A teacher outside the studio and a member on the host's output; the author once hers is submitted.
    for token, created in ((world.teacher_token, published), (world.member_token, published),
                           (world.member_token, submitted)):
        rid, file_id = created["id"], created["files"][1]["id"]
        assert _post_files(client, token, f"/api/v1/resources/{rid}/files", png).status_code == 403
        assert _post_files(client, token, f"/api/v1/resources/{rid}/files/{file_id}", png,
                           method="put").status_code == 403
        refused = client.delete(f"/api/v1/resources/{rid}/files/{file_id}", headers=bearer(token))
        assert refused.status_code == 403
        assert refused.json["error"]["message"] == "只有作者（草稿或被退回时）和审核人可以修改这个成果"
        assert len(_files(client, world.host_token, rid)) == 2
    # The web forms the same way.
    rid, file_id = published["id"], published["files"][1]["id"]
    login(client, "zhangsan")
    token = csrf_token(client, "/account")
    assert client.post(f"/resources/{rid}/files/{file_id}/delete", data={"csrf_token": token}).status_code == 403
    with open(png[0], "rb") as fh:
        assert client.post(f"/resources/{rid}/files", data={"csrf_token": token, "file": (fh, "x.png")},
                           content_type="multipart/form-data").status_code == 403
    assert len(_files(client, world.host_token, rid)) == 2
    # The host reviews the studio: she may, on the member's submitted output too.
    assert client.delete(f"/api/v1/resources/{submitted['id']}/files/{submitted['files'][1]['id']}",
                         headers=bearer(world.host_token)).status_code == 204


# ---- removing -------------------------------------------------------------------------------------


def test_removing_a_file_deletes_its_objects_but_never_the_last_file(app, world, sample_dir):
    client = app.test_client()
    created = upload(client, world.host_token, [sample_dir / "光合作用.pdf", sample_dir / "校园植物.png"]).json
    rid, (pdf, png) = created["id"], created["files"]
    run_jobs(app)
    assert _keys(app, f"derived/{png['sha256'][:2]}/{png['sha256']}")  # its thumbnail

    assert client.delete(f"/api/v1/resources/{rid}/files/{png['id']}", headers=bearer(world.host_token)).status_code == 204
    assert [f["id"] for f in _files(client, world.host_token, rid)] == [pdf["id"]]
    assert not any(png["sha256"] in key for key in _keys(app))  # original and thumbnail gone
    [entry] = _audit(app, "resource.file_remove")
    assert entry.detail["file"] == "校园植物.png"

    refused = client.delete(f"/api/v1/resources/{rid}/files/{pdf['id']}", headers=bearer(world.host_token))
    assert refused.status_code == 409
    assert refused.json["error"]["message"] == "不能删除“光合作用.pdf”：每个成果至少要有一个文件。如要换成别的文件，请用“替换”。"
    assert len(_files(client, world.host_token, rid)) == 1
    assert any(pdf["sha256"] in key for key in _keys(app))
    missing = client.delete(f"/api/v1/resources/{rid}/files/{png['id']}", headers=bearer(world.host_token))
    assert missing.status_code == 404

    # On the edit page: the last file offers no 删除, and the form's refusal is said in Chinese.
    login(client, "wangli")
    page = client.get(f"/resources/{rid}/edit").get_data(as_text=True)
    assert "这是唯一的文件：可以替换，不能删除。" in page
    assert f"/resources/{rid}/files/{pdf['id']}/delete" not in page
    token = csrf_token(client, f"/resources/{rid}/edit")
    response = client.post(f"/resources/{rid}/files/{pdf['id']}/delete", data={"csrf_token": token},
                           follow_redirects=True)
    assert "每个成果至少要有一个文件" in response.get_data(as_text=True)
    assert len(_files(client, world.host_token, rid)) == 1


# ---- replacing and adding on the edit page ---------------------------------------------------------


def test_the_edit_page_adds_and_replaces_files(app, world, sample_dir):
    client = app.test_client()
    rid = upload(client, world.host_token, [sample_dir / "光合作用.pdf"]).json["id"]
    run_jobs(app)
    login(client, "wangli")
    token = csrf_token(client, f"/resources/{rid}/edit")
    with open(sample_dir / "群文阅读.pptx", "rb") as fh:
        response = client.post(f"/resources/{rid}/files", data={"csrf_token": token, "file": (fh, "群文阅读.pptx")},
                               content_type="multipart/form-data")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/resources/{rid}/edit#files")
    page = client.get(f"/resources/{rid}/edit").get_data(as_text=True)
    assert "已添加文件" in page and "群文阅读.pptx" in page
    pdf, pptx = _files(client, world.host_token, rid)

    with open(sample_dir / "教学设计.docx", "rb") as fh:
        response = client.post(f"/resources/{rid}/files/{pdf['id']}/replace",
                               data={"csrf_token": token, "file": (fh, "教学设计.docx")},
                               content_type="multipart/form-data", follow_redirects=True)
    assert "已替换文件" in response.get_data(as_text=True)
    docx, still = _files(client, world.host_token, rid)
    assert docx["name"] == "教学设计.docx" and docx["id"] != pdf["id"] and still == pptx  # in the old one's place
    assert not any(pdf["sha256"] in key for key in _keys(app))
    assert sorted(p["file_id"] for p in _derive_jobs(app)) == [pptx["id"], docx["id"]]
    [entry] = _audit(app, "resource.file_replace")
    assert (entry.detail["old"], entry.detail["new"]) == ("光合作用.pdf", "教学设计.docx")
    # Nothing chosen: said, and nothing changes.
    response = client.post(f"/resources/{rid}/files/{docx['id']}/replace", data={"csrf_token": token},
                           content_type="multipart/form-data", follow_redirects=True)
    assert "请至少选择一个文件" in response.get_data(as_text=True)
    assert [f["id"] for f in _files(client, world.host_token, rid)] == [docx["id"], pptx["id"]]


def test_replacing_on_s3_removes_the_old_object_once_the_new_one_is_stored(s3_app, sample_dir):
    app, client = s3_app, s3_app.test_client()
    world = build_world(app)
    created = upload(client, world.host_token, [sample_dir / "光合作用.pdf", sample_dir / "校园植物.png"]).json
    rid, (pdf, png) = created["id"], created["files"]
    run_jobs(app)  # moved into the bucket, derived
    old_keys = {k for k in _keys(app) if pdf["sha256"] in k}
    assert content_key(pdf["sha256"]) in old_keys and len(old_keys) > 1  # the original and its thumbnail

    response = _post_files(client, world.host_token, f"/api/v1/resources/{rid}/files/{pdf['id']}",
                           [sample_dir / "教学设计.docx"], method="put")
    assert response.status_code == 200, response.json
    new, kept = response.json["files"]
    assert kept["id"] == png["id"] and new["name"] == "教学设计.docx" and new["location"] == "staged"
    # The old original and its thumbnail are gone from the bucket; the new one is staged, then moved.
    assert not any(pdf["sha256"] in key for key in _keys(app))
    assert app.extensions["staging"].exists(content_key(new["sha256"]))
    run_jobs(app)
    [stored, _png] = _files(client, world.host_token, rid)
    assert stored["location"] == "stored" and stored["state"] == "ready"
    assert content_key(new["sha256"]) in _keys(app)
    with app.app_context():
        resource = get_session().get(Resource, rid)
        assert [f.original_name for f in resource.files] == ["教学设计.docx", "校园植物.png"]


@pytest.mark.parametrize("path", ["/api/v1/resources/{rid}/files/999999"])
def test_an_unknown_file_is_not_found(app, world, sample_dir, path):
    client = app.test_client()
    rid = upload(client, world.host_token, [sample_dir / "光合作用.pdf"]).json["id"]
    response = client.delete(path.format(rid=rid), headers=bearer(world.host_token))
    assert response.status_code == 404 and "没有这个文件" in response.json["error"]["message"]


def test_two_removals_at_once_leave_one_file_on_postgresql(tmp_path, pg_url, s3_env, sample_dir):
    """Each removal counts the files under the resource's row lock: one of two goes, not both."""
    import threading

    from tests.support.app import make_app

    app = make_app(tmp_path / "instance", DATABASE_URL=pg_url, STORAGE_URL=s3_env)
    assert app.test_cli_runner().invoke(args=["init-db"]).exit_code == 0
    try:
        world = build_world(app)
        created = upload(app.test_client(), world.host_token, [sample_dir / "光合作用.pdf", sample_dir / "校园植物.png"]).json
        rid = created["id"]
        start, statuses = threading.Barrier(2), []

        def remove(file_id: int) -> None:
            client = app.test_client()
            start.wait()
            statuses.append(client.delete(f"/api/v1/resources/{rid}/files/{file_id}",
                                          headers=bearer(world.host_token)).status_code)

        threads = [threading.Thread(target=remove, args=(f["id"],)) for f in created["files"]]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(statuses) == [204, 409]
        assert len(_files(app.test_client(), world.host_token, rid)) == 1
    finally:
        app.extensions["db_engine"].dispose()
