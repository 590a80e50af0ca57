"""The pages, Chinese first: browse, search, resource, upload form and sign-in."""

from sqlalchemy import func, select

from library.db import get_session
from library.resources.models import Resource
from tests.support.app import build_world, csrf_token, login, run_jobs, upload


def test_home_lists_subjects_studios_and_newest(app, sample_dir):
    client = app.test_client()
    world = build_world(app)
    upload(client, world.host_token, [sample_dir / "课堂实录.mp4"], title="分数课堂实录", kind="lesson_video")
    html = client.get("/").get_data(as_text=True)
    assert "名师工作室资源库" in html and "按学科浏览" in html
    assert "王丽数学名师工作室" in html and "分数课堂实录" in html
    assert "/subjects/math" in html


def test_english_is_selectable_and_remembered(app):
    client = app.test_client()
    html = client.get("/?lang=en").get_data(as_text=True)
    assert "Studio Library" in html and "Browse by subject" in html
    assert "Studio Library" in client.get("/").get_data(as_text=True)  # the cookie remembers
    assert "名师工作室资源库" in client.get("/?lang=zh_CN").get_data(as_text=True)


def test_resource_page_plays_video_with_poster(app, sample_dir):
    client = app.test_client()
    world = build_world(app)
    body = upload(client, world.host_token, [sample_dir / "课堂实录.mp4"], kind="lesson_video",
                  keywords="分数，直观模型").json
    file_id = body["files"][0]["id"]
    html = client.get(f"/resources/{body['id']}").get_data(as_text=True)
    assert "<video" in html and "正在处理…" in html and f"/files/{file_id}/poster" not in html
    run_jobs(app)
    html = client.get(f"/resources/{body['id']}").get_data(as_text=True)
    assert "<video" in html and f"/files/{file_id}/poster" in html and "正在处理…" not in html
    assert f"/files/{file_id}/download?inline=1" in html
    assert "/search?q=%E5%88%86%E6%95%B0" in html  # keywords link to searches
    assert "王丽数学名师工作室" in html


def test_search_page_shows_highlights_and_facets(app, sample_dir):
    client = app.test_client()
    world = build_world(app)
    upload(client, world.host_token, [sample_dir / "光合作用.pdf"], title="生物实验", subject="biology",
           stage="senior")
    run_jobs(app)
    html = client.get("/search?q=胡萝卜素").get_data(as_text=True)
    assert "生物实验" in html and "<mark" in html and "正文" in html
    assert "生物" in html and "subject=biology" in html
    assert "没有找到相关成果" in client.get("/search?q=不存在的词语").get_data(as_text=True)


def test_subject_and_studio_pages(app, sample_dir):
    client = app.test_client()
    world = build_world(app)
    upload(client, world.host_token, [sample_dir / "教学设计.docx"], title="图形的运动")
    assert "图形的运动" in client.get("/subjects/math").get_data(as_text=True)
    assert "图形的运动" not in client.get("/subjects/chinese").get_data(as_text=True)
    html = client.get("/studios/wang-math").get_data(as_text=True)
    assert "图形的运动" in html and "王丽" in html and "陈静" in html and "主持人" in html
    assert client.get("/studios/nope").status_code == 404
    assert client.get("/subjects/nope").status_code == 404


def test_error_pages_are_chinese_and_say_what_to_do(app):
    response = app.test_client().get("/no/such/page")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "没有找到这个页面" in html and "回到首页" in html


def test_sign_in_and_upload_through_the_form(app, sample_dir):
    client = app.test_client()
    build_world(app)
    assert client.get("/upload").status_code == 302  # sign in first
    assert login(client, "chenjing", "wrong password").status_code == 401
    assert login(client, "chenjing").status_code == 302
    token = csrf_token(client, "/upload")
    with open(sample_dir / "教学设计.docx", "rb") as fh:
        response = client.post("/upload", data={
            "csrf_token": token, "title": "表单上传的课例", "kind": "excellent_case", "subject": "math",
            "stage": "primary", "studio": "wang-math", "file": (fh, "教学设计.docx")})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "上传成功" in page and "表单上传的课例" in page and "教学设计.docx" in page


def test_a_refused_form_upload_keeps_what_was_typed(app, sample_dir):
    client = app.test_client()
    build_world(app)
    login(client, "chenjing")
    token = csrf_token(client, "/upload")
    with open(sample_dir / "作业.pdf", "rb") as fh:
        response = client.post("/upload", data={
            "csrf_token": token, "title": "我的课例标题", "kind": "excellent_case", "subject": "math",
            "stage": "primary", "studio": "wang-math", "abstract": "写了很久的简介", "file": (fh, "作业.pdf")})
    assert response.status_code == 415
    html = response.get_data(as_text=True)
    assert "作业.pdf" in html and "不是允许的类型" in html
    assert 'value="我的课例标题"' in html and "写了很久的简介" in html
    with app.app_context():
        assert get_session().scalar(select(func.count()).select_from(Resource)) == 0


def test_forms_without_csrf_token_are_refused(app):
    client = app.test_client()
    build_world(app)
    response = client.post("/login", data={"username": "chenjing", "password": "correct horse battery"})
    assert response.status_code == 400
    assert "刷新页面" in response.get_data(as_text=True)


def test_too_large_upload_is_refused_in_chinese(tmp_path, migrated_sqlite):
    from tests.support.app import make_app

    app = make_app(tmp_path / "i", migrated_sqlite, MAX_UPLOAD_MB=1)
    client = app.test_client()
    world = build_world(app)
    # A raw body (not the test client's multipart encoder, which spools to a temp file of its own).
    body = b"--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.mp4\"\r\n\r\n" + b"x" * (2 << 20)
    response = client.post("/api/v1/resources", data=body, content_type="multipart/form-data; boundary=b",
                           headers={"Authorization": f"Bearer {world.host_token}"})
    assert response.status_code == 413
    assert "1 MB" in response.json["error"]["message"]
    app.extensions["db_engine"].dispose()
