"""PDF/X made so, not only labelled: the print PDF's colour, transparency and file shape as a
print shop's preflight reads them, checked with pikepdf, qpdf, poppler and Ghostscript; and
preflight failing, with the page, on each fault planted in a PDF."""

from __future__ import annotations

import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pikepdf
import pytest
from PIL import Image, ImageDraw

from anthology.commands.build import build
from anthology.preflight import preflight

from conftest import pdf_fonts
from test_preflight import SPEC, X1A, problems, render

CONFIG = """
title: A Small Book
language: en
editors: [Ada Editor]
contents:
  - part: Essays
    pieces:
      - one.md
      - two.md
editions:
  print:
    profile: {profile}
"""

ONE = """
---
title: One
author: Bea Author
---

A paragraph before the pictures.

![A photograph / Image: Me](images/photo.png "A red and blue photograph")

![A drawing / Image: Me](images/drawing.svg "A translucent circle on a square")

![A snapshot / Image: Me](images/snap.jpg "A green snapshot")
"""

TWO = """
---
title: Two
author: Cy Author
---

A claim that needs a note.[^1] And more text after it.

[^1]: The note, set at the foot of the page above an inch of rule.
"""

SVG = """<svg xmlns="http://www.w3.org/2000/svg" width="600" height="300" viewBox="0 0 600 300">
  <rect width="600" height="300" fill="#e8e4dc"/>
  <circle cx="300" cy="150" r="120" fill="#8b1e1e" opacity="0.85"/>
  <rect x="100" y="250" width="400" height="20" fill="rgb(20, 60, 160)" stroke="#000" opacity="0.6"/>
</svg>
"""


def manuscript(root: Path, profile: str) -> Path:
    (root / "images").mkdir(parents=True)
    (root / "anthology.yml").write_text(CONFIG.format(profile=profile))
    (root / "one.md").write_text(ONE.lstrip())
    (root / "two.md").write_text(TWO.lstrip())
    photo = Image.new("RGBA", (900, 450), (200, 40, 40, 255))  # an RGB PNG with an alpha channel
    ImageDraw.Draw(photo).rectangle([450, 0, 900, 450], fill=(30, 90, 200, 128))
    photo.save(root / "images" / "photo.png")
    Image.new("RGB", (900, 450), (40, 160, 60)).save(root / "images" / "snap.jpg", quality=90)
    (root / "images" / "drawing.svg").write_text(SVG)
    return root


@pytest.fixture(scope="module")
def x1a(tmp_path_factory):
    """An `ingramspark` (PDF/X-1a) build; build() raises if its preflight fails."""
    root = manuscript(tmp_path_factory.mktemp("x1a") / "ms", "ingramspark")
    return build(root, tmp_path_factory.mktemp("x1a-out"), ("pdf",), jobs=2).outputs["pdf"]


@pytest.fixture(scope="module")
def x4(tmp_path_factory):
    """A `kdp` (PDF/X-4, the default FOGRA39 profile) build of the same manuscript."""
    root = manuscript(tmp_path_factory.mktemp("x4") / "ms", "kdp")
    return build(root, tmp_path_factory.mktemp("x4-out"), ("pdf",), jobs=2).outputs["pdf"]


# --- walking everything a page draws ---------------------------------------------------------------

def reachable(page: pikepdf.Page):
    """Every object a page reaches (resources, forms at any depth, patterns, shadings, groups,
    images, annotations), but its parent: (object, its dictionary or array)."""
    seen, stack = set(), [page.obj]
    while stack:
        obj = stack.pop()
        if isinstance(obj, (pikepdf.Dictionary, pikepdf.Stream, pikepdf.Array)):
            if obj.is_indirect:
                if obj.objgen in seen:
                    continue
                seen.add(obj.objgen)
            yield obj
            items = obj.items() if not isinstance(obj, pikepdf.Array) else enumerate(obj)
            stack += [v for k, v in items if k != "/Parent"]


def streams_drawn(page: pikepdf.Page):
    """The page's content and every form's (parsed)."""
    yield list(pikepdf.parse_content_stream(page))
    for obj in reachable(page):
        if isinstance(obj, pikepdf.Stream) and obj.get("/Subtype") == "/Form":
            yield list(pikepdf.parse_content_stream(obj))


