"""Hostile files, made by code at test time: each is small on disk and would cost far more to
decode than a web process can afford (thin or huge PDF pages, pixel bombs, ZIP bombs and
millions of elements in Office documents, truncated and nested MP4s)."""

from __future__ import annotations

import io
import os
import shutil
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from library.demo import samples
from library.resources import ingest

DOCX_NS = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


@dataclass(frozen=True)
class BadFile:
    name: str
    content_type: str
    reason: str  # the start of the readable reason derive() must give


def _pdf(path: Path, width: float, height: float) -> Path:
    from reportlab.pdfgen import canvas

    pdf = canvas.Canvas(str(path), pagesize=(width, height))
    pdf.drawString(0, 0, "sliver")
    pdf.save()
    return path


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bomb(path: Path, side: int = 12000, rgb: bool = False) -> Path:
    """A real black PNG side × side px (144 Mpx at 12000), grey or RGB: a few hundred KB on disk."""
    channels = 3 if rgb else 1
    row = b"\x00" * (side * channels + 1)  # filter byte and the row
    packer = zlib.compressobj(6)
    body = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    ihdr = struct.pack(">IIBBBBB", side, side, 8, 2 if rgb else 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", body)
                     + _png_chunk(b"IEND", b""))
    return path


def jpeg_bomb(path: Path, side: int = 60000) -> Path:
    """A small JPEG whose frame header claims side × side px."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 10, 10)).save(out, "JPEG")
    data = bytearray(out.getvalue())
    sof = data.index(b"\xff\xc0")
    struct.pack_into(">HH", data, sof + 5, side, side)  # length(2) precision(1) height width
    path.write_bytes(bytes(data))
    return path


def webp_bomb(path: Path, side: int = 16383) -> Path:
    """A lossless WebP whose header claims the format's largest canvas (268 Mpx)."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 64), (10, 200, 10)).save(out, "WEBP", lossless=True)
    data = bytearray(out.getvalue())
    at = data.index(b"VP8L") + 8
    assert data[at] == 0x2F
    bits = struct.unpack_from("<I", data, at + 1)[0]
    bits = (bits & ~0x0FFFFFFF) | (side - 1) | ((side - 1) << 14)
    struct.pack_into("<I", data, at + 1, bits)
    path.write_bytes(bytes(data))
    return path


def _rewrite_zip(source: Path, target: Path, replace: dict[str, object], stored: bool = False) -> Path:
    """Copy an Office document, replacing parts; a replacement may be bytes or a callable writing
    into the open part (for parts too large to hold in memory)."""
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            new = replace.get(info.filename)
            if new is None:
                dst.writestr(info, src.read(info.filename))
            elif isinstance(new, bytes):
                dst.writestr(info.filename, new)
            else:
                part = zipfile.ZipInfo(info.filename, info.date_time)
                part.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
                with dst.open(part, "w", force_zip64=True) as fh:
                    new(fh)  # type: ignore[operator]
    return target


def _docx_body(paragraphs: bytes) -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document {DOCX_NS}><w:body>'.encode()
            + paragraphs + b"</w:body></w:document>")


def docx_many_paragraphs(base: Path, path: Path, count: int = 500_000) -> Path:
    """Half a million paragraphs, each with its own revision id (so it compresses only ~10×)."""
    rsids = os.urandom(4 * count).hex()
    paragraphs = b"".join(f'<w:p w:rsidR="{rsids[i * 8:i * 8 + 8]}"/>'.encode() for i in range(count))
    return _rewrite_zip(base, path, {"word/document.xml": _docx_body(paragraphs)})


def docx_ratio_bomb(base: Path, path: Path, megabytes: int = 24) -> Path:
    """A document.xml of 24 MB of whitespace inside one paragraph: a few tens of KB compressed."""
    def write(fh):
        fh.write(_docx_body(b"")[:-len(b"</w:body></w:document>")] + b"<w:p><w:r><w:t>")
        block = b" " * (1 << 20)
        for _ in range(megabytes):
            fh.write(block)
        fh.write(b"</w:t></w:r></w:p></w:body></w:document>")
    return _rewrite_zip(base, path, {"word/document.xml": write})


def docx_huge_part(base: Path, path: Path, megabytes: int = 210) -> Path:
    """A document.xml over 200 MB, stored uncompressed (so the ratio alone would not refuse it)."""
    chunk = os.urandom(1 << 19).hex().encode()  # 1 MB of hex digits, reused

    def write(fh):
        fh.write(_docx_body(b"")[:-len(b"</w:body></w:document>")] + b"<w:p><w:r><w:t>")
        for _ in range(megabytes):
            fh.write(chunk)
        fh.write(b"</w:t></w:r></w:p></w:body></w:document>")
    return _rewrite_zip(base, path, {"word/document.xml": write}, stored=True)


