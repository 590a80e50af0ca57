"""What a file is (judged by its content) and what is derived from it: thumbnails, posters, text."""

from __future__ import annotations

import io
import logging
import math
import re
import signal
import subprocess
import zipfile
from dataclasses import dataclass, field
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
    pages: list[bytes] = field(default_factory=list)  # WebP page images of a DOCX or PPTX (previews.py)


# Bounds checked before decoding (the child's limits catch whatever slips past them).
MAX_THUMB_SIDE = 4000  # px on either side of a rendered PDF page
MAX_THUMB_PIXELS = 16_000_000
MAX_IMAGE_PIXELS = 64_000_000  # an image's own size, from its header
MAX_OOXML_ELEMENTS = 50_000  # paragraphs, table cells and shapes in a document's XML (python-docx: ~7 s at the bound)
MAX_XML_PART_BYTES = 200 * 1024 * 1024  # uncompressed, from the ZIP's central directory
MAX_ZIP_RATIO = 100  # uncompressed / compressed, for parts over RATIO_FLOOR_BYTES
RATIO_FLOOR_BYTES = 1024 * 1024
MAX_ZIP_ENTRIES = 10_000


class Refused(Exception):
    """A file over one of the bounds: `reason` is a key of REASONS."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(detail or reason)
        self.reason = reason
        self.detail = detail


# Why nothing (or less) could be derived, as shown on the file; the sandbox's own outcomes have a
# preview and a text form, chosen by what the file would have given.
REASONS = {
    "page_size": _l("无法生成预览：页面尺寸异常"),
    "pixels": _l("无法生成预览：图片像素过多"),
    "paragraphs": _l("无法提取文字：文档段落过多"),
    "shapes": _l("无法提取文字：演示文稿的形状或段落过多"),
    "zip": _l("无法提取文字：文档的压缩部件过大或压缩比异常"),
    "video": _l("无法生成预览：无法读取视频画面"),
    "broken": _l("无法处理：文件已损坏或格式异常"),
    "timeout": _l("无法生成预览：处理超时"),
    "timeout_text": _l("无法提取文字：处理超时"),
    "memory": _l("无法生成预览：内存超出限制"),
    "memory_text": _l("无法提取文字：内存超出限制"),
    "crashed": _l("无法生成预览：处理进程异常退出"),
    "crashed_text": _l("无法提取文字：处理进程异常退出"),
}

_TEXT_ONLY = {DOCX, PPTX, XLSX}


def _reason(key: str, content_type: str, detail: str = "") -> str:
    if content_type in _TEXT_ONLY and f"{key}_text" in REASONS:
        key = f"{key}_text"
    message = str(REASONS[key])
    return f"{message}（{detail}）"[:500] if detail else message


def derive(path: Path, content_type: str) -> Derived:
    """Make the derived data of one original in a limited child process (see `sandbox`; the
    DERIVE_* settings, or their defaults outside an app); failures are recorded, never raised."""
    from library.resources import sandbox

    limits = sandbox.Limits.from_config()
    outcome = sandbox.run(_derive_in_child, (str(path), content_type, limits), limits)
    if outcome.status != "ok":
        log.warning("derivation of %s (%s) stopped: %s %s", path, content_type, outcome.status, outcome.detail)
        detail = outcome.detail if outcome.status == "crashed" else ""
        return Derived(error=_reason(outcome.status, content_type, detail))
    derived, reason, detail = outcome.value
    if reason is not None:
        derived.error = _reason(reason, content_type, detail)
    if derived.text:
        # Here, not in the child: the search analysis (jieba, numpy) would not fit its memory limit.
        from search_index.analysis import normalise_text

        derived.text = normalise_text(derived.text)  # ⼀、情境导⼊ is found by 情境导入
    if content_type in (DOCX, PPTX) and derived.error is None:
        from library.resources import previews

        # Page images by LibreOffice where it is installed; without them the text is the preview.
        pages = previews.page_images(path, content_type)
        derived.pages = pages.images
        derived.thumbnail = derived.thumbnail or pages.thumbnail
    return derived


def _derive_in_child(path_name: str, content_type: str, limits) -> tuple[Derived, str | None, str]:
    """derive()'s work inside the child: (what was made, a REASONS key or None, a detail)."""
    import warnings

    from PIL import Image

    warnings.simplefilter("error", Image.DecompressionBombWarning)
    Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
    return derive_here(Path(path_name), content_type, limits)


