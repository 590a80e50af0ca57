"""Browsing, the resource page's previews, the upload form's JSON answers and the error pages."""

from __future__ import annotations

import re

from sqlalchemy import select

from library.db import get_session
from library.resources.models import Resource
from tests.support.app import build_world, csrf_token, login, make_app, run_jobs, upload

JSON = {"Accept": "application/json"}


def _form(token: str, **fields) -> dict:
    return {"csrf_token": token, "title": "表单课例", "kind": "excellent_case", "subject": "math",
            "stage": "primary", "studio": "wang-math", **fields}


def test_upload_form_answers_json_to_the_progress_script(app, sample_dir):
    client = app.test_client()
    build_world(app)
    login(client, "wangli")  # the host publishes directly
    token = csrf_token(client, "/upload")
    with open(sample_dir / "光合作用.pdf", "rb") as fh:
        response = client.post("/upload", headers=JSON, data=_form(
            token, title="脚本上传的论文", kind="paper", intent="publish", file=(fh, "光合作用.pdf")))
    assert response.status_code == 201
    body = response.json
    assert body["url"] == f"/resources/{body['id']}" and body["status"] == "published"
    assert "脚本上传的论文" in client.get(body["url"]).get_data(as_text=True)


def test_upload_form_json_refusals_are_structured_and_chinese(app, sample_dir):
    client = app.test_client()
    build_world(app)
    login(client, "chenjing")
    token = csrf_token(client, "/upload")
    with open(sample_dir / "作业.pdf", "rb") as fh:
        response = client.post("/upload", headers=JSON, data=_form(token, file=(fh, "作业.pdf")))
    assert response.status_code == 415
    error = response.json["error"]
    assert error["code"] == "invalid_upload" and "不是允许的类型" in error["message"]
    assert error["details"][0]["file"] == "作业.pdf"
    with open(sample_dir / "光合作用.pdf", "rb") as fh:
        response = client.post("/upload", headers=JSON, data=_form(
            token, kind="award_case", title="", file=(fh, "光合作用.pdf")))
    assert response.status_code == 400
    fields = response.json["error"]["fields"]
    assert fields["title"] == "请填写标题" and "获奖级别" in fields["award_level"]


def test_a_member_submits_for_review_and_cannot_publish(app, sample_dir):
    client = app.test_client()
    build_world(app)
    login(client, "chenjing")
    page = client.get("/upload").get_data(as_text=True)
    assert 'value="publish"' not in page and re.search(r'value="submit"\s+checked', page)
    token = csrf_token(client, "/upload")
    with open(sample_dir / "教学设计.docx", "rb") as fh:
        response = client.post("/upload", data=_form(token, title="成员的课例", file=(fh, "教学设计.docx")))
    assert response.status_code == 302
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "待审核" in html and "还没有公开" in html
    with open(sample_dir / "教学设计.docx", "rb") as fh:
        response = client.post("/upload", data=_form(
            token, title="想直接发布", intent="publish", abstract="保留的简介", file=(fh, "教学设计.docx")))
    assert response.status_code == 403
    html = response.get_data(as_text=True)
    assert "请提交审核" in html and 'value="想直接发布"' in html and "保留的简介" in html


def test_upload_form_adapts_fields_to_the_kind(app):
    client = app.test_client()
    build_world(app)
    login(client, "wangli")
    html = client.get("/upload?studio=wang-math").get_data(as_text=True)
    assert 'data-kinds="award_case"' in html and 'name="award_level"' in html
    assert 'data-kinds="research_project"' in html and 'name="project_number"' in html
    assert 'data-kinds="paper"' in html and 'name="publication"' in html
    assert re.search(r'value="publish"\s+checked', html)  # the host's default
    assert "js/upload.js" in html and 'id="upload-messages"' in html


def test_stage_switcher_filters_home_and_subject_pages(app, sample_dir):
    client = app.test_client()
    world = build_world(app)
    upload(client, world.host_token, [sample_dir / "教学设计.docx"], title="小学数学课例", publish="true")
    upload(client, world.host_token, [sample_dir / "光合作用.pdf"], title="高中生物论文", kind="paper",
           subject="biology", stage="senior", publish="true")
    home = client.get("/?stage=senior").get_data(as_text=True)
    assert "高中生物论文" in home and "小学数学课例" not in home
    assert 'aria-current="true">高中' in home.replace("\n", "")
    assert "小学数学课例" in client.get("/?stage=primary").get_data(as_text=True)
    assert "小学数学课例" not in client.get("/subjects/math?stage=senior").get_data(as_text=True)
    assert "小学数学课例" in client.get("/subjects/math?stage=bogus").get_data(as_text=True)


