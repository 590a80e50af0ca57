"""Uploads are hashed while they are received, into spool files that never sit whole in memory."""

from __future__ import annotations

import errno
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Flask, Request, current_app, g
from flask_babel import gettext as _
from werkzeug.datastructures import FileStorage
from werkzeug.formparser import FormDataParser, MultiPartParser

from library.errors import InsufficientStorage
from library.resources.service import IncomingFile
from storage import HashingSpool

log = logging.getLogger(__name__)

# A full disk, a quota reached, a file larger than the filesystem (or RLIMIT_FSIZE) allows.
DISK_FULL = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})


def is_disk_full(exc: BaseException) -> bool:
    """Whether an error is the disk refusing more bytes."""
    return isinstance(exc, OSError) and exc.errno in DISK_FULL


def insufficient_storage() -> InsufficientStorage:
    """The refusal of an upload the server has no room for (507)."""
    return InsufficientStorage(_("服务器存储空间已满，文件没有保存。请稍后再试，或联系管理员清理空间。"))


@contextmanager
def disk_full_refused() -> Iterator[None]:
    """Turn a full disk met while spooling or storing an upload into InsufficientStorage."""
    try:
        yield
    except OSError as exc:
        if not is_disk_full(exc):
            raise
        log.error("upload refused, no room on disk: %s", exc)
        raise insufficient_storage() from exc

# werkzeug reads a multipart body 64 KiB at a time; gunicorn's body reader receives up to 1 MiB per
# recv() and copies the unread rest on every read, so small reads cost about a second of CPU per
# GiB (measured with py-spy in `make bench`). 256 KiB reads cut that to a quarter. The parser
# refuses to buffer more than max_form_memory_size (Flask: 500 kB), so stay well below it.
MULTIPART_READ_SIZE = 256 * 1024


class SpoolingFormDataParser(FormDataParser):
    """FormDataParser whose multipart parser reads the body in MULTIPART_READ_SIZE steps."""

    def _parse_multipart(self, stream, mimetype, content_length, options):
        buffer_size = MULTIPART_READ_SIZE
        if self.max_form_memory_size is not None:
            buffer_size = max(64 * 1024, min(buffer_size, self.max_form_memory_size // 2))
        parser = MultiPartParser(
            stream_factory=self.stream_factory,
            max_form_memory_size=self.max_form_memory_size,
            max_form_parts=self.max_form_parts,
            cls=self.cls,
            buffer_size=buffer_size,
        )
        boundary = options.get("boundary", "").encode("ascii")
        if not boundary:
            raise ValueError("Missing boundary")
        form, files = parser.parse(stream, boundary, content_length)
        return stream, form, files


class SpoolingRequest(Request):
    """A request whose file parts are written to HashingSpools in the instance's tmp folder."""

    form_data_parser_class = SpoolingFormDataParser

    def _load_form_data(self) -> None:
        """Parse the body; a full disk ends the upload with InsufficientStorage. What was parsed is
        dropped (teardown deletes the spools), and the rest of the body is read and thrown away so
        the client, still sending, receives the answer."""
        if "form" in self.__dict__:
            return
        try:
            with disk_full_refused():
                super()._load_form_data()
        except InsufficientStorage:
            empty = self.parameter_storage_class()
            self.__dict__["form"], self.__dict__["files"] = empty, self.parameter_storage_class()
            try:
                while self.stream.read(1 << 20):  # a LimitedStream: at most the announced body
                    pass
            except Exception:  # noqa: BLE001 - a client that went away has nothing to hear
                pass
            raise

    def _get_file_stream(self, total_content_length, content_type, filename=None, content_length=None):
        spool = HashingSpool(current_app.config["SPOOL_DIR"])
        g.setdefault("upload_spools", []).append(spool)
        return spool


def incoming_files(parts: list[FileStorage]) -> list[IncomingFile]:
    """The uploaded files of a request (empty file inputs skipped) as IncomingFiles."""
    files: list[IncomingFile] = []
    for part in parts:
        if not part or not part.filename:
            continue
        spool = part.stream
        assert isinstance(spool, HashingSpool)  # SpoolingRequest made every file part one
        with disk_full_refused():
            spool.flush()
        files.append(IncomingFile(part.filename, Path(spool.path), spool.sha256, spool.size, owned=True))
    return files


def _discard_spools(exc: BaseException | None) -> None:
    for spool in g.pop("upload_spools", []):
        spool.discard()


def init_app(app: Flask) -> None:
    """Remove every spool when its request ends, whatever happened to the upload."""
    app.teardown_request(_discard_spools)
