"""The browser protections seen from a real browser: the delete button still asks first under the
CSP (a script file, no inline handler), and another site cannot frame the pages."""

from __future__ import annotations

import re

from tests.browser.test_teacher_journey import sign_in
from tests.support.app import upload


def test_delete_asks_first_under_the_csp(page, live_server, sample_dir):
    client = live_server.app.test_client()
    body = upload(client, live_server.world.host_token, [sample_dir / "光合作用.pdf"], title="待删除的成果").json
    sign_in(page, "wangli", "王丽")
    response = page.goto(f"/resources/{body['id']}")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_role("button", name="删除").click()
    page.wait_for_timeout(300)
    assert page.url.endswith(f"/resources/{body['id']}")  # dismissed: nothing was sent
    asked: list[str] = []

    def accept(dialog) -> None:
        asked.append(dialog.message)
        dialog.accept()

    page.once("dialog", accept)
    page.get_by_role("button", name="删除").click()
    page.wait_for_url(re.compile(r"/$|/studios/|/account"))
    assert asked == ["确定删除这个成果吗？"]
    assert client.get(f"/api/v1/resources/{body['id']}",
                      headers={"Authorization": f"Bearer {live_server.world.host_token}"}).status_code == 404


def test_another_site_cannot_frame_the_pages(browser, live_server):
    """A page of another origin (a second server on this machine) puts the sign-in page in a frame:
    Chromium shows its own error page instead (frame-ancestors 'none', X-Frame-Options: DENY)."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    html = f'<!doctype html><iframe id="victim" src="{live_server.url}/login"></iframe>'.encode()

    class Elsewhere(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(html)))
            self.end_headers()
            self.wfile.write(html)

        def log_message(self, *args):
            pass

    other = ThreadingHTTPServer(("127.0.0.1", 0), Elsewhere)
    threading.Thread(target=other.serve_forever, daemon=True).start()
    context = browser.new_context(locale="zh-CN")
    try:
        page = context.new_page()
        page.goto(f"http://localhost:{other.server_port}/")
        page.wait_for_timeout(1000)
        framed = [f for f in page.frames if f != page.main_frame]
        assert framed, "no frame at all"
        for frame in framed:
            assert frame.locator("input[name=password]").count() == 0, frame.url
    finally:
        context.close()
        other.shutdown()
        other.server_close()
    browser.violations.clear()  # a refusal is the point of this test
