"""A disk that really fills: a small tmpfs mounted over one of the app's folders (needs root, or
a container allowed to mount; the test is skipped with the reason otherwise)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


@contextmanager
def full_disk(directory: Path, size: str = "1m") -> Iterator[Path]:
    """Mount a `size` tmpfs over `directory` (created if missing, its contents hidden) for the block."""
    directory.mkdir(parents=True, exist_ok=True)
    try:
        mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(directory)],
                                 capture_output=True, text=True, timeout=30)
    except FileNotFoundError:
        pytest.skip("no mount command: cannot make a small filesystem to fill")
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a {size} tmpfs to fill (uid {os.getuid()}; needs root or CAP_SYS_ADMIN): "
                    f"{mounted.stderr.strip()}")
    try:
        yield directory
    finally:
        subprocess.run(["umount", "-l", str(directory)], capture_output=True, timeout=30)


def big_pdf(source: Path, target: Path, megabytes: int = 3) -> Path:
    """A real PDF followed by `megabytes` of random bytes: accepted as a PDF, larger than the disk."""
    target.write_bytes(source.read_bytes() + os.urandom(megabytes << 20))
    return target
