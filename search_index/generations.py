"""The index home on disk: generation directories, the CURRENT pointer, inter-process locks."""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

CURRENT_FILE = "CURRENT"
WRITER_LOCK_FILE = ".writer.lock"
BUILDING_LOCK_FILE = ".building"
READERS_LOCK_FILE = ".readers"  # every process with a searcher on the generation holds it shared
DAMAGED_FILE = "DAMAGED"  # written when a generation fails its health check; says what failed
# Generations kept besides the live one (the newest undamaged older ones): what searches answer
# from while the live one is damaged and being rebuilt. Any generation a searcher of some process
# still reads is kept too, however old.
KEEP_PREVIOUS = 1
_LOCK_POLL_SECONDS = 0.02
_GENERATION_NAME = re.compile(r"^gen-(\d{6,})$")


def _acquire(fd: int, mode: int, *, blocking: bool, timeout: float | None) -> bool:
    """flock fd in mode: at once if not blocking, else waiting at most timeout (None: forever)."""
    if blocking and timeout is None:
        fcntl.flock(fd, mode)
        return True
    deadline = time.monotonic() + ((timeout or 0.0) if blocking else 0.0)
    while True:
        try:
            fcntl.flock(fd, mode | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(_LOCK_POLL_SECONDS)


@contextlib.contextmanager
def _flock(path: Path, *, blocking: bool, timeout: float | None = None) -> Iterator[bool]:
    """Hold an exclusive flock on path; yields False if it stays held by someone else (at once
    when not blocking, after timeout seconds when one is given)."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        if not _acquire(fd, fcntl.LOCK_EX, blocking=blocking, timeout=timeout):
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


class Generations:
    """home/gen-NNNNNN/ directories, one of them live as named by home/CURRENT."""

    def __init__(self, home: Path) -> None:
        self.home = home

    def create_home(self) -> None:
        """Create the home directory if it does not exist."""
        self.home.mkdir(parents=True, exist_ok=True)

    def writer_lock(
        self, *, blocking: bool = True, timeout: float | None = None
    ) -> contextlib.AbstractContextManager[bool]:
        """The lock every writer of the live generation and every CURRENT swap holds (yields
        False when not blocking, or after timeout seconds, if someone else holds it)."""
        self.create_home()
        return _flock(self.home / WRITER_LOCK_FILE, blocking=blocking, timeout=timeout)

    def hold_readers(self, generation: Path) -> int | None:
        """Take generation's readers lock shared (one per open searcher); the descriptor to give
        to release_readers, or None when the generation is being pruned or gone."""
        path = generation / READERS_LOCK_FILE
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            if not any(generation.glob("_*.toc")):
                return None  # pruned
            try:  # a generation made before the readers lock existed
                fd = os.open(path, os.O_RDONLY | os.O_CREAT, 0o644)
            except FileNotFoundError:
                return None
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None  # a pruner holds it: the generation is going
        return fd

    @staticmethod
    def release_readers(fd: int) -> None:
        """Give back a readers lock taken by hold_readers."""
        os.close(fd)  # closing the descriptor releases its flock

    def mark_damaged(self, generation: Path, problems: list[str]) -> None:
        """Record that generation failed its health check (other processes read the mark)."""
        with contextlib.suppress(OSError):
            (generation / DAMAGED_FILE).write_text("\n".join(problems) + "\n", encoding="utf-8")

    @staticmethod
    def is_damaged(generation: Path) -> bool:
        """Whether generation carries the mark of a failed health check."""
        return (generation / DAMAGED_FILE).exists()

    def fallback(self, damaged: Callable[[Path], bool]) -> Path | None:
        """The newest complete generation older than the live one that is neither damaged nor
        marked so: what searches answer from while the live one is damaged."""
        live = self.current()
        if live is None:
            return None
        for generation in reversed(self.all()):
            if generation.name >= live.name or damaged(generation) or self.is_damaged(generation):
                continue
            if not any(generation.glob("_*.toc")):
                continue
            with _flock(generation / BUILDING_LOCK_FILE, blocking=False) as built:
                if built:
                    return generation
        return None

    def current(self) -> Path | None:
        """The live generation's directory, or None when there is none yet."""
        try:
            name = (self.home / CURRENT_FILE).read_text(encoding="ascii").strip()
        except (FileNotFoundError, UnicodeDecodeError):
            return None
        if not _GENERATION_NAME.match(name):
            return None
        return self.home / name

    def set_current(self, generation: Path) -> None:
        """Make generation the live one, atomically (temp file, fsync, os.replace, fsync dir)."""
        fd, temp = tempfile.mkstemp(prefix=".CURRENT.", dir=self.home)
        try:
            with os.fdopen(fd, "w", encoding="ascii") as handle:
                handle.write(generation.name + "\n")
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, self.home / CURRENT_FILE)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)
            raise
        dir_fd = os.open(self.home, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    def all(self) -> list[Path]:
        """Every generation directory in home, oldest first."""
        if not self.home.is_dir():
            return []
        found = [p for p in self.home.iterdir() if _GENERATION_NAME.match(p.name) and p.is_dir()]
        return sorted(found, key=lambda p: int(p.name[4:]))

    def allocate(self) -> Path:
        """Create a new, empty generation directory numbered after every existing one, with its
        readers lock file.

        The caller holds the writer lock, so no pruner runs meanwhile.
        """
        self.create_home()
        existing = self.all()
        number = int(existing[-1].name[4:]) + 1 if existing else 1
        while True:
            path = self.home / f"gen-{number:06d}"
            try:
                path.mkdir()
            except FileExistsError:
                number += 1  # a stray file has the name
                continue
            (path / READERS_LOCK_FILE).touch()
            return path

    @contextlib.contextmanager
    def building(self, *, locked: bool = False) -> Iterator[Path]:
        """A new generation directory for a build, safe from pruning until the block ends.

        locked: the caller already holds the writer lock (a compaction holds it throughout).
        The directory is removed if the block raises before making it live.
        """
        with contextlib.ExitStack() as stack:
            with contextlib.nullcontext() if locked else self.writer_lock():
                path = self.allocate()
                stack.enter_context(_flock(path / BUILDING_LOCK_FILE, blocking=True))
            try:
                yield path
            except BaseException:
                if self.current() != path:
                    shutil.rmtree(path, ignore_errors=True)
                raise

    def prune(self, in_use: Callable[[Path], bool]) -> list[Path]:
        """Delete generations that are not live, not kept, not being built and not read by any
        searcher (in_use: this process's; the readers lock: every process's); return them.

        The caller holds the writer lock. Kept: the KEEP_PREVIOUS newest undamaged generations
        older than the live one, the fallback while the live one is damaged. A damaged
        generation goes as soon as nobody reads it. A searcher in another process takes the
        readers lock shared when it opens a generation and holds it until it closes, so a
        generation is only deleted under an exclusive hold of that lock nobody else has.
        """
        live = self.current()
        older = [
            g for g in self.all()
            if live is not None and g.name < live.name and not self.is_damaged(g)
        ]  # fmt: skip
        kept = set(older[-KEEP_PREVIOUS:]) if KEEP_PREVIOUS else set()
        removed: list[Path] = []
        for generation in self.all():
            if generation == live or generation in kept or in_use(generation):
                continue
            try:
                with contextlib.ExitStack() as stack:
                    free = stack.enter_context(
                        _flock(generation / BUILDING_LOCK_FILE, blocking=False)
                    ) and stack.enter_context(
                        _flock(generation / READERS_LOCK_FILE, blocking=False)
                    )
                    if not free:
                        continue
                    shutil.rmtree(generation, ignore_errors=True)
            except FileNotFoundError:
                continue  # someone else pruned it first
            removed.append(generation)
        return removed
