"""The print PDF assembled with pikepdf (qpdf) from its chunks' PDFs, while the pool lays out.

Each chunk's pages are copied into the book in a fixed order, one chunk each time the build
would otherwise wait for the pool; identical objects (colour profiles, images, the footnote
rule's group, graphics states) are kept once, by a digest of their content and of all they
refer to. Once every page's place is known, the pages go into the page tree in book order,
blank versos among them, each with its folio drawn over it from the atlas (folios.py); the
faces are subset once for the whole book (fonts.py); the shell WeasyPrint wrote gives the
book its identity (metadata, language, PDF/X output intent), and the outline is written with
pikepdf's own outline API.
"""

from __future__ import annotations

import hashlib
import io

import pikepdf
from pikepdf import Array, Dictionary, Name, Stream

from ...cachestore import CacheDamaged
from ...pdfx import bare_fonts
from .cache import Cache, ChunkLayout
from .fonts import Faces

BOXES = ("/MediaBox", "/CropBox", "/BleedBox", "/TrimBox", "/ArtBox")
SHELL_LEFT_OUT = {"/Type", "/Pages", "/Outlines", "/Names", "/PageMode"}  # the book has its own


class Interned:
    """One copy of identical objects: each indirect object reachable from what is offered is
    known by a digest of its content and of the digests of what it refers to (so two copies
    of one image in two chunks are one), and a reference to a copy is made a reference to
    the first one. An object within a reference cycle is left as it is."""

    def __init__(self):
        self.first: dict[bytes, pikepdf.Object] = {}
        self.digests: dict[tuple[int, int], bytes | None] = {}

    def offer(self, obj: pikepdf.Object, skip=()) -> None:
        """Intern what a container (a page, a resource dictionary) refers to."""
        self._walk(obj, skip)

    def _digest(self, obj) -> bytes | None:
        """The digest of any value; None within a reference cycle."""
        if isinstance(obj, pikepdf.Object) and obj.is_indirect:
            return self._indirect(obj)
        if isinstance(obj, (Dictionary, Array, Stream)):
            return self._walk(obj)
        if isinstance(obj, pikepdf.Object):
            return obj.unparse()
        return repr(obj).encode()

    def _indirect(self, obj: pikepdf.Object) -> bytes | None:
        key = obj.objgen
        if key in self.digests:
            return self.digests[key]
        self.digests[key] = None  # until known: a cycle leaves it None
        found = self._walk(obj)
        if found is not None:
            self.first.setdefault(found, obj)
        self.digests[key] = found
        return found

    def _walk(self, obj, skip=()) -> bytes | None:
        """The digest of a container's content, each reference in it replaced by the first
        copy of what it refers to."""
        h = hashlib.sha256()
        known = True
        if isinstance(obj, Array):
            h.update(b"[")
            for i, item in enumerate(obj):
                part = self._digest(item)
                self._swap(obj, i, item, part)
                known = known and part is not None
                h.update(b"\0" + (part or b""))
        else:
            h.update(b"<<")
            for name in sorted(obj.keys()):
                if name in skip or (isinstance(obj, Stream) and name == "/Length"):
                    continue
                item = obj[name]
                part = self._digest(item)
                self._swap(obj, name, item, part)
                known = known and part is not None
                h.update(b"\0" + name.encode() + b"\0" + (part or b""))
            if isinstance(obj, Stream):
                h.update(b"stream\0" + obj.read_raw_bytes())
        return h.digest() if known else None

    def _swap(self, container, where, item, digest: bytes | None) -> None:
        if digest is None or not (isinstance(item, pikepdf.Object) and item.is_indirect):
            return
        first = self.first.get(digest)
        if first is not None and first.objgen != item.objgen:
            container[where] = first


