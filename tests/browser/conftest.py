"""Browser tests: Debian's Chromium driven by Playwright against the app served on 127.0.0.1.

Nothing leaves the machine: the app runs in a server thread on a free loopback port, Chromium starts
with background networking off, and Playwright's own browser downloads are never used."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

from tests.support.app import PASSWORD, build_world, make_app

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run"]
# The upload form's progress must be visible: the test server reads request bodies of POST /upload
# at about this speed, like a school's uplink, instead of loopback's gigabytes per second.
UPLOAD_BYTES_PER_SECOND = 2 << 20


def _require_browser():
    reason = None
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing (apt-get install chromium fonts-noto-cjk)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            reason = "the playwright package is not installed (pip install -e '.[test]')"
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but the browser tests cannot run: {reason}")
        pytest.skip(reason)


# ---------------------------------------------------------------- the served app

class ThrottledInput:
    """A wsgi.input that hands out the body no faster than `rate` bytes per second."""

    def __init__(self, stream, rate: int):
        self.stream, self.rate, self.sent, self.started = stream, rate, 0, time.monotonic()

    def _wait(self):
        due = self.started + self.sent / self.rate
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read(min(size, 64 << 10) if size and size > 0 else 64 << 10)
        self.sent += len(data)
        self._wait()
        return data

    def readline(self, size: int = -1) -> bytes:
        data = self.stream.readline(size)
        self.sent += len(data)
        self._wait()
        return data

    def __iter__(self):
        return iter(self.readline, b"")


def throttle_uploads(wsgi_app, rate: int):
    def middleware(environ, start_response):
        if environ.get("REQUEST_METHOD") == "POST" and environ.get("PATH_INFO") == "/upload":
            environ["wsgi.input"] = ThrottledInput(environ["wsgi.input"], rate)
        return wsgi_app(environ, start_response)
    return middleware


class LiveServer:
    """The app served by a werkzeug server thread on a free 127.0.0.1 port, with the worker
    (`flask worker`'s pass: jobs, index, mail) polling beside it, as `make run` starts them."""

    def __init__(self, app):
        from werkzeug.serving import make_server

        self.app = app
        app.wsgi_app = throttle_uploads(app.wsgi_app, UPLOAD_BYTES_PER_SECOND)
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        # A small receive window keeps the browser from parking megabytes in the kernel at once,
        # so its upload progress follows what the server has read.
        self.server.socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 << 10)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, name="live-server", daemon=True)
        self.thread.start()
        self._stopping = threading.Event()
        self.worker = threading.Thread(target=self._work, name="live-worker", daemon=True)
        self.worker.start()

    def _work(self):
        from library.cli import run_worker_once

        while not self._stopping.wait(0.3):
            with self.app.app_context():
                run_worker_once(20)

    def wait_for_jobs(self, timeout: float = 60.0) -> None:
        """Until the worker has run every queued job (derived posters, thumbnails, text)."""
        from sqlalchemy import func, select

        from library.db import get_session
        from library.jobs.models import Job

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.app.app_context():
                waiting = get_session().scalar(select(func.count(Job.id)).where(
                    Job.state.in_(("queued", "running"))))
            if not waiting:
                time.sleep(0.5)  # its change log reaches the index on the same pass
                return
            time.sleep(0.2)
        raise AssertionError("the worker did not finish the queued jobs")

    def stop(self):
        self._stopping.set()
        self.worker.join(timeout=30)
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


@pytest.fixture(scope="module")
def live_server(tmp_path_factory, migrated_sqlite):
    """A fresh county (tests/conftest.py's world) served over HTTP for one test module."""
    _require_browser()
    app = make_app(tmp_path_factory.mktemp("live") / "instance", migrated_sqlite)
    world = build_world(app)
    server = LiveServer(app)
    server.world = world
    yield server
    server.stop()
    app.extensions["db_engine"].dispose()


# ---------------------------------------------------------------- the browser

