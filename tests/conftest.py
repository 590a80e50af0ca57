"""Shared fixtures: a fresh app per test (real SQLite file, real Whoosh index, real storage),
a real `weed mini` S3 server for the session, a real PostgreSQL when one is configured, and
real sample documents."""

from __future__ import annotations

import os
import re
import shutil
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from library import create_app
from library.accounts import service as accounts
from library.cli import upgrade_database
from library.demo import samples
from library.studios import service as studios
from tests.support.seaweed import run_weed_mini

PASSWORD = "correct horse battery"


# ---------------------------------------------------------------- sample files

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


# ---------------------------------------------------------------- S3 server

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


# ---------------------------------------------------------------- PostgreSQL

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


# ---------------------------------------------------------------- the app

@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory) -> Path:
    """A migrated, seeded SQLite file copied for each test (migrating once keeps the suite fast)."""
    folder = tmp_path_factory.mktemp("template")
    app = create_app({"DATA_DIR": str(folder), "SECRET_KEY": "template"})
    with app.app_context():
        upgrade_database()
    app.extensions["db_engine"].dispose()
    return folder / "library.db"


def make_app(data_dir: Path, migrated: Path | None = None, **overrides):
    """An app over its own data folder; with `migrated`, its database starts as that file."""
    data_dir.mkdir(parents=True, exist_ok=True)
    if migrated is not None and "DATABASE_URL" not in overrides:
        shutil.copy(migrated, data_dir / "library.db")
    config = {"DATA_DIR": str(data_dir), "SECRET_KEY": "test-secret", "TESTING": True, **overrides}
    app = create_app(config)
    if migrated is None:
        with app.app_context():
            upgrade_database()
    return app


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


@dataclass
class World:
    """A small county: an admin, a studio with a host and a member, a plain teacher; tokens for each."""

    studio_slug: str
    admin_token: str
    host_token: str
    member_token: str
    teacher_token: str


def build_world(app) -> World:
    """Create the accounts and the studio every API test starts from."""
    with app.app_context():
        admin = accounts.create_user("admin", "admin", PASSWORD, "管理员")
        host = accounts.create_user("wangli", "teacher", PASSWORD, "王丽")
        member = accounts.create_user("chenjing", "teacher", PASSWORD, "陈静")
        teacher = accounts.create_user("zhangsan", "teacher", PASSWORD, "张三")
        studio = studios.create_studio("wang-math", "王丽数学名师工作室", "math", "primary")
        studios.add_member(studio, host, "host")
        studios.add_member(studio, member, "member")
        studios.create_studio("li-chinese", "李明语文名师工作室", "chinese", "junior")
        return World(
            studio_slug=studio.slug,
            admin_token=accounts.create_token(admin),
            host_token=accounts.create_token(host),
            member_token=accounts.create_token(member),
            teacher_token=accounts.create_token(teacher),
        )


@pytest.fixture
def world(app) -> World:
    return build_world(app)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def upload(client, token: str, paths: list[Path], **fields):
    """POST /api/v1/resources with real files as multipart parts."""
    data = {"title": "分数的初步认识", "kind": "excellent_case", "subject": "math", "stage": "primary",
            "studio": "wang-math", "year": "2024", "publish": "true", **fields}
    handles = [open(p, "rb") for p in paths]
    try:
        data["file"] = [(h, p.name) for h, p in zip(handles, paths, strict=True)]
        return client.post("/api/v1/resources", data=data, headers=bearer(token),
                           content_type="multipart/form-data")
    finally:
        for h in handles:
            h.close()


def csrf_token(client, path: str) -> str:
    """The CSRF token of a form page, as a browser would read it."""
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def login(client, username: str, password: str = PASSWORD):
    token = csrf_token(client, "/login")
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token})


def county_today() -> date:
    """The county's calendar day (Asia/Shanghai), which loans and agreements are judged by."""
    return datetime.now(ZoneInfo("Asia/Shanghai")).date()