def derive_here(path: Path, content_type: str, limits=None) -> tuple[Derived, str | None, str]:
    """Derive in this process, bounded but without the child's limits; (derived, reason, detail)."""
    derived = Derived()
    try:
        if content_type.startswith("image/"):
            derived.thumbnail = image_thumbnail(path)
        elif content_type.startswith("video/"):
            derived.poster, derived.duration = video_poster(path, limits)
        elif content_type == "application/pdf":
            derived.text = pdf_text(path)
            derived.thumbnail = pdf_thumbnail(path)
        elif content_type == DOCX:
            derived.text = docx_text(path)
        elif content_type == PPTX:
            derived.text = pptx_text(path)
        elif content_type == XLSX:
            check_zip(path)  # no text is taken from a workbook; a ZIP bomb is still worth naming
    except Refused as exc:
        return derived, exc.reason, exc.detail
    except MemoryError:
        raise  # the sandbox reports it
    except Exception as exc:  # noqa: BLE001 - a broken file must not lose the upload
        from PIL import Image

        if isinstance(exc, (Image.DecompressionBombError, Image.DecompressionBombWarning)):
            return Derived(), "pixels", ""
        log.warning("derivation failed for %s (%s): %s", path, content_type, exc)
        return Derived(), "broken", f"{type(exc).__name__}: {exc}"[:300]
    return derived, None, ""


def image_thumbnail(path: Path) -> bytes:
    """A JPEG at most THUMB_WIDTH wide, oriented as the camera meant; refused over MAX_IMAGE_PIXELS."""
    from PIL import Image, ImageOps

    with Image.open(path) as opened:
        width, height = opened.size
        if width * height > MAX_IMAGE_PIXELS:
            raise Refused("pixels", f"{width}×{height}")
        if opened.format == "JPEG":  # decode at a reduced scale when that is enough
            opened.draft(opened.mode, (THUMB_WIDTH, THUMB_WIDTH * 4))
        ImageOps.exif_transpose(opened, in_place=True)  # in place: no second full-size copy
        im: Image.Image = opened
        im.thumbnail((THUMB_WIDTH, THUMB_WIDTH * 4))
        if im.mode not in ("RGB", "L"):
            im = im.convert("RGB")
        out = io.BytesIO()
        im.save(out, "JPEG", quality=85, optimize=True)
        return out.getvalue()


_DURATION = re.compile(rb"Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)")


def video_poster(path: Path, limits=None) -> tuple[bytes | None, float | None]:
    """A poster frame (JPEG) about a second in, and the duration in seconds, using imageio-ffmpeg's
    ffmpeg: one thread, under the limits (its own CPU time and address space) when given."""
    import imageio_ffmpeg

    from library.resources import sandbox

    limits = limits or sandbox.Limits()
    ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
    duration = None
    for offset in ("1", "0"):
        try:
            proc = subprocess.run(
                [ffmpeg, "-hide_banner", "-nostdin", "-threads", "1", "-ss", offset, "-i", str(path),
                 "-frames:v", "1", "-threads", "1", "-vf", f"scale='min({POSTER_WIDTH},iw)':-2",
                 "-f", "image2", "-c:v", "mjpeg", "-"],
                capture_output=True, timeout=limits.wall_seconds, check=False,
                preexec_fn=lambda: sandbox.apply_limits(limits),
            )
        except subprocess.TimeoutExpired as exc:
            raise Refused("timeout", "ffmpeg") from exc
        match = _DURATION.search(proc.stderr)
        if match:
            h, m, s = match.groups()
            duration = int(h) * 3600 + int(m) * 60 + float(s)
        if proc.returncode == 0 and proc.stdout:
            return proc.stdout, duration
        if proc.returncode in (-signal.SIGXCPU, -signal.SIGKILL):
            raise Refused("timeout", "ffmpeg")
    tail = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no output"]
    raise Refused("video", tail[0][:200])


def thumbnail_scale(width: float, height: float) -> float:
    """The render scale of a page THUMB_WIDTH wide, refused when the bitmap would be out of bounds."""
    if not (math.isfinite(width) and math.isfinite(height)) or width <= 0 or height <= 0:
        raise Refused("page_size", f"{width}×{height} pt")
    scale = THUMB_WIDTH / width
    out_w, out_h = width * scale, height * scale
    if out_h < 1 or max(out_w, out_h) > MAX_THUMB_SIDE or out_w * out_h > MAX_THUMB_PIXELS:
        raise Refused("page_size", f"{width:g}×{height:g} pt")
    return scale


