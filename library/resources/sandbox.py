"""Running untrusted decoding in a limited child process: CPU time, wall time and address space.

A forkserver is started once per process (its children are forked from a clean interpreter that
has already imported the decoders, so a child costs a few tens of milliseconds); every call gets
a fresh child, so a child killed for a limit leaves nothing behind for the next call. The child
leads its own process group: a timeout kills it together with any ffmpeg it started."""

from __future__ import annotations

import multiprocessing
import os
import resource
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# Imported once by the forkserver so that each forked child starts warm.
PRELOAD = ["library.resources.ingest", "PIL.Image", "PIL.ImageOps", "PIL.JpegImagePlugin",
           "PIL.PngImagePlugin", "PIL.WebPImagePlugin", "pypdfium2", "pypdf", "docx", "pptx",
           "imageio_ffmpeg"]


@dataclass(frozen=True)
class Limits:
    """What one child may use: CPU seconds, wall seconds, address space in MB."""

    cpu_seconds: int = 20
    wall_seconds: int = 30
    memory_mb: int = 1024

    @classmethod
    def from_config(cls) -> Limits:
        """The app's DERIVE_* settings inside an app context, else the defaults."""
        from flask import current_app, has_app_context

        if not has_app_context():
            return cls()
        cfg = current_app.config
        default = cls()
        return cls(cpu_seconds=int(cfg.get("DERIVE_CPU_SECONDS", default.cpu_seconds)),
                   wall_seconds=int(cfg.get("DERIVE_WALL_SECONDS", default.wall_seconds)),
                   memory_mb=int(cfg.get("DERIVE_MEMORY_MB", default.memory_mb)))


@dataclass
class Outcome:
    """How a child ended: "ok" with its value, "memory" (MemoryError), "timeout" (CPU or wall
    limit), or "crashed" (it died without answering; `detail` says how)."""

    status: str
    value: Any = None
    detail: str = ""


def apply_limits(limits: Limits) -> None:
    """Set this process's limits (in a child, or in ffmpeg's preexec_fn); children inherit them."""
    memory = limits.memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    # SIGXCPU at the soft limit, SIGKILL a second later should it be ignored.
    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _child(conn, limits: Limits, target: Callable[..., Any], args: tuple) -> None:
    """The child's body: its own process group, the limits, the call, one answer on the pipe."""
    try:
        os.setpgid(0, 0)
    except OSError:
        pass
    apply_limits(limits)
    try:
        try:
            answer = Outcome("ok", target(*args))
        except MemoryError:
            answer = Outcome("memory", detail="MemoryError")
        conn.send(answer)
    except MemoryError:
        conn.send(Outcome("memory", detail="MemoryError while answering"))
    finally:
        conn.close()


_context: Any = None


def _get_context():
    global _context
    if _context is None:
        _context = multiprocessing.get_context("forkserver")
        _context.set_forkserver_preload(PRELOAD)
    return _context


def run(target: Callable[..., Any], args: tuple, limits: Limits | None = None) -> Outcome:
    """Call target(*args) in a fresh limited child; never raises for what the child did."""
    from multiprocessing.connection import wait

    limits = limits or Limits.from_config()
    ctx = _get_context()
    reader, writer = ctx.Pipe(duplex=False)
    process = ctx.Process(target=_child, args=(writer, limits, target, args), daemon=True)
    deadline = time.monotonic() + limits.wall_seconds
    process.start()
    writer.close()
    answer: Outcome | None = None
    timed_out = False
    try:
        if reader.poll(max(0.0, deadline - time.monotonic())):
            try:
                answer = reader.recv()  # once it has answered, the child is killed at once (below)
            except (EOFError, OSError):
                answer = None  # it died without answering: judged by how it ended, below
                # Wait for the exit without reaping, so the group id cannot have been reused yet.
                timed_out = not wait([process.sentinel], max(0.5, deadline - time.monotonic()))
        else:
            timed_out = True
    finally:
        reader.close()
        _kill_group(process)  # the child if still there, and any ffmpeg it left behind
        process.join()
        code = process.exitcode
        process.close()
    if answer is not None:
        return answer
    if timed_out:
        return Outcome("timeout", detail=f"wall time over {limits.wall_seconds} s")
    if code in (-signal.SIGXCPU, -signal.SIGKILL):
        return Outcome("timeout", detail=f"CPU time over {limits.cpu_seconds} s")
    return Outcome("crashed", detail=_describe_exit(code))


def _kill_group(process) -> None:
    """SIGKILL the child's process group (the child, unreaped, still owns the id)."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        if process.is_alive():  # not yet its own group leader
            process.kill()


def _describe_exit(code: int | None) -> str:
    if code is not None and code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit status {code}"