def rgb_found(path: Path) -> list[tuple[int, str]]:
    found = []
    with pikepdf.open(path) as pdf:
        for number, page in enumerate(pdf.pages, 1):
            for obj in reachable(page):
                values = obj if isinstance(obj, pikepdf.Array) else obj.values()
                if any(isinstance(v, pikepdf.Name) and v == "/DeviceRGB" for v in values):
                    found.append((number, "a /DeviceRGB resource, group or image"))
            for instructions in streams_drawn(page):
                if any(str(op) in ("rg", "RG") for _, op in instructions):
                    found.append((number, "rg/RG in a content stream"))
    return found


def transparency_found(path: Path) -> list[tuple[int, str]]:
    found = []
    with pikepdf.open(path) as pdf:
        for number, page in enumerate(pdf.pages, 1):
            for obj in reachable(page):
                if isinstance(obj, pikepdf.Array):
                    continue
                if obj.get("/S") == "/Transparency":
                    found.append((number, "a transparency group"))
                if "/SMask" in obj and obj.SMask != "/None":
                    found.append((number, "a soft mask"))
                for key in ("/CA", "/ca"):
                    if key in obj and float(obj[key]) < 1:
                        found.append((number, f"{key} {obj[key]}"))
    return found


# --- PDF/X-1a -------------------------------------------------------------------------------------

