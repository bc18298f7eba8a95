"""The PDF editions: the whole book laid out by WeasyPrint, then finished with pikepdf.

A print edition gets its trim, bleed, marks, gutter and PDF/X standard from its `PrintSpec`;
the screen edition drops bleed and marks, keeps links live and is tagged PDF/UA-1.
"""

from __future__ import annotations

import copy
import io
import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Callable

import pikepdf
from lxml import etree, html as lhtml

from .. import fontstack, pdfx, printspec, theme
from ..atomic import atomic_path
from ..colour import CMYK_PROFILE
from ..errors import Diagnostics, OutputError
from ..fetcher import Sandbox
from ..labels import counter_style
from ..model import Part
from ..pagemap import PrintPages
from .base import Writer, build_time
from .print.layout import page_starts

BOOK_FONT = "EB Garamond"
PDF_VARIANTS = {"pdf/x-4": "pdf/x-4", "pdf/x-1a": "pdf/x-1a", "none": None}


def font_available(family: str) -> bool:
    """Whether fontconfig knows a family (the PDF falls back to DejaVu Serif otherwise)."""
    if not shutil.which("fc-list"):
        return False
    out = subprocess.run(["fc-list", family, "family"], capture_output=True, text=True, check=False).stdout
    return bool(out.strip())


NOTE_BLOCKS = {"p", "div", "blockquote", "footer", "ul", "ol", "li", "dl", "dt", "dd", "table", "thead", "tbody",
               "tfoot", "tr", "td", "th", "figure", "figcaption", "pre", "h2", "h3", "h4", "h5", "h6", "aside", "section"}


def inline_footnotes(doc: etree._Element) -> None:
    """Move each note to its call, where WeasyPrint's `float: footnote` sets it at the foot.

    A note then stands inside a paragraph, where HTML allows no block: its blocks become
    spans classed `note-<tag>` that print.css displays as blocks again (the first paragraph
    inline, after the note's number), so verse keeps its lines and quotes their margins.

    A footnote cannot hold another, so a note called from inside a note follows the note
    that calls it, as the next footnote (its own call mark hidden), and the call in the note
    prints that footnote's number: the `footnote` counter counts footnotes in document order
    and restarts with each piece."""
    notes = {aside.get("id"): aside for aside in doc.xpath("//aside[@class='footnote']")}
    for section in doc.xpath("//section[@class='footnotes']"):
        section.getparent().remove(section)
    placed: set[str] = set()

    def footnote(aside: etree._Element, nested: bool) -> list[etree._Element]:
        """The note as footnote spans: its own, then those of the notes it calls first."""
        span = etree.Element("span", {"class": "footnote-inline" + (" in-note" if nested else ""),
                                      "id": aside.get("id")})
        placed.add(aside.get("id"))
        for child in aside:
            if child.get("class") == "note-number":
                continue
            span.append(copy.deepcopy(child))
        for node in span.iter():
            if node is not span and isinstance(node.tag, str) and node.tag in NOTE_BLOCKS:
                node.set("class", " ".join(filter(None, [node.get("class"), f"note-{node.tag}"])))
                node.tag = "span"
        if len(span) and span[0].get("class") == "note-p":
            span[0].set("class", "note-p note-first")
        following = []
        for ref in span.xpath(".//a[@class='noteref']"):
            target = ref.get("href", "").lstrip("#")
            call = etree.Element("span", {"class": "note-in-note-call", "data-note": target})
            call.tail = ref.tail
            ref.getparent().replace(ref, call)
            if target in notes and target not in placed:
                following += footnote(notes[target], True)
        return [span] + following

    for ref in doc.xpath("//a[@class='noteref']"):
        aside = notes.get(ref.get("href", "").lstrip("#"))
        if aside is None:
            continue
        spans = footnote(aside, False)
        spans[-1].tail = ref.tail
        parent, index = ref.getparent(), ref.getparent().index(ref)
        parent.remove(ref)
        for offset, span in enumerate(spans):
            parent.insert(index + offset, span)
    number_calls_in_notes(doc)


