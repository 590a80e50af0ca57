"""A streaming multipart/form-data upload that never holds the file in memory.

`http.client` sends hand-built multipart headers; the file part goes out with
``socket.sendfile`` (the kernel's ``sendfile(2)``: page cache → socket, no copy through Python),
followed by the closing boundary. The Content-Length is exact, computed up front. Keeping the
client's CPU near zero matters on a 2-core machine where it shares the cores with the server
under test; in production the uploading browser runs elsewhere.
"""

from __future__ import annotations

import http.client
import json
import os
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class UploadResult:
    status: int
    body: bytes
    started: float  # time.monotonic() when the request line was about to be sent
    sent: float  # last body byte handed to the kernel
    answered: float  # response read completely
    json: dict = field(default_factory=dict)

    @property
    def seconds(self) -> float:
        return self.answered - self.started

    @property
    def send_seconds(self) -> float:
        return self.sent - self.started

    @property
    def after_send_seconds(self) -> float:
        return self.answered - self.sent


def _quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


def multipart_parts(fields: Mapping[str, str], file_field: str, filename: str,
                    content_type: str, boundary: str) -> tuple[bytes, bytes]:
    """The bytes before and after the file content of a one-file multipart/form-data body."""
    head = bytearray()
    for name, value in fields.items():
        head += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{_quote(name)}\"\r\n\r\n"
                 f"{value}\r\n").encode()
    head += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{_quote(file_field)}\"; "
             f"filename=\"{_quote(filename)}\"\r\nContent-Type: {content_type}\r\n\r\n").encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    return bytes(head), tail


def upload_file(host: str, port: int, path: str, token: str, fields: Mapping[str, str],
                path_on_disk: Path, *, filename: str | None = None,
                content_type: str = "video/mp4", timeout: float = 600.0) -> UploadResult:
    """POST `path_on_disk` as the ``file`` part with `fields`; returns timings and the response."""
    boundary = "bench" + secrets.token_hex(16)
    head, tail = multipart_parts(fields, "file", filename or path_on_disk.name, content_type, boundary)
    size = os.stat(path_on_disk).st_size
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.connect()
        started = time.monotonic()
        conn.putrequest("POST", path)
        conn.putheader("Authorization", f"Bearer {token}")
        conn.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
        conn.putheader("Content-Length", str(len(head) + size + len(tail)))
        conn.putheader("Accept", "application/json")
        conn.endheaders(head)
        try:
            with open(path_on_disk, "rb") as fh:
                conn.sock.sendfile(fh)
            conn.sock.sendall(tail)
        except OSError:
            pass  # the server answered early (e.g. 401/413) and closed; read that answer below
        sent = time.monotonic()
        response = conn.getresponse()
        body = response.read()
        answered = time.monotonic()
    finally:
        conn.close()
    result = UploadResult(response.status, body, started, sent, answered)
    if body[:1] == b"{":
        try:
            result.json = json.loads(body)
        except ValueError:
            pass
    return result


def get(host: str, port: int, path: str, timeout: float = 5.0) -> int:
    """Status of a GET (for readiness checks)."""
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()
