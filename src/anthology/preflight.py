"""Preflight: check a finished print PDF the way a print shop's preflight would.

The checks read the file itself, never our intent: the boxes on every page, the page count,
the fonts, the file's version and structure, the PDF/X identification and OutputIntent, image
resolution, every colour space and blending space drawn with (no DeviceRGB against the CMYK
intent of PDF/X-4; only CMYK, grey and spot colour in PDF/X-1a) and, for PDF/X-1a, the absence
of transparency. A print service rejects a file for any of these, usually days after upload,
so we find them before it does.

Check names (`Finding.check`): file, structure, boxes, pages, fonts, pdfx, output-intent,
images, transparency, rgb, colour.
"""

from __future__ import annotations

import math
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pikepdf
from pikepdf import Array, Dictionary, Name, Stream

from .errors import ExitCode, OutputError
from .printspec import PrintSpec

TOLERANCE = 0.1  # points: boxes are written with rounding
MIN_PPI = 300  # below this an image is soft at its placed size
ERROR_PPI = 150  # below this it visibly pixelates
SUMMARY_LIMIT = 5  # problem lines shown per check in the summary

PDFX_VERSIONS = {"pdf/x-4": ("PDF/X-4",), "pdf/x-1a": ("PDF/X-1a:2003", "PDF/X-1a:2001")}
NS_PDFXID = "{http://www.npes.org/pdfx/ns/id/}GTS_PDFXVersion"
NS_PDFX = "{http://ns.adobe.com/pdfx/1.3/}GTS_PDFXVersion"

Level = Literal["error", "warning", "ok"]


class MissingToolError(OutputError):
    """A system tool the preflight needs is not installed."""

    exit_code = ExitCode.MISSING_TOOL


@dataclass(frozen=True)
class Finding:
    """One result of one check; `page` is 1-based, None for the whole file."""

    level: Level
    check: str
    message: str
    page: int | None = None


# Summary lines in the order a printer reads them; boxes and pages share one line when both pass.
SUMMARY_GROUPS = (("file",), ("boxes", "pages"), ("fonts",), ("structure",), ("pdfx",), ("output-intent",),
                  ("images",), ("transparency",), ("rgb",), ("colour",))


@dataclass
class PreflightReport:
    """Everything preflight found in one file."""

    path: Path
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing would make a printer reject the file (warnings allowed)."""
        return not self.errors

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "warning"]

    def of(self, check: str) -> list[Finding]:
        """The findings of one check."""
        return [f for f in self.findings if f.check == check]

    def summary(self) -> list[str]:
        """Short lines, one per check when it passes and one per problem when it does not."""
        lines = []
        for group in SUMMARY_GROUPS:
            oks = [f.message for f in self.findings if f.check in group and f.level == "ok"]
            if oks:
                lines.append(_line("ok", ", ".join(oks)))
            for check in group:
                found = self.of(check)
                problems = [f for f in found if f.level == "error"] + [f for f in found if f.level == "warning"]
                for f in problems[:SUMMARY_LIMIT]:
                    where = f"page {f.page}: " if f.page else ""
                    lines.append(_line("warn" if f.level == "warning" else "error", where + f.message))
                if len(problems) > SUMMARY_LIMIT:
                    lines.append(_line("", f"… and {len(problems) - SUMMARY_LIMIT} more {check} problems"))
        return lines


def _line(label: str, text: str) -> str:
    return f"{label:<4} {text}"


def preflight(path: Path, spec: PrintSpec) -> PreflightReport:
    """Check the PDF at `path` against the print edition's specification."""
    if spec.pdf_standard not in ("pdf/x-4", "pdf/x-1a", "none"):
        raise ValueError(f"unknown PDF standard '{spec.pdf_standard}'")
    report = PreflightReport(Path(path))
    try:
        pdf = _open(path)
    except (pikepdf.PdfError, OSError) as exc:
        report.findings.append(Finding("error", "file", f"cannot be read as a PDF: {exc}"))
        return report
    add = report.findings.extend
    with pdf:
        count = _page_count(pdf)
        rtl = _right_to_left(pdf)
        if spec.pdf_standard != "none":
            add(_check_structure(Path(path), pdf, spec.pdf_standard))
            add(_check_pdfx_id(pdf, spec.pdf_standard))
            add(_check_output_intent(pdf))
    checks = [_Fonts(spec.pdf_standard), _Images()]
    if spec.pdf_standard != "none":
        checks.append(_Colour(spec.pdf_standard))
    if spec.pdf_standard == "pdf/x-1a":
        checks.append(_Transparency())
    boxes = _Boxes(spec, rtl)
    for scope in _scopes(Path(path), boxes):
        for check in checks:
            check.feed(scope)
    add(boxes.findings(count))
    add(_check_page_count(count, spec))
    for check in checks:
        add(check.findings(Path(path)))
    report.findings.sort(key=lambda f: ORDER.index(f.check))
    return report


