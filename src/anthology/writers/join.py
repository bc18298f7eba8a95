"""The print PDF joined from its chunks' PDFs, copied in while the pool lays out.

Copying a chunk's pages (and reading their streams out of its PDF, so that it can be closed)
is most of the joining. `Joiner.step` does it for one chunk at a time, in a fixed order,
while the build waits for the pool, so that after an edit little is left to do once the
edited piece is laid out: put the pages in order, draw the folios, add the outline
(`PdfWriter.write`).
"""

from __future__ import annotations

import hashlib
import io

import pikepdf

from .chunks import ChunkLayout
from .fontmerge import Faces, Font


class Joiner:
    """The book's PDF being joined: each chunk's pages copied in once (again if its layout
    changes), not yet in the page tree.

    Chunks are copied in one fixed order, whatever order their layouts come in: pikepdf
    writes objects in the order they were made, and a build must give the same bytes whether
    its layouts came from the pool or the cache. The chunks that print other chunks' page
    numbers (contents, index) come last in it, since they may be laid out again late."""

    def __init__(self, order):
        self.pdf = pikepdf.new()
        self.order = list(order)
        self.next = 0  # where in the order the next chunk to copy is
        self.offered: dict[str, ChunkLayout] = {}  # the latest layout of each chunk
        self.copied: dict[str, tuple[ChunkLayout, list[pikepdf.Object], list[Font]]] = {}
        self.version = ""  # the shell's PDF version (finish_as)
        self.adopted: set = set()  # objects walked by `adopt`
        self.shared: dict[bytes, pikepdf.Object] = {}  # the one copy of each distinct stream
        self.faces = Faces()

    def offer(self, key: str, layout: ChunkLayout) -> None:
        """A chunk's layout, to copy in its turn."""
        if key in self.order:
            self.offered[key] = layout

    def step(self) -> bool:
        """Copy the next chunk in the order if its layout is known; False if it is not yet
        (or every chunk is copied)."""
        while self.next < len(self.order):
            key = self.order[self.next]
            if key not in self.offered:
                return False
            self.next += 1
            if self.copied.get(key, (None,))[0] is not self.offered[key]:
                self.copy(key, self.offered[key])
                return True
        return False

    def copy_all(self, layouts: dict[str, ChunkLayout]) -> None:
        """Copy, in the order, every chunk not copied yet or laid out again since."""
        for key in self.order:
            if self.copied.get(key, (None,))[0] is not layouts[key]:
                self.copy(key, layouts[key])
        self.next = len(self.order)

    def pages(self, key: str) -> list[pikepdf.Object]:
        """A copied chunk's pages in this PDF."""
        return self.copied[key][1]

    def copy(self, key: str, layout: ChunkLayout) -> None:
        with pikepdf.open(io.BytesIO(layout.pdf)) as part:
            fonts = self.faces.take(part, self.pdf)
            pages = [self.pdf.copy_foreign(page.obj) for page in part.pages]  # shared resources once
            for page in pages:
                if "/Annots" in page:
                    del page.Annots  # links to other chunks' pages: none in a print edition
            self.adopt(pages)
        layout.pdf = b""  # copied: the cache keeps the file, and a chunk's bytes add up in a long book
        self.copied[key] = (layout, pages, fonts)

    def fonts(self, keys) -> list[Font]:
        """The fonts of installed faces in these chunks' current pages, in their order (in which
        the first text found for a glyph is kept: see fontmerge)."""
        return [font for key in keys if key in self.copied for font in self.copied[key][2]]

    def adopt(self, objects) -> None:
        """Walk objects just copied in from another PDF: read their streams' data out of it (so
        that it can be closed: pikepdf reads a foreign stream only when saving), and keep one
        copy of identical streams (chunks carry their own colour profiles and images)."""
        todo = list(objects)
        while todo:
            obj = todo.pop()
            if isinstance(obj, pikepdf.Array):
                todo.extend(obj)
                continue
            if not isinstance(obj, (pikepdf.Dictionary, pikepdf.Stream)):
                continue
            if obj.is_indirect:
                if obj.objgen in self.adopted:
                    continue
                self.adopted.add(obj.objgen)
            if isinstance(obj, pikepdf.Stream):
                obj.write(obj.read_raw_bytes(), filter=obj.get("/Filter"), decode_parms=obj.get("/DecodeParms"),
                          type_check=False)
            for key, value in obj.items():
                if key == "/Parent":
                    continue
                if isinstance(value, pikepdf.Stream) and value.is_indirect:
                    value = obj[key] = self.share(value)
                todo.append(value)

    def share(self, stream: pikepdf.Stream) -> pikepdf.Stream:
        key = hashlib.sha256(stream.read_raw_bytes() + repr(sorted((k, repr(v)) for k, v in stream.items()
                                                                   if k != "/Length")).encode()).digest()
        return self.shared.setdefault(key, stream)

    def finish_as(self, shell: bytes) -> None:
        """Give the book the catalogue entries and document information of the shell WeasyPrint
        wrote (metadata, language, PDF/X output intent), and its PDF version."""
        with pikepdf.open(io.BytesIO(shell)) as source:
            copied = []
            for key, value in source.Root.items():
                if key not in ("/Type", "/Pages", "/Outlines", "/Names", "/PageMode"):
                    self.pdf.Root[key] = self.pdf.copy_foreign(value) if value.is_indirect else copy_direct(self.pdf, value)
                    copied.append(self.pdf.Root[key])
            self.pdf.docinfo = self.pdf.copy_foreign(source.docinfo)
            self.adopt(copied)
            self.version = source.pdf_version