def pptx_many_shapes(base: Path, path: Path, count: int = 100_000) -> Path:
    """A slide with 100,000 text boxes."""
    with zipfile.ZipFile(base) as zf:
        slide = zf.read("ppt/slides/slide2.xml")
    ids = os.urandom(4 * count).hex()
    shapes = b"".join(
        f'<p:sp><p:nvSpPr><p:cNvPr id="{i + 10}" name="{ids[i * 8:i * 8 + 8]}"/><p:cNvSpPr/><p:nvPr/></p:nvSpPr>'
        f'<p:spPr/><p:txBody><a:bodyPr/><a:p><a:r><a:t>{i}</a:t></a:r></a:p></p:txBody></p:sp>'.encode()
        for i in range(count))
    end = slide.index(b"</p:spTree>")
    return _rewrite_zip(base, path, {"ppt/slides/slide2.xml": slide[:end] + shapes + slide[end:]})


def xlsx_ratio_bomb(path: Path, megabytes: int = 24) -> Path:
    """A workbook whose sheet is 24 MB of one repeated cell."""
    from openpyxl import Workbook

    plain = path.with_suffix(".plain.xlsx")
    wb = Workbook()
    wb.active["A1"] = "成绩"
    wb.save(plain)
    cell = b'<c r="A1" t="n"><v>1</v></c>'

    def write(fh):
        fh.write(b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
                 b'spreadsheetml/2006/main"><sheetData><row r="1">')
        block = cell * ((1 << 20) // len(cell))
        for _ in range(megabytes):
            fh.write(block)
        fh.write(b"</row></sheetData></worksheet>")
    _rewrite_zip(plain, path, {"xl/worksheets/sheet1.xml": write})
    plain.unlink()
    return path


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def mp4_nested(path: Path, depth: int = 20_000) -> Path:
    """An MP4 whose moov box holds trak boxes nested twenty thousand deep."""
    inner = b""
    for _ in range(depth):
        inner = _box(b"trak", inner)
    ftyp = _box(b"ftyp", b"isom\x00\x00\x02\x00isomiso2avc1mp41")
    path.write_bytes(ftyp + _box(b"moov", inner))
    return path


def mp4_truncated(good: Path, path: Path, keep: int = 3000) -> Path:
    """A real MP4 cut after its first few KB (its moov is at the front: +faststart)."""
    path.write_bytes(good.read_bytes()[:keep])
    return path


def make_corpus(folder: Path) -> dict[str, BadFile]:
    """Write every bad file into folder; {name: BadFile}."""
    folder.mkdir(parents=True, exist_ok=True)
    base_docx = samples.make_docx(folder / "base.docx", "标题", ["正文"])
    base_pptx = samples.make_pptx(folder / "base.pptx", "标题", ["要点"])
    good_mp4 = samples.make_mp4(folder / "base.mp4", seconds=2)
    _pdf(folder / "thin-page.pdf", 0.5, 3000)
    _pdf(folder / "tall-page.pdf", 200, 14400)
    _pdf(folder / "flat-page.pdf", 14400, 0.5)
    png_bomb(folder / "bomb.png")
    jpeg_bomb(folder / "bomb.jpg")
    webp_bomb(folder / "bomb.webp")
    docx_many_paragraphs(base_docx, folder / "paragraphs.docx")
    docx_ratio_bomb(base_docx, folder / "ratio.docx")
    docx_huge_part(base_docx, folder / "huge-part.docx")
    pptx_many_shapes(base_pptx, folder / "shapes.pptx")
    xlsx_ratio_bomb(folder / "ratio.xlsx")
    mp4_nested(folder / "nested.mp4")
    mp4_truncated(good_mp4, folder / "truncated.mp4")
    for made in (base_docx, base_pptx, good_mp4):
        made.unlink()
    corpus = [
        BadFile("thin-page.pdf", "application/pdf", "无法生成预览：页面尺寸异常"),
        BadFile("tall-page.pdf", "application/pdf", "无法生成预览：页面尺寸异常"),
        BadFile("flat-page.pdf", "application/pdf", "无法生成预览：页面尺寸异常"),
        BadFile("bomb.png", "image/png", "无法生成预览：图片像素过多"),
        BadFile("bomb.jpg", "image/jpeg", "无法生成预览：图片像素过多"),
        BadFile("bomb.webp", "image/webp", "无法生成预览：图片像素过多"),
        BadFile("paragraphs.docx", ingest.DOCX, "无法提取文字：文档段落过多"),
        BadFile("ratio.docx", ingest.DOCX, "无法提取文字：文档的压缩部件过大或压缩比异常"),
        BadFile("huge-part.docx", ingest.DOCX, "无法提取文字：文档的压缩部件过大或压缩比异常"),
        BadFile("shapes.pptx", ingest.PPTX, "无法提取文字：演示文稿的形状或段落过多"),
        BadFile("ratio.xlsx", ingest.XLSX, "无法提取文字：文档的压缩部件过大或压缩比异常"),
        BadFile("nested.mp4", "video/mp4", "无法生成预览：无法读取视频画面"),
        BadFile("truncated.mp4", "video/mp4", "无法生成预览：无法读取视频画面"),
    ]
    return {bad.name: bad for bad in corpus}


def copy_into(corpus_dir: Path, name: str, target: Path) -> Path:
    return Path(shutil.copy(corpus_dir / name, target))
