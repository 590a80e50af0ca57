"""What a file is (judged by its content) and what is derived from it: thumbnails, posters, text."""

from __future__ import annotations

import io
import logging
import re
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path

import filetype
from flask_babel import lazy_gettext as _l

log = logging.getLogger(__name__)


THUMB_WIDTH = 400


POSTER_WIDTH = 640


MAX_TEXT_CHARS = 2_000_000


# Content types we accept, keyed by what `filetype` recognises in the bytes.
ALLOWED = {
    "video/mp4": "video/mp4",
    "video/x-m4v": "video/mp4",
    "video/quicktime": "video/quicktime",
    "video/webm": "video/webm",
    "application/pdf": "application/pdf",
    "image/jpeg": "image/jpeg",
    "image/png": "image/png",
    "image/webp": "image/webp",
}


DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# The part that makes a ZIP an Office Open XML document of each kind.
OOXML_PARTS = {"word/document.xml": DOCX, "ppt/presentation.xml": PPTX, "xl/workbook.xml": XLSX}


OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


ACCEPTED_DESCRIPTION = _l("MP4/WebM/MOV 视频、PDF、DOCX、PPTX、XLSX、JPEG/PNG/WebP 图片、DOC/PPT")


def sniff(path: Path, filename: str = "") -> str | None:
    """The allowed content type of the file judged by its bytes, or None when it is not allowed."""
    with open(path, "rb") as fh:
        head = fh.read(8)
    if head.startswith(b"PK\x03\x04"):
        return _ooxml_type(path)
    if head == OLE_MAGIC:
        # DOC and PPT share the OLE container and carry no reliable marker near the start: the
        # container decides that it is a legacy Office file, the name which one (kept without text).
        suffix = Path(filename).suffix.lower()
        return {".doc": "application/msword", ".ppt": "application/vnd.ms-powerpoint"}.get(suffix)
    kind = filetype.guess(str(path))
    return ALLOWED.get(kind.mime) if kind else None


def _ooxml_type(path: Path) -> str | None:
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
    except (zipfile.BadZipFile, OSError):
        return None
    if "[Content_Types].xml" not in names:
        return None
    for part, mime in OOXML_PARTS.items():
        if part in names:
            return mime
    return None


@dataclass
class Derived:
    """What derivation produced for one original; `error` says why something could not be derived."""

    thumbnail: bytes | None = None
    poster: bytes | None = None
    duration: float | None = None
    text: str | None = None
    error: str | None = None


def derive(path: Path, content_type: str) -> Derived:
    """Make the derived data of one original; failures are recorded, never raised."""
    try:
        if content_type.startswith("image/"):
            return Derived(thumbnail=image_thumbnail(path))
        if content_type.startswith("video/"):
            poster, duration = video_poster(path)
            return Derived(poster=poster, duration=duration)
        if content_type == "application/pdf":
            return Derived(text=pdf_text(path), thumbnail=pdf_thumbnail(path))
        if content_type == DOCX:
            return Derived(text=docx_text(path))
        if content_type == PPTX:
            return Derived(text=pptx_text(path))
    except Exception as exc:  # noqa: BLE001 - a broken file must not lose the upload
        log.warning("derivation failed for %s (%s): %s", path, content_type, exc)
        return Derived(error=f"{type(exc).__name__}: {exc}"[:500])
    return Derived()


def image_thumbnail(path: Path) -> bytes:
    """A JPEG at most THUMB_WIDTH wide, oriented as the camera meant."""
    from PIL import Image, ImageOps

    with Image.open(path) as opened:
        im = ImageOps.exif_transpose(opened)
        im.thumbnail((THUMB_WIDTH, THUMB_WIDTH * 4))
        if im.mode not in ("RGB", "L"):
            im = im.convert("RGB")
        out = io.BytesIO()
        im.save(out, "JPEG", quality=85, optimize=True)
        return out.getvalue()


_DURATION = re.compile(rb"Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)")


def video_poster(path: Path) -> tuple[bytes | None, float | None]:
    """A poster frame (JPEG) about a second in, and the duration in seconds, using imageio-ffmpeg's ffmpeg."""
    import imageio_ffmpeg

    ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
    duration = None
    for offset in ("1", "0"):
        proc = subprocess.run(
            [ffmpeg, "-hide_banner", "-nostdin", "-ss", offset, "-i", str(path), "-frames:v", "1",
             "-vf", f"scale='min({POSTER_WIDTH},iw)':-2", "-f", "image2", "-c:v", "mjpeg", "-"],
            capture_output=True, timeout=120, check=False,
        )
        match = _DURATION.search(proc.stderr)
        if match:
            h, m, s = match.groups()
            duration = int(h) * 3600 + int(m) * 60 + float(s)
        if proc.returncode == 0 and proc.stdout:
            return proc.stdout, duration
    tail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no output"]
    raise ValueError(f"ffmpeg could not read a frame: {tail[0]}")


def pdf_thumbnail(path: Path) -> bytes | None:
    """The first page as a JPEG THUMB_WIDTH wide (pdfium renders it; no poppler or ghostscript needed).

    A PDF whose page cannot be rendered still gets its text: the thumbnail is only a nicety."""
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        log.info("no thumbnail for %s: %s", path, exc)
        return None
    try:
        if len(pdf) == 0:
            return None
        page = pdf[0]
        width = page.get_width() or 1
        bitmap = page.render(scale=THUMB_WIDTH / width)
        im = bitmap.to_pil()
        if im.mode != "RGB":
            im = im.convert("RGB")
        out = io.BytesIO()
        im.save(out, "JPEG", quality=85, optimize=True)
        return out.getvalue()
    finally:
        pdf.close()


def pdf_text(path: Path) -> str:
    """The text of every page of a PDF."""
    from pypdf import PdfReader

    reader = PdfReader(path)
    parts: list[str] = []
    total = 0
    for page in reader.pages:
        text = page.extract_text() or ""
        parts.append(text)
        total += len(text)
        if total > MAX_TEXT_CHARS:
            break
    return "\n".join(parts)[:MAX_TEXT_CHARS]


def docx_text(path: Path) -> str:
    """Paragraphs and table cells of a Word document."""
    import docx

    document = docx.Document(str(path))
    parts = [p.text for p in document.paragraphs if p.text]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells if cell.text)
    return "\n".join(parts)[:MAX_TEXT_CHARS]


def pptx_text(path: Path) -> str:
    """Text of every shape and the notes of each slide of a presentation."""
    from pptx import Presentation

    deck = Presentation(str(path))
    parts: list[str] = []
    for slide in deck.slides:
        for shape in slide.shapes:
            if shape.has_text_frame and shape.text_frame.text:
                parts.append(shape.text_frame.text)
        if slide.has_notes_slide and slide.notes_slide.notes_text_frame is not None:
            parts.append(slide.notes_slide.notes_text_frame.text)
    return "\n".join(p for p in parts if p)[:MAX_TEXT_CHARS]
