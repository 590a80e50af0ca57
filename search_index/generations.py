"""The index home on disk: generation directories, the CURRENT pointer, inter-process locks."""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

CURRENT_FILE = "CURRENT"
WRITER_LOCK_FILE = ".writer.lock"
BUILDING_LOCK_FILE = ".building"
_GENERATION_NAME = re.compile(r"^gen-(\d{6,})$")


@contextlib.contextmanager
def _flock(path: Path, *, blocking: bool) -> Iterator[bool]:
    """Hold an exclusive flock on path; yields False at once if non-blocking and already held."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except BlockingIOError:
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

    def writer_lock(self, *, blocking: bool = True) -> contextlib.AbstractContextManager[bool]:
        """The lock every writer of the live generation and every CURRENT swap holds."""
        self.create_home()
        return _flock(self.home / WRITER_LOCK_FILE, blocking=blocking)

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
        """Create a new, empty generation directory numbered after every existing one.

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
            return path

    @contextlib.contextmanager
    def building(self) -> Iterator[Path]:
        """A new generation directory for a build, safe from pruning until the block ends.

        The directory is removed if the block raises before making it live.
        """
        with contextlib.ExitStack() as stack:
            with self.writer_lock():
                path = self.allocate()
                stack.enter_context(_flock(path / BUILDING_LOCK_FILE, blocking=True))
            try:
                yield path
            except BaseException:
                if self.current() != path:
                    shutil.rmtree(path, ignore_errors=True)
                raise

    def prune(self, in_use: Callable[[Path], bool]) -> list[Path]:
        """Delete generations that are not live, not being built and not in_use; return them.

        The caller holds the writer lock. The generation that was live just before is kept too:
        a searcher in another process may still be reading it, and Whoosh opens a segment's files
        only when first needed (stored fields, columns), so deleting them under it would fail its
        next query; that process moves to the live generation on its next lease, and the previous
        one goes at the next rebuild.
        """
        live = self.current()
        older = [g for g in self.all() if live is not None and g.name < live.name]
        previous = max(older, key=lambda g: g.name) if older else None
        removed: list[Path] = []
        for generation in self.all():
            if generation in (live, previous) or in_use(generation):
                continue
            try:
                with _flock(generation / BUILDING_LOCK_FILE, blocking=False) as free:
                    if not free:
                        continue
                    shutil.rmtree(generation, ignore_errors=True)
            except FileNotFoundError:
                continue  # someone else pruned it first
            removed.append(generation)
        return removed
