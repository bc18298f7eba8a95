"""The print cover (full-wrap PDF/X) and the EPUB cover image."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pikepdf
import pytest
from PIL import Image

from anthology.config import PrintEdition
from anthology.cover import CoverGeometry, cover_pdf, front_cover_png, front_layout
from anthology.printspec import resolve
from anthology.readers.manuscript import load

from conftest import MINIMAL_PIECE, SAMPLE, pdf_fonts

EPOCH = "1700000000"


@pytest.fixture(autouse=True)
def fixed_time(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)


@pytest.fixture(scope="module")
def sample():
    book, _ = load(SAMPLE)
    return book


def spec(**options):
    return resolve("print", PrintEdition(**{"profile": "kdp", **options}))


def text_in(path: Path, x: float, y: float, w: float, h: float) -> str:
    """The text pdftotext finds in a rectangle of the page, in points from its top-left corner."""
    args = ["pdftotext", "-r", "72", "-x", str(int(x)), "-y", str(int(y)), "-W", str(int(w)), "-H", str(int(h))]
    return subprocess.run([*args, str(path), "-"], capture_output=True, text=True, check=True).stdout


def boxes(path: Path) -> dict[str, list[float]]:
    with pikepdf.open(path) as pdf:
        page = pdf.pages[0].obj
        return {name: [float(v) for v in page[f"/{name}"]] for name in ("MediaBox", "TrimBox", "BleedBox")}


def size(box: list[float]) -> tuple[float, float]:
    return box[2] - box[0], box[3] - box[1]


@pytest.mark.parametrize("trim,bleed,pages", [("6x9in", None, 400), ("5.5x8.5in", "3mm", 120), ("a5", "0.25in", 40)])
def test_media_trim_and_bleed_boxes(sample, tmp_path, trim, bleed, pages):
    s = spec(trim=trim, bleed=bleed)
    target = tmp_path / "cover.pdf"
    g = cover_pdf(sample, s, pages, target)
    (tw, th), b, spine = s.trim, s.bleed, s.spine(pages)
    box = boxes(target)
    media_w, media_h = size(box["MediaBox"])
    assert media_w == pytest.approx(2 * tw + spine + 2 * b, abs=0.01)
    assert media_h == pytest.approx(th + 2 * b, abs=0.01)
    assert (g.width_pt, g.height_pt, g.spine_pt, g.bleed_pt) == pytest.approx((media_w, media_h, spine, b), abs=0.01)
    trim_box = box["TrimBox"]
    assert [trim_box[i] - box["MediaBox"][i] for i in (0, 1)] == pytest.approx([b, b], abs=0.01)
    assert size(trim_box) == pytest.approx((2 * tw + spine, th), abs=0.01)
    assert box["BleedBox"] == pytest.approx(box["MediaBox"], abs=0.01)


def test_spine_text_only_on_a_wide_enough_spine(sample, tmp_path):
    s = spec()
    tw, th = s.trim
    thick, thin = tmp_path / "thick.pdf", tmp_path / "thin.pdf"
    assert cover_pdf(sample, s, 400, thick).spine_text
    assert not cover_pdf(sample, s, 40, thin).spine_text
    # pdftotext measures from the media box's corner, so the trim starts one bleed in.
    on_spine = text_in(thick, s.bleed + tw, 0, s.spine(400), th + 2 * s.bleed)
    assert sample.meta.title in " ".join(on_spine.split())
    assert "The Editors" in on_spine
    assert text_in(thin, s.bleed + tw, 0, s.spine(40), th + 2 * s.bleed).strip() == ""
    # The front panel carries title, series and editors; the back the description and publisher.
    front = " ".join(text_in(thin, s.bleed + tw + s.spine(40), 0, tw + s.bleed, th + 2 * s.bleed).split())
    assert all(part in front for part in ("Why I Joined", "the IMT", sample.meta.series, "Edited by The Editors"))
    back = " ".join(text_in(thin, 0, 0, tw + s.bleed, th + 2 * s.bleed).split())
    assert "Comrades explain" in back and sample.meta.publisher in back


def test_pdf_x4_with_output_intent_and_embedded_fonts(sample, tmp_path):
    target = tmp_path / "cover.pdf"
    cover_pdf(sample, spec(), 300, target)
    with pikepdf.open(target) as pdf:
        intents = pdf.Root.OutputIntents
        assert len(intents) == 1 and intents[0].S == "/GTS_PDFX" and "/DestOutputProfile" in intents[0]
        # the registered condition, not the profile's description
        assert str(intents[0].OutputConditionIdentifier) == "FOGRA39"
        assert str(intents[0].RegistryName) == "http://www.color.org"
        assert str(intents[0].Info) == "Coated FOGRA39 (ISO 12647-2:2004)"
        meta = pdf.open_metadata()
        assert meta.pdfx_status == "PDF/X-4"
        assert meta["xmp:CreateDate"].startswith("2023-11-14T22:13:20")
        assert "/device-cmyk" in pdf.pages[0].Resources.ColorSpace
    fonts = pdf_fonts(target)
    assert fonts and all(row[-5] == "yes" for row in fonts), fonts  # the "emb" column


def test_pdf_x1a_and_plain(sample, tmp_path):
    x1a, plain = tmp_path / "x1a.pdf", tmp_path / "plain.pdf"
    cover_pdf(sample, spec(profile="ingramspark"), 200, x1a)
    cover_pdf(sample, spec(pdf_standard="none"), 200, plain)
    with pikepdf.open(x1a) as pdf:
        assert pdf.open_metadata().pdfx_status == "PDF/X-1a:2003" and "/OutputIntents" in pdf.Root
        assert pdf.pdf_version == "1.4" and str(pdf.Root.OutputIntents[0].OutputConditionIdentifier) == "FOGRA39"
    assert x1a.read_bytes().startswith(b"%PDF-1.4") and b"/ObjStm" not in x1a.read_bytes()
    assert all("(OT)" not in row for row in pdf_fonts(x1a))  # CFF, as PDF 1.4 knows it (pdfx.bare_fonts)
    with pikepdf.open(plain) as pdf:
        assert "/OutputIntents" not in pdf.Root and not pdf.open_metadata().pdfx_status


def test_cover_pdf_is_reproducible(sample, tmp_path):
    a, b = tmp_path / "a.pdf", tmp_path / "b.pdf"
    cover_pdf(sample, spec(), 300, a)
    cover_pdf(sample, spec(), 300, b)
    assert a.read_bytes() == b.read_bytes()
    assert not list(tmp_path.glob(".*.tmp"))


def test_cover_pdf_reads_nothing_outside_the_manuscript(make_manuscript, tmp_path):
    secret = tmp_path / "secret.css"
    secret.write_text("body { color: red }")
    root = make_manuscript({
        "anthology.yml": f"""
            title: "<b>Tags</b> & Ampersands"
            language: en
            editors: [Ada Editor]
            description: '<link rel="stylesheet" href="file://{secret}"/>'
            contents: [one.md]
            """,
        "one.md": MINIMAL_PIECE,
    })
    book, _ = load(root)
    target = tmp_path / "cover.pdf"
    cover_pdf(book, spec(), 300, target)
    text = subprocess.run(["pdftotext", str(target), "-"], capture_output=True, text=True, check=True).stdout
    assert "<b>Tags</b> & Ampersands" in text  # escaped, not markup
    assert '<link rel="stylesheet"' in text


def test_front_cover_png_size_and_determinism(sample):
    png = front_cover_png(sample)
    assert png == front_cover_png(sample)
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.size == (1600, 2560)
    assert not set(image.info) - {"dpi"}  # no timestamps or text chunks
    small = Image.open(io.BytesIO(front_cover_png(sample, 600, 900)))
    assert small.size == (600, 900)


LONG = """
title: The Extraordinarily Long and Unreasonably Detailed Title of an Anthology Concerning Incomprehensibilities
subtitle: Being a Collection of Essays, Letters, Fragments and Other Writings Gathered Over Many Years by Several Hands
series: Studies in the Theory and Practice of Very Long Metadata, Volume Seventeen
editors: [Maria Anastasia Konstantinopoulou, Jean-Baptiste Delacroix-Montgomery, Ada Editor]
language: en
contents: [one.md]
"""


@pytest.mark.parametrize("config", [LONG, "title: Brief\nlanguage: en\ncontents: [one.md]\n"])
def test_front_panel_never_overflows(make_manuscript, config):
    book, _ = load(make_manuscript({"anthology.yml": config, "one.md": MINIMAL_PIECE}))
    from anthology.cover import text_width

    for width, height in ((1600, 2560), (432, 648), (600, 900)):
        layout = front_layout(book.meta, width, height)
        blocks = sorted(layout.blocks, key=lambda b: b.top)
        assert blocks[0].top >= layout.margin * 0.5
        assert blocks[-1].bottom <= height - layout.margin * 0.5
        for upper, lower in zip(blocks, blocks[1:]):
            assert upper.bottom <= lower.top, (upper.name, lower.name)
        for block in blocks:
            for line in block.lines:
                assert text_width(line, block.size, block.style) <= width - 2 * layout.margin + 0.5
    png = Image.open(io.BytesIO(front_cover_png(book)))
    # The margins stay the background colour: nothing was drawn into them.
    margin = round(1600 * 0.1)
    edge = png.crop((0, 0, margin, 2560)).getcolors()
    assert edge is not None and len(edge) == 1


def test_geometry_is_frozen():
    g = CoverGeometry(100, 50, 10, 9, False)
    with pytest.raises(AttributeError):
        g.spine_pt = 1  # type: ignore[misc]
    assert g.panel == pytest.approx((100 - 18 - 10) / 2)
