"""Uploads are hashed while they are received, into spool files that never sit whole in memory."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, Request, current_app, g
from werkzeug.datastructures import FileStorage

from library.services.resources import IncomingFile
from storage import HashingSpool


class SpoolingRequest(Request):
    """A request whose file parts are written to HashingSpools in the instance's tmp folder."""

    def _get_file_stream(self, total_content_length, content_type, filename=None, content_length=None):
        spool = HashingSpool(current_app.config["SPOOL_DIR"])
        g.setdefault("upload_spools", []).append(spool)
        return spool


def incoming_files(parts: list[FileStorage]) -> list[IncomingFile]:
    """The uploaded files of a request (empty file inputs skipped) as IncomingFiles."""
    files = []
    for part in parts:
        if not part or not part.filename:
            continue
        spool = part.stream
        spool.flush()
        files.append(IncomingFile(part.filename, Path(spool.path), spool.sha256, spool.size, owned=True))
    return files


def _discard_spools(exc: BaseException | None) -> None:
    for spool in g.pop("upload_spools", []):
        spool.discard()


def init_app(app: Flask) -> None:
    """Remove every spool when its request ends, whatever happened to the upload."""
    app.teardown_request(_discard_spools)
