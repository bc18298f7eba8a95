"""The PDF editions: the whole book laid out by WeasyPrint, then finished with pikepdf.

A print edition gets its trim, bleed, marks, gutter and PDF/X standard from its `PrintSpec`;
the screen edition drops bleed and marks, keeps links live and is tagged PDF/UA-1.
"""

from __future__ import annotations

import copy
import shutil
import subprocess
import uuid
from pathlib import Path

import pikepdf
from lxml import etree, html as lhtml
from weasyprint import HTML

from .. import printspec, theme
from ..atomic import atomic_path
from ..errors import Diagnostics, OutputError
from ..fetcher import Sandbox, SandboxFetcher
from .base import Writer, build_time

BOOK_FONT = "EB Garamond"
CMYK_PROFILE = Path("/usr/share/color/icc/ghostscript/default_cmyk.icc")  # Debian's libgs-common
PDF_VARIANTS = {"pdf/x-4": "pdf/x-4", "pdf/x-1a": "pdf/x-1a", "none": None}


def font_available(family: str) -> bool:
    """Whether fontconfig knows a family (the PDF falls back to DejaVu Serif otherwise)."""
    if not shutil.which("fc-list"):
        return False
    out = subprocess.run(["fc-list", family, "family"], capture_output=True, text=True, check=False).stdout
    return bool(out.strip())


def inline_footnotes(doc: etree._Element) -> None:
    """Move each note to its call, where WeasyPrint's `float: footnote` sets it at the foot."""
    notes = {aside.get("id"): aside for aside in doc.xpath("//aside[@class='footnote']")}
    for ref in doc.xpath("//a[@class='noteref']"):
        aside = notes.get(ref.get("href", "").lstrip("#"))
        if aside is None:
            continue
        span = etree.Element("span", {"class": "footnote-inline", "id": aside.get("id")})
        for child in aside:
            if child.get("class") == "note-number":
                continue
            child = copy.deepcopy(child)
            child.tag = "span"
            child.tail = " "
            span.append(child)
        span.tail = ref.tail
        ref.getparent().replace(ref, span)
    for section in doc.xpath("//section[@class='footnotes']"):
        section.getparent().remove(section)


def pt(value: float) -> str:
    return f"{value:.3f}pt"


