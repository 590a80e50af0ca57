"""A generated library loaded through the real import path, and gunicorn as `make run` starts it.

Shared by `bench.http` and `bench.load`. `prepare()` builds (or reuses) a data directory under
bench/out/library/<backend>-<resources>-seed<seed>-pool<pool>/:

1. `flask init-db`; then one Python step with the app factory (`python -m bench.library people`):
   the 29 studios of the generator (bench/search/corpus.py), an admin `benchadmin`, the host and a
   teacher member of studio-01, a coordinator liaising with it, a weak school with an assistance
   agreement in force (account `school`) and a second school without one (`school2`).
   No CLI makes agreements, hence the Python step.
2. A pool of `pool` small PDFs (reportlab, STSong-Light, the generator's body text; ~20 per
   subject) and two CSV manifests in the columns of library/resources/importer.py FIELDS: the
   rows that first use a pool file, then every other row (their files are copies of content
   already imported, so the import deduplicates them and copies the derived text).
3. `flask import manifest-1.csv --as benchadmin`, `flask worker --once` (derives the pool),
   `flask import manifest-2.csv --as benchadmin`, then `python -m bench.library finish` (loans:
   three granted under the agreement, two waiting for the host; the facts the benchmarks need)
   and `flask worker --once`. Each import is timed (rows/s).

The directory is kept and reused (key: backend, size, seed, pool); `--fresh` rebuilds it. On reuse
`flask init-db` runs again (new migrations apply) and `flask worker --once` brings the index up to
date. With PostgreSQL the rows live in the database `bench_<resources>_<seed>` (created on the
server of the URL given, named in library.json); with S3 the bucket lives in a `weed mini`
whose directory is kept beside the data directory.
"""

from __future__ import annotations

import csv
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from bench.procs import HOST, ROOT, VENV_BIN, children, clean_env, free_port
from bench.search import corpus

OUT = ROOT / "bench" / "out" / "library"
PASSWORD = "bench-password-2026"
ADMIN = "benchadmin"
STUDIO = "studio-01"
BUCKET = "bench-library"
DEFAULT_POOL = 320
# What `make run` starts (Makefile): 2 workers, gthread, 4 threads.
GUNICORN_ARGS = ("--workers", "2", "--worker-class", "gthread", "--threads", "4", "--timeout", "120")
FIELDS = (
    "title", "kind", "subject", "stage", "grade", "edition", "volume", "unit", "lesson", "studio", "authors",
    "abstract", "keywords", "year", "award_level", "award_name", "project_level", "project_status",
    "project_number", "publication", "visibility", "status", "files",
)  # library/resources/importer.py FIELDS (bench/ imports no library code in the bench process)


def python() -> str:
    """The venv's interpreter (ROOT/.venv, as `make` creates it; else this one)."""
    candidate = VENV_BIN / "python"
    return str(candidate) if candidate.exists() else sys.executable


def tool(name: str) -> str:
    """A console script of the venv: ROOT/.venv/bin/NAME, else beside this interpreter."""
    for folder in (VENV_BIN, Path(sys.executable).parent):
        if (folder / name).exists():
            return str(folder / name)
    raise FileNotFoundError(f"{name} not found in {VENV_BIN} or beside {sys.executable}")


# ------------------------------------------------------------------ backends


@dataclass
class Postgres:
    """A database of its own on the server of `url` (created, and dropped by `drop()`)."""

    url: str  # any database on the server, e.g. postgresql+psycopg://postgres@127.0.0.1:5432/postgres
    name: str

    def _admin_dsn(self) -> str:
        return self.url.replace("postgresql+psycopg://", "postgresql://", 1)

    def app_url(self) -> str:
        head, _sep, _db = self.url.rpartition("/")
        return f"{head}/{self.name}"

    def _execute(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self._admin_dsn(), autocommit=True) as conn:
            conn.execute(sql)

    def exists(self) -> bool:
        import psycopg

        with psycopg.connect(self._admin_dsn(), autocommit=True) as conn:
            return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (self.name,)).fetchone() is not None

    def create(self) -> None:
        self.drop()
        self._execute(f'CREATE DATABASE "{self.name}"')

    def drop(self) -> None:
        self._execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


