"""Judging files by content and deriving thumbnails, posters and text from real files."""

import io

import pytest
from PIL import Image

from library.resources import ingest


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("光合作用.pdf", "application/pdf"),
        ("教学设计.docx", ingest.DOCX),
        ("群文阅读.pptx", ingest.PPTX),
        ("校园植物.png", "image/png"),
        ("课堂实录.mp4", "video/mp4"),
        ("作业.pdf", None),  # an executable named .pdf
        ("notes.txt", None),
    ],
)
def test_sniff_judges_by_content(sample_dir, name, expected):
    assert ingest.sniff(sample_dir / name, name) == expected


def test_sniff_ignores_the_name(sample_dir, tmp_path):
    disguised = tmp_path / "lesson.mp4"
    disguised.write_bytes((sample_dir / "教学设计.docx").read_bytes())
    assert ingest.sniff(disguised, "lesson.mp4") == ingest.DOCX


def test_a_zip_that_is_not_an_office_document_is_refused(tmp_path):
    import zipfile

    path = tmp_path / "x.docx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("hello.txt", "hi")
    assert ingest.sniff(path, "x.docx") is None


def test_legacy_office_needs_the_ole_container(tmp_path):
    doc = tmp_path / "old.doc"
    doc.write_bytes(ingest.OLE_MAGIC + b"\x00" * 1024)
    assert ingest.sniff(doc, "old.doc") == "application/msword"
    assert ingest.sniff(doc, "old.exe") is None


def test_image_thumbnail_is_at_most_400_wide(sample_dir):
    derived = ingest.derive(sample_dir / "校园植物.png", "image/png")
    with Image.open(io.BytesIO(derived.thumbnail)) as im:
        assert im.format == "JPEG"
        assert im.width == 400 and im.height == 267


def test_video_poster_and_duration(sample_dir):
    derived = ingest.derive(sample_dir / "课堂实录.mp4", "video/mp4")
    assert derived.error is None
    assert derived.duration == pytest.approx(3.0, abs=0.2)
    with Image.open(io.BytesIO(derived.poster)) as im:
        assert im.format == "JPEG" and im.size == (320, 240)


@pytest.mark.parametrize(
    ("name", "content_type", "words"),
    [
        ("光合作用.pdf", "application/pdf", ["叶绿体色素", "第二页"]),
        ("教学设计.docx", ingest.DOCX, ["分数的初步认识", "蜂巢结构"]),
        ("群文阅读.pptx", ingest.PPTX, ["家国情怀", "比较阅读"]),
    ],
)
def test_text_is_extracted(sample_dir, name, content_type, words):
    text = ingest.derive(sample_dir / name, content_type).text
    for word in words:
        assert word in text


def test_a_broken_pdf_records_why_instead_of_failing(sample_dir):
    derived = ingest.derive(sample_dir / "broken.pdf", "application/pdf")
    assert derived.text is None
    assert derived.error


def test_a_pdf_gets_its_first_page_as_thumbnail(tmp_path):
    from reportlab.pdfgen import canvas

    path = tmp_path / "封面.pdf"
    pdf = canvas.Canvas(str(path))  # A4 portrait: a dark title band on the first page, nothing on the second
    pdf.rect(0, 700, 595, 142, fill=1)
    pdf.showPage()
    pdf.drawString(72, 760, "page two")
    pdf.save()
    derived = ingest.derive(path, "application/pdf")
    assert derived.error is None
    with Image.open(io.BytesIO(derived.thumbnail)) as im:
        assert im.format == "JPEG" and im.width == ingest.THUMB_WIDTH
        assert im.height == round(ingest.THUMB_WIDTH * 842 / 595)
        grey = im.convert("L")
        assert grey.getpixel((200, 20)) < 30  # inside the band
        assert grey.getpixel((200, 400)) > 225  # the white rest of the page


def test_an_unrenderable_pdf_keeps_its_text_without_a_thumbnail(sample_dir, tmp_path):
    path = tmp_path / "no-pages.pdf"
    path.write_bytes(b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
                     b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
    assert ingest.pdf_thumbnail(path) is None


def test_extracted_text_is_stored_without_lookalike_characters(tmp_path):
    """A document written with Kangxi radicals (as some PDF converters leave them) is stored, and
    so indexed and shown, in ordinary characters."""
    import docx

    document = docx.Document()
    document.add_paragraph("⼀、情境导⼊：⽤⽣活中的例⼦引⼊新课")
    document.add_paragraph("⼆、⺠间故事")
    path = tmp_path / "教学设计.docx"
    document.save(path)
    text = ingest.derive(path, ingest.DOCX).text
    assert "一、情境导入：用生活中的例子引入新课" in text and "二、民间故事" in text
    assert not any(0x2E80 <= ord(ch) <= 0x2FDF for ch in text)


def test_a_pdf_written_with_kangxi_radicals_is_stored_with_the_ordinary_characters(tmp_path):
    """reportlab's STSong-Light writes U+2F00 ⼀, U+2F0A ⼊ and U+2EA0 ⺠ as they are and pypdf
    extracts them unchanged: the text stored on the file row is the ordinary one."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    path = tmp_path / "教学设计.pdf"
    pdf = canvas.Canvas(str(path))
    pdf.setFont("STSong-Light", 14)
    pdf.drawString(72, 760, "\u2f00、情境导\u2f0a")
    pdf.drawString(72, 730, "\u2f06、\u2ea0间故事")
    pdf.save()
    assert "\u2f0a" in ingest.pdf_text(path)  # the PDF's text layer does hold the look-alikes
    text = ingest.derive(path, "application/pdf").text
    assert "一、情境导入" in text and "二、民间故事" in text
    assert not any(0x2E80 <= ord(ch) <= 0x2FDF for ch in text)
