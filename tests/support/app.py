"""Helpers for tests of the app: build one, a small world of users and a studio, sign in, upload,
run the background jobs."""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from library import create_app
from library.accounts import service as accounts
from library.cli import run_worker_once, upgrade_database
from library.studios import service as studios

PASSWORD = "correct horse battery"


def make_app(data_dir: Path, migrated: Path | None = None, **overrides):
    """An app over its own data folder; with `migrated`, its database starts as that file."""
    data_dir.mkdir(parents=True, exist_ok=True)
    if migrated is not None and "DATABASE_URL" not in overrides:
        shutil.copy(migrated, data_dir / "library.db")
    # LibreOffice's page images of DOCX/PPTX cost seconds a document: off unless a test asks for
    # them (SOFFICE=…, the `soffice` fixture), so the rest of the suite derives text as before.
    config = {"DATA_DIR": str(data_dir), "SECRET_KEY": "test-secret", "TESTING": True, "SOFFICE": "", **overrides}
    app = create_app(config)
    if migrated is None:
        with app.app_context():
            upgrade_database()
    return app


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


def run_jobs(app):
    """Run what `flask worker --once` runs (every due job, then the change log into the index, loan
    sweep, mail): derived thumbnails, posters and text exist after it, not right after an upload."""
    with app.app_context():
        report, _applied = run_worker_once()
    return report
