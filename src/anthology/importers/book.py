"""`anthology import BOOK.epub` (or a Standard Ebooks source folder): a whole book as a new manuscript.

Each document of the spine becomes a piece (`text/<name>.md`), the table of contents gives
the pieces' titles and the parts, endnotes become each piece's footnotes, epigraphs its
leading block quotes, images are copied into `images/`, and the package's metadata goes to
`anthology.yml`. Boilerplate (title page, imprint, colophon, copyright page, contents, notes
pages) is left out: the build makes its own. The manuscript is written to a temporary folder,
loaded as a build would load it, and only then renamed into place.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from ..errors import AnthologyError, ManuscriptError
from ..readers.body import slugify
from ..readers.manuscript import CONFIG_NAME, book_slug, load
from .images import EXTENSIONS
from .markdown import escape, front_matter_block, yaml_scalar
from .navigation import Entry, read_toc
from .opf import Metadata, PackageDocument, Person, read_package_document
from .package import Package, PackageError, inside, open_package, parse_xml
from .xhtml import XHTML, Converter, heading_text, local, plain_text, types

BOILERPLATE = {"titlepage", "halftitlepage", "imprint", "colophon", "copyright-page", "toc", "landmarks", "loi",
               "lot", "cover", "index", "page-list", "doc-toc", "doc-index"}
NOTES = {"endnotes", "footnotes", "rearnotes", "doc-endnotes"}
PART = {"part", "division", "volume", "doc-part"}
HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6", "header", "hgroup")
SUBTITLE = {"subtitle", "se:bridgehead", "doc-subtitle"}
HEADER_LINES = {"series-line", "piece-subtitle", "byline"}  # classes of Anthology's piece headers
# MARC roles of a contributor who wrote a piece of the front or back matter, by the piece's type
WRITERS = {"introduction": {"win", "aui"}, "preface": {"wpr"}, "foreword": {"wfw"}, "afterword": {"aft"}}


class BookImportError(AnthologyError):
    """The book could not be imported; nothing was written."""


@dataclass
class Piece:
    source: str  # the document's path inside the publication
    name: str  # file name in the manuscript, without .md
    title: str  # Markdown
    subtitle: str | None = None
    series: str | None = None
    authors: list[str] = field(default_factory=list)
    epigraphs: list[str] = field(default_factory=list)
    blocks: list[str] = field(default_factory=list)
    notes: list[tuple[str, str]] = field(default_factory=list)  # (label, Markdown)
    part: str | None = None


@dataclass
class Book:
    source: Path
    metadata: Metadata
    pieces: list[Piece] = field(default_factory=list)
    images: dict[str, bytes] = field(default_factory=dict)  # manuscript path → bytes
    skipped: list[str] = field(default_factory=list)
    doubts: list[str] = field(default_factory=list)

    @property
    def notes(self) -> int:
        return sum(len(p.notes) for p in self.pieces)

    @property
    def parts(self) -> list[str]:
        return list(dict.fromkeys(p.part for p in self.pieces if p.part))


@dataclass
class Document:
    path: str
    root: etree._Element
    ids: dict[str, etree._Element]

    @property
    def body(self) -> etree._Element:
        body = self.root.find(f"{{{XHTML}}}body")
        return body if body is not None else self.root

    @property
    def kinds(self) -> set[str]:
        """The types of the body and of its top-level sections: what the document is."""
        found = types(self.body)
        for el in self.body:
            if local(el) in ("section", "article", "div"):
                found |= types(el)
        return found


class BookReader:
    def __init__(self, package: Package, source: Path):
        self.package = package
        self.opf: PackageDocument = read_package_document(package)
        self.book = Book(source, self.opf.metadata)
        self.documents: dict[str, Document] = {}
        self.toc = read_toc(package, self.opf)
        self.titles: dict[str, str] = {}
        self.parts: dict[str, str] = {}
        self.image_names: dict[str, str] = {}  # path in the publication → path in the manuscript
        self._read_toc(self.toc)

    # --- the table of contents ----------------------------------------------------------------
    def _read_toc(self, entries: list[Entry]) -> None:
        """Titles of whole documents, and the part each belongs to (the outermost that holds it)."""
        for entry in entries:
            if entry.path and entry.fragment is None and entry.title:
                self.titles.setdefault(entry.path, entry.title)
            whole = [e for child in entry.children for e in child.walk() if e.path and e.fragment is None]
            if whole and self._is_part(entry):
                for e in whole:
                    self.parts.setdefault(e.path, entry.title)
                self.parts.setdefault(entry.path or "", entry.title)
            self._read_toc(entry.children)

    def _is_part(self, entry: Entry) -> bool:
        """An entry with whole documents under it is a part, unless it is the half-title page
        (Standard Ebooks hangs the chapters of a book without parts under it)."""
        if entry.path is None:
            return True
        doc = self.document(entry.path)
        return doc is None or not (doc.kinds & {"halftitlepage"})

    # --- documents ----------------------------------------------------------------------------
    def document(self, path: str) -> Document | None:
        if path not in self.documents:
            try:
                data = self.package.read(path)
            except PackageError as exc:
                self.book.doubts.append(str(exc))
                self.documents[path] = None
                return None
            root = parse_xml(data, self.package.where(path))
            ids = {el.get("id"): el for el in root.iter() if isinstance(el.tag, str) and el.get("id")}
            self.documents[path] = Document(path, root, ids)
        return self.documents[path]

    def read(self) -> Book:
        carried: list[str] = []
        names: set[str] = set()
        for item in self.opf.spine:
            if item is self.opf.nav or not item.media_type.endswith(("xhtml+xml", "html")):
                continue
            doc = self.document(item.href)
            if doc is None:
                continue
            kinds = doc.kinds
            generated = any("generated" in (el.get("class") or "").split() for el in doc.body.iter(f"{{{XHTML}}}section"))
            if kinds & BOILERPLATE or generated or self._only_notes(doc) or (kinds & PART and not self._text_after_heading(doc)):
                self.book.skipped.append(item.href)
                continue
            piece = self.piece(doc, names)
            if not piece.blocks:
                if piece.epigraphs:  # an epigraph page: the epigraph of what follows
                    carried += piece.epigraphs
                else:
                    self.book.skipped.append(item.href)
                continue
            piece.epigraphs = carried + piece.epigraphs
            carried = []
            names.add(piece.name)
            self.book.pieces.append(piece)
        if carried:
            self.book.doubts.append(f"{self.package.name}: an epigraph page at the end of the book has no piece "
                                    "after it to open; it was left out")
        return self.book

    @staticmethod
    def _text_after_heading(doc: Document) -> bool:
        """Whether a part's page has text of its own (a part number before its title is not)."""
        seen = False
        for el in doc.body.iter():
            if not isinstance(el.tag, str):
                continue
            seen = seen or local(el) in ("h1", "h2", "h3", "h4", "h5", "h6")
            if seen and local(el) == "p" and plain_text(el):
                return True
        return False

    def _only_notes(self, doc: Document) -> bool:
        sections = [el for el in doc.body if isinstance(el.tag, str)]
        return bool(sections) and all(types(el) & NOTES for el in sections)

    # --- one piece ----------------------------------------------------------------------------
    def piece(self, doc: Document, names: set[str]) -> Piece:
        top = doc.body
        content = [el for el in top if isinstance(el.tag, str)]
        while len(content) == 1 and local(content[0]) in ("section", "article", "div", "main") \
                and not types(content[0]) & {"epigraph", "doc-epigraph"}:
            top = content[0]
            content = [el for el in top if isinstance(el.tag, str)]
        heading = next((el for el in content if local(el) in HEADINGS), None)
        if heading is not None and any(local(el) == "p" and not self._header_line(el)
                                       for el in content[:content.index(heading)]):
            heading = None  # a heading after the text begins is a section of the piece
        labels: dict[int, str] = {}
        order: list[etree._Element] = []
        converter = Converter(lambda href: self._note(doc, href, labels, order), lambda src, alt, cap: self._image(doc, src))
        subtitle = series = None
        authors: list[str] = []
        title = ""
        if heading is not None:
            for el in list(heading.iter()):  # Anthology's own EPUB: series line, subtitle, byline
                cls = set((el.get("class") or "").split()) if isinstance(el.tag, str) else set()
                if el is not heading and cls & HEADER_LINES:
                    text = converter.inline(el)
                    series = text if "series-line" in cls else series
                    subtitle = text if "piece-subtitle" in cls else subtitle
                    authors = [text] if "byline" in cls else authors
                    el.getparent().remove(el)
            title = heading_text(heading, converter.inline) if local(heading) in ("header", "hgroup") \
                else converter.inline(heading).replace("  \n", " ")
            for el in heading.iter():
                if el is not heading and isinstance(el.tag, str) and types(el) & SUBTITLE:
                    subtitle = converter.inline(el).replace("  \n", " ")
            heading.getparent().remove(heading)
        toc_title = self.titles.get(doc.path)
        if toc_title:
            title = escape(toc_title)
        if not title:
            head_title = doc.root.find(f"{{{XHTML}}}head/{{{XHTML}}}title")
            title = escape(plain_text(head_title)) if head_title is not None and plain_text(head_title) else ""
        if not title:
            title = "Untitled"
            self.book.doubts.append(f"{self.package.where(doc.path)}: no title found: 'Untitled' was used")
        for kind, roles in WRITERS.items():
            if kind in doc.kinds and not authors:
                authors = [p.name for p in self.book.metadata.contributors if set(p.roles) & roles]
        blocks = converter.blocks(top, 0)
        notes = []
        done = 0
        while done < len(order):  # a note may call another note
            el = order[done]
            done += 1
            text = converter.note(el)
            if not text:
                self.book.doubts.append(f"{self.package.where(doc.path)}: note {labels[id(el)]} has no text")
                text = "\u2060"
            notes.append((labels[id(el)], text))
        name = _unique(slugify(Path(doc.path).stem), names)
        return Piece(doc.path, name, title, subtitle, series, authors, converter.epigraphs, blocks, notes,
                     self.parts.get(doc.path))

    @staticmethod
    def _header_line(el: etree._Element) -> bool:
        return bool(types(el) & (SUBTITLE | {"title"}))

    def _note(self, doc: Document, href: str, labels: dict[int, str], order: list[etree._Element]) -> str | None:
        path = doc.path if href.startswith("#") else inside(doc.path, href)
        fragment = href.split("#", 1)[1] if "#" in href else ""
        target_doc = self.document(path) if path else None
        target = target_doc.ids.get(fragment) if target_doc is not None else None
        if target is None:
            self.book.doubts.append(f"{self.package.where(doc.path)}: a note reference to '{href}', which is not "
                                    "in the book: left out")
            return None
        while local(target) in ("a", "span", "sup", "b", "i", "em", "strong") and target.getparent() is not None:
            target = target.getparent()
        if id(target) not in labels:
            number = re.search(r"(\d+)$", fragment)
            label = number.group(1) if number else str(len(labels) + 1)
            while label in labels.values():
                label += "a"
            labels[id(target)] = label
            order.append(target)
        return labels[id(target)]

    def _image(self, doc: Document, src: str) -> str | None:
        """Copy an image into the manuscript's images/ (once, however often it is shown)."""
        path = inside(doc.path, src)
        ext = Path(path or "").suffix.lower().lstrip(".")
        if not path or ext not in EXTENSIONS:
            self.book.doubts.append(f"{self.package.where(doc.path)}: image '{src}' left out: not a file of the "
                                    "book in a format the build takes (PNG, JPEG, GIF, WebP, SVG)")
            return None
        if path in self.image_names:
            return "../" + self.image_names[path]
        name = f"images/{_unique(slugify(Path(path).stem), {Path(n).stem for n in self.book.images})}.{EXTENSIONS[ext]}"
        try:
            self.book.images[name] = self.package.read(path)
        except PackageError as exc:
            self.book.doubts.append(f"{self.package.where(doc.path)}: image left out: {exc}")
            return None
        self.image_names[path] = name
        return "../" + name


