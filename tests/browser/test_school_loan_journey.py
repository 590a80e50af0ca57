"""A weak school's journey in a real browser: find a lendable output, ask to borrow it, the host
approves, download a file and the borrow kit, then report how it was used."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import screenshot
from tests.browser.test_teacher_journey import sign_in
from tests.support.app import county_today, upload
from tests.support.lending import check_kit

TITLE = "分数的意义：借阅验收教学设计"
SECOND = "分数的意义：借阅验收练习设计"


@pytest.fixture(scope="module")
def school_world(live_server, sample_dir):
    """A weak school with an account, and a lendable paper of wang-math uploaded by its host."""
    app = live_server.app
    from library.accounts import schools
    from library.accounts import service as accounts

    with app.app_context():
        schools.create_school("希望小学", weak=True, subjects=["math"], stages=["primary"])
        accounts.create_user("xiwang", "school", "correct horse battery", "希望小学教务处", school="希望小学")
    response = upload(app.test_client(), live_server.world.host_token,
                      [sample_dir / "光合作用.pdf", sample_dir / "校园植物.png"], title=TITLE, kind="paper",
                      visibility="lendable", keywords="借阅验收")
    assert response.status_code == 201, response.json
    second = upload(app.test_client(), live_server.world.host_token, [sample_dir / "光合作用.pdf"], title=SECOND,
                    kind="excellent_case", visibility="lendable")
    assert second.status_code == 201, second.json
    return {"resource_id": response.json["id"], "second_id": second.json["id"]}


def test_school_borrows_uses_and_reports(browser, live_server, school_world, tmp_path):
    school = browser.new_context(base_url=live_server.url, locale="zh-CN", viewport={"width": 1280, "height": 900},
                                 accept_downloads=True)
    school.set_default_timeout(20_000)
    page = school.new_page()
    sign_in(page, "xiwang", "希望小学教务处")

    # Find the lendable output by search; its files are closed, the borrow form is there.
    page.locator("#site-q").fill("借阅验收")
    page.locator("#site-q").press("Enter")
    page.get_by_role("link", name=TITLE).first.click()
    page.wait_for_url(re.compile(r"/resources/\d+$"))
    assert page.get_by_role("link", name="借阅后可以下载").first.is_visible()
    page.get_by_label("借阅用途").fill("三年级数学组集体备课")
    page.get_by_label("用于哪个班级/课时").fill("三(1)班 第5周")
    screenshot(page, "loan-1-request-form")
    page.locator("#borrow").get_by_role("button", name="借阅").click()
    assert page.get_by_text("借阅申请已提交，等待工作室主持人审批").is_visible()
    assert page.locator(".loan-state.loan-requested").is_visible()  # 申请中, and no second form
    assert page.get_by_label("借阅用途").count() == 0

    page.locator(".user-nav").get_by_role("link", name="我的借阅").click()
    assert page.locator(".loan .loan-state").first.inner_text() == "待审批"

    # The host sees the request (and a notification) and approves it.
    host_context = browser.new_context(base_url=live_server.url, locale="zh-CN", viewport={"width": 1280, "height": 900})
    host = host_context.new_page()
    sign_in(host, "wangli", "王丽")
    assert host.locator(".unread-count").inner_text() == "1"
    host.get_by_role("link", name="借阅审批").click()
    assert host.get_by_text("三年级数学组集体备课").is_visible()
    screenshot(host, "loan-2-host-requests")
    host.get_by_role("button", name="批准").click()
    assert host.get_by_text("已批准借阅").is_visible()

    # The school is told, and now previews and downloads.
    page.reload()
    assert page.locator(".unread-count").inner_text() == "1"
    assert page.locator(".loan .loan-state").first.inner_text() == "借阅中"
    page.get_by_role("link", name=TITLE).click()
    assert page.get_by_text(re.compile("借阅中，至")).is_visible()
    with page.expect_download() as download_info:
        page.locator("ul.files a[download]").first.click()
    pdf = tmp_path / "borrowed.pdf"
    download_info.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")
    screenshot(page, "loan-3-resource-on-loan")

    # The borrow kit for the poorly connected classroom.
    page.locator(".user-nav").get_by_role("link", name="我的借阅").click()
    with page.expect_download() as kit_info:
        page.get_by_role("button", name="下载借阅包").first.click()
    kit = tmp_path / "kit.zip"
    kit_info.value.save_as(kit)
    assert kit_info.value.suggested_filename.startswith("borrow-kit-loan-")
    archive = check_kit(kit.read_bytes())
    index = tmp_path / "kit"
    archive.extractall(index)
    # The offline index opens from disk and shows the title with a working relative link.
    offline = school.new_page()
    offline.goto((index / "index.html").as_uri())
    assert offline.get_by_role("heading", name=TITLE).is_visible()
    assert offline.locator("img").first.evaluate("img => img.complete && img.naturalWidth > 0")
    screenshot(offline, "loan-4-kit-offline-index")
    offline.close()

    # Feedback after use, which the host then sees.
    page.locator("details.feedback-form summary").first.click()
    page.get_by_label("用于几节课").fill("3")
    page.get_by_label("评分（1–5）").select_option("5")
    page.get_by_label("评价").fill("学生借助折纸理解了几分之一")
    page.get_by_role("button", name="提交反馈").click()
    assert page.get_by_text("感谢反馈，工作室已收到").is_visible()
    screenshot(page, "loan-5-my-loans")
    host.goto("/loans/requests")
    assert host.get_by_text("学生借助折纸理解了几分之一").is_visible()
    host.goto("/notifications")
    assert host.get_by_text(re.compile("希望小学 反馈了")).is_visible()

    # Under an assistance agreement, confirmed by both sides, the next loan is granted at once.
    from datetime import timedelta

    host.goto("/agreements/new")
    host.get_by_label("帮扶学校").select_option("希望小学")
    host.locator("input[name=subjects][value=math]").check()
    host.get_by_label("开始日期").fill((county_today() - timedelta(days=1)).isoformat())
    host.get_by_label("结束日期").fill((county_today() + timedelta(days=180)).isoformat())
    host.get_by_label("约定频次（次数）").fill("2")
    host.get_by_label("预期成效").fill("三年级数学组每月借阅两次，期末均分提高 5 分")
    host.get_by_role("button", name="创建协议").click()
    host.wait_for_url(re.compile(r"/agreements/\d+$"))
    agreement_url = host.url
    assert host.locator(".agreement-state").inner_text() == "待确认"
    page.goto(agreement_url)
    page.get_by_role("button", name="确认协议").click()
    assert page.locator(".agreement-state").inner_text() == "执行中"
    page.goto(f"/resources/{school_world['second_id']}")
    page.get_by_label("借阅用途").fill("练习课")
    page.locator("#borrow").get_by_role("button", name="借阅").click()
    assert page.get_by_text(re.compile("已按帮扶协议借阅成功")).is_visible()
    host.goto(agreement_url)
    current = host.locator("table.progress tbody tr").last
    assert current.locator("td").nth(2).inner_text() == "1"
    assert host.get_by_text("练习课").is_visible()
    screenshot(host, "loan-6-agreement-progress")
    host_context.close()
    school.close()
