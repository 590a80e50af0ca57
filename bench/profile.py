"""Optional: sample the gunicorn worker with py-spy during the measured upload (`--py-spy`).

py-spy is not a project dependency; install it into the venv for an investigation
(`.venv/bin/pip install py-spy`). The raw (collapsed stacks) output is summarised per function.
"""

from __future__ import annotations

import collections
import shutil
import signal
import subprocess
from pathlib import Path

from bench.procs import VENV_BIN


def find_py_spy() -> str | None:
    beside = VENV_BIN / "py-spy"
    return str(beside) if beside.exists() else shutil.which("py-spy")


class PySpy:
    """`py-spy record --nonblocking` on `pid` until stopped; writes collapsed stacks to `output`."""

    def __init__(self, binary: str, pid: int, output: Path, rate: int = 100) -> None:
        self.output = output
        self.process = subprocess.Popen(
            [binary, "record", "--pid", str(pid), "--rate", str(rate), "--nonblocking",
             "--format", "raw", "--output", str(output)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.errors = self.process.stderr.read().decode(errors="replace") if self.process.stderr else ""

    def summary(self) -> str:
        if not self.output.exists():
            return f"(py-spy wrote nothing: {self.errors.strip()[-500:]})"
        return summarise(self.output)


def summarise(path: Path, top: int = 18) -> str:
    """Self and inclusive sample shares of the hottest functions in a collapsed-stacks file."""
    self_counts: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    total = 0
    for line in path.read_text(errors="replace").splitlines():
        stack, _sep, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_short(f) for f in stack.split(";")]
        total += count
        self_counts[frames[-1]] += count
        for frame in set(frames):
            inclusive[frame] += count
    if not total:
        return "(no samples)"
    lines = [f"{total} samples; self time:"]
    lines += [f"  {100 * n / total:5.1f}%  {name}" for name, n in self_counts.most_common(top)]
    lines.append("inclusive:")
    lines += [f"  {100 * n / total:5.1f}%  {name}" for name, n in inclusive.most_common(top * 2)]
    return "\n".join(lines)


def _short(frame: str) -> str:
    # py-spy raw frames look like "function (path/to/module.py:123)"; keep function and file:line.
    name, _sep, where = frame.partition(" (")
    where = where.rstrip(")")
    for marker in ("site-packages/", "/work/main/", "lib/python3"):
        if marker in where:
            where = where.split(marker, 1)[1]
            break
    return f"{name} ({where})" if where else name
