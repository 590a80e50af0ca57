"""Processes under test: /proc readers, a memory sampler, and the gunicorn server as production runs it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.client import get

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
HOST = "127.0.0.1"
CLK_TCK = os.sysconf("SC_CLK_TCK")


def status_kib(pid: int, *names: str) -> dict[str, int]:
    """Fields of /proc/PID/status given in kB (VmRSS, VmHWM, ...), as KiB."""
    found: dict[str, int] = {}
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            key, _sep, rest = line.partition(":")
            if key in names:
                found[key] = int(rest.split()[0])
    missing = set(names) - found.keys()
    if missing:
        raise OSError(f"/proc/{pid}/status has no {', '.join(sorted(missing))}")
    return found


def reset_peak(pid: int) -> bool:
    """Reset VmHWM to the current RSS (``echo 5 > /proc/PID/clear_refs``, Linux ≥ 4.0)."""
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def cpu_seconds(pid: int) -> tuple[float, float]:
    """(own user+system CPU seconds, reaped children's user+system seconds) of a process."""
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rpartition(")")[2].split()
    utime, stime, cutime, cstime = (int(x) for x in fields[11:15])
    return (utime + stime) / CLK_TCK, (cutime + cstime) / CLK_TCK


def children(pid: int) -> list[int]:
    """Direct children of `pid` (scans /proc: this kernel has no /proc/PID/task/TID/children)."""
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as fh:
                stat = fh.read()
        except OSError:
            continue
        if int(stat.rpartition(")")[2].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def command_name(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/comm") as fh:
            return fh.read().strip()
    except OSError:
        return "?"


@dataclass
class ChildSeen:
    """A child process of the worker seen by the sampler (ffmpeg deriving the poster)."""

    pid: int
    name: str
    first_seen: float
    last_seen: float
    peak_hwm_kib: int = 0


@dataclass
class Sampler:
    """Polls the worker's RSS and its children every `interval` seconds on a background thread."""

    pid: int
    interval: float = 0.02
    peak_rss_kib: int = 0
    samples: int = 0
    seen: dict[int, ChildSeen] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> Sampler:
        self._thread = threading.Thread(target=self._run, name="bench-sampler", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            now = time.monotonic()
            try:
                rss = status_kib(self.pid, "VmRSS").get("VmRSS", 0)
            except OSError:
                return
            self.peak_rss_kib = max(self.peak_rss_kib, rss)
            self.samples += 1
            for child in children(self.pid):
                try:
                    hwm = status_kib(child, "VmHWM").get("VmHWM", 0)
                except OSError:
                    continue
                seen = self.seen.get(child)
                if seen is None:
                    seen = self.seen[child] = ChildSeen(child, command_name(child), now, now)
                seen.last_seen = now
                seen.peak_hwm_kib = max(seen.peak_hwm_kib, hwm)
            self._stop.wait(self.interval)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def clean_env(extra: dict[str, str]) -> dict[str, str]:
    """This process's environment without LIBRARY_*/AWS_* settings, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LIBRARY_", "AWS_", "FLASK_"))}
    env.update(extra)
    return env


def flask_cli(env: dict[str, str], *args: str) -> str:
    """Run ``flask --app wsgi ARGS`` from the venv with `env`; return its stdout."""
    proc = subprocess.run(
        [str(VENV_BIN / "flask"), "--app", "wsgi", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"flask {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc.stdout


def prepare_data_dir(env: dict[str, str]) -> str:
    """init-db, an admin `bench`, studio `bench`, and a token for it (returned)."""
    flask_cli(env, "init-db")
    flask_cli(env, "users", "create", "bench", "--role", "admin")
    flask_cli(env, "studios", "create", "bench", "--name", "基准测试工作室",
              "--subject", "math", "--stage", "primary")
    return flask_cli(env, "tokens", "create", "bench").strip().splitlines()[-1]


GUNICORN_ARGS = ("--workers", "1", "--worker-class", "gthread", "--threads", "4", "--timeout", "120")


class Server:
    """`gunicorn wsgi:app` from the venv in its own process group; find its one worker."""

    def __init__(self, env: dict[str, str], log_path: Path, app: str = "wsgi:app") -> None:
        self.port = free_port()
        self.env = env
        self.log_path = log_path
        self.command = [str(VENV_BIN / "gunicorn"), "--bind", f"{HOST}:{self.port}", *GUNICORN_ARGS,
                        "--access-logfile", "-", app]
        self.process: subprocess.Popen[bytes] | None = None
        self.worker_pid: int | None = None

    def start(self, timeout: float = 60.0) -> None:
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            self.command, cwd=ROOT, env=self.env, stdin=subprocess.DEVNULL,
            stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                if get(HOST, self.port, "/api/v1/subjects") == 200:
                    workers = children(self.process.pid)
                    if len(workers) == 1:
                        self.worker_pid = workers[0]
                        return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"gunicorn not ready after {timeout:.0f}s:\n{self.log_tail()}")

    def stop(self) -> None:
        if self.process is not None:
            group = self.process.pid  # start_new_session: the master leads its own group
            if self.process.poll() is None:
                try:
                    os.killpg(group, signal.SIGTERM)
                    self.process.wait(15)
                except subprocess.TimeoutExpired:
                    pass
                except ProcessLookupError:
                    pass
            try:  # whatever is left of the group (a worker or ffmpeg outliving the master)
                os.killpg(group, signal.SIGKILL)
            except ProcessLookupError:
                pass
            if self.process.poll() is None:
                self.process.wait()
        if getattr(self, "_log", None) is not None:
            self._log.close()
            self._log = None

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def __enter__(self) -> Server:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