ORDER = ["file", "structure", "boxes", "pages", "fonts", "pdfx", "output-intent", "images", "transparency", "rgb",
         "colour"]
WINDOW = 100  # pages read with the file open: it is opened again for the next ones, so that the
# objects read for those before are let go (a book's would add up to hundreds of megabytes)


# --- page geometry ----------------------------------------------------------------------------

def _inches(points: float) -> str:
    return f"{round(points / 72, 3):g}"


def _rect(box) -> tuple[float, float, float, float]:
    """A box as (left, bottom, right, top) whatever corner order the file uses."""
    x0, y0, x1, y1 = (float(v) for v in box)
    return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)


def _inherited(page: Dictionary, key: str):
    """A page attribute that may be set on an ancestor in the page tree (MediaBox, Resources)."""
    node, seen = page, set()
    while node is not None and node.objgen not in seen:
        seen.add(node.objgen)
        if key in node:
            return node[key]
        node = node.get("/Parent")
    return None


def _right_to_left(pdf: pikepdf.Pdf) -> bool:
    """Whether the file says its pages read right to left (/ViewerPreferences /Direction /R2L):
    a right-to-left book is bound on the right of its rectos."""
    prefs = pdf.Root.get("/ViewerPreferences")
    return isinstance(prefs, Dictionary) and prefs.get("/Direction") == Name.R2L


class _Boxes:
    """TrimBox = trim, BleedBox = trim + bleed on this page's bleed sides, MediaBox ⊇ BleedBox;
    the binding side, without bleed, is a recto's left, or its right in a right-to-left book."""

    def __init__(self, spec: PrintSpec, rtl: bool = False):
        self.spec = spec
        self.rtl = rtl
        self.found: list[Finding] = []

    def feed(self, number: int, obj: Dictionary) -> None:
        self.found += self._page(number, obj)

    def _page(self, number: int, obj: Dictionary) -> Iterator[Finding]:
        width, height = self.spec.trim
        media_box = _inherited(obj, "/MediaBox")
        if media_box is None:
            yield Finding("error", "boxes", "no MediaBox", number)
            return
        media = _rect(media_box)
        crop = _rect(_inherited(obj, "/CropBox") or media_box)
        if "/TrimBox" not in obj:
            yield Finding("error", "boxes", "no TrimBox: the printer cannot tell where to cut", number)
            return
        trim = _rect(obj.TrimBox)
        bleed = _rect(obj.BleedBox) if "/BleedBox" in obj else crop  # the PDF default
        tw, th = trim[2] - trim[0], trim[3] - trim[1]
        if abs(tw - width) > TOLERANCE or abs(th - height) > TOLERANCE:
            yield Finding("error", "boxes", f"TrimBox is {_inches(tw)} × {_inches(th)} in, "
                          f"expected {_inches(width)} × {_inches(height)} in", number)
        recto = number % 2 == 1
        want = dict.fromkeys(("top", "bottom", "left", "right"), self.spec.bleed)
        if not self.spec.bleed_binding_side:
            want["left" if recto != self.rtl else "right"] = 0.0
        got = {"left": trim[0] - bleed[0], "bottom": trim[1] - bleed[1],
               "right": bleed[2] - trim[2], "top": bleed[3] - trim[3]}
        wrong = [f"{side} {_inches(got[side])} in (expected {_inches(want[side])})"
                 for side in ("top", "right", "bottom", "left") if abs(got[side] - want[side]) > TOLERANCE]
        if wrong:
            kind = "recto" if recto else "verso"
            yield Finding("error", "boxes", f"BleedBox on this {kind} extends the trim by " + ", ".join(wrong), number)
        if not (media[0] <= bleed[0] + TOLERANCE and media[1] <= bleed[1] + TOLERANCE
                and media[2] >= bleed[2] - TOLERANCE and media[3] >= bleed[3] - TOLERANCE):
            yield Finding("error", "boxes", "MediaBox does not contain the BleedBox: the bleed is cut off", number)

    def findings(self, pages: int) -> list[Finding]:
        if self.found or not pages:
            return self.found
        width, height = self.spec.trim
        sides = "all 4 sides" if self.spec.bleed_binding_side else "3 sides"
        bleed_text = f"bleed {_inches(self.spec.bleed)} in on {sides}" if self.spec.bleed else "no bleed"
        return [Finding("ok", "boxes", f"trim {_inches(width)} × {_inches(height)} in, {bleed_text}")]