class WatchedBrowser:
    """The browser, whose every context reports what the pages' Content-Security-Policy refused
    (library/web/security.py: an inline script, style attribute or handler): `csp_clean` fails the
    test that showed it. Chromium's console line for it is caught, and the page's
    securitypolicyviolation events are written to the console too (init scripts are not under
    the CSP)."""

    def __init__(self, browser) -> None:
        self._browser = browser
        self.violations: list[str] = []

    def new_context(self, **kwargs):
        context = self._browser.new_context(**kwargs)
        context.add_init_script(REPORT_CSP_VIOLATIONS)
        context.on("console", lambda msg: self.violations.append(msg.text) if is_csp_violation(msg.text) else None)
        return context

    def __getattr__(self, name):
        return getattr(self._browser, name)


REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (e) => {
  console.error(`Refused to use ${e.blockedURI || "inline"} (Content Security Policy: ${e.violatedDirective}`
                + ` at ${e.sourceFile || e.documentURI}:${e.lineNumber})`);
});
"""


def is_csp_violation(text: str) -> bool:
    """Chromium's console message for something the page's CSP refused, or the init script's."""
    return text.startswith("Refused to") or "Content Security Policy" in text


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the session (Debian's, never a downloaded build)."""
    _require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS)
        yield WatchedBrowser(chromium)
        chromium.close()


@pytest.fixture(autouse=True)
def csp_clean(request):
    """Every browser test fails on a Content-Security-Policy violation in any of its pages."""
    if "browser" not in request.fixturenames:
        yield
        return
    watched = request.getfixturevalue("browser")
    watched.violations.clear()
    yield
    assert not watched.violations, f"Content-Security-Policy violations: {watched.violations}"


@pytest.fixture
def page(browser, live_server):
    """A fresh browser context (no cookies) on a desktop-sized window, Chinese preferred."""
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(20_000)
    # Loopback only: anything else the page asks for is refused.
    context.route(lambda url: not url.startswith(live_server.url), lambda route: route.abort())
    pg = context.new_page()
    yield pg
    context.close()


def screenshot(pg, name: str, full_page: bool = True) -> Path:
    """Save a screenshot under test-artifacts/screenshots/ for people (and CI logs) to look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    if full_page:
        pg.evaluate("window.scrollTo(0, 0)")  # the sticky header belongs at the top of a full-page picture
    pg.screenshot(path=str(path), full_page=full_page)
    return path


# ---------------------------------------------------------------- files to upload

@pytest.fixture(scope="session")
def big_video(tmp_path_factory) -> Path:
    """A 4-second H.264 test pattern under film grain (about 11 MB), large enough for the progress
    bar to be seen at the test server's upload speed."""
    import imageio_ffmpeg

    path = tmp_path_factory.mktemp("video") / "校本研修课堂实录.mp4"
    subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-nostdin", "-y",
         "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=15:duration=4,noise=alls=35:allf=t",
         "-f", "lavfi", "-i", "sine=frequency=440:duration=4",
         "-t", "4", "-c:v", "libx264", "-preset", "ultrafast", "-crf", "16", "-pix_fmt", "yuv420p",
         "-c:a", "aac", "-shortest", "-movflags", "+faststart", str(path)],
        check=True, capture_output=True, timeout=120,
    )
    return path


def pytest_terminal_summary(terminalreporter):
    """Say where the screenshots are, so a person (or CI's log) can go and look."""
    if SCREENSHOTS.is_dir() and any(SCREENSHOTS.glob("*.png")):
        names = ", ".join(sorted(p.name for p in SCREENSHOTS.glob("*.png")))
        terminalreporter.write_sep("-", "browser screenshots")
        terminalreporter.write_line(f"screenshots: {SCREENSHOTS} ({names})")


def sign_in(page, username: str, display_name: str, password: str = PASSWORD) -> None:
    """Sign in through the login form and check the header names the user."""
    page.goto("/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/$"))
    assert page.locator(".user-nav .who").inner_text() == display_name
