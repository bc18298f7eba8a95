"""The print edition as a print shop receives it: boxes, standard, fonts, page counts, blanks."""

from __future__ import annotations

import pikepdf
import pytest
from pypdf import PdfReader

from anthology.commands.build import build
from anthology.generator import generate
from anthology.printspec import SpecError, length, trim_size

from conftest import SAMPLE, pdf_fonts, pdf_text_pages

TRIM = (432.0, 648.0)
BLEED = 9.0


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """A generated anthology of about 300 pages, built once with the KDP profile."""
    root = generate(tmp_path_factory.mktemp("gen") / "ms", pieces=36, parts=4, seed=7, words=(900, 3500))
    config = root / "anthology.yml"
    config.write_text(config.read_text() + "editions:\n  print:\n    profile: kdp\n    paper: cream\n")
    return build(root, tmp_path_factory.mktemp("gen-out"), ("pdf",))


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    return build(SAMPLE, tmp_path_factory.mktemp("sample"), ("pdf", "screen"))


def boxes(path):
    with pikepdf.open(path) as pdf:
        return [({k: [float(x) for x in page.obj[k]] for k in ("/MediaBox", "/TrimBox", "/BleedBox")})
                for page in pdf.pages]


@pytest.mark.parametrize("which", ["sample", pytest.param("generated", marks=pytest.mark.slow)])
def test_trim_and_bleed_boxes_on_every_page(which, request):
    result = request.getfixturevalue(which)
    for number, page in enumerate(boxes(result.outputs["pdf"]), 1):
        x0, y0, x1, y1 = page["/TrimBox"]
        assert (round(x1 - x0, 2), round(y1 - y0, 2)) == TRIM
        bx0, by0, bx1, by1 = page["/BleedBox"]
        recto = number % 2 == 1
        # no bleed on the binding side: left of a recto, right of a verso
        assert (round(x0 - bx0, 2), round(bx1 - x1, 2)) == ((0.0, BLEED) if recto else (BLEED, 0.0))
        assert (round(y0 - by0, 2), round(by1 - y1, 2)) == (BLEED, BLEED)
        assert page["/MediaBox"] == page["/BleedBox"]


@pytest.mark.parametrize("which", ["sample", pytest.param("generated", marks=pytest.mark.slow)])
def test_pdfx4_with_output_intent_and_embedded_fonts(which, request):
    path = request.getfixturevalue(which).outputs["pdf"]
    with pikepdf.open(path) as pdf:
        assert pdf.pdf_version == "1.6"
        assert pdf.open_metadata().pdfx_status == "PDF/X-4"
        [intent] = pdf.Root.OutputIntents
        assert intent.S == "/GTS_PDFX" and intent.DestOutputProfile.N == 4
    assert all(row[-5] == "yes" for row in pdf_fonts(path))


@pytest.mark.slow
def test_generated_book_page_count_openings_and_blanks(generated):
    path = generated.outputs["pdf"]
    reader = PdfReader(str(path))
    pages = pdf_text_pages(path)
    assert 250 <= len(reader.pages) <= 400
    assert len(reader.pages) % 2 == 0 and len(reader.pages) == generated.pages
    openings = []

    def walk(items):
        for item in items:
            if isinstance(item, list):
                walk(item)
            else:
                openings.append(reader.get_destination_page_number(item) + 1)

    walk(reader.outline)
    assert len(openings) >= 36 + 4
    assert all(page % 2 == 1 for page in openings)
    blank = [i for i, text in enumerate(pages, 1) if not text.strip()]
    assert blank and all(i % 2 == 0 or i == len(pages) for i in blank)
    with pikepdf.open(path) as pdf:  # truly blank: no text drawn at all (no folio, no running head)
        for i in blank:
            ops = {str(op) for _, op in pikepdf.parse_content_stream(pdf.pages[i - 1])}
            assert not ops & {"Tj", "TJ", "'", '"'}, f"page {i} draws text"


def test_gutter_grows_with_the_page_count_as_kdp_requires():
    from anthology.config import PrintEdition
    from anthology.printspec import resolve

    spec = resolve("print", PrintEdition(profile="kdp"))
    assert [spec.gutter(n) / 72 for n in (100, 250, 400, 600, 750)] == [0.75, 0.75, 0.75, 0.75, 0.875]
    assert resolve("print", PrintEdition(profile="kdp", paper="cream")).spine(300) == pytest.approx(0.75 * 72)


@pytest.mark.slow
def test_measured_inside_margin_of_recto_pages(generated):
    """The text of a recto never comes nearer the binding than the gutter the page count needs."""
    import re
    import subprocess

    path = generated.outputs["pdf"]
    needed = 0.5 * 72 if generated.pages <= 300 else 0.625 * 72
    for page in (31, 61, 91):
        html = subprocess.run(["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(path), "-"],
                              capture_output=True, text=True, check=True).stdout
        xs = [float(x) for x in re.findall(r'<word xMin="([0-9.]+)"', html)]
        assert xs and min(xs) >= max(needed, 0.75 * 72) - 1, (page, min(xs))


def test_page_multiple_pads_with_blank_pages(make_manuscript, tmp_path):
    root = make_manuscript({
        "anthology.yml": "title: T\nlanguage: en\ncontents: [a.md]\neditions:\n  print:\n    profile: offset\n",
        "a.md": "---\ntitle: A\n---\n\nText.\n",
    })
    result = build(root, tmp_path / "out", ("pdf",))
    pages = pdf_text_pages(result.outputs["pdf"])
    assert len(pages) % 16 == 0 and result.pages == len(pages)
    assert not any(p.strip() for p in pages[-8:])
    first = boxes(result.outputs["pdf"])[0]
    assert [round(a - b, 2) for a, b in zip(first["/TrimBox"], first["/BleedBox"])] == [9.0, 9.0, -9.0, -9.0]


def test_trim_sizes_and_lengths():
    assert trim_size("6x9in") == (432.0, 648.0)
    assert trim_size("A5") == pytest.approx((419.53, 595.28), abs=0.01)
    assert trim_size("150x230mm") == pytest.approx((425.2, 651.97), abs=0.01)
    assert length("3mm") == pytest.approx(8.504, abs=0.001)
    with pytest.raises(SpecError):
        trim_size("huge")


def test_bad_trim_is_an_error_with_its_line(make_manuscript):
    from anthology.errors import ManuscriptError
    from anthology.readers.manuscript import load

    root = make_manuscript({
        "anthology.yml": "title: T\nlanguage: en\ncontents: [a.md]\neditions:\n  print:\n    trim: 6 by 9\n",
        "a.md": "---\ntitle: A\n---\nText.\n",
    })
    with pytest.raises(ManuscriptError) as info:
        load(root)
    [d] = info.value.diagnostics.errors
    assert d.line == 6 and "unknown trim size '6 by 9'" in d.message


def test_screen_edition_is_tagged_without_bleed(sample):
    path = sample.outputs["pdf:screen"]
    with pikepdf.open(path) as pdf:
        assert "/StructTreeRoot" in pdf.Root and pdf.Root.MarkInfo.Marked
        page = pdf.pages[0]
        assert [float(x) for x in page.obj["/MediaBox"]] == [0, 0, *TRIM]