def _check_page_count(pages: int, spec: PrintSpec) -> Iterator[Finding]:
    """The page count must fill whole signatures (KDP and IngramSpark: even; offset: 16s) and
    lie within the profile's minimum and maximum (KDP: 24 to 828 pages)."""
    multiple = math.lcm(spec.page_multiple, 2)
    limit = spec.over_limit(pages) if pages else None
    if limit:
        yield Finding("error", "pages", limit)
    if pages == 0:
        yield Finding("error", "pages", "the file has no pages")
    elif pages % multiple:
        blanks = -pages % multiple
        yield Finding("error", "pages", f"{pages} pages: not a multiple of {multiple} "
                      f"(add {blanks} blank page{'s' if blanks > 1 else ''})")
    elif not limit:
        yield Finding("ok", "pages", f"{pages} pages (multiple of {multiple})")


# --- everything drawn: pages, forms, patterns, glyphs, annotation appearances ---------------------
# Resources are checked where a content stream uses them, so a finding names the page that
# draws the object: WeasyPrint lists every image and graphics state in one Resources dictionary
# shared by all pages, and an unused entry is never printed.

SCANNED = 512  # content streams whose names are remembered (shared ones come up again soon)
NAME_TOKEN = re.compile(rb"/([^\s/\[\]<>(){}%]+)")
HEX_ESCAPE = re.compile(r"#([0-9a-fA-F]{2})")


@dataclass
class _Scope:
    """A content stream with the resources it draws from, and the page it is drawn on."""

    page: int
    resources: Dictionary
    content: object  # pikepdf.Page or a content Stream
    scanned: dict = field(default_factory=dict, repr=False)  # names by stream, shared by a file's scopes

    @property
    def instructions(self) -> list | None:
        """The parsed content stream, or None when it cannot be parsed. Not kept: a book's
        parsed pages would take hundreds of megabytes."""
        try:
            return list(pikepdf.parse_content_stream(self.content))
        except pikepdf.PdfError:
            return None

    @property
    def names(self) -> set[str]:
        """Every name the content mentions (scanned once): the names of the resources it uses,
        and perhaps a few more. A scan, not a parse, which would take seconds for a book."""
        if not hasattr(self, "_names"):
            if isinstance(self.content, pikepdf.Page):
                contents = self.content.obj.get("/Contents")
                streams = list(contents) if isinstance(contents, pikepdf.Array) else [contents]
            else:
                streams = [self.content]
            self._names = set()
            for stream in streams:  # a token never spans two streams; pages share some (folios.py)
                if isinstance(stream, Stream):
                    key = stream.objgen  # streams are always indirect objects
                    if key not in self.scanned:
                        if len(self.scanned) >= SCANNED:  # mostly one page's own content: not worth keeping
                            self.scanned.clear()
                        self.scanned[key] = {"/" + HEX_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), n.decode("latin-1"))
                                             for n in NAME_TOKEN.findall(stream.read_bytes())}
                    self._names |= self.scanned[key]
        return self._names

    def used(self, category: str) -> Iterator[tuple[object, str, object]]:
        """(dedup key, name, object) of the entries in a resource category this content uses."""
        group = self.resources.get(category)
        if not isinstance(group, Dictionary):
            return
        home = self.resources.objgen if self.resources.is_indirect else id(self.resources)
        for name in sorted(self.names):  # a page names a few of the many resources its chunk's pages share
            if name in group:
                obj = group[name]
                key = obj.objgen if obj.is_indirect else (home, category, name)
                yield key, name, obj


def _open(path: Path) -> pikepdf.Pdf:
    """The file, of which only what is asked for is read: pikepdf would otherwise read every
    page to copy inherited attributes onto it (`_inherited` looks them up)."""
    return pikepdf.open(path, inherit_page_attributes=False, access_mode=pikepdf.AccessMode.stream)


def _page_count(pdf: pikepdf.Pdf) -> int:
    pages = pdf.Root.get("/Pages")
    count = pages.get("/Count") if isinstance(pages, Dictionary) else None
    return int(count) if isinstance(count, int) else len(pdf.pages)


def _pages(path: Path) -> Iterator[tuple[int, pikepdf.Page]]:
    """Every page of the file, which is opened again every `WINDOW` pages; the page tree is
    walked rather than listed, which would read every page each time."""
    start = 0
    while True:
        with _open(path) as pdf:
            count = _page_count(pdf)
            for number, page in _tree(pdf.Root.Pages, start, min(start + WINDOW, count)):
                yield number + 1, pikepdf.Page(page)
        start += WINDOW
        if start >= count:
            return