class S3:
    """A `weed mini` on loopback with its data in `workdir` (kept, so a prepared bucket is reused)."""

    def __init__(self, workdir: Path, secret_key: str) -> None:
        sys.path.insert(0, str(ROOT))  # tests.support is not an installed package
        from tests.support.seaweed import run_weed_mini

        self.server = run_weed_mini(workdir, secret_key=secret_key)

    def env(self) -> dict[str, str]:
        return {
            "LIBRARY_STORAGE_URL": f"s3://{BUCKET}",
            "AWS_ENDPOINT_URL": self.server.endpoint_url,
            "AWS_ACCESS_KEY_ID": self.server.access_key,
            "AWS_SECRET_ACCESS_KEY": self.server.secret_key,
            "AWS_DEFAULT_REGION": self.server.region,
        }

    def object_count(self) -> int:
        client = self.server.client()
        try:
            return sum(page.get("KeyCount", 0) for page in
                       client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET))
        except Exception:  # noqa: BLE001 - no bucket yet
            return 0

    def stop(self) -> None:
        self.server.stop()


# ------------------------------------------------------------------ the prepared library


@dataclass
class Library:
    """A prepared data directory and how to run the app on it."""

    key: str
    home: Path
    resources: int
    seed: int
    facts: dict[str, Any]
    load: dict[str, Any]
    env: dict[str, str]
    postgres: Postgres | None = None
    s3: S3 | None = None
    reused: bool = False

    @property
    def data_dir(self) -> Path:
        return self.home / "data"

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    def flask(self, *args: str, log: Path | None = None, timeout: float | None = None,
              stdin: str | None = None) -> str:
        return flask(self.env, *args, log=log, timeout=timeout, stdin=stdin)

    def note_uploads(self, count: int) -> None:
        """Resources bench.load added (kept: the next runs say how many)."""
        marker = self.home / "library.json"
        saved = json.loads(marker.read_text())
        saved["load"]["uploads"] = self.load["uploads"] = saved["load"].get("uploads", 0) + count
        marker.write_text(json.dumps(saved, indent=1))

    def close(self, drop: bool = False) -> None:
        """Stop weed; with `drop`, drop the database and delete the directory too."""
        if self.s3 is not None:
            self.s3.stop()
            self.s3 = None
        if drop:
            if self.postgres is not None:
                self.postgres.drop()
            shutil.rmtree(self.home, ignore_errors=True)


def flask(env: dict[str, str], *args: str, log: Path | None = None, timeout: float | None = None,
          stdin: str | None = None) -> str:
    """`flask --app wsgi ARGS` from the venv; output to `log` when given (long imports), else returned."""
    command = [tool("flask"), "--app", "wsgi", *args]
    if log is not None:
        with open(log, "ab") as fh:
            fh.write(f"$ flask {' '.join(args)}\n".encode())
            fh.flush()
            proc = subprocess.run(command, cwd=ROOT, env=env, stdout=fh, stderr=subprocess.STDOUT,
                                  input=stdin.encode() if stdin else None, timeout=timeout)
        if proc.returncode != 0:
            tail = "\n".join(log.read_text(errors="replace").splitlines()[-30:])
            raise RuntimeError(f"flask {' '.join(args)} failed ({proc.returncode}); {log}:\n{tail}")
        return ""
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, input=stdin,
                          timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"flask {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done.stdout


