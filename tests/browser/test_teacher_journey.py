"""A teacher's journey in a real browser: sign in, upload with progress, search, play and seek,
switch language, and a refused file explained in Chinese."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import screenshot, sign_in
from tests.support.app import upload

VIDEO_TITLE = "校本研修：分数的初步认识课堂实录"
PDF_TITLE = "校本研修：光合作用探究实验报告"


def fill_upload_form(page, title: str, kind: str, keywords: str = "校本研修，浏览器验收") -> None:
    page.get_by_label("标题").fill(title)
    page.get_by_label("成果类型").select_option(kind)
    page.get_by_label("所属工作室").select_option("wang-math")
    page.get_by_label("学科").select_option("math" if kind == "lesson_video" else "biology")
    page.get_by_label("学段").select_option("primary" if kind == "lesson_video" else "senior")
    page.get_by_label("年份").fill("2024")
    page.get_by_label("作者（多位用逗号分隔）").fill("陈静、王丽")
    page.get_by_label("关键词（用逗号或顿号分隔）").fill(keywords)
    page.get_by_label("简介").fill("浏览器端到端测试上传的成果。")


@pytest.fixture(scope="module")
def uploaded(browser, live_server, big_video, sample_dir):
    """Upload a lesson video and a PDF paper through the form, watching the progress bars."""
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(30_000)
    page = context.new_page()
    sign_in(page, "wangli", "王丽")  # the host publishes at once; a member's upload would wait for review
    seen: dict = {"requests": []}
    page.on("request", lambda r: seen["requests"].append((r.method, r.url, r.headers.get("accept", ""))))

    page.goto("/upload")
    fill_upload_form(page, VIDEO_TITLE, "lesson_video")
    # The kind decides the extra fields: no award or project fields for a lesson video.
    assert page.locator("#f-award-level").is_hidden() and page.locator("#f-project-number").is_hidden()
    page.locator("#f-file").set_input_files(str(big_video))
    assert page.locator("#file-list li").count() == 1
    assert page.locator("input[name=intent][value=publish]").is_checked()
    page.get_by_role("button", name="上传", exact=True).click()
    # Mid-way: the bar has moved but not finished, and speed and time left are shown.
    page.wait_for_function("""() => {
        const b = document.querySelector('#file-list progress');
        const s = document.querySelector('#file-list .file-status');
        return b && b.value > 30 && b.value < 90 && s.textContent.includes('剩余');
    }""")
    seen["mid_value"] = page.locator("#file-list progress").evaluate("b => b.value")
    seen["mid_status"] = page.locator("#file-list .file-status").inner_text()
    seen["mid_total"] = page.locator("#upload-total").inner_text()
    screenshot(page, "upload-progress")
    page.locator("#upload-result").wait_for(state="visible", timeout=60_000)
    seen["video_result"] = page.locator("#upload-result").inner_text()
    video_url = page.locator("#upload-result .result-link").get_attribute("href")

    page.goto("/upload")
    fill_upload_form(page, PDF_TITLE, "paper")
    assert page.locator("#f-publication").is_visible()
    page.get_by_label("发表刊物（刊名、期号、日期）").fill("《中学生物教学》2024 年第 6 期")
    # Several files at once: the paper and its slides, each with its own row and bar.
    page.locator("#f-file").set_input_files([str(sample_dir / "光合作用.pdf"), str(sample_dir / "群文阅读.pptx")])
    assert page.locator("#file-list progress").count() == 2
    assert "共 2 个文件" in page.locator("#upload-total").inner_text()
    page.get_by_role("button", name="上传", exact=True).click()
    page.locator("#upload-result").wait_for(state="visible")
    assert page.locator("#file-list .file-status").all_inner_texts() == ["已完成", "已完成"]
    pdf_url = page.locator("#upload-result .result-link").get_attribute("href")
    context.close()
    live_server.wait_for_jobs()  # the worker beside the server derives posters and text
    return {"video_url": video_url, "pdf_url": pdf_url, **seen}


def test_upload_shows_per_file_progress_and_links_the_result(uploaded):
    assert 30 < uploaded["mid_value"] < 90
    assert "正在上传" in uploaded["mid_status"] and "/秒" in uploaded["mid_status"]
    assert "剩余约" in uploaded["mid_status"]
    assert "%" in uploaded["mid_total"]
    assert "上传成功" in uploaded["video_result"] and VIDEO_TITLE in uploaded["video_result"]
    assert re.fullmatch(r"/resources/\d+", uploaded["video_url"])
    assert re.fullmatch(r"/resources/\d+", uploaded["pdf_url"])
    posts = [r for r in uploaded["requests"] if r[0] == "POST" and r[1].endswith("/upload")]
    assert posts and all("application/json" in accept for _, _, accept in posts)


def test_both_uploads_are_found_by_search(page, uploaded):
    page.goto("/")
    page.locator("#site-q").fill("校本研修")
    page.locator("#site-q").press("Enter")
    page.wait_for_url(re.compile(r"/search\?q="))
    results = page.locator(".results .card h3")
    titles = results.all_inner_texts()
    assert VIDEO_TITLE in titles and PDF_TITLE in titles
    assert page.locator(".results mark").count() > 0
    assert page.locator(".facets").get_by_text("录课视频").is_visible()
    screenshot(page, "search-results")
    # The PDF's own words are searchable too.
    page.goto("/search?q=胡萝卜素")
    assert PDF_TITLE in page.locator(".results").inner_text()


def test_the_video_plays_and_seeks_with_range_requests(page, uploaded):
    ranged = []
    page.on("response", lambda r: ranged.append(r) if "/download" in r.url and r.status == 206 else None)
    page.goto(uploaded["video_url"])
    video = page.locator("video.player")
    assert video.get_attribute("poster")
    page.wait_for_function("() => document.querySelector('video.player').readyState >= 1")
    assert video.evaluate("v => v.duration") == pytest.approx(4, abs=0.6)
    video.evaluate("v => { v.muted = true; return v.play(); }")
    page.wait_for_function("() => document.querySelector('video.player').currentTime > 0.3")
    screenshot(page, "resource-video-playing", full_page=False)
    video.evaluate(
        "v => new Promise(done => { v.addEventListener('seeked', done, {once: true}); v.currentTime = 3; })"
    )
    assert video.evaluate("v => v.currentTime") >= 2.9
    assert video.evaluate("v => v.seekable.length && v.seekable.end(0)") > 3
    assert ranged, "the player fetched the video without a ranged (206) response"
    assert all(r.headers.get("content-range", "").startswith("bytes ") for r in ranged)
    # The same page lists the file with its size and a download button.
    files = page.locator(".files li")
    assert "MB" in files.first.inner_text() and files.first.get_by_role("button", name="下载").is_visible()


def test_pdf_is_shown_inline(page, uploaded):
    page.goto(uploaded["pdf_url"])
    viewer = page.locator(".preview-pdf[data-pdf-viewer]")
    assert viewer.get_attribute("data-src").endswith("?inline=1&stream=1")
    page.wait_for_selector(".preview-pdf[data-pdf-drawn='1'] canvas")  # drawn by pdf.js
    response = page.request.get(viewer.get_attribute("data-src"))
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"].startswith("inline")
    assert page.locator(".keywords a", has_text="校本研修").get_attribute("href").startswith("/search?q=")
    files = page.locator(".files li").all_inner_texts()
    assert len(files) == 2 and "光合作用.pdf" in files[0] and "群文阅读.pptx" in files[1]
    assert "议题：家国情怀" in page.locator(".preview-text .doc-text").inner_text()  # the slides' text


def test_home_and_studio_pages(page, uploaded):
    page.goto(uploaded["pdf_url"])
    download = page.locator(".files a[download]").first.get_attribute("href")
    assert page.request.get(download).status == 200  # a real download, counted for "下载最多"
    page.goto("/")
    assert PDF_TITLE in page.locator(".ranked").inner_text()
    assert page.locator("h1").first.inner_text() == "名师工作室资源库"
    assert page.locator(".subject-tile", has_text="数学").locator(".count").inner_text() == "1 项"
    screenshot(page, "home")
    page.get_by_role("link", name="高中", exact=True).first.click()
    assert page.locator(".subject-tile", has_text="生物").locator(".count").inner_text() == "1 项"
    assert page.locator(".subject-tile", has_text="数学").locator(".count").inner_text() == "0 项"
    page.goto("/studios/wang-math")
    assert page.locator(".people").inner_text().count("王丽") == 1
    tabs = page.locator(".tabs").inner_text()
    assert "录课视频 (1)" in tabs and "论文文章 (1)" in tabs
    screenshot(page, "studio")


def test_language_switch_is_remembered(page, uploaded):
    page.goto(uploaded["video_url"])
    page.get_by_role("link", name="English").click()
    page.wait_for_url(re.compile(r"lang=en"))
    assert page.locator("html").get_attribute("lang") == "en"
    assert "Studio Library" in page.locator(".brand").inner_text()
    assert "Lesson video" in page.locator(".resource-head").inner_text()
    page.goto("/")
    assert "Browse by subject" in page.locator("main").inner_text()
    page.get_by_role("link", name="中文").click()
    assert "按学科浏览" in page.locator("main").inner_text()


def test_a_refused_file_is_explained_and_the_form_is_kept(page, sample_dir):
    sign_in(page, "chenjing", "陈静")
    page.goto("/upload")
    # A member cannot publish directly: the choice is not offered and the upload goes to review.
    assert page.locator("input[name=intent][value=publish]").count() == 0
    assert page.locator("input[name=intent][value=submit]").is_checked()
    fill_upload_form(page, "一个伪装成 PDF 的程序", "paper")
    page.locator("#f-file").set_input_files(str(sample_dir / "作业.pdf"))
    page.get_by_role("button", name="上传", exact=True).click()
    alert = page.locator("#upload-alert")
    alert.wait_for(state="visible")
    assert "作业.pdf" in alert.inner_text() and "不是允许的类型" in alert.inner_text()
    assert "未被接受" in page.locator("#file-list li.refused").inner_text()
    assert page.get_by_label("标题").input_value() == "一个伪装成 PDF 的程序"
    assert page.get_by_label("简介").input_value() == "浏览器端到端测试上传的成果。"
    # A missing required field for the kind is refused per field: an award case needs its level.
    page.get_by_label("成果类型").select_option("award_case")
    page.locator("#file-list .remove").click()
    page.locator("#f-file").set_input_files(str(sample_dir / "光合作用.pdf"))
    page.get_by_role("button", name="上传", exact=True).click()
    page.locator("[data-error-for=award_level]").wait_for(state="visible")
    assert "获奖级别" in page.locator("[data-error-for=award_level]").inner_text()
    assert page.locator("#f-award-level").get_attribute("aria-invalid") == "true"
    # Files can be dropped on the form as well as picked.
    page.locator("#file-list .remove").click()
    page.locator("#dropzone").evaluate("""zone => {
        const data = new DataTransfer();
        data.items.add(new File(["%PDF-1.4 dropped"], "拖进来的教案.pdf", {type: "application/pdf"}));
        zone.dispatchEvent(new DragEvent("drop", {dataTransfer: data, bubbles: true, cancelable: true}));
    }""")
    assert "拖进来的教案.pdf" in page.locator("#file-list").inner_text()
    # A file the site does not take at all is stopped before it is sent.
    page.locator("#file-list .remove").click()
    page.locator("#f-file").set_input_files(str(sample_dir / "notes.txt"))
    assert "不是允许的类型" in page.locator("#file-list li.refused").inner_text()


def test_a_picture_opens_in_a_larger_view(page, live_server, sample_dir):
    client = live_server.app.test_client()
    body = upload(client, live_server.world.host_token, [sample_dir / "校园植物.png"], title="校园植物图谱",
                  kind="other", subject="art", stage="junior", publish="true").json
    page.goto(f"/resources/{body['id']}")
    page.locator(".preview-image a[data-zoom]").click()
    dialog = page.locator("#zoom-dialog")
    dialog.wait_for(state="visible")
    big = dialog.locator("img")
    assert big.get_attribute("src").endswith("?inline=1")
    page.wait_for_function("() => document.querySelector('#zoom-dialog img').naturalWidth === 1200")
    page.keyboard.press("Escape")
    dialog.wait_for(state="hidden")


def test_error_page_says_what_to_do(page):
    response = page.goto("/resources/999999")
    assert response.status == 404
    text = page.locator("main").inner_text()
    assert "接下来可以" in text and "回到首页" in text