def _tree(node: Dictionary, start: int, stop: int, offset: int = 0, depth: int = 0) -> Iterator[tuple[int, Dictionary]]:
    """The pages numbered from `start` to `stop` under a node of the page tree whose first
    page is `offset`, skipping the subtrees before them by their /Count."""
    kids = node.get("/Kids")
    if not isinstance(kids, Array) or depth > 32:
        return
    if node.get("/Count") == len(kids):  # every kid a page, as in a flat tree: read only those wanted
        for i in range(max(start - offset, 0), min(stop - offset, len(kids))):
            yield offset + i, kids[i]
        return
    for kid in kids:
        if offset >= stop:
            return
        if isinstance(kid, Dictionary) and "/Kids" in kid:
            count = kid.get("/Count")
            count = int(count) if isinstance(count, int) else sum(1 for _ in _tree(kid, 0, 1 << 30, 0, depth + 1))
            if offset + count > start:
                yield from _tree(kid, start, stop, offset, depth + 1)
            offset += count
        else:
            if offset >= start:
                yield offset, kid
            offset += 1


def _scopes(path: Path, boxes: _Boxes) -> Iterator[_Scope]:
    """Every content stream drawn in the file: pages, their annotations' appearances, and the
    forms, tiling patterns, Type 3 glyphs and soft masks they use, each once, on its first page
    (objects are known by number: they are read again when the file is)."""
    seen: set = set()  # also breaks cycles: they can only pass through indirect objects
    scanned: dict = {}

    def first_time(stream) -> bool:
        if not isinstance(stream, Stream) or stream.objgen in seen:
            return False
        seen.add(stream.objgen)
        return True

    for number, page in _pages(path):
        boxes.feed(number, page.obj)
        stack = [_Scope(number, _inherited(page.obj, "/Resources") or Dictionary(), page, scanned)]
        for annot in page.obj.get("/Annots") or []:
            appearances = annot.get("/AP") if isinstance(annot, Dictionary) else None
            for key in ("/N", "/R", "/D"):
                ap = appearances.get(key) if isinstance(appearances, Dictionary) else None
                streams = [ap] if isinstance(ap, Stream) else list(ap.values()) if isinstance(ap, Dictionary) else []
                stack += [_Scope(number, s.get("/Resources") or Dictionary(), s, scanned) for s in streams if first_time(s)]
        while stack:
            scope = stack.pop()
            yield scope
            stack += _children(scope, first_time)


def _children(scope: _Scope, first_time) -> list[_Scope]:
    """Content streams reached from what one scope uses."""
    out = []

    def add(stream, resources):
        if first_time(stream):
            resources = resources if isinstance(resources, Dictionary) else scope.resources  # old PDFs inherit
            out.append(_Scope(scope.page, resources, stream, scope.scanned))

    for _, _, xobject in scope.used("/XObject"):
        if isinstance(xobject, Stream) and xobject.get("/Subtype") == "/Form":
            add(xobject, xobject.get("/Resources"))
    for _, _, pattern in scope.used("/Pattern"):
        if isinstance(pattern, Stream) and pattern.get("/PatternType") == 1:
            add(pattern, pattern.get("/Resources"))
    for _, _, font in scope.used("/Font"):
        if isinstance(font, Dictionary) and font.get("/Subtype") == "/Type3":
            for glyph in (font.get("/CharProcs") or Dictionary()).values():
                add(glyph, font.get("/Resources"))
    for _, _, gs in scope.used("/ExtGState"):
        smask = gs.get("/SMask") if isinstance(gs, Dictionary) else None
        if isinstance(smask, Dictionary) and isinstance(smask.get("/G"), Stream):
            add(smask.G, smask.G.get("/Resources"))
    return out


# --- fonts ------------------------------------------------------------------------------------

def _embedded(font: Dictionary) -> bool:
    """A font is embedded when its descriptor carries the font program; Type 3 glyphs always are."""
    if font.get("/Subtype") == "/Type3":
        return True
    if font.get("/Subtype") == "/Type0":
        descendants = font.get("/DescendantFonts") or []
        if not len(descendants):
            return False
        font = descendants[0]
    descriptor = font.get("/FontDescriptor")
    return isinstance(descriptor, Dictionary) and any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))


def _opentype(font: Dictionary) -> bool:
    """Whether a font's program is embedded as OpenType (FontFile3 /Subtype /OpenType: PDF 1.6)."""
    if font.get("/Subtype") == "/Type0":
        descendants = font.get("/DescendantFonts") or []
        font = descendants[0] if len(descendants) else Dictionary()
    descriptor = font.get("/FontDescriptor")
    program = descriptor.get("/FontFile3") if isinstance(descriptor, Dictionary) else None
    return isinstance(program, Stream) and program.get("/Subtype") == "/OpenType"


