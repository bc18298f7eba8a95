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
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

import pikepdf
from lxml import etree, html as lhtml

from .. import pdfx, printspec, theme
from ..colour import CMYK_PROFILE
from ..atomic import atomic_path
from ..cachestore import canonical, fingerprint
from ..errors import Diagnostics, ManuscriptError, OutputError
from ..fetcher import RefusedResource, Sandbox
from ..model import Part
from ..pagemap import PageStart, label, page_starts
from . import chunks, folios
from .fragment import BOXES
from .join import Joiner
from .base import Writer, build_time

BOOK_FONT = "EB Garamond"
ATLAS_BLOCK = 160  # folio numbers an atlas document holds at most
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


def _template_bytes(path: Path, root: Path) -> bytes:
    """A template's bytes for a digest, read through the sandbox (a refused one is reported
    when it is rendered)."""
    try:
        return Sandbox([root, theme.TEMPLATES_DIR]).read_bytes(path)
    except RefusedResource as exc:
        return str(exc).encode()


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
        return "\n".join(rules)

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

    def page_starts(self) -> list[PageStart]:
        """The first word of every page, for the EPUB's page-break markers."""
        first_body = next((e for e in self.book.entries if isinstance(e, Part) or e.role == "body"), None)
        body_start = next((i for i, page in enumerate(self.document.pages) if first_body and first_body.id in page.anchors), 0)
        return page_starts(self.document, body_start)

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
        information and the XMP metadata."""
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
        return (f"@page {{ size: {pt(w)} {pt(h)}; bleed: 0; marks: none; }}\n"
                "a[href^='http'] { color: #1a4d8f; text-decoration: underline; }")

    def write_options(self) -> dict:
        return {"pdf_variant": "pdf/ua-1", "pdf_tags": True}


@dataclass(frozen=True)
class ChunkSpec:
    """A run of pages laid out on its own: the display pages, the contents, a part title or a piece."""

    key: str
    kind: str  # "display", "contents", "part" or "piece"
    wrapper: str  # "frontmatter", "mainmatter" or "backmatter", as in the single document
    item: object = None
    number: int = 0
    first: bool = False  # the first thing in its wrapper

    @property
    def needs_labels(self) -> bool:
        """Whether its text holds page numbers of other chunks (contents, index, credits)."""
        return self.kind == "contents" or getattr(self.item, "generated", None) is not None

    @property
    def whole_book(self) -> bool:
        """Whether its document draws on other chunks (their page numbers, or their titles and
        sources, as the display pages' credits do): its document is made again every build,
        not known from its own inputs (PdfWriter.inputs)."""
        return self.needs_labels or self.kind == "display"


class PdfWriter(SinglePassPdf):
    """A print edition laid out chunk by chunk, in parallel and cached (see chunks.py), its
    folios laid out once per number and kind of page (folios.py)."""

    def __init__(self, book, diags: Diagnostics | None = None, edition: str = "print",
                 spec: printspec.PrintSpec | None = None, workers: int | None = None, cache: Path | None = None,
                 pool: chunks.Pool | None = None, check_cache: bool = False):
        super().__init__(book, diags, edition, spec)
        self.workers = pool.workers if pool is not None else workers or chunks.default_workers()
        self.pool = pool
        self.cache = chunks.Cache(cache, self.diags.warning, thorough=check_cache)  # check_cache: see chunks.Cache
        self.plan = self._plan()
        self.layouts: dict[str, chunks.ChunkLayout] = {}
        self.starts: dict[str, int] = {}
        self.total = 0
        self.shell: chunks.ChunkLayout | None = None
        self.atlas: folios.Atlas | None = None
        self.stamps: list[folios.Stamp | None] = []
        self.changed: set[str] = set()  # chunks laid out again in this build
        self.joiner = Joiner([c.key for c in self.plan if not c.needs_labels] +
                             [c.key for c in self.plan if c.needs_labels],
                             late=[c.key for c in self.plan if c.needs_labels], cache=self.cache,
                             classic=self.variant == "pdf/x-1a")
        self._common: tuple = (None, "")  # (sheets, fonts) and the digest of what every chunk shares

    def _plan(self) -> list[ChunkSpec]:
        plan = [ChunkSpec("display", "display", "frontmatter", first=True),
                ChunkSpec("contents", "contents", "frontmatter")]
        number = 0
        for entry in self.book.entries:
            if isinstance(entry, Part):
                number += 1
                plan.append(ChunkSpec(entry.id, "part", "mainmatter", entry, number))
                plan += [ChunkSpec(p.id, "piece", "mainmatter", p) for p in entry.pieces]
            else:
                wrapper = {"front": "frontmatter", "back": "backmatter"}.get(entry.role, "mainmatter")
                plan.append(ChunkSpec(entry.id, "piece", wrapper, entry))
        seen: set[str] = set()
        for i, chunk in enumerate(plan):
            if chunk.wrapper not in seen:
                seen.add(chunk.wrapper)
                plan[i] = replace(chunk, first=True)
        return plan

    # --- chunk documents ----------------------------------------------------------------------
    def theme_sheets(self) -> list[tuple[str, str]]:
        sandbox, sheets = Sandbox([self.book.root, theme.STYLES_DIR]), []
        for path in theme.stylesheets("print", self.book.stylesheets):
            try:  # read through the sandbox, like every file the manuscript names
                sheets.append((path.as_uri(), sandbox.read_bytes(path).decode("utf-8", errors="replace")))
            except RefusedResource as exc:
                self.diags.warning(path, 0, f"stylesheet left out: {exc}")
        geometry = "\n".join(line for line in self.edition_css().splitlines() if not line.startswith("@color-profile"))
        return sheets + [("about:edition", geometry)]

    def inputs(self, chunk: ChunkSpec, sheets, fonts: str, images: list[bytes]) -> str:
        """A digest of everything a chunk's document is made from: known again, the document
        need not be made again to find its layout in the cache."""
        if self._common[0] != (sheets, fonts):
            templates = [self.book.root / "templates", theme.TEMPLATES_DIR]
            files = sorted((folder, p) for folder in templates if folder.is_dir()
                           for p in folder.rglob("*") if p.is_file())
            book = self.book
            self._common = ((sheets, fonts), chunks.digest(
                "inputs", self.portable(sheets), fonts, self.edition, self.colour,
                *(str(p.relative_to(folder)) + "\0" for folder, p in files),
                *(_template_bytes(p, self.book.root) for _, p in files),
                book.settings.model_dump_json() if book.settings is not None else "",
                canonical((book.meta, book.sources, book.people), book.root)))
        return chunks.digest(self._common[1], canonical(chunk, self.book.root), *images)

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

    def job(self, chunk: ChunkSpec, sheets, fonts: str) -> chunks.Job:
        # every file its text refers to (piece.files: images, figures or not), as it is now
        images = [repr(fingerprint(self.book.root, name)) for name in getattr(chunk.item, "files", ())]
        inputs = None if chunk.whole_book else self.inputs(chunk, sheets, fonts, images)
        known = self.cache.alias(inputs) if inputs else None
        if known:
            return chunks.Job(chunk.key, None, self.base_url, sheets, self.roots, known, colour=self.variant)
        source = self.render("print_chunk.html.j2", chunk=chunk, edition_name=self.edition)
        doc = lhtml.document_fromstring(source)
        inline_footnotes(doc)
        ids = set(doc.xpath("//@id"))
        for link in doc.xpath("//a[starts-with(@href, '#')]"):
            if link.get("href")[1:] not in ids:  # in another chunk: its page number is in data-page
                del link.attrib["href"]
        html = lhtml.tostring(doc, encoding="unicode", doctype="<!DOCTYPE html>")
        key = chunks.digest(html, self.portable(sheets), fonts, self.colour, *images)
        if inputs:
            self.cache.set_alias(inputs, key)
        return chunks.Job(chunk.key, chunks.pack(html), self.base_url, sheets, self.roots, key, colour=self.variant)

    @property
    def colour(self) -> str:
        """What a layout's colours are converted for, in its digests (pdfx.py)."""
        return f"{pdfx.VERSION} {self.variant}" if self.variant else ""

    @property
    def base_url(self) -> str:
        return self.book.root.resolve().as_uri() + "/"

    @property
    def roots(self) -> tuple[str, ...]:
        return (str(self.book.root), str(theme.STYLES_DIR), str(CMYK_PROFILE.parent))

    def shell_job(self, fonts: str) -> chunks.Job:
        """The book's identity (metadata, PDF/X output intent), written by WeasyPrint."""
        sheets = [p.as_uri() for p in theme.stylesheets("print", self.book.stylesheets)]
        html = self.render("print_shell.html.j2", edition_name=self.edition, stylesheets=sheets,
                           edition_css=self.edition_css(), created=None)
        options = (("pdf_identifier", self.book.meta.identifier.encode("utf-8")), ("custom_metadata", True),
                   *self.write_options().items())
        key = chunks.digest(html, "shell", repr(options), fonts, *(Path(p).read_bytes() for p in
                                                                    theme.stylesheets("print", self.book.stylesheets)))
        return chunks.Job("shell", html, self.base_url, (), self.roots, key, options, output="pdf")

    def placement(self, counts: dict[str, int]) -> tuple[dict[str, int], int, int]:
        """Where each chunk lands (every chunk opens on a recto, after a blank verso if need
        be) for these page counts: the starts, the page count and the first body page."""
        starts, index = {}, 0
        for chunk in self.plan:
            index += index % 2
            starts[chunk.key] = index
            index += counts.get(chunk.key, 1)
        first_body = next((c.key for c in self.plan if c.wrapper == "mainmatter"), None)
        return starts, index, starts.get(first_body, 0)

    def labels(self, starts: dict[str, int], layouts: dict[str, chunks.ChunkLayout], body_start: int) -> dict[str, str]:
        out: dict[str, str] = {}
        for chunk in self.plan:
            layout = layouts.get(chunk.key)
            for j, ids in enumerate(layout.anchors if layout else ()):
                for anchor in ids:
                    out.setdefault(anchor, label(starts[chunk.key] + j, body_start))
        return out

    def place(self) -> None:
        self.starts, self.total, self.body_start = self.placement({k: v.pages for k, v in self.layouts.items()})
        self.page_labels = self.labels(self.starts, self.layouts, self.body_start)

    def layout(self):
        """Lay the chunks out, then again those that print page numbers (contents, index)
        until every page number is stable, and the folios the book does not have yet.
        A chunk whose layout takes too long stops the build with an error naming its piece."""
        try:
            return self._layout()
        except chunks.LayoutTimeout as exc:
            key, seconds = exc.args
            piece = next((p for p in self.book.pieces if p.id == key), None)
            what = f"the layout of the {self.edition} edition" if piece is None else "its print layout"
            diags = Diagnostics()
            diags.error(piece.source_path if piece is not None else self.book.config_path, 0,
                        f"{what} ({key}) took more than {seconds:g} s and was stopped: shorten or split the "
                        f"piece, simplify its tables and notes, or allow more time with --chunk-timeout")
            raise ManuscriptError("a layout took too long", diags) from None

    def _layout(self):
        if self.pool is None:  # a pool for this layout only
            self.pool = chunks.Pool(self.workers)
            try:
                return self._layout()
            finally:
                self.pool.close()
                self.pool = None
        self.check_system()
        fonts = font_fingerprint()
        previous = self.cache.get_json(f"placed-{self.edition}")
        if not (isinstance(previous, dict) and isinstance(previous.get("pages"), dict)
                and isinstance(previous.get("labels"), dict)):
            previous = None
        for _ in range(3):
            theme_sheets = self.theme_sheets()
            self.folio_sheets = folios.split_sheets([text for _, text in theme_sheets])
            sheets = tuple(theme_sheets + [("about:chunk", self.folio_sheets.no_folios)])
            folio_sheets = tuple(theme_sheets + [("about:folios", self.folio_sheets.only_folios)])
            # all at once, those that print page numbers with the last build's numbers
            self.page_labels = dict((previous or {}).get("labels", {}))
            hits, todo = chunks.lookup([self.job(c, sheets, fonts) for c in self.plan] + [self.shell_job(fonts)],
                                       self.cache)
            guesses = self.guess(previous, hits, todo, sheets, folio_sheets, fonts) if self.pool.parallel else []
            self.changed = {j.key for j in todo}
            for key, layout in hits.items():
                self.joiner.offer(key, layout)
            results = {**hits, **chunks.run(todo, self.cache, self.pool, guesses, self.joiner)}
            self.shell = results.pop("shell")
            self.layouts = results
            for _ in range(4):
                self.place()
                labels = dict(self.page_labels)
                dependent = [self.job(c, sheets, fonts) for c in self.plan if c.needs_labels]
                # the folios of this placement alongside: it holds unless a page count changes
                atlas_jobs = self.folio_jobs(folio_sheets, fonts)
                results = chunks.run(dependent + atlas_jobs, self.cache, self.pool, sink=self.joiner)
                self.take_folios(results)
                self.layouts.update(results)
                self.place()
                if self.page_labels == labels:
                    break
            gutter = self.spec.gutter(self.spec.padded(self.total))
            if gutter == self.gutter:
                break
            self.gutter = gutter
        for layout in self.layouts.values():
            for url, reason in layout.refused:
                self.diags.warning(self.book.config_path, 0, f"resource refused: {reason}")
        missing = [p.id for p in self.book.pieces if p.id not in self.page_labels]
        if missing:
            raise OutputError(f"the PDF layout lost pieces: {', '.join(missing)}")
        self.take_folios(chunks.run(self.folio_jobs(folio_sheets, fonts), self.cache, self.pool, sink=self.joiner))
        self.atlas.save()
        self.cache.put_json(f"placed-{self.edition}", {
            "pages": {k: v.pages for k, v in self.layouts.items()}, "labels": self.page_labels})
        return self

    def guess(self, previous: dict | None, hits: dict, todo: list[chunks.Job], sheets, folio_sheets,
              fonts: str) -> list[chunks.Job]:
        """When one chunk changed since the last build, the layouts of the pages that print page
        numbers and of the folios as they will be if it grew enough to move the chunks after
        it by two pages (the common edit: a paragraph added), to start alongside it rather
        than after it. A wrong guess costs an idle core."""
        keys = {c.key for c in self.plan}
        changed = [j.key for j in todo if j.key in keys]
        if len(changed) != 1 or not previous or changed[0] not in previous.get("pages", {}):
            return []
        counts = {k: v.pages for k, v in hits.items() if k in keys}
        pages = previous["pages"][changed[0]]
        counts[changed[0]] = pages + 1 if pages % 2 == 0 else pages + 2  # the next recto, two pages on
        if len(counts) != len(self.plan):
            return []
        starts, total, body_start = self.placement(counts)
        known = {k: v for k, v in hits.items() if k in keys and k != changed[0]}
        saved = self.page_labels
        self.page_labels = {**previous.get("labels", {}), **self.labels(starts, known, body_start)}
        try:
            jobs = [self.job(c, sheets, fonts) for c in self.plan if c.needs_labels]
        finally:
            self.page_labels = saved
        stamps = {s for s in self.stamps_for(starts, known, body_start, total) if s is not None}
        return jobs + self.folio_jobs(folio_sheets, fonts, stamps, total, pending=False)

    # --- folios -------------------------------------------------------------------------------
    def stamps_for(self, starts: dict[str, int], layouts: dict[str, chunks.ChunkLayout], body_start: int,
                   total: int) -> list[folios.Stamp | None]:
        """The folio each page of a placement needs (None: a blank page, or one not laid out)."""
        stamps: list[folios.Stamp | None] = [None] * total
        for chunk in self.plan:
            layout = layouts.get(chunk.key)
            for j, (side, blank, name, first) in enumerate(layout.kinds if layout else ()):
                i = starts[chunk.key] + j
                if not blank:
                    value = i + 1 if i < body_start else i - body_start + 1
                    stamps[i] = folios.Stamp(name, first, value, side)
        return stamps

    def folio_jobs(self, sheets, fonts: str, wanted: set | None = None, total: int | None = None,
                   pending: bool = True) -> list[chunks.Job]:
        """Atlas documents for the folios (of the current placement, unless given) that no
        atlas has yet, in blocks of numbers; pending: expected from the coming run."""
        count = str(self.spec.padded(total or self.total)) if self.folio_sheets.uses_total else ""
        atlas_key = chunks.digest(self.portable(sheets), fonts, count, self.colour)
        if self.atlas is None or self.atlas.key != atlas_key:
            self.atlas = folios.Atlas(self.cache, atlas_key)
        changed: set[folios.Stamp] = set()
        if wanted is None:
            self.stamps = self.stamps_for(self.starts, self.layouts, self.body_start, self.total)
            wanted = {s for s in self.stamps if s is not None}
            if len(self.changed & set(self.starts)) == 1:  # as when a guess was made (see `guess`)
                changed = {s for key in self.changed & set(self.starts)
                           for s in self.stamps[self.starts[key]:self.starts[key] + self.layouts[key].pages]}
        coming = {key for where in self.atlas.pending.values() for key in where}
        missing = [s for s in self.atlas.missing(folios.complete(wanted)) if s.key not in coming]
        jobs = []
        # by number, those of the one changed chunk apart: a guess (which cannot know those)
        # and the build then share the documents of the rest
        # and a document of the cache found damaged (or gone) made again as it was
        lost = {stamp: digest for digest, stamps in self.atlas.lost.items() for stamp in stamps}
        missing = sorted(set(missing) | {s for s in lost if s.key not in self.atlas.index and s.key not in coming})
        blocks: dict = {}
        for stamp in missing:
            block = lost.get(stamp) or (-1 if stamp in changed else stamp.value // ATLAS_BLOCK)
            blocks.setdefault(block, []).append(stamp)
        for block in blocks.values():
            html, where = folios.atlas_html(block, self.book.meta.language)
            key = "atlas:" + chunks.digest(html, self.portable(sheets), fonts, count, self.colour)
            jobs.append(chunks.Job(key, html, self.base_url, sheets, self.roots, key[6:], output="forms",
                                   colour=self.variant))
            if pending:
                self.atlas.pending[key] = where
        return jobs

    def take_folios(self, results: dict[str, chunks.ChunkLayout]) -> None:
        for key in [k for k in results if k.startswith("atlas:")]:
            self.atlas.add(key[6:], self.atlas.pending.pop(key), results.pop(key))

    # --- the book -----------------------------------------------------------------------------
    @property
    def laid_out(self) -> bool:
        return self.atlas is not None

    @property
    def pages(self) -> int:
        return self.spec.padded(self.total)

    def page_starts(self) -> list[PageStart]:
        starts = [PageStart(i, label(i, self.body_start), None, 0) for i in range(self.total)]
        for chunk in self.plan:
            for j, first in enumerate(self.layouts[chunk.key].starts):
                i = self.starts[chunk.key] + j
                if first is not None:
                    starts[i] = PageStart(i, starts[i].label, first[0], first[1])
        return starts

    def write(self, out_dir: Path, check: Callable[[Path], None] | None = None) -> Path:
        """Write the pages (their chunks' objects mostly written while the pool worked: see
        join.py) in order, each with its folio, and give the book its outline and identity;
        `check(tmp)` runs before the file replaces the previous output."""
        if self.atlas is None:
            self.layout()
        target = self.output_path(out_dir)
        joiner = self.joiner
        joiner.copy_all(self.layouts)
        index = 0
        for chunk in self.plan:
            while index < self.starts[chunk.key]:
                joiner.blank()
                index += 1
            for page in joiner.pages(chunk.key):
                stamp = self.stamps[index]
                index += 1
                where = self.atlas.where(stamp.key) if stamp is not None else None
                if where is None:
                    joiner.page(page)
                else:
                    digest, number = where
                    joiner.page(page, joiner.form(digest, number, self.atlas.fragment))
        while index < self.spec.padded(self.total):
            joiner.blank()
            index += 1
        bookmarks = [(self.starts[chunk.key] + page, *rest) for chunk in self.plan
                     for page, *rest in self.layouts[chunk.key].bookmarks]
        with pikepdf.open(io.BytesIO(self.cache.data(self.shell))) as shell:
            self.stamp(shell)
            joiner.finish(shell, bookmarks, self.cache)
        with atomic_path(target) as tmp:
            joiner.book.save(tmp)
            if check is not None:
                check(tmp)
        return target


def font_fingerprint() -> str:
    """The installed fonts, as far as a layout can depend on them."""
    if not shutil.which("fc-list"):
        return ""
    out = subprocess.run(["fc-list", "--format", "%{file}|%{fontversion}\n"], capture_output=True, text=True,
                         check=False).stdout
    return "\n".join(sorted(out.splitlines()))
