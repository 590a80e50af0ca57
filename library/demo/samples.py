"""Real sample documents (DOCX, PPTX, PNG, MP4) for the demo data set and the tests."""

from __future__ import annotations

import subprocess
from pathlib import Path


def make_docx(path: Path, title: str, paragraphs: list[str]) -> Path:
    """A Word document with a heading and paragraphs."""
    import docx

    document = docx.Document()
    document.add_heading(title, level=1)
    for text in paragraphs:
        document.add_paragraph(text)
    document.save(str(path))
    return path


def make_pptx(path: Path, title: str, bullets: list[str]) -> Path:
    """A two-slide presentation."""
    from pptx import Presentation

    deck = Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[0])
    slide.shapes.title.text = title
    body = deck.slides.add_slide(deck.slide_layouts[1])
    body.shapes.title.text = title
    frame = body.placeholders[1].text_frame
    frame.text = bullets[0] if bullets else ""
    for line in bullets[1:]:
        frame.add_paragraph().text = line
    deck.save(str(path))
    return path


def make_png(path: Path, size: tuple[int, int] = (1200, 800), color: tuple[int, int, int] = (52, 120, 200)) -> Path:
    """A gradient picture, large enough to need a thumbnail."""
    from PIL import Image

    width, height = size
    image = Image.new("RGB", size, color)
    pixels = image.load()
    assert pixels is not None  # a new image in memory always has its pixels
    for x in range(0, width, 4):
        shade = int(255 * x / width)
        for y in range(0, height, 4):
            pixels[x, y] = (shade, color[1], 255 - shade)
    image.save(path, "PNG")
    return path


def make_mp4(path: Path, seconds: int = 4, size: str = "320x240") -> Path:
    """A short H.264 test-pattern video with sound, made by imageio-ffmpeg's ffmpeg."""
    import imageio_ffmpeg

    subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-nostdin", "-y",
         "-f", "lavfi", "-i", f"testsrc=duration={seconds}:size={size}:rate=15",
         "-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}",
         "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest",
         "-movflags", "+faststart", str(path)],
        check=True, capture_output=True, timeout=120,
    )
    return path