class _Fonts:
    """An unembedded font is substituted by the printer's RIP, reflowing or garbling the text."""

    def __init__(self, standard: str = "none"):
        self.standard = standard
        self.seen: set = set()
        self.missing: list[Finding] = []

    def feed(self, scope: _Scope) -> None:
        for key, name, font in scope.used("/Font"):
            if not isinstance(font, Dictionary) or key in self.seen:
                continue
            self.seen.add(key)
            label = str(font.get("/BaseFont", name)).lstrip("/")
            if not _embedded(font):
                self.missing.append(Finding("error", "fonts", f"font {label} is not embedded", scope.page))
            elif self.standard == "pdf/x-1a" and _opentype(font):
                self.missing.append(Finding("error", "fonts", f"font {label} is embedded as OpenType, "
                                            "which PDF 1.4 (PDF/X-1a) does not know", scope.page))

    def findings(self, path: Path) -> list[Finding]:
        count = len(self.seen)
        return self.missing or [Finding("ok", "fonts", f"fonts: {count} used, all embedded" if count else "fonts: none used")]


# --- PDF/X ------------------------------------------------------------------------------------

def _check_pdfx_id(pdf: pikepdf.Pdf, standard: str) -> Iterator[Finding]:
    """The printer's workflow chooses its checks from the declared PDF/X version."""
    expected = PDFX_VERSIONS[standard]
    wanted = " or ".join(expected)
    try:
        meta = pdf.open_metadata()
        xmp = meta.get(NS_PDFXID) or (meta.get(NS_PDFX) if standard == "pdf/x-1a" else None)
    except Exception:  # malformed XMP is as good as none
        xmp = None
    info = pdf.docinfo.get("/GTS_PDFXVersion") if pdf.docinfo is not None else None
    info = str(info) if info is not None else None
    problems = 0
    if xmp is None:
        # PDF/X-4 is identified in the XMP; for X-1a the Info dictionary is the normative place.
        problems += 1
        level = "error" if standard == "pdf/x-4" else "warning"
        yield Finding(level, "pdfx", f"no GTS_PDFXVersion in the XMP metadata (expected {wanted})")
    elif str(xmp) not in expected:
        problems += 1
        yield Finding("error", "pdfx", f"XMP declares {xmp}, expected {wanted}")
    if standard == "pdf/x-1a":
        if info is None:
            problems += 1
            yield Finding("error", "pdfx", f"no GTS_PDFXVersion in the document Info (expected {wanted})")
        elif info not in expected:
            problems += 1
            yield Finding("error", "pdfx", f"document Info declares {info}, expected {wanted}")
        elif xmp is not None and str(xmp) != info:
            problems += 1
            yield Finding("error", "pdfx", f"XMP declares {xmp} but the document Info {info}")
    trapped = pdf.docinfo.get("/Trapped") if pdf.docinfo is not None else None
    if trapped not in ("/True", "/False"):
        problems += 1
        yield Finding("error", "pdfx", "Trapped must be True or False in the document Info")
    if not problems:
        yield Finding("ok", "pdfx", f"{xmp or info} identified" + (" in XMP and Info" if info else " in XMP"))


def _check_output_intent(pdf: pikepdf.Pdf) -> Iterator[Finding]:
    """The OutputIntent tells the printer which press condition the colours were prepared for."""
    intents = [oi for oi in (pdf.Root.get("/OutputIntents") or []) if isinstance(oi, Dictionary)
               and oi.get("/S") == "/GTS_PDFX"]
    if not intents:
        yield Finding("error", "output-intent", "no OutputIntent with /S /GTS_PDFX")
        return
    if len(intents) > 1:
        yield Finding("error", "output-intent", f"{len(intents)} GTS_PDFX OutputIntents: PDF/X allows one")
        return
    intent = intents[0]
    profile = intent.get("/DestOutputProfile")
    if not isinstance(profile, Stream):
        yield Finding("error", "output-intent", "the OutputIntent has no embedded DestOutputProfile")
        return
    condition = str(intent.get("/OutputConditionIdentifier", "unnamed"))
    if profile.get("/N") != 4:
        yield Finding("warning", "output-intent", f"output profile '{condition}' is not CMYK "
                      f"({profile.get('/N')} components)")
        return
    yield Finding("ok", "output-intent", f"OutputIntent GTS_PDFX '{condition}', CMYK profile embedded")


# --- images -----------------------------------------------------------------------------------

class _Images:
    """Whether any content draws an image: then `_check_images` measures them."""

    def __init__(self):
        self.any = False

    def feed(self, scope: _Scope) -> None:
        self.any = self.any or any(isinstance(x, Stream) and x.get("/Subtype") == "/Image"
                                   for _, _, x in scope.used("/XObject"))

    def findings(self, path: Path) -> Iterator[Finding]:
        if not self.any:
            return iter([Finding("ok", "images", "images: none")])
        return _check_images(path)