def pdf_thumbnail(path: Path) -> bytes | None:
    """The first page as a JPEG THUMB_WIDTH wide (pdfium renders it; no poppler or ghostscript needed).

    A PDF whose page cannot be rendered still gets its text: the thumbnail is only a nicety. A page
    whose thumbnail would be out of bounds (a sliver 0.5 pt wide) is refused before rendering."""
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
        width, height = page.get_size()
        bitmap = page.render(scale=thumbnail_scale(width, height))
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


def check_zip(path: Path) -> None:
    """Refuse an Office document whose ZIP central directory promises too much: too many parts,
    an XML part over MAX_XML_PART_BYTES, or a large part compressed more than MAX_ZIP_RATIO times."""
    with zipfile.ZipFile(path) as zf:
        infos = zf.infolist()
    if len(infos) > MAX_ZIP_ENTRIES:
        raise Refused("zip", f"{len(infos)} parts")
    for info in infos:
        if info.filename.endswith((".xml", ".rels")) and info.file_size > MAX_XML_PART_BYTES:
            raise Refused("zip", f"{info.filename}: {info.file_size} bytes")
        if info.file_size > RATIO_FLOOR_BYTES and info.file_size > MAX_ZIP_RATIO * max(info.compress_size, 1):
            raise Refused("zip", f"{info.filename}: {info.file_size}/{info.compress_size}")


def count_elements(path: Path, parts: re.Pattern[str], element: re.Pattern[bytes], bound: int) -> int:
    """How many elements matching `element` the XML parts named by `parts` hold, streamed in chunks;
    counting stops once it passes `bound`."""
    total = 0
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            if not parts.fullmatch(name):
                continue
            carry = b""
            with zf.open(name) as fh:
                while chunk := fh.read(1 << 20):
                    data = carry + chunk
                    total += len(element.findall(data))
                    if total > bound:
                        return total
                    carry = data[-16:]  # a tag cut by the chunk edge is matched whole next time…
                    total -= len(element.findall(carry))  # …and not counted twice
    return total


_DOCX_PARTS = re.compile(r"word/(document|header\d*|footer\d*|footnotes|endnotes)\.xml")
_PPTX_PARTS = re.compile(r"ppt/(slides/slide|notesSlides/notesSlide)\d+\.xml")
# A paragraph (w:p, or a:p in a text box), a table cell, or a shape: the opening tag only.
_DOCX_ELEMENT = re.compile(rb"<(?:\w+:)?(?:p|tc)[\s/>]")
_PPTX_ELEMENT = re.compile(rb"<(?:\w+:)?(?:p|sp|tc)[\s/>]")


def docx_text(path: Path) -> str:
    """Paragraphs and table cells of a Word document (refused over the ZIP and element bounds)."""
    import docx

    check_zip(path)
    if count_elements(path, _DOCX_PARTS, _DOCX_ELEMENT, MAX_OOXML_ELEMENTS) > MAX_OOXML_ELEMENTS:
        raise Refused("paragraphs", f"> {MAX_OOXML_ELEMENTS}")
    document = docx.Document(str(path))
    parts = [p.text for p in document.paragraphs if p.text]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells if cell.text)
    return "\n".join(parts)[:MAX_TEXT_CHARS]


def pptx_text(path: Path) -> str:
    """Text of every shape and the notes of each slide of a presentation (bounded like docx_text)."""
    from pptx import Presentation

    check_zip(path)
    if count_elements(path, _PPTX_PARTS, _PPTX_ELEMENT, MAX_OOXML_ELEMENTS) > MAX_OOXML_ELEMENTS:
        raise Refused("shapes", f"> {MAX_OOXML_ELEMENTS}")
    deck = Presentation(str(path))
    parts: list[str] = []
    for slide in deck.slides:
        for shape in slide.shapes:
            if shape.has_text_frame and shape.text_frame.text:
                parts.append(shape.text_frame.text)
        if slide.has_notes_slide and slide.notes_slide.notes_text_frame is not None:
            parts.append(slide.notes_slide.notes_text_frame.text)
    return "\n".join(p for p in parts if p)[:MAX_TEXT_CHARS]