def test_x1a_build_is_pdf_14_with_a_cross_reference_table(x1a):
    data = x1a.read_bytes()
    assert data.startswith(b"%PDF-1.4\n")
    assert b"/ObjStm" not in data and not re.search(rb"/Type\s*/XRef", data)
    assert b"\nxref\n0 " in data and re.search(rb"\ntrailer\s*<<", data)
    with pikepdf.open(x1a) as pdf:
        assert pdf.pdf_version == "1.4" and "/Version" not in pdf.Root
        assert "/Type" not in pdf.trailer and "/XRefStm" not in pdf.trailer
        assert pdf.open_metadata().pdfx_status == "PDF/X-1a:2003"
    check = subprocess.run(["qpdf", "--check", str(x1a)], capture_output=True, text=True)
    assert check.returncode == 0 and "No syntax or stream encoding errors" in check.stdout, check.stdout
    info = subprocess.run(["pdfinfo", str(x1a)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"PDF version:\s+1\.4", info)


def test_x1a_fonts_are_bare_cff_as_pdf_14_knows_them(x1a, x4):
    """OpenType font programs (FontFile3 /OpenType) are PDF 1.6: X-1a embeds their CFF."""
    x1a_fonts, x4_fonts = pdf_fonts(x1a), pdf_fonts(x4)
    assert x1a_fonts and all(" ".join(row[1:4]) == "CID Type 0C" and row[-5] == "yes" for row in x1a_fonts), x1a_fonts
    assert any("(OT)" in row for row in x4_fonts)  # X-4 keeps them as WeasyPrint writes them
    with pikepdf.open(x1a) as pdf:
        assert not any(isinstance(o, pikepdf.Stream) and o.get("/Subtype") == "/OpenType" for o in pdf.objects)


def test_opentype_font_fails_x1a_preflight(tmp_path):
    css = "@page { size: 6in 9in; bleed: .125in } @page :right { bleed: .125in .125in .125in 0 } " \
          "@page :left { bleed: .125in 0 .125in .125in } html { font-family: 'EB Garamond' }"
    path = render(tmp_path, variant="pdf/x-1a", css=css)
    if not any("(OT)" in row for row in pdf_fonts(path)):
        pytest.skip("EB Garamond (fonts-ebgaramond) is not installed as an OpenType face")
    report = preflight(path, X1A_SPEC)
    assert ("error", "fonts", 1) in problems(report)
    assert "embedded as OpenType" in report.of("fonts")[0].message


def test_x1a_build_has_no_transparency_and_no_rgb(x1a):
    assert transparency_found(x1a) == []
    assert rgb_found(x1a) == []
    report = preflight(x1a, X1A_SPEC)
    assert report.ok and problems(report) == [], report.summary()


def test_x1a_rgb_images_are_cmyk_in_the_pdf(x1a):
    """The RGB PNG (its alpha composited onto white) and the RGB JPEG, converted with the
    OutputIntent's profile: pdfimages lists them as CMYK, with no soft mask."""
    rows = [line.split() for line in subprocess.run(["pdfimages", "-list", str(x1a)], capture_output=True,
                                                    text=True, check=True).stdout.splitlines()[2:]]
    assert len(rows) == 2, rows
    assert {(row[2], row[5], row[8]) for row in rows} == {("image", "cmyk", "image"), ("image", "cmyk", "jpeg")}


# --- PDF/X-4 --------------------------------------------------------------------------------------

def test_x4_build_has_no_device_rgb_anywhere(x4):
    assert rgb_found(x4) == []
    with pikepdf.open(x4) as pdf:
        [intent] = pdf.Root.OutputIntents
        assert str(intent.OutputConditionIdentifier) == "FOGRA39"
        assert str(intent.RegistryName) == "http://www.color.org"
        assert str(intent.Info) == "Coated FOGRA39 (ISO 12647-2:2004)"
        groups = [obj.CS for page in pdf.pages for obj in reachable(page)
                  if not isinstance(obj, pikepdf.Array) and obj.get("/S") == "/Transparency" and "/CS" in obj]
        assert groups and all(cs == "/DeviceCMYK" for cs in groups)  # SVG opacity keeps its groups, in CMYK
    assert preflight(x4, X4_SPEC).ok
    rows = subprocess.run(["pdfimages", "-list", str(x4)], capture_output=True, text=True, check=True).stdout
    images = [line.split() for line in rows.splitlines()[2:] if line.split()[2] == "image"]
    assert len(images) == 2 and all(row[5] == "cmyk" for row in images)  # X-4 keeps the PNG's alpha (smask)


@pytest.mark.skipif(not shutil.which("gs"), reason="Ghostscript (scripts/setup-system.sh) is not installed")
def test_footnote_rule_prints_in_black_ink_only(x4):
    """Ghostscript's ink coverage of the page with the note: text and rule, K and nothing else."""
    pages = subprocess.run(["pdftotext", str(x4), "-"], capture_output=True, text=True, check=True).stdout.split("\f")
    [page] = [n for n, text in enumerate(pages, 1) if "The note, set at the foot" in " ".join(text.split())]
    with pikepdf.open(x4) as pdf:  # the rule: an inch by half a point, drawn on that page
        drawn = {str(operands[0]) for operands, op in pikepdf.parse_content_stream(pdf.pages[page - 1]) if str(op) == "Do"}
        xobjects = pdf.pages[page - 1].obj.Resources.XObject
        assert any(b"0 0 72 0.5 re" in xobjects[name].read_bytes() for name in drawn)
    coverage = subprocess.run(["gs", "-q", "-o", "-", "-sDEVICE=inkcov", f"-dFirstPage={page}",
                               f"-dLastPage={page}", str(x4)], capture_output=True, text=True, check=True).stdout
    c, m, y, k = (float(v) for v in coverage.split()[:4])
    assert (c, m, y) == (0, 0, 0) and k > 0, coverage


X4_SPEC, X1A_SPEC = SPEC, X1A  # 6 × 9 in, bleed on 3 sides


def test_x1a_flattening_keeps_the_content_valid():
    """A grey drawn at an opacity becomes black ink mixed with white, set with k: the current
    space is then DeviceCMYK, so the greys set after it in that space are set with k too."""
    from anthology import pdfx

    pdf = pikepdf.new()
    pdf.add_blank_page()
    page = pdf.pages[0]
    page.obj.Resources = pikepdf.Dictionary(ExtGState=pikepdf.Dictionary(
        Half=pikepdf.Dictionary(ca=Decimal("0.5"), CA=Decimal("0.5")), Full=pikepdf.Dictionary(ca=1, CA=1)))
    page.obj.Contents = pdf.make_stream(b"/DeviceGray cs 0.2 sc /Half gs 0 0 5 5 re f /Full gs 0.4 sc 0 0 5 5 re f "
                                        b"q /Half gs 0 g 0 0 5 5 re f /Full gs 0.5 sc 0 0 5 5 re f Q 0.6 sc")
    pdfx.convert(pdf, "pdf/x-1a")
    ops = [(str(op), [float(v) for v in operands if not isinstance(v, pikepdf.Name)])
           for operands, op in pikepdf.parse_content_stream(page)]
    colours = [(op, values) for op, values in ops if op in ("k", "sc", "g")]
    assert colours == [("sc", [0.2]), ("k", [0, 0, 0, 0.4]),  # /Half gs: the grey mixed with white
                       ("k", [0, 0, 0, 0.8]), ("k", [0, 0, 0, 0.6]),  # /Full gs: as it was; then 0.4 sc
                       ("k", [0, 0, 0, 0.3]), ("k", [0, 0, 0, 0.5]),  # q /Half gs; 0 g at half
                       ("k", [0, 0, 0, 1]), ("k", [0, 0, 0, 0.5]),  # /Full gs; 0.5 sc
                       ("k", [0, 0, 0, 0.4])], colours  # Q: DeviceCMYK still (as at q); 0.6 sc
    assert all(float(gs.ca) == 1 for gs in page.obj.Resources.ExtGState.values())


# --- each fault planted in a PDF: preflight fails, naming its page ---------------------------------

def plant(path: Path, page: int, how) -> Path:
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        how(pdf, pdf.pages[page - 1])
        pdf.save(path)
    return path


def append_content(pdf: pikepdf.Pdf, page: pikepdf.Page, data: bytes, **resources) -> None:
    page.contents_add(pdf.make_stream(data))
    page.obj.Resources = pikepdf.Dictionary({**{k: v for k, v in page.obj.Resources.items()},
                                             **{"/" + k: v for k, v in resources.items()}})


def rgb_operator(pdf, page):
    append_content(pdf, page, b"q 1 0 0 rg 10 10 5 5 re f Q")


def rgb_image(pdf, page):
    image = pdf.make_stream(b"\xff\x00\x00", Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Image, Width=1, Height=1,
                            ColorSpace=pikepdf.Name.DeviceRGB, BitsPerComponent=8)
    append_content(pdf, page, b"q 5 0 0 5 10 10 cm /Planted Do Q",
                   XObject=pikepdf.Dictionary({**dict(page.obj.Resources.get("/XObject", {})), "/Planted": image}))


def rgb_group(pdf, page):
    """A form nested in a form, the inner one a transparency group blending in DeviceRGB."""
    inner = pdf.make_stream(b"0 0 0 1 k 0 0 5 5 re f", Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Form,
                            BBox=[0, 0, 5, 5], Group=pikepdf.Dictionary(Type=pikepdf.Name.Group,
                                                                        S=pikepdf.Name.Transparency,
                                                                        CS=pikepdf.Name.DeviceRGB))
    outer = pdf.make_stream(b"/Inner Do", Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Form, BBox=[0, 0, 5, 5],
                            Resources=pikepdf.Dictionary(XObject=pikepdf.Dictionary(Inner=inner)))
    append_content(pdf, page, b"q /Outer Do Q",
                   XObject=pikepdf.Dictionary({**dict(page.obj.Resources.get("/XObject", {})), "/Outer": outer}))


def rgb_inline_image(pdf, page):
    append_content(pdf, page, b"q 5 0 0 5 10 10 cm BI /W 1 /H 1 /CS /RGB /BPC 8 ID \xff\x00\x00 EI Q")


def rgb_shading(pdf, page):
    shading = pikepdf.Dictionary(ShadingType=2, ColorSpace=pikepdf.Name.DeviceRGB, Coords=[0, 0, 10, 0],
                                 Function=pikepdf.Dictionary(FunctionType=2, Domain=[0, 1], C0=[1, 0, 0],
                                                             C1=[0, 0, 1], N=1))
    append_content(pdf, page, b"q 10 10 5 5 re W n /Sh0 sh Q", Shading=pikepdf.Dictionary(Sh0=shading))


@pytest.mark.parametrize("fault", [rgb_operator, rgb_image, rgb_group, rgb_inline_image, rgb_shading])
@pytest.mark.parametrize("standard", ["pdf/x-4", "pdf/x-1a"])
def test_planted_rgb_fails_preflight_with_its_page(tmp_path, fault, standard):
    spec = X4_SPEC if standard == "pdf/x-4" else X1A_SPEC
    path = render(tmp_path, pages=4, variant=standard)
    assert preflight(path, spec).ok
    plant(path, 3, fault)
    report = preflight(path, spec)
    assert not report.ok
    rgb = [(f.level, f.check, f.page) for f in report.findings if f.check == "rgb" and f.level == "error"]
    assert rgb and set(rgb) == {("error", "rgb", 3)}, report.summary()


def transparency(pdf, page):
    gs = pikepdf.Dictionary(Type=pikepdf.Name.ExtGState, ca=Decimal("0.5"))
    append_content(pdf, page, b"q /Faint gs 0 0 0 1 k 10 10 5 5 re f Q",
                   ExtGState=pikepdf.Dictionary({**dict(page.obj.Resources.get("/ExtGState", {})), "/Faint": gs}))


def soft_masked_image(pdf, page):
    mask = pdf.make_stream(b"\x80", Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Image, Width=1, Height=1,
                           ColorSpace=pikepdf.Name.DeviceGray, BitsPerComponent=8)
    image = pdf.make_stream(b"\x00\x00\x00\xff", Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Image, Width=1,
                            Height=1, ColorSpace=pikepdf.Name.DeviceCMYK, BitsPerComponent=8, SMask=mask)
    append_content(pdf, page, b"q 5 0 0 5 10 10 cm /Masked Do Q",
                   XObject=pikepdf.Dictionary({**dict(page.obj.Resources.get("/XObject", {})), "/Masked": image}))


@pytest.mark.parametrize("fault", [transparency, soft_masked_image])
def test_planted_transparency_fails_x1a_preflight_with_its_page(tmp_path, fault):
    path = plant(render(tmp_path, pages=4, variant="pdf/x-1a"), 2, fault)
    report = preflight(path, X1A_SPEC)
    assert ("error", "transparency", 2) in problems(report)
    assert {f.page for f in report.errors} == {2}


def test_object_streams_and_a_cross_reference_stream_fail_x1a(tmp_path):
    path = render(tmp_path, variant="pdf/x-1a")
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        pdf.save(path, object_stream_mode=pikepdf.ObjectStreamMode.generate)  # qpdf makes it PDF 1.5
    data = path.read_bytes()
    assert data.startswith(b"%PDF-1.5") and b"/ObjStm" in data
    path.write_bytes(b"%PDF-1.4" + data[8:])  # labelled 1.4, as bookfile.py wrote X-1a (1.5 then)
    messages = [f.message for f in preflight(path, X1A_SPEC).errors]
    assert any("object stream" in m and "/ObjStm" in m for m in messages), messages
    assert any("cross-reference stream" in m for m in messages), messages
    assert all(f.check == "structure" for f in preflight(path, X1A_SPEC).errors)


def test_pdf_15_fails_x1a(tmp_path):
    path = render(tmp_path, variant="pdf/x-1a")
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        pdf.save(path, object_stream_mode=pikepdf.ObjectStreamMode.disable, force_version="1.5")
    report = preflight(path, X1A_SPEC)
    assert [(f.check, f.message) for f in report.errors] == [
        ("structure", "PDF 1.5 by the header: PDF/X-1A allows PDF 1.4 at most")]
    assert preflight(path, X4_SPEC).of("structure")[0].level == "ok"  # X-4 is PDF 1.6 at most


def test_lab_and_icc_colour_fail_x1a_only(tmp_path):
    """PDF/X-1a allows CMYK, grey and spot colour only; X-4 allows colour-managed spaces."""
    def lab(pdf, page):
        space = pikepdf.Array([pikepdf.Name.Lab, pikepdf.Dictionary(WhitePoint=[Decimal("0.9642"), 1,
                                                                                Decimal("0.8249")])])
        append_content(pdf, page, b"q /L0 cs 50 0 0 sc 10 10 5 5 re f Q",
                       ColorSpace=pikepdf.Dictionary({**dict(page.obj.Resources.get("/ColorSpace", {})),
                                                      "/L0": space}))
    x1a = plant(render(tmp_path, pages=4, variant="pdf/x-1a", name="x1a.pdf"), 4, lab)
    assert ("error", "colour", 4) in problems(preflight(x1a, X1A_SPEC))
    x4 = plant(render(tmp_path, pages=4, name="x4.pdf"), 4, lab)
    assert preflight(x4, X4_SPEC).ok