def copy_direct(pdf: pikepdf.Pdf, value: pikepdf.Object) -> pikepdf.Object:
    """A direct object of another PDF, its indirect parts copied (copy_foreign takes indirect ones)."""
    if isinstance(value, pikepdf.Array):
        return pikepdf.Array([pdf.copy_foreign(v) if v.is_indirect else copy_direct(pdf, v) for v in value])
    if isinstance(value, pikepdf.Dictionary):
        return pikepdf.Dictionary({k: pdf.copy_foreign(v) if v.is_indirect else copy_direct(pdf, v)
                                   for k, v in value.items()})
    return value


def add_blank(pdf: pikepdf.Pdf) -> None:
    """A truly blank page, with the boxes of the page two before it (the same side)."""
    model = pdf.pages[-2] if len(pdf.pages) > 1 else pdf.pages[-1]
    page = pdf.add_blank_page(page_size=(float(model.mediabox[2] - model.mediabox[0]),
                                         float(model.mediabox[3] - model.mediabox[1])))
    for box in ("/MediaBox", "/CropBox", "/BleedBox", "/TrimBox", "/ArtBox"):
        if box in model.obj:
            page.obj[box] = pikepdf.Array(list(model.obj[box]))


def content(page: pikepdf.Object) -> bytes:
    """A page's content, its streams joined."""
    contents = page.get("/Contents")
    streams = list(contents) if isinstance(contents, pikepdf.Array) else [contents] if contents is not None else []
    return b"\n".join(stream.read_bytes() for stream in streams)


def overlay(page: pikepdf.Page, form: pikepdf.Object, wrappers: tuple[pikepdf.Object, pikepdf.Object]) -> None:
    """Draw a folio over a page, under a fixed resource name (pikepdf's own add_overlay picks
    random names, which would make builds differ). The page's content is left as it is,
    between two streams every page shares: `q` before it, `Q q /Folio Do Q` after it."""
    resources = page.obj.get("/Resources", pikepdf.Dictionary())
    page.obj.Resources = pikepdf.Dictionary({k: v for k, v in resources.items()})  # pages share WeasyPrint's
    xobjects = page.obj.Resources.get("/XObject", pikepdf.Dictionary())
    page.obj.Resources.XObject = pikepdf.Dictionary({k: v for k, v in xobjects.items()})
    page.add_resource(form, pikepdf.Name.XObject, pikepdf.Name("/Folio"), replace_existing=True)
    before, after = wrappers
    contents = page.obj.get("/Contents")
    streams = list(contents) if isinstance(contents, pikepdf.Array) else [contents] if contents is not None else []
    page.obj.Contents = pikepdf.Array([before, *streams, after])