def number_calls_in_notes(doc: etree._Element) -> None:
    """Print, in each call from one note to another, the number the footnote counter gives the
    note it calls (the first footnote with its id)."""
    calls = doc.xpath("//span[@class='note-in-note-call']")
    if not calls:
        return
    numbers: dict[str, int] = {}
    scopes = doc.xpath("//section[contains(concat(' ', @class, ' '), ' piece ')]") or [doc]
    for scope in scopes:
        for number, span in enumerate(scope.xpath(".//span[starts-with(@class, 'footnote-inline')]"), 1):
            numbers.setdefault(span.get("id"), number)
    for call in calls:
        number = numbers.get(call.attrib.pop("data-note"))
        call.text = str(number) if number else "*"


def pt(value: float) -> str:
    return f"{value:.3f}pt"


class SinglePassPdf(Writer):
    """The whole book laid out as one WeasyPrint document: the screen edition, and the
    baseline the chunked print edition is measured and checked against."""

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
        return "\n".join(rules + self.font_rules() + self.language_rules())

    def language_rules(self) -> list[str]:
        """Page and note numbers in the language's digits; a right-to-left book's footnote rule
        starts on the right, where its lines do."""
        style = counter_style(self.book.meta.language)
        rules = [f"@counter-style book-digits {{ system: extends {style}; }}"] if style != "decimal" else []
        if self.book.meta.direction == "rtl":
            rules.append("@page { @footnote { direction: rtl; background-position: 100% 0; } }")
        return rules

    def font_rules(self) -> list[str]:
        """The font stacks of `fonts:` in anthology.yml, when it has one (print.css has the rest)."""
        own = self.book.settings.fonts if self.book.settings is not None else {}
        return [fontstack.rules(own)] if own else []

    def html(self) -> str:
        sheets = [p.as_uri() for p in theme.stylesheets("print", self.book.stylesheets)]
        source = self.render("print.html.j2", edition_name=self.edition, stylesheets=sheets,
                             edition_css=self.edition_css(),
                             created=build_time().strftime("%Y-%m-%dT%H:%M:%SZ"))
        doc = lhtml.document_fromstring(source)
        inline_footnotes(doc)
        return lhtml.tostring(doc, encoding="unicode", doctype="<!DOCTYPE html>")

    def check_system(self) -> None:
        """Warn when the book face is missing; stop when the package's colour profile is."""
        if not font_available(BOOK_FONT):
            self.diags.warning(self.book.config_path, 0,
                               f"the book typeface '{BOOK_FONT}' is not installed; the PDF falls back to DejaVu Serif "
                               "(install it with: apt-get install fonts-ebgaramond)")
        if self.variant and not CMYK_PROFILE.is_file():
            raise OutputError(f"the CMYK profile {CMYK_PROFILE} is missing: reinstall Anthology")

    def fetcher(self):
        from ..layoutfetcher import SandboxFetcher

        return SandboxFetcher(Sandbox([self.book.root, theme.STYLES_DIR, CMYK_PROFILE.parent]))

    def layout(self):
        """Lay the book out, widening the gutter if the page count calls for it; check that
        every piece made it into the pages (WeasyPrint has been known to drop pages)."""
        from weasyprint import HTML

        self.check_system()
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
    def laid_out(self) -> bool:
        return self.document is not None

    @property
    def pages(self) -> int:
        """The page count of the written file, padding included."""
        return self.spec.padded(len(self.document.pages))

    def printed_pages(self) -> PrintPages:
        """The first word of every page, for the EPUB's page-break markers."""
        first_body = next((e for e in self.book.entries if isinstance(e, Part) or e.role == "body"), None)
        body_start = next((i for i, page in enumerate(self.document.pages) if first_body and first_body.id in page.anchors), 0)
        return PrintPages(page_starts(self.document, body_start), self.pages)

    def write_options(self) -> dict:
        return {"pdf_variant": self.variant} if self.variant else {}

    def write(self, out_dir: Path, check: Callable[[Path], None] | None = None) -> Path:
        """Write the PDF; `check(tmp)` runs on the finished temporary file before it replaces the
        previous output, so a file that fails its check never takes a good one's place."""
        document = self.document or self.layout()
        target = self.output_path(out_dir)
        with atomic_path(target) as tmp:
            document.write_pdf(tmp, pdf_identifier=self.book.meta.identifier.encode("utf-8"),
                               custom_metadata=True, **self.write_options())
            self.finish(tmp)
            if check is not None:
                check(tmp)
        return target

    def finish(self, path: Path) -> None:
        """Finish a PDF WeasyPrint wrote (read into memory: no temp file of pikepdf's beside it)."""
        with pikepdf.open(io.BytesIO(path.read_bytes())) as pdf:
            self.finish_pdf(pdf)
            save(pdf, path, variant=self.variant)

    def finish_pdf(self, pdf: pikepdf.Pdf) -> None:
        """Convert the colours to the PDF/X variant's (pdfx.py), pad to the page multiple with
        truly blank pages, and make the file reproducible."""
        pdfx.convert(pdf, self.variant)
        if self.variant == "pdf/x-1a":
            pdfx.bare_fonts(pdf)  # PDF 1.4 (see save)
        while len(pdf.pages) < self.spec.padded(len(pdf.pages)):
            add_blank(pdf)
        self.stamp(pdf)

    def stamp(self, pdf: pikepdf.Pdf) -> None:
        """The build's time and a document id made from the book's, in the document
        information and the XMP metadata; a right-to-left book's reading direction, so that a
        viewer shows its spreads right to left."""
        if self.book.meta.direction == "rtl":
            pdf.Root.ViewerPreferences = pikepdf.Dictionary(Direction=pikepdf.Name.R2L)
        if self.variant:
            pdfx.name_output_intent(pdf)
        stamp = build_time()
        pdf.docinfo["/CreationDate"] = pdf.docinfo["/ModDate"] = stamp.strftime("D:%Y%m%d%H%M%SZ")
        with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
            for key in ("xmp:CreateDate", "xmp:ModifyDate", "xmp:MetadataDate"):
                meta[key] = stamp.isoformat()
            if "xmpMM:DocumentID" in meta:
                seed = f"{self.book.meta.identifier}/{self.edition}"
                meta["xmpMM:DocumentID"] = f"xmp.did:{uuid.uuid5(uuid.NAMESPACE_URL, seed)}"