class Assembly:
    """The book's PDF being assembled: each chunk's pages copied once, in one fixed order,
    whatever order their layouts come in, so that a build gives the same bytes whether its
    layouts came from the pool or the cache. The chunks that print other chunks' page numbers
    (contents, index) come last (`late`): they may be laid out again once every page count
    is known."""

    def __init__(self, order, late=(), cache: Cache | None = None, variant: str | None = None):
        self.order = list(order)
        self.late = set(late)
        self.cache = cache or Cache(None)
        self.variant = variant
        self.offered: dict[str, ChunkLayout] = {}  # the latest layout of each chunk
        self._start()

    def _start(self) -> None:
        self.book = pikepdf.new()
        self.sources: list[pikepdf.Pdf] = []  # open until the book is saved: qpdf copies their streams then
        self.next = 0  # where in the order the next chunk to copy is
        self.written: dict[str, ChunkLayout] = {}
        self.copied: dict[str, list[pikepdf.Object]] = {}  # each chunk's pages in the book
        self.interned = Interned()
        self.fonts = Faces()
        self.atlases: dict[str, pikepdf.Pdf] = {}
        self.forms: dict[tuple[str, int], pikepdf.Object] = {}
        self.sequence: list[pikepdf.Object] = []  # the pages in book order, once placed
        self.wrappers: tuple[Stream, Stream] | None = None

    def offer(self, key: str, layout: ChunkLayout) -> None:
        """A chunk's layout, to copy in its turn."""
        if key in self.order:
            self.offered[key] = layout

    def step(self) -> bool:
        """Copy the next chunk in the order if its layout is known; False if it is not yet,
        or it is one of the late ones (or every chunk is copied)."""
        if self.next < len(self.order):
            key = self.order[self.next]
            if key in self.late or key not in self.offered:
                return False
            self.next += 1
            self.add(key, self.offered[key])
            return True
        return False

    def copy_all(self, layouts: dict[str, ChunkLayout]) -> None:
        """Copy every chunk not copied yet, in the order; start again if one copied was laid
        out again since (a wider gutter: every chunk was)."""
        if any(layout is not layouts[key] for key, layout in self.written.items()):
            self.close()
            self._start()
        for key in self.order:
            if key not in self.written:
                self.add(key, layouts[key])
        self.next = len(self.order)

    def pages(self, key: str) -> list[pikepdf.Object]:
        return self.copied[key]

    def open(self, layout: ChunkLayout) -> pikepdf.Pdf:
        """A layout's PDF, kept open until the book is saved; one read from the cache that is
        not a PDF is damaged."""
        data = self.cache.data(layout)
        try:
            pdf = pikepdf.open(io.BytesIO(data))
        except pikepdf.PdfError:
            if layout.data:
                raise
            self.cache.store.discard(self.cache.store.blob_path(layout.blob))
            raise CacheDamaged("a layout in the cache was damaged: build again") from None
        self.sources.append(pdf)
        return pdf

    def add(self, key: str, layout: ChunkLayout) -> None:
        pdf = self.open(layout)
        pages = []
        for page in pdf.pages:
            copy = self.book.copy_foreign(page.obj)
            if "/Annots" in copy:  # links: none in print
                del copy["/Annots"]
            self.fonts.take(copy, layout.faces)
            self.interned.offer(copy, skip=("/Parent",))
            pages.append(copy)
        self.copied[key] = pages
        self.written[key] = layout

    # --- the pages, once placed ---------------------------------------------------------------
    def form(self, digest: str, page: int, atlas) -> pikepdf.Object:
        """The form XObject of a folio: a page of an atlas document (folios.py), whose layout
        `atlas(digest)` gives when the book first wants one of its pages."""
        if (digest, page) not in self.forms:
            if digest not in self.atlases:
                self.atlases[digest] = self.open(atlas(digest))
            source = self.atlases[digest]
            form = self.book.copy_foreign(pikepdf.Page(source.pages[page]).as_form_xobject())
            self.fonts.take(form, atlas(digest).faces)
            self.interned.offer(form)
            self.forms[digest, page] = form
        return self.forms[digest, page]

    def page(self, page: pikepdf.Object, folio: pikepdf.Object | None = None) -> None:
        """Place a page, its folio drawn over it (between two streams every page shares: `q`
        before its content, `Q q /Folio Do Q` after)."""
        if folio is not None:
            if self.wrappers is None:
                self.wrappers = (self.book.make_stream(b"q\n"), self.book.make_stream(b"\nQ q /Folio Do Q\n"))
            resources = Dictionary(page.get("/Resources", Dictionary()))  # its own: pages share theirs
            xobjects = Dictionary(resources.get("/XObject", Dictionary()))
            xobjects.Folio = folio
            resources.XObject = xobjects
            page.Resources = resources
            contents = page.get("/Contents")
            streams = list(contents) if isinstance(contents, Array) else [contents] if contents is not None else []
            page.Contents = Array([self.wrappers[0], *streams, self.wrappers[1]])
        self.sequence.append(page)

    def blank(self) -> None:
        """A truly blank page, with the boxes of the page two before it (the same side)."""
        model = self.sequence[-2] if len(self.sequence) > 1 else self.sequence[-1]
        page = Dictionary(Type=Name.Page, Resources=Dictionary())
        for box in BOXES:
            if box in model:
                page[box] = Array(list(model[box]))
        self.sequence.append(self.book.make_indirect(page))

    # --- the end --------------------------------------------------------------------------------
    def finish(self, shell: pikepdf.Pdf, bookmarks) -> pikepdf.Pdf:
        """The page tree, the faces subset once, the outline, and the shell's identity
        (catalogue entries and document information): the book, to save."""
        book = self.book
        for page in self.sequence:
            book.pages.append(pikepdf.Page(page))
        self.fonts.finish(book, self.cache)
        if self.variant == "pdf/x-1a":
            bare_fonts(book)  # PDF 1.4 knows CFF, not OpenType (pdfx.py)
        for name, value in shell.Root.items():
            if name not in SHELL_LEFT_OUT:
                book.Root[name] = book.copy_foreign(value if value.is_indirect else shell.make_indirect(value))
        info = shell.trailer.get("/Info")
        if info is not None:
            book.trailer.Info = book.copy_foreign(info if info.is_indirect else shell.make_indirect(info))
        self.outline(bookmarks)
        return book

    def outline(self, bookmarks) -> None:
        """The outline of (page, level, label, x, y, closed) bookmarks in book order: each under
        the last one before it of a higher level (a smaller number), as WeasyPrint nests them."""
        with self.book.open_outline() as outline:
            stack: list[tuple[int, list]] = [(0, outline.root)]
            for page, level, label, x, y, closed in bookmarks:
                item = pikepdf.OutlineItem(label, page, pikepdf.PageLocation.XYZ, left=x, top=y)
                item.is_closed = bool(closed)
                while stack[-1][0] >= level:
                    stack.pop()
                stack[-1][1].append(item)
                stack.append((level, item.children))

    def close(self) -> None:
        for pdf in self.sources:
            pdf.close()
        self.book.close()