def _check_images(path: Path) -> Iterator[Finding]:
    """Resolution at the placed size, as poppler's pdfimages measures it on the page."""
    if not shutil.which("pdfimages"):
        raise MissingToolError("preflight needs pdfimages (poppler-utils) to measure image resolution")
    result = subprocess.run(["pdfimages", "-list", str(path)], capture_output=True, text=True, check=False)
    if result.returncode:
        yield Finding("error", "images", f"pdfimages could not list the images: {result.stderr.strip()}")
        return
    count, lowest = 0, None
    for row in result.stdout.splitlines()[2:]:
        cols = row.split()
        if len(cols) < 14 or not cols[0].isdigit() or cols[2] in ("smask", "mask"):
            continue  # masks belong to an image already listed
        page, number = int(cols[0]), int(cols[1])
        try:
            ppi = min(float(cols[-4]), float(cols[-3]))  # x-ppi, y-ppi; size and ratio follow
        except ValueError:
            continue
        count += 1
        lowest = ppi if lowest is None else min(lowest, ppi)
        if ppi < MIN_PPI:
            level = "error" if ppi < ERROR_PPI else "warning"
            yield Finding(level, "images", f"image {number} is {ppi:g} ppi at its placed size "
                          f"(print needs {MIN_PPI})", page)
    if count and lowest >= MIN_PPI:
        yield Finding("ok", "images", f"images: {count}, lowest {lowest:g} ppi")
    elif not count:
        yield Finding("ok", "images", "images: none")


# --- PDF/X-1a: no transparency, no RGB ----------------------------------------------------------

class _Transparency:
    """PDF/X-1a predates live transparency: the RIP would print it wrongly or not at all."""

    def __init__(self):
        self.found: dict[tuple[int, str], None] = {}
        self.seen: set = set()

    def feed(self, scope: _Scope) -> None:
        found, seen = self.found, self.seen
        if isinstance(scope.content, pikepdf.Page) and _is_transparency_group(scope.content.obj):
            found[(scope.page, "the page is a transparency group")] = None
        for key, name, gs in scope.used("/ExtGState"):
            if not isinstance(gs, Dictionary) or key in seen:
                continue
            seen.add(key)
            why = [f"{what} opacity {float(gs[key]):g}" for key, what in (("/CA", "stroke"), ("/ca", "fill"))
                   if key in gs and float(gs[key]) < 1]
            if "/SMask" in gs and gs.SMask != "/None":
                why.append("a soft mask")
            modes = gs.get("/BM")
            why += [f"blend mode {str(m).lstrip('/')}" for m in
                    (modes if isinstance(modes, Array) else [modes] if modes is not None else [])
                    if m not in ("/Normal", "/Compatible")]
            if why:
                found[(scope.page, f"graphics state {name} sets " + ", ".join(why))] = None
        for key, name, xobject in scope.used("/XObject"):
            if not isinstance(xobject, Stream) or key in seen:
                continue
            seen.add(key)
            if xobject.get("/Subtype") == "/Image" and ("/SMask" in xobject or int(xobject.get("/SMaskInData", 0))):
                found[(scope.page, f"image {name} has a soft mask (alpha channel)")] = None
            if xobject.get("/Subtype") == "/Form" and _is_transparency_group(xobject):
                found[(scope.page, f"form {name} is a transparency group")] = None

    def findings(self, path: Path) -> list[Finding]:
        return ([Finding("error", "transparency", message, page) for page, message in self.found]
                or [Finding("ok", "transparency", "no transparency")])


def _is_transparency_group(obj) -> bool:
    group = obj.get("/Group")
    return isinstance(group, Dictionary) and group.get("/S") == "/Transparency"


# --- colour: what PDF/X allows against a CMYK OutputIntent ----------------------------------------

def _space_problem(space, resources: Dictionary, standard: str, depth: int = 0) -> str | None:
    """What is wrong with a colour space (a name, or an array) under a PDF/X standard, or None.

    PDF/X-1a: only DeviceCMYK, DeviceGray and spot colour (Separation, DeviceN), and Indexed
    or Pattern spaces over those. PDF/X-4 with a CMYK OutputIntent: anything but a device
    space the intent does not characterize, DeviceRGB (ICC-based RGB, CalRGB and Lab are
    colour-managed, and allowed)."""
    if depth > 8 or space is None:
        return None
    x1a = standard == "pdf/x-1a"
    if isinstance(space, Name):
        if space in ("/DeviceRGB", "/RGB"):
            return "DeviceRGB"
        if space in ("/DeviceCMYK", "/CMYK", "/DeviceGray", "/G", "/Pattern"):
            return None
        named = (resources.get("/ColorSpace") or Dictionary()).get(space) if isinstance(resources, Dictionary) else None
        return _space_problem(named, resources, standard, depth + 1) if named is not None else None
    if not isinstance(space, Array) or not len(space):
        return None
    family = space[0]
    if family == "/ICCBased":
        stream = space[1] if len(space) > 1 else None
        n = stream.get("/N") if isinstance(stream, Stream) else None
        if x1a:
            return {3: "ICC-based RGB", 4: "ICC-based CMYK", 1: "ICC-based grey"}.get(int(n) if n is not None else 0,
                                                                                    "ICC-based colour")
        return None
    if family in ("/CalRGB", "/Lab", "/CalGray"):
        return {"/CalRGB": "CalRGB", "/Lab": "Lab", "/CalGray": "CalGray"}[str(family)] if x1a else None
    if family in ("/Indexed", "/I", "/Pattern") and len(space) > 1:
        return _space_problem(space[1], resources, standard, depth + 1)
    if family == "/Separation" and len(space) > 2:
        return _space_problem(space[2], resources, standard, depth + 1)
    if family == "/DeviceN" and len(space) > 2:
        return _space_problem(space[2], resources, standard, depth + 1)
    return None


