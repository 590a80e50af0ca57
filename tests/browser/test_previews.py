"""The PDF preview on a phone (issue 19, part 9): pdf.js draws a Chinese PDF whose font is not
embedded (reportlab's STSong-Light, as tests/conftest.py makes it) into a canvas that fits a 390 px
screen, page by page, under the page's CSP."""

from __future__ import annotations

from tests.browser.conftest import screenshot
from tests.support.app import upload

# How many of the canvas's pixels are not white: ink from the drawn text (a blank canvas has none).
INK = """(canvas) => {
  const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let ink = 0;
  for (let i = 0; i < data.length; i += 4) if (data[i] < 200 || data[i + 1] < 200 || data[i + 2] < 200) ink++;
  return ink;
}"""


def test_pdf_viewer_draws_a_chinese_pdf_at_phone_width(browser, live_server, sample_dir):
    client = live_server.app.test_client()
    created = upload(client, live_server.world.host_token, [sample_dir / "光合作用.pdf"], title="叶绿体色素的提取和分离").json
    live_server.wait_for_jobs()
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", viewport={"width": 390, "height": 844},
                                  device_scale_factor=2, is_mobile=True, has_touch=True)
    context.set_default_timeout(20_000)
    context.route(lambda url: not url.startswith(live_server.url), lambda route: route.abort())
    asked: list[str] = []
    context.on("request", lambda request: asked.append(request.url))
    page = context.new_page()
    try:
        page.goto(f"/resources/{created['id']}")
        figure = page.locator("figure.preview-pdf")
        figure.scroll_into_view_if_needed()
        page.wait_for_selector("figure.preview-pdf[data-pdf-drawn='1']")
        canvas = figure.locator("canvas")
        assert canvas.get_attribute("aria-label") == "第 1 页"
        box = canvas.bounding_box()
        assert box is not None and 300 <= box["width"] <= 390  # as wide as the column, not the page's 595 pt
        assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing sticks out
        ink = canvas.evaluate(INK)
        assert ink > 500, f"the canvas is blank ({ink} inked pixels)"
        # The font is not embedded: its CMap came from the vendored pdf.js, never from elsewhere.
        assert any(url.endswith("/static/vendor/pdfjs/cmaps/UniGB-UCS2-H.bcmap") for url in asked), asked
        assert figure.locator("[data-pdf-count]").inner_text() == "2"
        screenshot(page, "pdf-preview-390", full_page=False)

        page.get_by_role("button", name="下一页").click()
        page.wait_for_selector("figure.preview-pdf[data-pdf-drawn='2']")
        assert canvas.get_attribute("aria-label") == "第 2 页" and canvas.evaluate(INK) > 200
        assert figure.locator("[data-pdf-number]").inner_text() == "2"
        assert page.get_by_role("button", name="下一页").is_disabled()
        assert figure.locator("[data-pdf-status]").is_hidden()
    finally:
        context.close()
