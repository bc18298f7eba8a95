"""The print edition: the whole book laid out by WeasyPrint as one paged document."""

from __future__ import annotations

import logging
import shutil
import subprocess
from pathlib import Path

from lxml import etree, html as lhtml
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration

from .. import theme
from ..atomic import atomic_path
from ..errors import Diagnostics, OutputError
from ..fetcher import Sandbox, SandboxFetcher
from .base import Writer, build_time

BOOK_FONT = "EB Garamond"
LOGGER = logging.getLogger("anthology.pdf")


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
            child = etree.fromstring(etree.tostring(child))
            child.tag = "span"
            child.tail = " "
            span.append(child)
        span.tail = ref.tail
        ref.getparent().replace(ref, span)
    for section in doc.xpath("//section[@class='footnotes']"):
        section.getparent().remove(section)


class PdfWriter(Writer):
    """Writes `<slug>.pdf`; keeps the laid-out document for the page map of the EPUB."""

    name = "pdf"
    suffix = ".pdf"

    def __init__(self, book, diags: Diagnostics | None = None):
        super().__init__(book)
        self.diags = diags if diags is not None else Diagnostics()
        self.document = None

    def href(self, target: str) -> str:
        return f"#{target}"

    def html(self) -> str:
        source = self.render("print.html.j2", edition_name="print", created=build_time().strftime("%Y-%m-%dT%H:%M:%SZ"))
        doc = lhtml.document_fromstring(source)
        inline_footnotes(doc)
        return lhtml.tostring(doc, encoding="unicode", doctype="<!DOCTYPE html>")

    def layout(self):
        """Lay the book out; check that every piece made it into the pages."""
        fetcher = SandboxFetcher(Sandbox([self.book.root, theme.STYLES_DIR]))
        if not font_available(BOOK_FONT):
            self.diags.warning(self.book.config_path, 0,
                               f"the book typeface '{BOOK_FONT}' is not installed; the PDF falls back to DejaVu Serif "
                               "(install it with: apt-get install fonts-ebgaramond)")
        fonts = FontConfiguration()
        sheets = [CSS(filename=str(p), url_fetcher=fetcher, font_config=fonts)
                  for p in theme.stylesheets("print", self.book.stylesheets)]
        html = HTML(string=self.html(), base_url=self.book.root.resolve().as_uri() + "/", url_fetcher=fetcher)
        document = html.render(stylesheets=sheets, font_config=fonts)
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

    def write(self, out_dir: Path) -> Path:
        document = self.document or self.layout()
        target = self.output_path(out_dir)
        meta = self.book.meta
        with atomic_path(target) as tmp:
            document.write_pdf(
                tmp,
                pdf_identifier=meta.identifier.encode("utf-8"),
                custom_metadata=True,
            )
        return target