def _kind(problem: str) -> str:
    """The check a colour problem is reported under: rgb for any RGB, colour for the rest."""
    return "rgb" if "RGB" in problem else "colour"


# Operators that set an RGB colour or may name a colour space in a content stream itself (not
# through its resources, which are checked as used): only streams with one of these are parsed.
SUSPECT = re.compile(rb"(?<![A-Za-z0-9_.*'\"])(?:rg|RG|BI)(?![A-Za-z0-9_.*'\"])|/DeviceRGB|/RGB(?![A-Za-z])"
                     rb"|/CalRGB|/Lab(?![A-Za-z])|/ICCBased")


class _Colour:
    """Every colour space and blending space the file draws with: set by content operators,
    images (inline too), shadings, patterns, transparency groups (pages', forms', soft masks'),
    in pages, forms at any depth, patterns, glyphs and annotations."""

    def __init__(self, standard: str):
        self.standard = standard
        self.found: dict[tuple[str, int, str], None] = {}
        self.seen: set = set()

    def first(self, key) -> bool:
        if key in self.seen:
            return False
        self.seen.add(key)
        return True

    def add(self, page: int, problem: str | None, what: str) -> None:
        if problem:
            self.found[(_kind(problem), page, f"{problem} {what}")] = None

    def feed(self, scope: _Scope) -> None:
        res, std, page = scope.resources, self.standard, scope.page
        content = scope.content
        obj = content.obj if isinstance(content, pikepdf.Page) else content
        x1a = std == "pdf/x-1a"  # where any transparency group is a fault already (_Transparency):
        # its blending space is reported when it is RGB only
        group = obj.get("/Group") if isinstance(obj, (Dictionary, Stream)) else None
        if isinstance(group, Dictionary) and "/CS" in group:
            where = "the page" if isinstance(content, pikepdf.Page) else "a form"
            problem = _space_problem(group.CS, res, std)
            if problem and (not x1a or _kind(problem) == "rgb"):
                self.add(page, problem, f"blending space of {where}'s transparency group")
        for key, name, space in scope.used("/ColorSpace"):
            if self.first(key):
                self.add(page, _space_problem(space, res, std), f"colour space {name}")
        for key, name, xobject in scope.used("/XObject"):
            if not isinstance(xobject, Stream) or not self.first(key):
                continue
            if xobject.get("/Subtype") == "/Image" and not xobject.get("/ImageMask", False):
                self.add(page, _space_problem(xobject.get("/ColorSpace"), res, std), f"image {name}")
        for key, name, sh in scope.used("/Shading"):
            if isinstance(sh, Dictionary) and self.first(key):
                self.add(page, _space_problem(sh.get("/ColorSpace"), res, std), f"shading {name}")
        for key, name, pattern in scope.used("/Pattern"):
            if isinstance(pattern, Dictionary) and pattern.get("/PatternType") == 2 and self.first(key):
                sh = pattern.get("/Shading")
                if isinstance(sh, Dictionary):
                    self.add(page, _space_problem(sh.get("/ColorSpace"), res, std), f"shading of pattern {name}")
        for key, name, gs in scope.used("/ExtGState"):
            smask = gs.get("/SMask") if isinstance(gs, Dictionary) else None
            form = smask.get("/G") if isinstance(smask, Dictionary) else None
            group = form.get("/Group") if isinstance(form, Stream) else None
            if isinstance(group, Dictionary) and "/CS" in group and self.first(("smask", key)):
                problem = _space_problem(group.CS, res, std)
                if problem and (not x1a or _kind(problem) == "rgb"):
                    self.add(page, problem, f"blending space of soft mask {name}")
        if self._suspect(scope):
            instructions = scope.instructions
            if instructions is None:
                self.found[("rgb", page, "a content stream could not be parsed to check its colour")] = None
                return
            for problem, count in _operator_problems(instructions, res, std).items():
                self.add(page, problem, f"colour set in the content ({count} operator{'s' if count > 1 else ''})")

    def _suspect(self, scope: _Scope) -> bool:
        if isinstance(scope.content, pikepdf.Page):
            streams = [s for s in _content_list(scope.content.obj) if isinstance(s, Stream)]
        else:
            streams = [scope.content]
        for stream in streams:
            key = ("suspect", stream.objgen)
            if key not in scope.scanned:
                if len(scope.scanned) >= SCANNED:
                    scope.scanned.clear()
                scope.scanned[key] = SUSPECT.search(stream.read_bytes()) is not None
            if scope.scanned[key]:
                return True
        return False

    def findings(self, path: Path) -> list[Finding]:
        out = [Finding("error", check, message, page) for check, page, message in self.found]
        x1a = self.standard == "pdf/x-1a"
        if not any(check == "rgb" for check, _, _ in self.found):
            out.append(Finding("ok", "rgb", "no RGB" if x1a else "no DeviceRGB"))
        if x1a and not any(check == "colour" for check, _, _ in self.found):
            out.append(Finding("ok", "colour", "only CMYK, grey and spot colour"))
        return out


