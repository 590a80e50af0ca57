"""Page images of DOCX and PPTX (issue 19, part 9): LibreOffice in the derive job, stored beside the
original as derived files (counted by storage-check, rebuilt by rebuild-derived, deleted with
their resource), and the extracted text when LibreOffice is missing or fails."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from library.db import get_session
from library.demo import samples
from library.resources.models import ResourceFile
from library.resources.objects import page_keys
from tests.support.app import bearer, build_world, make_app, run_jobs, upload


@pytest.fixture
def office_app(tmp_path, migrated_sqlite, soffice):
    application = make_app(tmp_path / "instance", migrated_sqlite, SOFFICE=soffice)
    yield application
    application.extensions["db_engine"].dispose()


@pytest.fixture
def three_pages(tmp_path):
    """A real Word document of three pages (python-docx, explicit page breaks)."""
    import docx

    document = docx.Document()
    for number, text in enumerate(("认识分数", "分数的大小比较", "分数的简单计算"), start=1):
        document.add_heading(f"第{number}课时：{text}", level=1)
        document.add_paragraph("把一个整体平均分成几份，其中的一份就是它的几分之一。" * 4)
        if number < 3:
            document.add_page_break()
    path = tmp_path / "分数单元教学设计.docx"
    document.save(str(path))
    return path


def _row(app, file_id) -> ResourceFile:
    with app.app_context():
        row = get_session().get(ResourceFile, file_id)
        get_session().expunge(row)
        return row


def _stored(app, keys) -> list[bool]:
    return [app.extensions["storage"].exists(k) for k in keys]


def _webp_width(data: bytes) -> int:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as im:
        assert im.format == "WEBP"
        return im.size[0]


def test_docx_and_pptx_become_page_images_stored_as_derived_files(office_app, three_pages, sample_dir):
    app = office_app
    world = build_world(app)
    client = app.test_client()
    doc = upload(client, world.host_token, [three_pages], title="分数单元教学设计").json
    deck = upload(client, world.host_token, [sample_dir / "群文阅读.pptx"], title="群文阅读课件").json
    assert run_jobs(app).done == 2

    for created, pages in ((doc, 3), (deck, 2)):
        file_id = created["files"][0]["id"]
        row = _row(app, file_id)
        assert (row.state, row.preview_pages, row.derive_error) == ("ready", pages, None)
        assert row.text  # the text is still extracted (search, and the fallback under the images)
        keys = page_keys(row.sha256, pages)
        assert all(k.startswith(f"derived/{row.sha256[:2]}/{row.sha256}/pages/") for k in keys)  # beside the rest
        assert _stored(app, keys) == [True] * pages
        assert row.thumbnail_key and _stored(app, [row.thumbnail_key]) == [True]  # the first page, for cards
        for number in range(1, pages + 1):
            image = client.get(f"/files/{file_id}/pages/{number}", headers=bearer(world.member_token))
            assert image.status_code == 200 and image.content_type == "image/webp"
            assert _webp_width(image.data) == 1200
        assert client.get(f"/files/{file_id}/pages/{pages + 1}", headers=bearer(world.member_token)).status_code == 404
        assert client.get(f"/files/{file_id}/pages/0", headers=bearer(world.member_token)).status_code == 404

    html = client.get(f"/resources/{doc['id']}").get_data(as_text=True)
    assert html.count('class="page-images"') == 1
    for number in (1, 2, 3):
        assert f'src="/files/{doc["files"][0]["id"]}/pages/{number}" alt="第 {number} 页"' in html
    assert html.count('loading="lazy"') >= 2  # pages after the first load as they are scrolled to
    assert "分数的大小比较" in html  # the extracted text stays below, folded

    # storage-check counts them: nothing missing, no orphans; a lost page is reported.
    runner = app.test_cli_runner()
    result = runner.invoke(args=["storage-check", "--grace-hours", "0"])
    assert result.exit_code == 0 and "missing: 0, orphans: 0" in result.output, result.output
    row = _row(app, doc["files"][0]["id"])
    lost = page_keys(row.sha256, 3)[1]
    app.extensions["storage"].delete(lost)
    result = runner.invoke(args=["storage-check"])
    assert result.exit_code == 1 and f"missing object: file {row.id} → {lost}" in result.output

    # rebuild-derived makes it again (queued for the worker, and inline).
    assert "queued 2 derive jobs" in runner.invoke(args=["rebuild-derived"]).output
    assert run_jobs(app).done == 2
    assert _stored(app, page_keys(row.sha256, 3)) == [True] * 3
    app.extensions["storage"].delete(lost)
    result = runner.invoke(args=["rebuild-derived", "--inline"])
    assert result.exit_code == 0 and "derived 2 files, 0 failed" in result.output, result.output
    assert _stored(app, page_keys(row.sha256, 3)) == [True] * 3

    # Deleting the resource removes its page images with the original.
    assert client.delete(f"/api/v1/resources/{doc['id']}", headers=bearer(world.host_token)).status_code == 204
    assert _stored(app, [row.storage_key, row.thumbnail_key, *page_keys(row.sha256, 3)]) == [False] * 5
    deck_row = _row(app, deck["files"][0]["id"])
    assert _stored(app, page_keys(deck_row.sha256, 2)) == [True, True]  # another resource's stay


def test_page_images_are_only_for_those_who_may_download(office_app, three_pages):
    app = office_app
    world = build_world(app)
    client = app.test_client()
    created = upload(client, world.host_token, [three_pages], title="工作室内部的设计", visibility="studio").json
    run_jobs(app)
    url = f"/files/{created['files'][0]['id']}/pages/1"
    assert client.get(url, headers=bearer(world.member_token)).status_code == 200
    assert client.get(url, headers=bearer(world.teacher_token)).status_code == 404
    assert client.get(url).status_code == 404


def test_without_libreoffice_the_text_is_the_preview_and_stale_pages_go(office_app, three_pages, tmp_path,
                                                                        monkeypatch):
    app = office_app
    world = build_world(app)
    client = app.test_client()
    created = upload(client, world.host_token, [three_pages], title="分数单元教学设计").json
    run_jobs(app)
    row = _row(app, created["files"][0]["id"])
    assert row.preview_pages == 3

    # LibreOffice uninstalled: soffice is no longer on PATH.
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    other = upload(client, world.host_token, [samples.make_docx(tmp_path / "另一份.docx", "另一份设计", ["蜂巢结构"])],
                   title="另一份设计").json
    assert run_jobs(app).done == 1
    fallback = _row(app, other["files"][0]["id"])
    assert (fallback.state, fallback.preview_pages, fallback.derive_error) == ("ready", 0, None)
    assert fallback.thumbnail_key is None and "蜂巢结构" in fallback.text
    html = client.get(f"/resources/{other['id']}").get_data(as_text=True)
    assert 'class="page-images"' not in html and 'class="preview preview-text"' in html and "蜂巢结构" in html

    # Rebuilt without LibreOffice, the first document falls back too and its pages are removed.
    result = app.test_cli_runner().invoke(args=["rebuild-derived", "--inline"])
    assert result.exit_code == 0, result.output
    assert _row(app, row.id).preview_pages == 0
    assert _stored(app, page_keys(row.sha256, 3)) == [False] * 3
    html = client.get(f"/resources/{created['id']}").get_data(as_text=True)
    assert 'class="page-images"' not in html and "分数的大小比较" in html


def test_page_count_and_time_are_bounded(tmp_path, migrated_sqlite, soffice, three_pages):
    app = make_app(tmp_path / "capped", migrated_sqlite, SOFFICE=soffice, PREVIEW_MAX_PAGES=2)
    world = build_world(app)
    client = app.test_client()
    created = upload(client, world.host_token, [three_pages]).json
    run_jobs(app)
    assert _row(app, created["files"][0]["id"]).preview_pages == 2
    html = client.get(f"/resources/{created['id']}").get_data(as_text=True)
    assert "共显示 2 页" in html
    app.extensions["db_engine"].dispose()

    # LibreOffice cannot start and convert within one second: killed, the text stays the preview.
    app = make_app(tmp_path / "slow", migrated_sqlite, SOFFICE=soffice, PREVIEW_OFFICE_SECONDS=1)
    world = build_world(app)
    created = upload(app.test_client(), world.host_token, [three_pages]).json
    assert run_jobs(app).done == 1
    row = _row(app, created["files"][0]["id"])
    assert (row.state, row.preview_pages, row.derive_error) == ("ready", 0, None) and row.text
    with app.app_context():
        leftovers = list(get_session().scalars(select(ResourceFile.id).where(ResourceFile.preview_pages > 0)))
    assert leftovers == []
    app.extensions["db_engine"].dispose()


def test_the_pdf_viewer_reads_the_file_from_the_app_even_with_presigned_s3(s3_app, sample_dir):
    world = build_world(s3_app)
    client = s3_app.test_client()
    created = upload(client, world.host_token, [sample_dir / "光合作用.pdf"], title="光合作用").json
    run_jobs(s3_app)  # moved into the bucket
    file_id = created["files"][0]["id"]
    html = client.get(f"/resources/{created['id']}").get_data(as_text=True)
    assert f'data-src="/files/{file_id}/download?inline=1&amp;stream=1"' in html and "<iframe" not in html
    assert client.get(f"/files/{file_id}/download?inline=1").status_code == 302  # the page's link: presigned
    streamed = client.get(f"/files/{file_id}/download?inline=1&stream=1", headers={"Range": "bytes=0-7"})
    assert streamed.status_code == 206 and streamed.data.startswith(b"%PDF-")
    assert client.get(f"/api/v1/resources/{created['id']}").json["download_count"] == 0  # a preview, not counted