def _unique(name: str, taken: set[str]) -> str:
    if name not in taken:
        return name
    n = 2
    while f"{name}-{n}" in taken:
        n += 1
    return f"{name}-{n}"


# --- writing the manuscript ---------------------------------------------------------------------
def piece_markdown(piece: Piece) -> str:
    head = front_matter_block(piece.title, piece.subtitle, piece.authors, series=piece.series)
    chunks = [head] + piece.epigraphs + piece.blocks
    for label, text in piece.notes:
        first, *rest = text.split("\n")
        chunks.append(f"[^{label}]: {first}" + "".join("\n    " + line if line.strip() else "\n" for line in rest))
    return "\n\n".join(chunks) + "\n"


def _person(p: Person) -> str:
    if p.file_as and p.file_as != p.name:
        return f"  - name: {yaml_scalar(p.name)}\n    file_as: {yaml_scalar(p.file_as)}"
    return f"  - {yaml_scalar(p.name)}"


def config_yaml(book: Book, source: str) -> str:
    m = book.metadata
    lines = [f"# Imported from {os.path.basename(source.rstrip('/'))} by anthology import.",
             f"title: {yaml_scalar(m.title or 'Untitled')}"]
    if m.subtitle:
        lines.append(f"subtitle: {yaml_scalar(m.subtitle)}")
    if m.editors:
        lines.append("editors:")
        lines += [f"  - {yaml_scalar(p.name)}" for p in m.editors]
    if m.authors:
        lines.append("authors:")
        lines += [_person(p) for p in m.authors]
    lines.append(f"language: {m.language}")
    for key in ("date", "identifier", "description"):
        value = getattr(m, key)
        if value:
            lines.append(f"{key}: {yaml_scalar(value)}")
    if m.subjects:
        lines.append("subjects:")
        lines += [f"  - {yaml_scalar(s)}" for s in m.subjects]
    lines.append("contents:")
    current = None
    for piece in book.pieces:
        entry = yaml_scalar(f"text/{piece.name}.md")
        if piece.part != current and piece.part:
            lines += [f"  - part: {yaml_scalar(piece.part)}", "    pieces:"]
        current = piece.part
        lines.append(f"      - {entry}" if piece.part else f"  - {entry}")
    return "\n".join(lines) + "\n"