def test_studio_page_has_award_wall_projects_and_sorting(app, sample_dir):
    client = app.test_client()
    world = build_world(app)
    docx = [sample_dir / "教学设计.docx"]
    upload(client, world.host_token, docx, title="甲 获奖课例", kind="award_case", award_level="national",
           award_name="全国一等奖", publish="true")
    upload(client, world.host_token, docx, title="乙 在研课题", kind="research_project", project_status="ongoing",
           project_number="KT-2024-01", publish="true")
    upload(client, world.host_token, docx, title="丙 结题课题", kind="research_project",
           project_status="concluded", publish="true")
    html = client.get("/studios/wang-math").get_data(as_text=True)
    assert "荣誉墙" in html and "全国一等奖" in html and "国家级" in html
    assert "课题研究" in html and "在研" in html and "结题" in html and "KT-2024-01" in html
    assert "主持人" in html and "王丽" in html and "陈静" in html
    by_title = client.get("/studios/wang-math?sort=title").get_data(as_text=True)
    cards = by_title[by_title.index('id="h-outputs"'):]
    # SQLite orders titles by code point: 丙 (U+4E19) < 乙 (U+4E59) < 甲 (U+7532).
    assert cards.index("丙 结题课题") < cards.index("乙 在研课题") < cards.index("甲 获奖课例")
    only_projects = client.get("/studios/wang-math?kind=research_project").get_data(as_text=True)
    outputs = only_projects[only_projects.index('id="h-outputs"'):]
    assert "乙 在研课题" in outputs and "甲 获奖课例" not in outputs


def test_resource_page_previews_each_file_and_lists_related(app, sample_dir):
    client = app.test_client()
    world = build_world(app)
    body = upload(client, world.host_token,
                  [sample_dir / "光合作用.pdf", sample_dir / "校园植物.png", sample_dir / "教学设计.docx"],
                  title="三种文件的成果", publish="true").json
    upload(client, world.host_token, [sample_dir / "群文阅读.pptx"], title="同工作室的另一个", publish="true")
    run_jobs(app)
    pdf, png, docx = body["files"]
    html = client.get(f"/resources/{body['id']}").get_data(as_text=True)
    assert f'data-pdf-viewer data-src="/files/{pdf["id"]}/download?inline=1&amp;stream=1"' in html  # pdf.js
    assert f'href="/files/{pdf["id"]}/download?inline=1" target="_blank"' in html and "<iframe" not in html
    assert f'href="/files/{png["id"]}/download?inline=1" class="zoom" data-zoom' in html
    assert 'class="doc-text"' in html and "借助折纸理解几分之一" in html
    assert "同工作室" in html and "同工作室的另一个" in html
    assert re.search(r"\d+(\.\d)? KB", html) and "下载" in html
    assert re.search(r"上传于 \d{4}年\d{1,2}月\d{1,2}日", html)
    english = client.get(f"/resources/{body['id']}?lang=en").get_data(as_text=True)
    assert re.search(r"Uploaded [A-Z][a-z]+ \d{1,2}, \d{4}", english) and "Download" in english


def test_previews_are_not_counted_as_downloads(app, sample_dir):
    client = app.test_client()
    world = build_world(app)
    body = upload(client, world.host_token, [sample_dir / "光合作用.pdf"], publish="true").json
    file_id = body["files"][0]["id"]
    with client.get(f"/files/{file_id}/download?inline=1") as response:
        assert response.status_code == 200 and response.data.startswith(b"%PDF")
    with app.app_context():
        assert get_session().get(Resource, body["id"]).download_count == 0
    with client.get(f"/files/{file_id}/download") as response:
        assert response.status_code == 200 and response.data.startswith(b"%PDF")
    with app.app_context():
        assert get_session().scalar(select(Resource.download_count).where(Resource.id == body["id"])) == 1


def test_search_page_sorts_and_paginates(app, sample_dir):
    client = app.test_client()
    world = build_world(app)
    for title in ("分数一", "分数二", "分数三"):
        upload(client, world.host_token, [sample_dir / "教学设计.docx"], title=title, publish="true")
    html = client.get("/search?q=分数&per_page=1").get_data(as_text=True)
    assert 'aria-label="分页"' in html and "下一页" in html and 'aria-current="page">1<' in html
    assert "sort=newest" in html and "sort=downloads" in html


def test_403_413_and_500_pages_say_what_to_do(tmp_path, migrated_sqlite):
    app = make_app(tmp_path / "i", migrated_sqlite, MAX_UPLOAD_MB=1)

    @app.get("/boom")
    def boom():
        raise RuntimeError("boom")

    client = app.test_client()
    build_world(app)
    login(client, "zhangsan")
    forbidden = client.get("/review")
    assert forbidden.status_code == 403
    assert "没有权限" in forbidden.get_data(as_text=True) and "主持人" in forbidden.get_data(as_text=True)
    token = csrf_token(client, "/")
    body = (b"--b\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n" + token.encode() +
            b"\r\n--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.mp4\"\r\n\r\n" + b"x" * (2 << 20))
    too_large = client.post("/upload", data=body, content_type="multipart/form-data; boundary=b")
    assert too_large.status_code == 413
    html = too_large.get_data(as_text=True)
    assert "文件太大" in html and "1 MB" in html and "压缩" in html
    crashed = client.get("/boom")
    assert crashed.status_code == 500
    assert "稍等一会儿刷新页面重试" in crashed.get_data(as_text=True)
    app.extensions["db_engine"].dispose()
