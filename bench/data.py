"""The benchmark's input: a real small MP4 padded with seeded pseudo-random bytes to the wanted size."""

from __future__ import annotations

import hashlib
import os
import random
from dataclasses import dataclass
from pathlib import Path

MIB = 1 << 20
BLOCK = 8 * MIB


@dataclass(frozen=True)
class BenchFile:
    """The generated upload: where it is, how big, its SHA-256, and how it was made."""

    path: Path
    size: int
    sha256: str
    mp4_size: int
    seed: int

    def describe(self) -> str:
        return (
            f"{self.size:,} bytes ({self.size / MIB:.0f} MiB): a real {self.mp4_size:,}-byte H.264/AAC "
            f"MP4 (4 s 320x240 test pattern with a 440 Hz tone, made by "
            f"`library.services.samples.make_mp4`, `+faststart`) followed by pseudo-random padding "
            f"(one 8 MiB block from `random.Random({self.seed}).randbytes`, repeated; incompressible), "
            f"so the app sniffs it as video/mp4 and ffmpeg still reads a poster frame from it"
        )


def make_bench_file(directory: Path, size_mb: int, seed: int = 20261125) -> BenchFile:
    """Write ``bench-<size>mb.mp4`` in `directory`, fsynced so later timings pay no writeback."""
    from library.demo.samples import make_mp4

    size = size_mb * MIB
    mp4 = make_mp4(directory / "head.mp4")
    head = mp4.read_bytes()
    mp4.unlink()
    if len(head) > size:
        raise ValueError(f"--size-mb {size_mb} is smaller than the {len(head)}-byte MP4 it starts with")
    block = random.Random(seed).randbytes(BLOCK)
    path = directory / f"bench-{size_mb}mb.mp4"
    digest = hashlib.sha256(head)
    with open(path, "wb") as out:
        out.write(head)
        remaining = size - len(head)
        view = memoryview(block)
        while remaining:
            piece = view[: min(BLOCK, remaining)]
            out.write(piece)
            digest.update(piece)
            remaining -= len(piece)
        out.flush()
        os.fsync(out.fileno())
    return BenchFile(path, size, digest.hexdigest(), len(head), seed)


def make_warmup_file(directory: Path) -> Path:
    """A small, different MP4 for the warm-up upload (loads imports, jieba, ffmpeg's binary)."""
    from library.demo.samples import make_mp4

    return make_mp4(directory / "warmup.mp4", seconds=2, size="160x120")
