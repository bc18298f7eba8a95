"""What each chunk's layout is asked for: its document (print_chunk.html.j2, or cut from a
manuscript's own print.html.j2: documents.py), the stylesheets, what it may read, and the
digest it is cached under; and the shell, which gives the book its identity.

A chunk whose inputs are known from an earlier build (its piece, the files it refers to, the
templates, styles and settings) is found in the cache without its document being made again.
"""

from __future__ import annotations

from pathlib import Path

from jinja2 import TemplateError
from lxml import html as lhtml

from ... import pdfx, theme
from ...cachestore import canonical, fingerprint
from ...colour import CMYK_PROFILE
from ...errors import Diagnostics, ManuscriptError
from ...fetcher import RefusedResource, Sandbox
from ..pdf import inline_footnotes
from . import documents
from .cache import Job, digest, pack
from .plan import ChunkSpec


def _template_bytes(path: Path, root: Path) -> bytes:
    """A template's bytes for a digest, read through the sandbox (a refused one is reported
    when it is rendered)."""
    try:
        return Sandbox([root, theme.TEMPLATES_DIR]).read_bytes(path)
    except RefusedResource as exc:
        return str(exc).encode()


class Jobs:
    """The layout jobs of one print edition (`writer`: its PdfWriter, which renders the
    templates with the page numbers known so far)."""

    def __init__(self, writer):
        self.writer = writer
        self.book, self.cache, self.diags = writer.book, writer.cache, writer.diags
        self.edition, self.variant = writer.edition, writer.variant
        self._common: tuple = (None, "")  # (sheets, fonts) and the digest of what every chunk shares
        self._whole: tuple = (None, None)  # the page numbers and the whole-book document (chunk_document)

    def theme_sheets(self) -> list[tuple[str, str]]:
        sandbox, sheets = Sandbox([self.book.root, theme.STYLES_DIR]), []
        for path in theme.stylesheets("print", self.book.stylesheets):
            try:  # read through the sandbox, like every file the manuscript names
                sheets.append((path.as_uri(), sandbox.read_bytes(path).decode("utf-8", errors="replace")))
            except RefusedResource as exc:
                self.diags.warning(path, 0, f"stylesheet left out: {exc}")
        css = self.writer.edition_css().splitlines()
        geometry = "\n".join(line for line in css if not line.startswith("@color-profile"))
        return sheets + [("about:edition", geometry)]

    def inputs(self, chunk: ChunkSpec, sheets, fonts: str, images: list[bytes]) -> str:
        """A digest of everything a chunk's document is made from: known again, the document
        need not be made again to find its layout in the cache."""
        if self._common[0] != (sheets, fonts):
            templates = [self.book.root / "templates", theme.TEMPLATES_DIR]
            files = sorted((folder, p) for folder in templates if folder.is_dir()
                           for p in folder.rglob("*") if p.is_file())
            book = self.book
            self._common = ((sheets, fonts), digest(
                "inputs", self.portable(sheets), fonts, self.edition, self.colour,
                *(str(p.relative_to(folder)) + "\0" for folder, p in files),
                *(_template_bytes(p, self.book.root) for _, p in files),
                book.settings.model_dump_json() if book.settings is not None else "",
                canonical((book.meta, book.sources, book.people), book.root)))
        return digest(self._common[1], canonical(chunk, self.book.root), *images)

    def portable(self, sheets) -> str:
        """The stylesheets as a digest takes them: by their place in the theme or the
        manuscript, not on this disk (a cache stays valid when the manuscript moves)."""
        places = {theme.STYLES_DIR.resolve().as_uri(): "theme:", self.book.root.resolve().as_uri(): "manuscript:"}
        out = []
        for url, text in sheets:
            for prefix, name in places.items():
                if url.startswith(prefix + "/"):
                    url = name + url[len(prefix):]
            out.append((url, text))
        return repr(out)

    def job(self, chunk: ChunkSpec, sheets, fonts: str) -> Job:
        # every file its text refers to (piece.files: images, figures or not), as it is now
        images = [repr(fingerprint(self.book.root, name)) for name in getattr(chunk.item, "files", ())]
        inputs = None if chunk.whole_book else self.inputs(chunk, sheets, fonts, images)
        known = self.cache.alias(inputs) if inputs else None
        if known:
            return Job(chunk.key, None, self.base_url, sheets, self.roots, known, colour=self.variant,
                       store=self.store)
        doc = self.chunk_document(chunk)
        inline_footnotes(doc)
        ids = set(doc.xpath("//@id"))
        for link in doc.xpath("//a[starts-with(@href, '#')]"):
            if link.get("href")[1:] not in ids:  # in another chunk: its page number is in data-page
                del link.attrib["href"]
        html = lhtml.tostring(doc, encoding="unicode", doctype="<!DOCTYPE html>")
        key = digest(html, self.portable(sheets), fonts, self.colour, *images)
        if inputs:
            self.cache.set_alias(inputs, key)
        return Job(chunk.key, pack(html), self.base_url, sheets, self.roots, key, colour=self.variant,
                   store=self.store)

    def chunk_document(self, chunk: ChunkSpec):
        """A chunk's document: from `print_chunk.html.j2`, or cut from the whole book's when
        the manuscript has its own `print.html.j2` (documents.py)."""
        try:
            template = Path(self.writer.env.get_template("print.html.j2").filename or "")
            own = self.book.root.resolve() in template.resolve().parents
        except TemplateError:  # refused: rendering it below says why, naming the file
            template, own = self.book.root / "templates" / "print.html.j2", True
        if not own:
            source = self.writer.render("print_chunk.html.j2", chunk=chunk, edition_name=self.edition)
            return lhtml.document_fromstring(source)
        state = tuple(sorted(self.writer.page_labels.items()))
        if self._whole[0] != state:
            source = self.writer.render("print.html.j2", edition_name=self.edition, stylesheets=[],
                                        edition_css="", created=None)
            self._whole = (state, lhtml.document_fromstring(source))
        try:
            return documents.cut(self._whole[1], chunk)
        except documents.MissingChunk as exc:
            diags = Diagnostics()
            diags.error(template, 0, f"the print edition is laid out a part or piece at a time: this template must "
                                     f"give each an element with its id, as the built-in one does ('{exc.args[0]}' "
                                     f"is missing)")
            raise ManuscriptError("a template cannot be laid out as the print edition", diags) from None

    @property
    def colour(self) -> str:
        """What a layout's colours are converted for, in its digests (pdfx.py)."""
        return f"{pdfx.VERSION} {self.variant}" if self.variant else ""

    @property
    def store(self) -> str:
        return str(self.cache.folder)

    @property
    def base_url(self) -> str:
        return self.book.root.resolve().as_uri() + "/"

    @property
    def roots(self) -> tuple[str, ...]:
        return (str(self.book.root), str(theme.STYLES_DIR), str(CMYK_PROFILE.parent))

    def shell_job(self, fonts: str) -> Job:
        """The book's identity (metadata, PDF/X output intent), written by WeasyPrint."""
        sheets = [p.as_uri() for p in theme.stylesheets("print", self.book.stylesheets)]
        html = self.writer.render("print_shell.html.j2", edition_name=self.edition, stylesheets=sheets,
                           edition_css=self.writer.edition_css(), created=None)
        options = (("pdf_identifier", self.book.meta.identifier.encode("utf-8")), ("custom_metadata", True),
                   *self.writer.write_options().items())
        key = digest(html, "shell", repr(options), fonts, *(Path(p).read_bytes() for p in
                                                                    theme.stylesheets("print", self.book.stylesheets)))
        return Job("shell", html, self.base_url, (), self.roots, key, options, output="pdf")