def _content_list(page: Dictionary) -> list:
    contents = page.get("/Contents")
    return list(contents) if isinstance(contents, Array) else [contents] if contents is not None else []


def _operator_problems(instructions: list, resources: Dictionary, standard: str) -> dict[str, int]:
    """Colour problems of the operators that set a colour or a space, or draw an inline image."""
    found: dict[str, int] = {}

    def add(problem):
        if problem:
            found[problem] = found.get(problem, 0) + 1

    for operands, operator in instructions:
        op = str(operator)
        if op in ("rg", "RG"):
            add("DeviceRGB")
        elif op in ("cs", "CS") and operands:
            add(_space_problem(operands[0], resources, standard))
        elif op == "INLINE IMAGE" and operands:
            try:
                space = operands[0].obj.get("/ColorSpace")  # abbreviations expanded
            except (AttributeError, pikepdf.PdfError):
                space = None
            problem = _space_problem(space, resources, standard)
            add(problem and problem + " inline image")
    return found


# --- the file's structure: version, object streams, cross-reference streams ----------------------

HEADER = re.compile(rb"%PDF-(\d\.\d)")
OBJSTM = re.compile(rb"/Type\s*/ObjStm\b")
XREFSTM = re.compile(rb"/Type\s*/XRef\b")
MAX_VERSION = {"pdf/x-1a": "1.4", "pdf/x-4": "1.6"}


def _check_structure(path: Path, pdf: pikepdf.Pdf, standard: str) -> Iterator[Finding]:
    """PDF/X-1a is PDF 1.3 or 1.4: no object streams, no cross-reference streams (PDF 1.5);
    PDF/X-4 is PDF 1.6 at most. A RIP reading the file as its standard says may fail on more."""
    with open(path, "rb") as f:
        head = f.read(1024)
    match = HEADER.search(head)
    header = match.group(1).decode() if match else None
    catalog = pdf.Root.get("/Version")
    catalog = str(catalog).lstrip("/") if catalog is not None else None
    version = max(v for v in (header, catalog) if v) if header or catalog else None
    highest = MAX_VERSION[standard]
    problems = 0
    if header is None:
        problems += 1
        yield Finding("error", "structure", "no %PDF- header in the first 1024 bytes")
    if version and version > highest:
        problems += 1
        where = "the header" if version == header else "the catalogue's /Version"
        yield Finding("error", "structure", f"PDF {version} by {where}: {standard.upper()} allows PDF {highest} at most")
    if standard == "pdf/x-1a":
        objstm = xrefstm = 0
        tail = b""
        with open(path, "rb") as f:  # their dictionaries are never compressed: a plain scan finds them
            while block := f.read(1 << 20):
                text = tail + block
                objstm += len(OBJSTM.findall(text)) - len(OBJSTM.findall(tail))
                xrefstm += len(XREFSTM.findall(text)) - len(XREFSTM.findall(tail))
                tail = block[-64:]
        trailer = pdf.trailer
        if xrefstm or trailer.get("/Type") == "/XRef" or "/XRefStm" in trailer:
            problems += 1
            yield Finding("error", "structure", "a cross-reference stream: PDF/X-1a needs a cross-reference table")
        if objstm:
            problems += 1
            yield Finding("error", "structure", f"{objstm} object stream{'s' if objstm > 1 else ''} (/ObjStm): "
                          "PDF/X-1a allows none")
    if not problems:
        shape = ", cross-reference table, no object streams" if standard == "pdf/x-1a" else ""
        yield Finding("ok", "structure", f"PDF {version}{shape}")