def _step(env: dict[str, str], name: str, *args: str) -> dict[str, Any]:
    """`python -m bench.library NAME ARGS` in the app's environment; its last stdout line is JSON."""
    done = subprocess.run([python(), "-m", "bench.library", name, *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=3600)
    if done.returncode != 0:
        raise RuntimeError(f"bench.library {name} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def backend_name(postgres: str | None, s3: bool) -> str:
    return f"{'pg' if postgres else 'sqlite'}-{'s3' if s3 else 'local'}"


def prepare(resources: int, *, seed: int = corpus.SEED, pool: int = DEFAULT_POOL,
            postgres: str | None = None, s3: bool = False, fresh: bool = False,
            log=print) -> Library:
    """The library of `resources` generated resources, loaded (or reused) as the module says."""
    key = f"{backend_name(postgres, s3)}-{resources}-seed{seed}-pool{pool}"
    home = OUT / key
    marker = home / "library.json"
    pg = Postgres(postgres, f"bench_{resources}_{seed}") if postgres else None
    saved = json.loads(marker.read_text()) if marker.exists() and not fresh else None
    if saved is not None and pg is not None and not pg.exists():
        log(f"library {key}: database {pg.name} is gone; preparing again")
        saved = None
    secret = saved["s3_secret"] if saved and s3 else os.urandom(16).hex()
    if saved is None:
        shutil.rmtree(home, ignore_errors=True)
        home.mkdir(parents=True)
    weed = S3(home / "weed", secret) if s3 else None
    try:
        if saved is not None and weed is not None and weed.object_count() < min(pool, resources):
            log(f"library {key}: the bucket lost its objects; preparing again")
            weed.stop()
            saved = None
            shutil.rmtree(home, ignore_errors=True)
            home.mkdir(parents=True)
            secret = os.urandom(16).hex()
            weed = S3(home / "weed", secret)
        env = clean_env({"LIBRARY_DATA_DIR": str(home / "data"), "PYTHONPATH": str(ROOT),
                         **({"LIBRARY_DATABASE_URL": pg.app_url()} if pg else {}),
                         **(weed.env() if weed else {})})
        lib = Library(key, home, resources, seed, {}, {}, env, pg, weed)
        if saved is not None:
            imp = saved["load"].get("import", {})
            log(f"library {key}: reusing {home} (loaded {saved['load']['when']}: {imp.get('rows', 0):,} rows "
                f"in {imp.get('seconds', 0):,.0f} s, {imp.get('rows_per_s', 0):,.1f} rows/s; "
                f"{saved['load'].get('uploads', 0)} uploaded since by bench.load; --fresh to rebuild)")
            lib.facts, lib.load, lib.reused = saved["facts"], saved["load"], True
            lib.flask("init-db")
            lib.flask("worker", "--once", log=home / "prepare.log")
            return lib
        _load(lib, pool, log)
        marker.write_text(json.dumps({"facts": lib.facts, "load": lib.load, "s3_secret": secret,
                                      "database": pg.name if pg else None}, indent=1))
        return lib
    except BaseException:
        if weed is not None:
            weed.stop()
        raise


def _load(lib: Library, pool: int, log) -> None:
    home, started = lib.home, time.monotonic()
    if lib.postgres is not None:
        lib.postgres.create()
    log(f"library {lib.key}: preparing {lib.resources:,} resources in {home}")
    lib.flask("init-db")
    _step(lib.env, "people", str(lib.seed))
    files = write_inputs(home, lib.resources, lib.seed, pool)
    log(f"  {files['pool']} pool files, manifests of {files['rows'][0]:,} + {files['rows'][1]:,} rows")
    timings: dict[str, Any] = {"when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                               "resources": lib.resources, "pool_files": files["pool"]}
    for phase, (manifest, rows) in enumerate(zip(("manifest-1.csv", "manifest-2.csv"), files["rows"],
                                                 strict=True), start=1):
        if not rows:
            continue
        begin = time.monotonic()
        lib.flask("import", str(home / manifest), "--as", ADMIN, log=home / f"import-{phase}.log")
        seconds = time.monotonic() - begin
        timings[f"import_{phase}"] = {"rows": rows, "seconds": seconds, "rows_per_s": rows / seconds}
        log(f"  flask import {manifest}: {rows:,} rows in {seconds:,.1f} s ({rows / seconds:,.1f} rows/s)")
        if phase == 1:
            begin = time.monotonic()
            lib.flask("worker", "--once", log=home / "prepare.log")
            timings["derive_seconds"] = time.monotonic() - begin
            log(f"  flask worker --once (derive the pool): {timings['derive_seconds']:,.1f} s")
    rows = sum(files["rows"])
    seconds = sum(timings[f"import_{p}"]["seconds"] for p in (1, 2) if f"import_{p}" in timings)
    timings["import"] = {"rows": rows, "seconds": seconds, "rows_per_s": rows / seconds}
    lib.facts = _step(lib.env, "finish", str(lib.resources))
    lib.flask("worker", "--once", log=home / "prepare.log")
    timings["total_seconds"] = time.monotonic() - started
    lib.load = timings
    log(f"  imported {lib.facts['resources']:,} resources ({rows / seconds:,.1f} rows/s over both "
        f"imports); prepared in {timings['total_seconds']:,.0f} s")


# ------------------------------------------------------------------ inputs: pool files and manifests


def make_pdf(path: Path, title: str, text: str) -> None:
    """A small PDF whose text layer is `text` (reportlab's built-in CJK font, nothing embedded)."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    if "STSong-Light" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    page = canvas.Canvas(str(path), pagesize=(595, 842), invariant=1)
    page.setFont("STSong-Light", 14)
    page.drawString(40, 800, title[:36])
    page.setFont("STSong-Light", 10)
    y = 770
    for start in range(0, len(text), 48):
        if y < 40:
            page.showPage()
            page.setFont("STSong-Light", 10)
            y = 800
        page.drawString(40, y, text[start:start + 48])
        y -= 14
    page.save()


def _rows(resources: int, seed: int) -> Iterator[tuple[dict[str, str], str, str]]:
    """(manifest row without files, subject, body text) of each generated resource."""
    tweak = random.Random(seed + 7)
    lendable = 0
    for doc in corpus.generate(resources, seed=seed):
        status, visibility = doc.status, doc.visibility
        if doc.studio == STUDIO and status == "published" and lendable < 6:
            visibility, lendable = "lendable", lendable + 1  # something for the schools to borrow
        elif status == "published" and tweak.random() < (0.3 if doc.studio == STUDIO else 0.02):
            status = "submitted"  # the review queues have something to show
        award = doc.award_level or ("county" if doc.kind == "award_case" else "")
        row = {
            "title": doc.title, "kind": doc.kind, "subject": doc.subject, "stage": doc.stage,
            "grade": "", "edition": "", "volume": "", "unit": "", "lesson": "", "studio": doc.studio, "authors": ", ".join(doc.authors),
            "abstract": doc.abstract, "keywords": ", ".join(doc.keywords), "year": str(doc.year),
            "award_level": award, "award_name": "", "project_level": "", "project_status": "",
            "project_number": "", "publication": "", "visibility": visibility, "status": status,
        }
        yield row, doc.subject, doc.body


def write_inputs(home: Path, resources: int, seed: int, pool: int) -> dict[str, Any]:
    """Pool files (≈ pool / 16 per subject, each the body of the first resources of that subject)
    and the two manifests; streamed, never the whole manifest in memory."""
    per_subject = max(1, -(-pool // len(corpus.SUBJECTS)))
    folder = home / "files"
    folder.mkdir(exist_ok=True)
    used: dict[str, int] = {}
    made = 0
    counts = [0, 0]
    with open(home / "manifest-1.csv", "w", newline="", encoding="utf-8") as first, \
         open(home / "manifest-2.csv", "w", newline="", encoding="utf-8") as rest:
        writers = [csv.DictWriter(first, FIELDS), csv.DictWriter(rest, FIELDS)]
        for writer in writers:
            writer.writeheader()
        for row, subject, body in _rows(resources, seed):
            n = used.get(subject, 0)
            used[subject] = n + 1
            name = f"files/{subject}-{n % per_subject:03d}.pdf"
            phase = 0 if n < per_subject else 1
            if phase == 0:
                make_pdf(home / name, row["title"], body)
                made += 1
            writers[phase].writerow({**row, "files": name})
            counts[phase] += 1
    return {"pool": made, "rows": counts}


# ------------------------------------------------------------------ gunicorn


class Gunicorn:
    """`gunicorn wsgi:app` as `make run` starts it, on a free loopback port, in its own group."""

    def __init__(self, env: dict[str, str], log_path: Path, port: int | None = None) -> None:
        self.port = port or free_port()
        self.env = env
        self.log_path = log_path
        self.command = [tool("gunicorn"), "--bind", f"{HOST}:{self.port}", *GUNICORN_ARGS,
                        "--access-logfile", "-", "wsgi:app"]
        self.process: subprocess.Popen[bytes] | None = None
        self.workers: list[int] = []
        self._log: IO[bytes] | None = None

    def start(self, timeout: float = 90.0) -> None:
        from bench.client import get

        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(self.command, cwd=ROOT, env=self.env, stdin=subprocess.DEVNULL,
                                        stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}; see {self.log_path}")
            try:
                if get(HOST, self.port, "/static/app.css") == 200:
                    self.workers = children(self.process.pid)
                    if len(self.workers) == 2:
                        return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn not ready after {timeout:.0f}s; see {self.log_path}")

    def stop(self) -> None:
        if self.process is not None:
            _stop_group(self.process)
            self.process = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> Gunicorn:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@dataclass
class Worker:
    """`flask worker --interval 5` beside the server, as `make run` runs it."""

    env: dict[str, str]
    log_path: Path
    interval: float = 5.0
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def __enter__(self) -> Worker:
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in __exit__
        self.process = subprocess.Popen([tool("flask"), "--app", "wsgi", "worker", "--interval", str(self.interval)],
                                        cwd=ROOT, env=self.env, stdin=subprocess.DEVNULL, stdout=self._log,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process is not None:
            _stop_group(self.process)
        self._log.close()


def _stop_group(process: subprocess.Popen[bytes]) -> None:
    group = process.pid  # start_new_session: it leads its own group
    if process.poll() is None:
        try:
            os.killpg(group, signal.SIGTERM)
            process.wait(15)
        except (subprocess.TimeoutExpired, ProcessLookupError):
            pass
    try:
        os.killpg(group, signal.SIGKILL)
    except ProcessLookupError:
        pass
    if process.poll() is None:
        process.wait()


def log_problems(*paths: Path) -> dict[str, int]:
    """Tracebacks, LockErrors and "database is locked" in server/worker logs."""
    found = {"Traceback": 0, "LockError": 0, "database is locked": 0}
    for path in paths:
        try:
            text = path.read_text(errors="replace")
        except FileNotFoundError:
            continue
        for needle in found:
            found[needle] += text.count(needle)
    return found


def machine() -> dict[str, Any]:
    import platform

    with open("/proc/cpuinfo") as fh:
        cpu = next((line.split(":", 1)[1].strip() for line in fh if line.startswith("model name")),
                   platform.processor())
    return {"cpus": os.cpu_count(), "cpu": cpu, "python": platform.python_version()}


# ------------------------------------------------------------------ steps run with the app factory


def _people(seed: int) -> dict[str, Any]:
    from library import create_app

    app = create_app()
    with app.app_context():
        from datetime import timedelta

        from library import clock
        from library.accounts import schools
        from library.accounts import service as accounts
        from library.db import get_session
        from library.lending import agreements
        from library.studios import service as studios

        accounts.create_user(ADMIN, "admin", PASSWORD, "基准测试管理员")
        for i, (slug, name, subject) in enumerate(corpus.studios(random.Random(seed))):
            studios.create_studio(slug, name, subject, list(corpus.STAGES)[i % 3 + 1])
        studio = studios.get_studio(STUDIO)
        studios.add_member(studio, accounts.create_user("host", "teacher", PASSWORD, "主持人王老师"), "host")
        studios.add_member(studio, accounts.create_user("teacher", "teacher", PASSWORD, "成员李老师"), "member")
        coordinator = accounts.create_user("coordinator", "coordinator", PASSWORD, "研训员张老师")
        studios.set_coordinators(studio, [coordinator])
        schools.create_school("基准测试第一小学", weak=True, subjects=[studio.subject_code], stages=["primary"])
        schools.create_school("基准测试第二小学", weak=True, subjects=[studio.subject_code], stages=["primary"])
        accounts.create_user("school", "school", PASSWORD, "一小教务处", school="基准测试第一小学")
        accounts.create_user("school2", "school", PASSWORD, "二小教务处", school="基准测试第二小学")
        today = clock.today()
        agreements.create_agreement(coordinator, {
            "studio": STUDIO, "school": "基准测试第一小学", "subjects": [studio.subject_code], "scope": "all",
            "starts_on": (today - timedelta(days=30)).isoformat(),
            "ends_on": (today + timedelta(days=300)).isoformat(), "frequency": "2/month",
            "outcomes": "每月借阅两次优秀课例用于集体备课。",
        })
        get_session().commit()
        return {"studios": 29}


def _finish(resources: int) -> dict[str, Any]:
    from library import create_app

    app = create_app()
    with app.app_context():
        from sqlalchemy import func, select

        from library import clock
        from library.accounts import service as accounts
        from library.db import get_session
        from library.lending import loans
        from library.resources.models import Resource, ResourceFile
        from library.studios.models import Studio

        session = get_session()
        studio = session.scalar(select(Studio).where(Studio.slug == STUDIO))
        assert studio is not None
        by_status = dict(session.execute(select(Resource.status, func.count()).group_by(Resource.status)).all())
        total = sum(by_status.values())
        if total != resources:
            raise SystemExit(f"imported {total} resources, not {resources}: see the import logs")
        lendable = list(session.scalars(select(Resource.id).where(
            Resource.studio_id == studio.id, Resource.visibility == "lendable",
            Resource.status == "published").order_by(Resource.id).limit(5)))
        made = []
        for rid in lendable[:3]:  # granted at once under the agreement
            made.append(loans.request_loan(accounts.get_user("school"), rid, "集体备课：单元教学设计", "第 3 周").id)
        for rid in lendable[3:5]:  # no agreement: waiting for the host
            made.append(loans.request_loan(accounts.get_user("school2"), rid, "教研组观摩学习", "第 4 周").id)
        session.commit()
        tokens = {name: accounts.create_token(accounts.get_user(name), "bench")
                  for name in (ADMIN, "host", "teacher", "coordinator", "school")}
        public = select(Resource.id).where(Resource.status == "published", Resource.visibility == "public")
        public_ids = list(session.scalars(public.order_by(Resource.id).limit(400)))
        files = list(session.scalars(select(ResourceFile.id).join(Resource).where(
            Resource.status == "published", Resource.visibility == "public").order_by(ResourceFile.id).limit(200)))
        in_studio = session.scalar(public.where(Resource.studio_id == studio.id).order_by(Resource.id))
        return {
            "resources": total, "by_status": by_status, "studio": STUDIO, "subject": studio.subject_code,
            "resource_id": in_studio or public_ids[0], "public_ids": public_ids, "file_ids": files,
            "lendable_ids": lendable, "loan_ids": made, "year": clock.today().year,
            "password": PASSWORD, "admin": ADMIN, "tokens": tokens,
        }


def main(argv: list[str]) -> int:
    steps = {"people": lambda: _people(int(argv[1])), "finish": lambda: _finish(int(argv[1]))}
    print(json.dumps(steps[argv[0]]()))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:]))