@dataclass
class BookResult:
    book: Book
    written: Path

    def report(self) -> str:
        b = self.book

        def n(count: int, word: str) -> str:
            return f"{count} {word}{'' if count == 1 else 's'}"
        counts = ", ".join([n(len(b.pieces), "piece"), n(len(b.parts), "part"), n(b.notes, "note"),
                            n(sum(len(p.epigraphs) for p in b.pieces), "epigraph"), n(len(b.images), "image")])
        out = [f"{b.source}: imported as a book: “{b.metadata.title}”: {counts}", f"  wrote {self.written}"]
        if b.skipped:
            out.append("  left out (the build makes its own): " + ", ".join(b.skipped))
        if b.doubts:
            out.append("  unsure — please check:")
            out += [f"    {d}" for d in b.doubts]
        return "\n".join(out)


def read_book(path: Path) -> Book:
    package = open_package(Path(path))
    return BookReader(package, Path(path)).read()


def import_book(path: Path, into: Path | None = None) -> BookResult:
    """Import the EPUB or source folder at `path` as a new manuscript in `into` (a new or empty
    folder; default: the book's slug in the working folder)."""
    book = read_book(path)
    if not book.pieces:
        raise BookImportError(f"{path}: no text found in the book's spine; nothing was written")
    target = Path(into) if into is not None else Path.cwd() / (book_slug(book.metadata.title) or "book")
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise BookImportError(f"{target}: already exists and is not empty: import into a new folder")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f".{target.name}.{os.getpid()}.import.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        (tmp / "text").mkdir(parents=True)
        (tmp / CONFIG_NAME).write_text(config_yaml(book, str(path)), encoding="utf-8")
        for piece in book.pieces:
            (tmp / "text" / f"{piece.name}.md").write_text(piece_markdown(piece), encoding="utf-8")
        for name, data in book.images.items():
            (tmp / name).parent.mkdir(parents=True, exist_ok=True)
            (tmp / name).write_bytes(data)
        try:
            load(tmp)
        except ManuscriptError as exc:
            problems = "; ".join(f"{Path(d.path).name}:{d.line}: {d.message}" for d in exc.diagnostics.errors)
            raise BookImportError(f"{path}: the imported manuscript does not load ({problems}); nothing was written") from None
        if target.exists():
            target.rmdir()
        tmp.rename(target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return BookResult(book, target)
