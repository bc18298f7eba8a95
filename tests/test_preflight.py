"""Preflight of print PDFs: small files made here with WeasyPrint and pikepdf, one fault each."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pikepdf
import pytest
from PIL import Image
from weasyprint import HTML

from anthology.colour import CMYK_PROFILE
from anthology.preflight import Finding, preflight
from anthology.printspec import PROFILES, PrintSpec

CMYK_ICC = str(CMYK_PROFILE)
COLOR_PROFILE = (f"@color-profile device-cmyk {{ src: url(file://{CMYK_ICC}); "
                 "components: cyan, magenta, yellow, black }")
# KDP / IngramSpark bleed: top, bottom and the outside edge; page 1 is a recto (outside = right).
BLEED_3_SIDES = """
@page { size: 6in 9in; bleed: .125in }
@page :right { bleed: .125in .125in .125in 0 }
@page :left { bleed: .125in 0 .125in .125in }
"""
# KDP's geometry; its page-count limits (24 to 828) are tested on their own, with few-page files.
SPEC = PrintSpec("print", (6 * 72, 9 * 72), 9.0, False, False, 2, "pdf/x-4", "white",
                 replace(PROFILES["kdp"], min_pages=1))


def render(tmp_path: Path, pages: int = 4, css: str = BLEED_3_SIDES, variant: str | None = "pdf/x-4",
           output_intent: bool = True, body: str = "", on: int = 1, name: str = "book.pdf") -> Path:
    """A PDF of `pages` pages of CMYK text, `body` added on page `on`, laid out by WeasyPrint."""
    rules = (COLOR_PROFILE if output_intent else "") + css + \
        "p { break-after: page; color: device-cmyk(0 0 0 1) } p:last-child { break-after: auto }"
    paragraphs = "".join(f"<p>Page {n} {body if n == on else ''}</p>" for n in range(1, pages + 1))
    html = f"<html><head><style>{rules}</style></head><body>{paragraphs}</body></html>"
    path = tmp_path / name
    HTML(string=html, base_url=str(tmp_path)).write_pdf(path, pdf_variant=variant)
    return path


def problems(report) -> list[tuple[str, str, int | None]]:
    return [(f.level, f.check, f.page) for f in report.findings if f.level != "ok"]


def test_conforming_x4_passes(tmp_path):
    report = preflight(render(tmp_path), SPEC)
    assert report.ok and problems(report) == []
    assert report.summary()[0] == "ok   trim 6 × 9 in, bleed 0.125 in on 3 sides, 4 pages (multiple of 2)"
    assert any(line.startswith("ok   PDF/X-4 identified") for line in report.summary())
    assert any(line.startswith("ok   OutputIntent GTS_PDFX") for line in report.summary())


def test_missing_output_intent_fails(tmp_path):
    report = preflight(render(tmp_path, output_intent=False), SPEC)
    assert not report.ok
    assert ("error", "output-intent", None) in problems(report)


def test_not_pdfx_fails_identification_but_none_skips_it(tmp_path):
    path = render(tmp_path, variant=None)
    assert ("error", "pdfx", None) in problems(preflight(path, SPEC))
    assert preflight(path, replace(SPEC, pdf_standard="none")).ok


def test_wrong_trim_fails_on_every_page(tmp_path):
    css = "@page { size: 5.5in 8.5in; bleed: .125in }"
    report = preflight(render(tmp_path, css=css), SPEC)
    trims = [f for f in report.of("boxes") if "TrimBox" in f.message]
    assert [f.page for f in trims] == [1, 2, 3, 4]
    assert trims[0].level == "error" and "5.5 × 8.5 in" in trims[0].message
    assert report.summary()[0].startswith("ok   4 pages")
    assert report.summary()[1].startswith("error page 1: TrimBox is 5.5 × 8.5 in")


def test_bleed_on_the_binding_side_fails_for_print_on_demand(tmp_path):
    """Bleed on all four sides is right for offset, wrong for a 3-side-bleed service."""
    css = "@page { size: 6in 9in; bleed: .125in }"
    path = render(tmp_path, css=css)
    report = preflight(path, SPEC)
    bleed = [f for f in report.of("boxes") if f.level == "error"]
    assert [f.page for f in bleed] == [1, 2, 3, 4]
    assert "recto" in bleed[0].message and "left 0.125 in (expected 0)" in bleed[0].message
    assert "verso" in bleed[1].message and "right 0.125 in (expected 0)" in bleed[1].message
    offset = replace(SPEC, bleed_binding_side=True, page_multiple=4)
    assert preflight(path, offset).ok


def test_odd_page_count_fails(tmp_path):
    report = preflight(render(tmp_path, pages=3), SPEC)
    assert problems(report) == [("error", "pages", None)]
    assert "3 pages: not a multiple of 2" in report.of("pages")[0].message


def test_page_count_must_fill_signatures(tmp_path):
    report = preflight(render(tmp_path, pages=4), replace(SPEC, page_multiple=16))
    assert problems(report) == [("error", "pages", None)]
    assert "add 12 blank pages" in report.of("pages")[0].message


def png(tmp_path: Path, pixels: int, name: str, mode: str = "L") -> str:
    """A PNG (greyscale unless told: WeasyPrint writes an RGB one as DeviceRGB, which a CMYK
    PDF/X-4 does not allow, and the image tests are about resolution)."""
    Image.new(mode, (pixels, pixels), (40, 90, 160) if mode == "RGB" else 90).save(tmp_path / name)
    return name


def test_low_resolution_image_is_an_error(tmp_path):
    img = png(tmp_path, 72, "low.png")  # 72 px placed at 1 in: 72 ppi
    report = preflight(render(tmp_path, body=f'<img src="{img}" style="width: 1in; height: 1in">'), SPEC)
    (finding,) = [f for f in report.findings if f.level != "ok"]
    assert (finding.level, finding.check, finding.page) == ("error", "images", 1)
    assert "image 0 is 72 ppi" in finding.message


def test_medium_resolution_image_is_a_warning(tmp_path):
    img = png(tmp_path, 200, "mid.png")  # 200 ppi
    report = preflight(render(tmp_path, body=f'<img src="{img}" style="width: 1in; height: 1in">'), SPEC)
    assert report.ok and problems(report) == [("warning", "images", 1)]


def test_300_ppi_image_passes(tmp_path):
    img = png(tmp_path, 300, "sharp.png")  # 300 px placed at 1 in
    report = preflight(render(tmp_path, body=f'<img src="{img}" style="width: 1in; height: 1in">'), SPEC)
    assert report.ok and problems(report) == []
    assert "ok   images: 1, lowest 300 ppi" in report.summary()


X1A = replace(SPEC, pdf_standard="pdf/x-1a")


def test_conforming_x1a_passes(tmp_path):
    report = preflight(render(tmp_path, variant="pdf/x-1a"), X1A)
    assert report.ok and problems(report) == []
    assert "ok   no RGB" in report.summary() and "ok   no transparency" in report.summary()


def test_rgb_colour_in_x1a_fails(tmp_path):
    body = '<span style="color: rgb(200, 0, 0)">red</span>'
    path = render(tmp_path, variant="pdf/x-1a", body=body)
    report = preflight(path, X1A)
    assert problems(report) == [("error", "rgb", 1)]
    assert "DeviceRGB colour set in the content" in report.of("rgb")[0].message
    x4 = render(tmp_path, body=body, name="x4.pdf")
    assert problems(preflight(x4, SPEC)) == [("error", "rgb", 1)]  # not against a CMYK OutputIntent


def test_transparency_in_x1a_fails(tmp_path):
    body = '<span style="opacity: 0.5">faint</span>'
    report = preflight(render(tmp_path, variant="pdf/x-1a", body=body), X1A)
    assert ("error", "transparency", 1) in problems(report)
    assert {f.check for f in report.errors} == {"transparency"}


def test_findings_name_the_page_that_draws_the_object(tmp_path):
    """WeasyPrint shares one Resources dictionary between pages; the page is where it is drawn."""
    img = png(tmp_path, 72, "low.png", "RGB")
    body = f'<img src="{img}" style="width: 1in; height: 1in"><span style="opacity: .5">x</span>'
    report = preflight(render(tmp_path, variant="pdf/x-1a", body=body, on=3), X1A)
    assert {(f.check, f.page) for f in report.errors} == {("images", 3), ("transparency", 3), ("rgb", 3)}


def test_x4_file_declared_as_x1a_fails_identification(tmp_path):
    report = preflight(render(tmp_path), X1A)
    pdfx = [f for f in report.of("pdfx") if f.level == "error"]
    assert any("XMP declares PDF/X-4" in f.message for f in pdfx)
    assert any("no GTS_PDFXVersion in the document Info" in f.message for f in pdfx)


def helvetica(pdf: pikepdf.Pdf) -> pikepdf.Dictionary:
    """A standard-14 font: named only, no FontDescriptor, no font program in the file."""
    return pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1,
                                                BaseFont=pikepdf.Name.Helvetica))


def add_helvetica_page(path: Path, where: str) -> Path:
    """Append a verso with the same boxes as page 2 that draws text in Helvetica."""
    pdf = pikepdf.open(path, allow_overwriting_input=True)
    model = pdf.pages[1].obj
    text = pdf.make_stream(b"BT /Helv 12 Tf 72 72 Td (Unembedded) Tj ET")
    fonts = pikepdf.Dictionary(Helv=helvetica(pdf))
    page = pikepdf.Dictionary(Type=pikepdf.Name.Page, MediaBox=model.MediaBox, BleedBox=model.BleedBox,
                              TrimBox=model.TrimBox, Resources=pikepdf.Dictionary())
    if where == "page":
        page.Contents, page.Resources.Font = text, fonts
    elif where == "form":  # nested two Form XObjects deep
        inner = pdf.make_stream(text.read_bytes(), Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Form,
                                BBox=[0, 0, 432, 648], Resources=pikepdf.Dictionary(Font=fonts))
        outer = pdf.make_stream(b"/Inner Do", Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Form,
                                BBox=[0, 0, 432, 648],
                                Resources=pikepdf.Dictionary(XObject=pikepdf.Dictionary(Inner=inner)))
        page.Contents = pdf.make_stream(b"/Outer Do")
        page.Resources.XObject = pikepdf.Dictionary(Outer=outer)
    else:  # a form field's appearance stream
        appearance = pdf.make_stream(text.read_bytes(), Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Form,
                                     BBox=[0, 0, 200, 20], Resources=pikepdf.Dictionary(Font=fonts))
        annot = pikepdf.Dictionary(Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.FreeText, Rect=[72, 72, 272, 92],
                                   Contents=pikepdf.String("note"), DA=pikepdf.String("/Helv 12 Tf 0 g"),
                                   AP=pikepdf.Dictionary(N=appearance))
        page.Contents = pdf.make_stream(b"")
        page.Annots = pdf.make_indirect(pikepdf.Array([pdf.make_indirect(annot)]))
    pdf.pages.append(pikepdf.Page(page))
    pdf.save(path)
    return path


@pytest.mark.parametrize("where", ["page", "form", "annotation"])
def test_unembedded_font_fails(tmp_path, where):
    path = add_helvetica_page(render(tmp_path, pages=3), where)
    report = preflight(path, SPEC)
    assert problems(report) == [("error", "fonts", 4)]
    assert report.of("fonts")[0].message == "font Helvetica is not embedded"


def test_a_listed_but_unused_font_is_not_a_problem(tmp_path):
    path = render(tmp_path)
    pdf = pikepdf.open(path, allow_overwriting_input=True)
    pdf.pages[1].obj.Resources.Font.Helv = helvetica(pdf)  # resources shared by every page
    pdf.save(path)
    assert preflight(path, SPEC).ok


def test_unreadable_file_is_a_finding(tmp_path):
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"not a pdf")
    report = preflight(path, SPEC)
    assert not report.ok and problems(report) == [("error", "file", None)]


def test_summary_caps_repeated_problems(tmp_path):
    report = preflight(render(tmp_path, pages=8, css="@page { size: 5in 8in }"), SPEC)
    lines = report.summary()
    assert sum(line.startswith("error page") for line in lines) == 5
    assert any(line.lstrip().startswith("… and") for line in lines)
    assert all(isinstance(f, Finding) for f in report.findings)


def nest(path: Path, size: int) -> None:
    """Regroup a PDF's pages under intermediate page tree nodes of `size` pages each."""
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        root = pdf.Root.Pages
        kids = list(root.Kids)
        nodes = []
        for i in range(0, len(kids), size):
            node = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Pages, Parent=root,
                                                        Kids=pikepdf.Array(kids[i:i + size]),
                                                        Count=len(kids[i:i + size])))
            for kid in kids[i:i + size]:
                kid.Parent = node
            nodes.append(node)
        root.Kids = pikepdf.Array(nodes)
        pdf.save(path)


@pytest.mark.parametrize("tree", [None, 7])
def test_every_page_of_a_long_book_is_checked(tmp_path, tree):
    """Pages are read a window at a time (the file opened again for each): a fault on the last
    page is still found, in a flat page tree and in a nested one."""
    path = render(tmp_path, pages=250)
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        pdf.pages[-1].obj.TrimBox = pikepdf.Array([0, 0, 400, 600])
        pdf.save(path)
    if tree:
        nest(path, tree)
    report = preflight(path, SPEC)
    assert ("error", "boxes", 250) in problems(report)
    assert {f.page for f in report.findings if f.check == "boxes"} == {250}