BOXES = ("/MediaBox", "/CropBox", "/BleedBox", "/TrimBox", "/ArtBox")


def add_blank(pdf: pikepdf.Pdf) -> None:
    """A truly blank page, with the boxes of the page two before it (the same side)."""
    model = pdf.pages[-2] if len(pdf.pages) > 1 else pdf.pages[-1]
    page = pdf.add_blank_page(page_size=(float(model.mediabox[2] - model.mediabox[0]),
                                         float(model.mediabox[3] - model.mediabox[1])))
    for box in BOXES:
        if box in model.obj:
            page.obj[box] = pikepdf.Array(list(model.obj[box]))


def save(pdf: pikepdf.Pdf, path: Path, version: str = "", variant: str | None = None) -> None:
    """Save reproducibly (an /ID from the content), objects packed into object streams; PDF/X-1a
    as PDF 1.4 with a classic cross-reference table and no object streams, as it requires."""
    if variant == "pdf/x-1a":
        pdf.save(path, deterministic_id=True, object_stream_mode=pikepdf.ObjectStreamMode.disable,
                 compress_streams=True, force_version="1.4")
        return
    pdf.save(path, deterministic_id=True, object_stream_mode=pikepdf.ObjectStreamMode.generate, compress_streams=True,
             min_version=version)


class ScreenPdfWriter(SinglePassPdf):
    """`<slug>-screen.pdf`: the book to read on a screen — trim size only, live links, tagged."""

    def __init__(self, book, diags: Diagnostics | None = None, spec: printspec.PrintSpec | None = None):
        super().__init__(book, diags, "screen", spec)
        self.spec = printspec.PrintSpec("screen", self.spec.trim, 0.0, True, False, 1, "none", "white",
                                        printspec.PROFILES["none"], inside=self.spec.inside, outside=self.spec.outside)
        self.gutter = self.spec.inside

    def edition_css(self) -> str:
        w, h = self.spec.trim
        return "\n".join([f"@page {{ size: {pt(w)} {pt(h)}; bleed: 0; marks: none; }}",
                          "a[href^='http'] { color: #1a4d8f; text-decoration: underline; }", *self.font_rules(),
                          *self.language_rules()])

    def write_options(self) -> dict:
        return {"pdf_variant": "pdf/ua-1", "pdf_tags": True}
