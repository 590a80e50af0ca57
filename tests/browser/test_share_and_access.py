"""分享 and 如何获取文件 in a real browser, on a phone: the QR code loads as an image, the copy button
puts the page's address on the clipboard, and neither box is wider than the screen."""

from __future__ import annotations

import pytest

from tests.browser.conftest import screenshot
from tests.browser.test_teacher_journey import sign_in
from tests.support.app import upload

PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def outputs(live_server, sample_dir):
    token = live_server.world.host_token
    client = live_server.app.test_client()
    public = upload(client, token, [sample_dir / "光合作用.pdf"], title="光合作用分享验收").json["id"]
    lendable = upload(client, token, [sample_dir / "光合作用.pdf"], title="光合作用借阅说明",
                      visibility="lendable").json["id"]
    return {"public": public, "lendable": lendable}


def _fits(pg, selector: str) -> None:
    """The box ends inside the screen (the page's other parts are the phone layout's to check)."""
    assert pg.evaluate(f"document.querySelector({selector!r}).getBoundingClientRect().right <= window.innerWidth"), \
        f"{selector} is wider than the screen"


def test_share_box_on_a_phone(browser, live_server, outputs):
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", viewport=PHONE,
                                  permissions=["clipboard-read", "clipboard-write"])
    try:
        pg = context.new_page()
        pg.goto(f"/resources/{outputs['public']}")
        pg.get_by_text("分享", exact=True).click()
        address = f"{live_server.url}/resources/{outputs['public']}"
        assert pg.locator("#share-url").input_value() == address
        qr = pg.locator(".share-qr img")
        qr.scroll_into_view_if_needed()
        assert pg.evaluate("img => img.complete && img.naturalWidth > 0", qr.element_handle())
        pg.get_by_role("button", name="复制链接").click()
        assert pg.locator(".copy-status").inner_text() == "已复制"
        assert pg.evaluate("navigator.clipboard.readText()") == address
        _fits(pg, "#share")
        assert pg.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "wider than the screen"
        screenshot(pg, "share-phone")
    finally:
        context.close()


def test_access_note_on_a_phone(browser, live_server, outputs):
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", viewport=PHONE)
    try:
        pg = context.new_page()
        sign_in(pg, "zhangsan", "张三")  # a teacher of no studio
        pg.goto(f"/resources/{outputs['lendable']}")
        assert pg.locator("#access").get_by_text("主持人：王丽").is_visible()
        pg.get_by_role("link", name="如何获取文件").first.click()
        assert pg.url.endswith("#access")
        _fits(pg, "#access")
        screenshot(pg, "access-note-phone")
    finally:
        context.close()
