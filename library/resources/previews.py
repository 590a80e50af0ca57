"""Page images of Word documents and presentations: LibreOffice (headless) turns the original into
a PDF, pdfium renders its first pages as WebP images in the derive sandbox.

Both steps are bounded. `soffice` runs in its own process group with its own profile directory
(so concurrent conversions never share one), under RLIMIT_AS and RLIMIT_CPU, asked for the first
PREVIEW_MAX_PAGES pages only, and killed with its group past PREVIEW_OFFICE_SECONDS of wall time;
the rendering runs in a fresh sandboxed child (`sandbox.run`) like every other decoding. When
LibreOffice is not on PATH (or LIBRARY_SOFFICE names nothing), or the conversion fails, the file
keeps its extracted text, which the resource page then shows instead."""

from __future__ import annotations

import io
import json
import logging
import os
import shutil
import signal
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

PAGE_WIDTH = 1200  # px: sharp on a 390 px phone at 3× and on a desktop column
PAGE_QUALITY = 80  # WebP; a text page is ~60–150 KB at this width

# The document kinds LibreOffice is asked to convert, with the suffix it needs to pick the filter.
SUFFIXES = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": ".pptx",
}


@dataclass(frozen=True)
class Settings:
    """The converter and its bounds (the PREVIEW_* and SOFFICE settings, or their defaults)."""

    soffice: str = "soffice"
    max_pages: int = 30
    seconds: int = 120
    memory_mb: int = 2048

    @classmethod
    def from_config(cls) -> Settings:
        """The app's settings inside an app context, else the defaults."""
        from flask import current_app, has_app_context

        if not has_app_context():
            return cls()
        cfg = current_app.config
        return cls(soffice=str(cfg.get("SOFFICE") or ""), max_pages=int(cfg["PREVIEW_MAX_PAGES"]),
                   seconds=int(cfg["PREVIEW_OFFICE_SECONDS"]), memory_mb=int(cfg["PREVIEW_MEMORY_MB"]))


@dataclass
class Pages:
    """What the preview step made: WebP page images, a JPEG thumbnail of the first, and why not."""

    images: list[bytes] = field(default_factory=list)
    thumbnail: bytes | None = None
    problem: str = ""


def soffice_path(settings: Settings) -> str | None:
    """The LibreOffice binary found on PATH (or at the configured path), or None."""
    return shutil.which(settings.soffice) if settings.soffice else None


def page_images(path: Path, content_type: str, settings: Settings | None = None) -> Pages:
    """Page images of a DOCX or PPTX; empty (with `problem` set, for the log) when LibreOffice is
    missing or fails. Never raises for what the document does."""
    settings = settings or Settings.from_config()
    suffix = SUFFIXES.get(content_type)
    binary = soffice_path(settings)
    if suffix is None or binary is None or settings.max_pages <= 0:
        return Pages(problem="" if suffix is None else "LibreOffice (soffice) not found")
    with tempfile.TemporaryDirectory(prefix="library-office-") as tmp:
        work = Path(tmp)
        try:
            pdf = convert_to_pdf(binary, path, suffix, work, settings)
        except ConversionFailed as exc:
            log.warning("no page images for %s: %s", path, exc)
            return Pages(problem=str(exc))
        return render_pages(pdf, settings.max_pages)


class ConversionFailed(Exception):
    """LibreOffice did not produce a PDF: why, for the log."""


def convert_to_pdf(binary: str, path: Path, suffix: str, work: Path, settings: Settings) -> Path:
    """The first max_pages pages of the document as a PDF in `work` (LibreOffice with a profile of
    its own in `work`, its own process group and the limits)."""
    from library.resources import sandbox

    source = work / f"document{suffix}"
    source.symlink_to(Path(path).resolve())  # the stored original has no suffix; the filter needs one
    profile, out = work / "profile", work / "out"
    out.mkdir()
    export = "pdf:{}:{}".format(
        "impress_pdf_Export" if suffix == ".pptx" else "writer_pdf_Export",
        json.dumps({"PageRange": {"type": "string", "value": f"1-{settings.max_pages}"}}))
    command = [binary, "--headless", "--invisible", "--norestore", "--nologo", "--nodefault", "--nolockcheck",
               f"-env:UserInstallation={profile.as_uri()}", "--convert-to", export, "--outdir", str(out), str(source)]
    limits = sandbox.Limits(cpu_seconds=settings.seconds, wall_seconds=settings.seconds,
                            memory_mb=settings.memory_mb)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(work), "LANG": "C.UTF-8",
           "SAL_USE_VCLPLUGIN": "svp", "TMPDIR": str(work)}
    output, timed_out = b"", False
    with subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          env=env, cwd=work, start_new_session=True,
                          preexec_fn=lambda: sandbox.apply_limits(limits)) as process:
        try:
            output, _ = process.communicate(timeout=settings.seconds)
        except subprocess.TimeoutExpired:
            timed_out = True
        finally:
            try:  # soffice leaves oosplash/soffice.bin behind when killed: end the whole group
                os.killpg(process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
    if timed_out:
        raise ConversionFailed(f"LibreOffice took over {settings.seconds} s")
    result = out / "document.pdf"
    if not result.is_file() or result.stat().st_size == 0:
        tail = output.decode("utf-8", "replace").strip().splitlines()[-1:] or [f"exit status {process.returncode}"]
        raise ConversionFailed(f"LibreOffice made no PDF: {tail[0][:200]}")
    return result


def render_pages(pdf: Path, max_pages: int) -> Pages:
    """Render the PDF's first pages in a sandboxed child (the DERIVE_* limits)."""
    from library.resources import sandbox

    outcome = sandbox.run(_render_in_child, (str(pdf), max_pages))
    if outcome.status != "ok":
        log.warning("page images of %s stopped: %s %s", pdf, outcome.status, outcome.detail)
        return Pages(problem=f"{outcome.status} {outcome.detail}".strip())
    return outcome.value


def _render_in_child(pdf_name: str, max_pages: int) -> Pages:
    """The child's work: each page PAGE_WIDTH wide as WebP (refused past the size bounds), and a
    JPEG thumbnail of the first page."""
    import pypdfium2 as pdfium

    from library.resources import ingest

    pages = Pages()
    document = pdfium.PdfDocument(pdf_name)
    try:
        for index in range(min(len(document), max_pages)):
            page = document[index]
            width, height = page.get_size()
            try:
                # pdfium rounds the bitmap's width up: half a pixel less gives PAGE_WIDTH exactly
                scale = ingest.thumbnail_scale(width, height) * (PAGE_WIDTH - 0.5) / ingest.THUMB_WIDTH
            except ingest.Refused:
                pages.problem = f"page {index + 1}: {width}×{height} pt"
                break
            if height * scale > ingest.MAX_THUMB_SIDE * 2:
                pages.problem = f"page {index + 1}: {width}×{height} pt"
                break
            im = page.render(scale=scale).to_pil()
            if im.mode != "RGB":
                im = im.convert("RGB")
            out = io.BytesIO()
            im.save(out, "WEBP", quality=PAGE_QUALITY, method=4)
            pages.images.append(out.getvalue())
            if index == 0:
                im.thumbnail((ingest.THUMB_WIDTH, ingest.THUMB_WIDTH * 4))
                thumb = io.BytesIO()
                im.save(thumb, "JPEG", quality=85, optimize=True)
                pages.thumbnail = thumb.getvalue()
    finally:
        document.close()
    return pages