class PdfWriter(Writer):
    """Writes one print edition; keeps the laid-out document for the EPUB's page map."""

    name = "pdf"
    suffix = ".pdf"

    def __init__(self, book, diags: Diagnostics | None = None, edition: str = "print",
                 spec: printspec.PrintSpec | None = None):
        super().__init__(book)
        self.diags = diags if diags is not None else Diagnostics()
        self.edition = edition
        if spec is None:
            options = book.settings.editions.get(edition) if book.settings is not None else None
            from ..config import PrintEdition
            spec = printspec.resolve(edition, options or PrintEdition())
        self.spec = spec
        self.document = None
        self.gutter = spec.inside

    def output_path(self, out_dir: Path) -> Path:
        tail = "" if self.edition == "print" else f"-{self.edition}"
        return Path(out_dir) / f"{self.book.meta.slug}{tail}{self.suffix}"

    def href(self, target: str) -> str:
        return f"#{target}"

    @property
    def variant(self) -> str | None:
        return PDF_VARIANTS[self.spec.pdf_standard]

    def edition_css(self) -> str:
        """The page geometry of this edition, after the theme's print.css in the cascade."""
        s, b = self.spec, self.spec.bleed
        w, h = s.trim
        rules = [f"@page {{ size: {pt(w)} {pt(h)}; bleed: {pt(b)}; marks: {'crop' if s.marks else 'none'}; }}"]
        if s.bleed_binding_side:
            rules += [f"@page :right {{ margin-left: {pt(self.gutter)}; margin-right: {pt(s.outside)}; }}",
                      f"@page :left {{ margin-left: {pt(s.outside)}; margin-right: {pt(self.gutter)}; }}"]
        else:
            rules += [f"@page :right {{ margin-left: {pt(self.gutter)}; margin-right: {pt(s.outside)}; bleed: {pt(b)} {pt(b)} {pt(b)} 0; }}",
                      f"@page :left {{ margin-left: {pt(s.outside)}; margin-right: {pt(self.gutter)}; bleed: {pt(b)} 0 {pt(b)} {pt(b)}; }}"]
        if self.variant:
            rules.insert(0, f"@color-profile device-cmyk {{ src: url({CMYK_PROFILE.as_uri()}); "
                            "components: cyan, magenta, yellow, black; }")
            rules.append("html { color: device-cmyk(0 0 0 1); }")
        return "\n".join(rules)

    def html(self) -> str:
        sheets = [p.as_uri() for p in theme.stylesheets("print", self.book.stylesheets)]
        source = self.render("print.html.j2", edition_name=self.edition, stylesheets=sheets,
                             edition_css=self.edition_css(),
                             created=build_time().strftime("%Y-%m-%dT%H:%M:%SZ"))
        doc = lhtml.document_fromstring(source)
        inline_footnotes(doc)
        return lhtml.tostring(doc, encoding="unicode", doctype="<!DOCTYPE html>")

    def fetcher(self) -> SandboxFetcher:
        return SandboxFetcher(Sandbox([self.book.root, theme.STYLES_DIR, CMYK_PROFILE.parent]))

    def layout(self):
        """Lay the book out, widening the gutter if the page count calls for it; check that
        every piece made it into the pages (WeasyPrint has been known to drop pages)."""
        if not font_available(BOOK_FONT):
            self.diags.warning(self.book.config_path, 0,
                               f"the book typeface '{BOOK_FONT}' is not installed; the PDF falls back to DejaVu Serif "
                               "(install it with: apt-get install fonts-ebgaramond)")
        if self.variant and not CMYK_PROFILE.is_file():
            raise OutputError(f"the CMYK profile {CMYK_PROFILE} is missing: apt-get install libgs-common")
        for _ in range(3):
            fetcher = self.fetcher()
            document = HTML(string=self.html(), base_url=self.book.root.resolve().as_uri() + "/",
                            url_fetcher=fetcher).render()
            gutter = self.spec.gutter(self.spec.padded(len(document.pages)))
            if gutter == self.gutter:
                break
            self.gutter = gutter
        for url, reason in fetcher.refused:
            self.diags.warning(self.book.config_path, 0, f"resource refused: {reason}")
        anchors = set()
        for page in document.pages:
            anchors.update(page.anchors)
        missing = [p.id for p in self.book.pieces if p.id not in anchors]
        if missing:
            raise OutputError(f"the PDF layout lost pieces: {', '.join(missing)}")
        self.document = document
        return document

    @property
    def pages(self) -> int:
        """The page count of the written file, padding included."""
        return self.spec.padded(len(self.document.pages))

    def write_options(self) -> dict:
        return {"pdf_variant": self.variant} if self.variant else {}

    def write(self, out_dir: Path) -> Path:
        document = self.document or self.layout()
        target = self.output_path(out_dir)
        with atomic_path(target) as tmp:
            document.write_pdf(tmp, pdf_identifier=self.book.meta.identifier.encode("utf-8"),
                               custom_metadata=True, **self.write_options())
            self.finish(tmp)
        return target

    def finish(self, path: Path) -> None:
        """Pad to the page multiple with truly blank pages, and make the file reproducible."""
        with pikepdf.open(path, allow_overwriting_input=True) as pdf:
            count = len(pdf.pages)
            for number in range(count + 1, self.spec.padded(count) + 1):
                model = pdf.pages[-2] if len(pdf.pages) > 1 else pdf.pages[-1]  # same parity as the new page
                page = pdf.add_blank_page(page_size=(float(model.mediabox[2] - model.mediabox[0]),
                                                     float(model.mediabox[3] - model.mediabox[1])))
                for box in ("/MediaBox", "/CropBox", "/BleedBox", "/TrimBox", "/ArtBox"):
                    if box in model.obj:
                        page.obj[box] = pikepdf.Array(list(model.obj[box]))
            with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
                if "xmpMM:DocumentID" in meta:
                    seed = f"{self.book.meta.identifier}/{self.edition}"
                    meta["xmpMM:DocumentID"] = f"xmp.did:{uuid.uuid5(uuid.NAMESPACE_URL, seed)}"
            pdf.save(path, deterministic_id=True)


class ScreenPdfWriter(PdfWriter):
    """`<slug>-screen.pdf`: the book to read on a screen — trim size only, live links, tagged."""

    def __init__(self, book, diags: Diagnostics | None = None, spec: printspec.PrintSpec | None = None):
        super().__init__(book, diags, "screen", spec)
        self.spec = printspec.PrintSpec("screen", self.spec.trim, 0.0, True, False, 1, "none", "white",
                                        printspec.PROFILES["none"], inside=self.spec.inside, outside=self.spec.outside)
        self.gutter = self.spec.inside

    def edition_css(self) -> str:
        w, h = self.spec.trim
        return (f"@page {{ size: {pt(w)} {pt(h)}; bleed: 0; marks: none; }}\n"
                "a[href^='http'] { color: #1a4d8f; text-decoration: underline; }")

    def write_options(self) -> dict:
        return {"pdf_variant": "pdf/ua-1", "pdf_tags": True}
