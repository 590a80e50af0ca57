"""Derivation in a sandbox (issue 13, part 4): hostile files are refused quickly, with a readable
reason, without the web process's memory growing; the child's limits stop what gets past the
bounds; a killed child leaves later derivations unharmed."""

from __future__ import annotations

import io
import re
import time
from pathlib import Path

import pytest
from PIL import Image

from library.resources import ingest
from tests.support import badfiles
from tests.support.app import build_world, make_app, run_jobs, upload

CORPUS_NAMES = ["thin-page.pdf", "tall-page.pdf", "flat-page.pdf", "bomb.png", "bomb.jpg", "bomb.webp",
                "paragraphs.docx", "ratio.docx", "huge-part.docx", "shapes.pptx", "ratio.xlsx",
                "nested.mp4", "truncated.mp4"]


@pytest.fixture(scope="session")
def corpus(tmp_path_factory) -> tuple[Path, dict[str, badfiles.BadFile]]:
    folder = tmp_path_factory.mktemp("badfiles")
    return folder, badfiles.make_corpus(folder)


def _status(field: str) -> int:
    """A VmRSS/VmHWM figure of this process in kB."""
    match = re.search(rf"^{field}:\s+(\d+) kB", Path("/proc/self/status").read_text(), re.M)
    assert match, field
    return int(match.group(1))


def test_the_corpus_is_what_the_tests_expect(corpus):
    folder, bad = corpus
    assert sorted(bad) == sorted(CORPUS_NAMES)
    for item in bad.values():  # each is accepted as what it claims to be: only derivation is at stake
        assert ingest.sniff(folder / item.name, item.name) == item.content_type, item.name


@pytest.mark.parametrize("name", CORPUS_NAMES)
def test_a_bad_file_is_refused_fast_with_a_reason_and_no_parent_memory(corpus, name):
    folder, bad = corpus
    item = bad[name]
    ingest.derive(folder / "thin-page.pdf", "application/pdf")  # the forkserver is up before timing
    Path("/proc/self/clear_refs").write_text("5")  # VmHWM := VmRSS
    before = _status("VmRSS")
    started = time.monotonic()
    derived = ingest.derive(folder / name, item.content_type)
    elapsed = time.monotonic() - started
    growth_mb = (_status("VmHWM") - before) / 1024
    assert elapsed < 5, f"{name}: {elapsed:.1f} s"
    assert derived.error and derived.error.startswith(item.reason), (name, derived.error)
    assert derived.thumbnail is None and derived.poster is None
    assert growth_mb <= 64, f"{name}: the parent's peak grew {growth_mb:.0f} MB"


def test_a_pdf_with_an_odd_page_keeps_its_text(corpus):
    folder, _ = corpus
    derived = ingest.derive(folder / "thin-page.pdf", "application/pdf")
    assert derived.error == "无法生成预览：页面尺寸异常（0.5×3000 pt）"
    assert derived.text is not None and "sliver" in derived.text


def test_page_bounds_are_computed_from_the_page_box():
    assert ingest.thumbnail_scale(595, 842) == pytest.approx(400 / 595)  # A4 as before
    assert ingest.thumbnail_scale(400, 4000) == 1  # a tall page at the bound
    for width, height in [(0.5, 3000), (400, 4001), (0, 100), (100, -1), (14400, 0.5), (float("nan"), 1)]:
        with pytest.raises(ingest.Refused) as refused:
            ingest.thumbnail_scale(width, height)
        assert refused.value.reason == "page_size"


def _many_paragraphs(tmp_path: Path, count: int) -> Path:
    """A legitimate-looking Word document under the element bound that takes seconds to read."""
    base = badfiles.samples.make_docx(tmp_path / "base.docx", "长文档", ["开头"])
    paragraphs = b"".join(f"<w:p><w:r><w:t>第 {i} 段</w:t></w:r></w:p>".encode() for i in range(count))
    return badfiles._rewrite_zip(base, tmp_path / "long.docx", {"word/document.xml": badfiles._docx_body(paragraphs)})


@pytest.mark.parametrize(("limit", "value"), [("DERIVE_CPU_SECONDS", 1), ("DERIVE_WALL_SECONDS", 1)])
def test_the_time_limits_stop_a_slow_derivation_and_later_ones_still_work(tmp_path, migrated_sqlite, sample_dir,
                                                                        limit, value):
    slow = _many_paragraphs(tmp_path, 48_000)  # ~7 s of python-docx, under the element bound
    app = make_app(tmp_path / "instance", migrated_sqlite, **{limit: value})
    with app.app_context():
        started = time.monotonic()
        derived = ingest.derive(slow, ingest.DOCX)
        elapsed = time.monotonic() - started
        assert derived.error == "无法提取文字：处理超时" and derived.text is None
        assert elapsed < 5  # the file alone takes ~7 s of CPU
        again = ingest.derive(sample_dir / "教学设计.docx", ingest.DOCX)  # the next child is fresh
        assert again.error is None and "分数的初步认识" in (again.text or "")
    app.extensions["db_engine"].dispose()


def test_the_memory_limit_stops_a_large_decode(tmp_path, migrated_sqlite, sample_dir):
    picture = badfiles.png_bomb(tmp_path / "big.png", side=6000, rgb=True)  # 36 Mpx: under the pixel bound
    app = make_app(tmp_path / "instance", migrated_sqlite, DERIVE_MEMORY_MB=192)
    with app.app_context():
        derived = ingest.derive(picture, "image/png")
        assert derived.error == "无法生成预览：内存超出限制" and derived.thumbnail is None
        again = ingest.derive(sample_dir / "校园植物.png", "image/png")
        assert again.error is None and again.thumbnail
    app.extensions["db_engine"].dispose()
    # With the default limits the same picture gets its thumbnail.
    with Image.open(io.BytesIO(ingest.derive(picture, "image/png").thumbnail or b"")) as im:
        assert im.size == (400, 400)


def test_outside_an_app_the_defaults_apply():
    from library.resources.sandbox import Limits

    assert Limits.from_config() == Limits(cpu_seconds=20, wall_seconds=30, memory_mb=1024)


def test_an_upload_of_a_bad_file_is_kept_with_the_reason(app, corpus, sample_dir):
    folder, bad = corpus
    client = app.test_client()
    world = build_world(app)
    # A good upload first: the forkserver, jieba's dictionary and the index are warm before timing.
    warm = upload(client, world.host_token, [sample_dir / "校园植物.png"]).json
    run_jobs(app)  # derivation runs in the worker's jobs
    assert client.get(f"/api/v1/resources/{warm['id']}").json["files"][0]["thumbnail_url"]
    response = upload(client, world.host_token, [folder / "bomb.png"], title="校园全景")
    assert response.status_code == 201, response.json
    started = time.monotonic()
    assert run_jobs(app).failed == 1  # kept, not retried: the same bytes fail the same way
    elapsed = time.monotonic() - started
    assert elapsed < 5
    file = client.get(f"/api/v1/resources/{response.json['id']}").json["files"][0]
    assert file["derive_error"] == "无法生成预览：图片像素过多"
    assert "thumbnail_url" not in file
    kept = client.get(f"/api/v1/resources/{response.json['id']}")
    assert kept.status_code == 200 and kept.json["files"][0]["sha256"] == file["sha256"]
    assert client.get(file["download_url"]).get_data() == (folder / "bomb.png").read_bytes()
    page = client.get(f"/resources/{response.json['id']}")  # published: the page is public
    assert page.status_code == 200
    assert '<small class="file-state file-failed">未能生成预览：无法生成预览：图片像素过多</small>' in page.get_data(as_text=True)
