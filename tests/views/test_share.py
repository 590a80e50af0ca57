"""分享 (issue 19, part 8): a public output's page offers its address and a QR code drawn by segno;
nothing else is offered, and the code of anything not public is not found."""

from __future__ import annotations

import io
import re

import segno
import zxingcpp
from PIL import Image

from tests.support.app import bearer, build_world, login, make_app, upload


def _modules(svg: bytes) -> tuple[int, set[tuple[int, int]]]:
    """The dark modules of a segno SVG (its one path of horizontal runs) and the code's width."""
    text = svg.decode()
    size = int(re.search(r'<path fill="#fff" d="M0 0h(\d+)v', text).group(1))
    path = re.search(r'<path class="qrline"[^>]* d="([^"]+)"', text).group(1)
    x = y = 0.0
    dark: set[tuple[int, int]] = set()
    for command, args in re.findall(r"([MmHhVv])([^MmHhVv]*)", path):
        numbers = [float(v) for v in args.replace(",", " ").split()]
        if command == "M":
            x, y = numbers
        elif command == "m":
            x, y = x + numbers[0], y + numbers[1]
        elif command == "h":
            dark |= {(int(x) + i, int(y)) for i in range(int(numbers[0]))}
            x += numbers[0]
        else:
            raise AssertionError(f"unexpected path command {command}")
    return size, dark


def decode(svg: bytes) -> str:
    """Read the QR code of the served SVG as a phone would: draw it, then decode it with zxing-cpp."""
    size, dark = _modules(svg)
    image = Image.new("L", (size, size), 255)
    for point in dark:
        image.putpixel(point, 0)
    found = zxingcpp.read_barcodes(image.resize((size * 8, size * 8), Image.Resampling.NEAREST))
    assert len(found) == 1 and found[0].format == zxingcpp.BarcodeFormat.QRCode
    return found[0].text


def segno_svg(url: str) -> bytes:
    out = io.BytesIO()
    segno.make(url, error="m", micro=False).save(out, kind="svg", scale=4, border=4, light="#fff")
    return out.getvalue()


def test_a_public_output_offers_its_address_and_a_qr_code(client, world, sample_dir):
    rid = upload(client, world.host_token, [sample_dir / "光合作用.pdf"], title="光合作用").json["id"]
    page = client.get(f"/resources/{rid}").get_data(as_text=True)  # signed out
    assert 'id="share"' in page and "<summary>分享</summary>" in page
    assert f'id="share-url" type="url" value="http://localhost/resources/{rid}" readonly' in page
    assert f'src="/resources/{rid}/qr.svg"' in page and "复制链接" in page
    assert "/static/js/share.js" in page

    response = client.get(f"/resources/{rid}/qr.svg")
    assert response.status_code == 200 and response.content_type == "image/svg+xml"
    assert response.headers["Cache-Control"] == "public, max-age=86400"
    assert response.data == segno_svg(f"http://localhost/resources/{rid}")
    assert decode(response.data) == f"http://localhost/resources/{rid}"
    assert b'xmlns="http://www.w3.org/2000/svg"' in response.data  # a document of its own, for <img>


def test_only_public_published_outputs_are_shared(client, world, sample_dir):
    pdf = [sample_dir / "光合作用.pdf"]
    hidden = {
        "internal": upload(client, world.host_token, pdf, title="内部", visibility="internal").json["id"],
        "studio": upload(client, world.host_token, pdf, title="工作室", visibility="studio").json["id"],
        "lendable": upload(client, world.host_token, pdf, title="可借阅", visibility="lendable").json["id"],
        "draft": upload(client, world.host_token, pdf, title="草稿", publish="false").json["id"],
    }
    login(client, "wangli")  # the host sees every one of them, and is still not offered to share them
    for name, rid in hidden.items():
        page = client.get(f"/resources/{rid}")
        assert page.status_code == 200, name
        assert 'id="share"' not in page.get_data(as_text=True), name
        assert client.get(f"/resources/{rid}/qr.svg").status_code == 404, name
    assert client.get("/resources/999999/qr.svg").status_code == 404
    # Withdrawn: no longer shared.
    rid = upload(client, world.host_token, pdf, title="撤回的").json["id"]
    assert client.get(f"/resources/{rid}/qr.svg").status_code == 200
    assert client.post(f"/api/v1/resources/{rid}/withdraw", json={"comment": "过时"},
                       headers=bearer(world.host_token)).status_code == 200
    assert client.get(f"/resources/{rid}/qr.svg").status_code == 404


def test_the_shared_address_is_the_configured_base_url(tmp_path, migrated_sqlite, sample_dir):
    app = make_app(tmp_path / "instance", migrated_sqlite, BASE_URL="https://library.example.cn/")
    try:
        world = build_world(app)
        client = app.test_client()
        rid = upload(client, world.host_token, [sample_dir / "光合作用.pdf"], title="光合作用").json["id"]
        page = client.get(f"/resources/{rid}").get_data(as_text=True)
        assert f'value="https://library.example.cn/resources/{rid}"' in page
        assert decode(client.get(f"/resources/{rid}/qr.svg").data) == f"https://library.example.cn/resources/{rid}"
    finally:
        app.extensions["db_engine"].dispose()
