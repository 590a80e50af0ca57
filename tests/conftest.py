"""Shared fixtures: a fresh app per test (real SQLite file, real Whoosh index, real storage),
a real `weed mini` S3 server for the session, a real PostgreSQL when one is configured, and
real sample documents."""

from __future__ import annotations

import os
import signal
import uuid
from pathlib import Path

import pytest

from library import create_app
from library.cli import upgrade_database
from library.demo import samples
from tests.support.app import World, build_world, make_app
from tests.support.seaweed import run_weed_mini


@pytest.fixture(scope="session")
def sample_dir(tmp_path_factory) -> Path:
    """Real documents of every accepted kind, plus refused and broken ones."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    folder = tmp_path_factory.mktemp("samples")
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    pdf = canvas.Canvas(str(folder / "光合作用.pdf"))
    pdf.setFont("STSong-Light", 14)
    pdf.drawString(72, 760, "叶绿体色素的提取和分离实验")
    pdf.drawString(72, 730, "本实验使用层析液分离叶黄素与胡萝卜素。")
    pdf.showPage()
    pdf.setFont("STSong-Light", 14)  # a new page starts without a font
    pdf.drawString(72, 760, "第二页：实验结论与反思")
    pdf.save()
    samples.make_docx(folder / "教学设计.docx", "分数的初步认识", ["借助折纸理解几分之一", "蜂巢结构的数学之美"])
    samples.make_pptx(folder / "群文阅读.pptx", "群文阅读", ["议题：家国情怀", "比较阅读四篇文本"])
    samples.make_png(folder / "校园植物.png")
    samples.make_mp4(folder / "课堂实录.mp4", seconds=3)
    # An ELF executable header wearing a .pdf name.
    (folder / "作业.pdf").write_bytes(b"\x7fELF\x02\x01\x01\x00" + os.urandom(4096))
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer\n%%EOF garbage")
    (folder / "notes.txt").write_text("只是一段文字")
    return folder


@pytest.fixture(scope="session")
def weed(tmp_path_factory):
    """A real SeaweedFS S3 server on 127.0.0.1 for the whole session."""
    server = run_weed_mini(tmp_path_factory.mktemp("weed"))
    yield server
    server.stop()


@pytest.fixture
def s3_env(weed, monkeypatch):
    """boto3's own environment variables pointing at the weed server; returns a fresh bucket URL."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", weed.endpoint_url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", weed.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", weed.secret_key)
    monkeypatch.setenv("AWS_DEFAULT_REGION", weed.region)
    return f"s3://test-{uuid.uuid4().hex[:12]}/library"


@pytest.fixture
def pg_url():
    """A fresh PostgreSQL database for one test, dropped afterwards."""
    base = os.environ.get("LIBRARY_TEST_POSTGRES_URL")
    if not base:
        if os.environ.get("CI"):
            pytest.fail("CI is set but LIBRARY_TEST_POSTGRES_URL is not: the PostgreSQL tests must run in CI")
        pytest.skip("LIBRARY_TEST_POSTGRES_URL is not set (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/postgres)")
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import OperationalError

    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    name = f"library_test_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:
        admin.dispose()
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL at {base} is not reachable in CI: {exc}")
        pytest.skip(f"no PostgreSQL reachable at {base}: {exc.orig}")
    yield make_url(base).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def soffice() -> str:
    """LibreOffice's soffice (the DOCX/PPTX page images); skipped without it, failed in CI (.ci/run
    installs it)."""
    import shutil

    found = shutil.which("soffice")
    if found is None:
        reason = "LibreOffice is not installed (apt-get install libreoffice-writer-nogui libreoffice-impress-nogui)"
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but {reason}")
        pytest.skip(reason)
    return found


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory) -> Path:
    """A migrated, seeded SQLite file copied for each test (migrating once keeps the suite fast)."""
    folder = tmp_path_factory.mktemp("template")
    app = create_app({"DATA_DIR": str(folder), "SECRET_KEY": "template"})
    with app.app_context():
        upgrade_database()
    app.extensions["db_engine"].dispose()
    return folder / "library.db"


@pytest.fixture
def app(tmp_path, migrated_sqlite):
    """The embedded default: SQLite file, local storage folder, Whoosh index, all under tmp_path."""
    application = make_app(tmp_path / "instance", migrated_sqlite)
    yield application
    application.extensions["db_engine"].dispose()


@pytest.fixture
def s3_app(tmp_path, migrated_sqlite, s3_env):
    """The same app storing its files in a fresh bucket on the weed server."""
    application = make_app(tmp_path / "instance", migrated_sqlite, STORAGE_URL=s3_env)
    yield application
    application.extensions["db_engine"].dispose()


@pytest.fixture
def stalling(tmp_path, migrated_sqlite, monkeypatch):
    """An S3 app on its own weed server, which the test may stop (SIGSTOP: it accepts connections
    and never answers); stopping the session's server would stall other tests."""
    server = run_weed_mini(tmp_path / "weed")
    for name, value in (("AWS_ENDPOINT_URL", server.endpoint_url), ("AWS_ACCESS_KEY_ID", server.access_key),
                        ("AWS_SECRET_ACCESS_KEY", server.secret_key), ("AWS_DEFAULT_REGION", server.region)):
        monkeypatch.setenv(name, value)
    application = make_app(tmp_path / "instance", migrated_sqlite,
                           STORAGE_URL=f"s3://stall-{uuid.uuid4().hex[:10]}/library")
    try:
        yield application, server
    finally:
        os.kill(server.process.pid, signal.SIGCONT)
        server.stop()
        application.extensions["db_engine"].dispose()


@pytest.fixture(params=["local", "s3"])
def any_app(request):
    """Run a test once on local storage and once on S3."""
    return request.getfixturevalue("app" if request.param == "local" else "s3_app")


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def world(app) -> World:
    return build_world(app)
