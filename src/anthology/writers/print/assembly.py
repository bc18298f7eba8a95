"""The print PDF joined from its chunks' fragments, written while the pool lays out.

Each chunk's objects go to the book's file (bookfile.py) in a fixed order, one chunk each
time the build would otherwise wait for the pool; only its pages' dictionaries are kept, to
be written once every page's place and folio is known (`PdfWriter.write`). So the memory a
build takes does not grow with the book, and after an edit little is left to do once the
edited piece is laid out: the pages, the folios, the outline, the fonts, the catalogue.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import astuple

import pikepdf

from ...cachestore import CacheDamaged
from ...pdfx import bare_cff
from .bookfile import BookFile
from .cache import Cache, ChunkLayout
from .fonts import Merged
from .fragment import Fragment, PageText, shell_fragment, unpack

PLACE = re.compile(rb"\0([LG])([^\0]*)\0")  # see fragment.py


class Joiner:
    """The book's PDF being written: each chunk's objects once, in one fixed order, whatever
    order their layouts come in, so that a build gives the same bytes whether its layouts came
    from the pool or the cache. The chunks that print other chunks' page numbers (contents,
    index) come last (`late`): they may be laid out again once every page count is known."""

    def __init__(self, order, late=(), cache: Cache | None = None, classic: bool = False):
        self.order = list(order)
        self.classic = classic  # PDF/X-1a: a PDF 1.4 file, no object or cross-reference streams
        self.late = set(late)
        self.cache = cache or Cache(None)
        self.offered: dict[str, ChunkLayout] = {}  # the latest layout of each chunk
        self._start()

    def _start(self) -> None:
        if getattr(self, "book", None) is not None:
            self.book.close()
        self.book = BookFile(classic=self.classic)
        self.next = 0  # where in the order the next chunk to write is
        self.written: dict[str, ChunkLayout] = {}
        self.page_texts: dict[str, list[PageText]] = {}
        self.shared: dict[bytes, int] = {}  # by digest: the one copy of identical objects (fragment.py)
        self.named: dict[bytes, int] = {}  # the objects the whole book shares (fonts, page tree)
        self.fonts = Merged()
        self.atlases: dict[str, list[tuple[bytes, bytes]]] = {}  # each folio atlas's forms
        self.forms: dict[tuple[str, int], int] = {}
        self.kids: list[int] = []
        self.boxes: list[bytes] = []  # of the last two pages

    def offer(self, key: str, layout: ChunkLayout) -> None:
        """A chunk's layout, to write in its turn."""
        if key in self.order:
            self.offered[key] = layout

    def step(self) -> bool:
        """Write the next chunk in the order if its layout is known; False if it is not yet,
        or it is one of the late ones (or every chunk is written)."""
        if self.next < len(self.order):
            key = self.order[self.next]
            if key in self.late or key not in self.offered:
                return False
            self.next += 1
            self.add(key, self.offered[key])
            return True
        return False

    def copy_all(self, layouts: dict[str, ChunkLayout]) -> None:
        """Write every chunk not written yet, in the order; start again if one written was
        laid out again since (a wider gutter: every chunk was)."""
        if any(layout is not layouts[key] for key, layout in self.written.items()):
            self._start()
        for key in self.order:
            if key not in self.written:
                self.add(key, layouts[key])
        self.next = len(self.order)

    def pages(self, key: str) -> list[PageText]:
        return self.page_texts[key]

    def fragment(self, layout: ChunkLayout) -> Fragment:
        return read_fragment(self.cache, layout.blob, self.cache.data(layout), not layout.data)

    def add(self, key: str, layout: ChunkLayout) -> None:
        fragment = self.fragment(layout)
        numbers = self.write_objects(fragment.objects)
        self.page_texts[key] = [PageText(*(self.resolve(part, numbers) for part in astuple(page)))
                                for page in fragment.pages]
        self.fonts.add(fragment.fonts)
        self.written[key] = layout

    def write_objects(self, objects) -> list[int]:
        """Number a fragment's objects (one copy of identical ones in the book) and write them."""
        numbers, new = [], []
        for text, data, digest in objects:
            number = self.shared.get(digest) if digest is not None else None
            if number is None:
                number = self.book.reserve()
                new.append(len(numbers))
                if digest is not None:
                    self.shared[digest] = number
            numbers.append(number)
        for i in new:
            text, data, _ = objects[i]
            text = self.resolve(text, numbers)
            if data is None:
                self.book.add(numbers[i], text)
            else:
                self.book.add_stream(numbers[i], text, data)
        return numbers

    def resolve(self, text: bytes, numbers: list[int]) -> bytes:
        def sub(match: re.Match) -> bytes:
            if match.group(1) == b"L":
                return b"%d 0 R" % numbers[int(match.group(2))]
            return b"%d 0 R" % self.global_(match.group(2))
        return PLACE.sub(sub, text)

    def global_(self, name: bytes) -> int:
        """The number of an object the whole book shares, written at the end (`finish`)."""
        if name not in self.named:
            self.named[name] = self.book.reserve()
        return self.named[name]

    # --- the pages, once placed ---------------------------------------------------------------
    def form(self, digest: str, page: int, atlas) -> int:
        """The form XObject of a folio: a page of an atlas document (folios.py), whose fragment
        `atlas(digest)` reads when the book first wants one of its pages."""
        if digest not in self.atlases:
            blob, data = atlas(digest)
            fragment = read_fragment(self.cache, blob, data, bool(blob))
            numbers = self.write_objects(fragment.objects)
            self.fonts.add(fragment.fonts)
            self.atlases[digest] = [(self.resolve(d, numbers), data) for d, data in fragment.forms]
        if (digest, page) not in self.forms:
            self.forms[digest, page] = number = self.book.reserve()
            self.book.add_stream(number, *self.atlases[digest][page])
        return self.forms[digest, page]

    def page(self, text: PageText, folio: int | None = None) -> None:
        """Write a page, its folio drawn over it (between two streams every page shares:
        `q` before its content, `Q q /Folio Do Q` after)."""
        xobjects, contents = text.xobjects, text.contents
        if folio is not None:
            xobjects += b" /Folio %d 0 R" % folio
            contents = b"%d 0 R %s %d 0 R" % (self.wrapper(b"before", b"q\n"), contents,
                                              self.wrapper(b"after", b"\nQ q /Folio Do Q\n"))
        resources = text.resources + (b" /XObject << %s >>" % xobjects if xobjects else b"")
        self._page(b"%s %s /Resources << %s >> /Contents [ %s ]" % (text.boxes, text.head, resources, contents),
                   text.boxes)

    def blank(self) -> None:
        """A truly blank page, with the boxes of the page two before it (the same side)."""
        boxes = self.boxes[0]
        self._page(b"%s /Resources << >>" % boxes, boxes)

    def _page(self, entries: bytes, boxes: bytes) -> None:
        number = self.book.reserve()
        self.book.add(number, b"<< /Type /Page /Parent %d 0 R %s >>" % (self.global_(b"pages"), entries))
        self.kids.append(number)
        self.boxes = (self.boxes + [boxes])[-2:]

    def wrapper(self, name: bytes, data: bytes) -> int:
        if name not in self.named:
            self.book.add_stream(self.global_(name), b"<< >>", data)
        return self.named[name]

    # --- the end --------------------------------------------------------------------------------
    def finish(self, shell: pikepdf.Pdf, bookmarks, cache: Cache) -> None:
        """The fonts, page tree, outline and catalogue, the shell's identity (metadata,
        language, PDF/X output intent) and document information, and the cross-reference."""
        for face, program, widths, unicode in self.fonts.faces(cache):
            prefix = b"font/" + face.encode()
            subtype = b"/OpenType"
            if self.classic and (cff := bare_cff(program)) is not None:  # PDF 1.4 knows CFF, not OpenType
                program, subtype = cff, b"/CIDFontType0C"
            self.book.add_stream(self.global_(prefix + b"/program"), b"<< /Subtype %s /Filter /FlateDecode >>" % subtype,
                                 zlib.compress(program))
            self.book.add(self.global_(prefix + b"/widths"), widths)
            self.book.add_stream(self.global_(prefix + b"/unicode"), b"<< /Filter /FlateDecode >>",
                                 zlib.compress(unicode))
        self.book.add(self.global_(b"pages"), b"<< /Type /Pages /Kids [ %s ] /Count %d >>"
                      % (b" ".join(b"%d 0 R" % k for k in self.kids), len(self.kids)))
        fragment = shell_fragment(shell)
        numbers = self.write_objects(fragment.objects)
        catalog, info = self.resolve(fragment.catalog, numbers), self.resolve(fragment.info, numbers)
        outline = self.outline(bookmarks)
        root = self.book.reserve()
        self.book.add(root, b"<< /Type /Catalog /Pages %d 0 R %s%s >>" % (
            self.global_(b"pages"), catalog, b" /Outlines %d 0 R" % outline if outline else b""))
        info_number = self.book.reserve()
        self.book.add(info_number, info)
        self.book.finish(root, info_number, str(shell.pdf_version))

    def outline(self, bookmarks) -> int | None:
        """The outline of (page, level, label, x, y, closed) bookmarks in book order: each under
        the last one before it of a higher level (a smaller number), as WeasyPrint nests them."""
        root: dict = {"children": [], "number": self.book.reserve()}
        stack = [(0, root)]
        for page, level, label, x, y, closed in bookmarks:
            item = {"children": [], "number": self.book.reserve(), "page": self.kids[page], "label": label,
                    "x": x, "y": y, "closed": closed}
            while stack[-1][0] >= level:
                stack.pop()
            stack[-1][1]["children"].append(item)
            stack.append((level, item))
        if not root["children"]:
            self.book.add(root["number"], b"<< /Type /Outlines /Count 0 >>")
            return root["number"]
        self._outline_item(root, None)
        return root["number"]

    def _outline_item(self, item: dict, parent: int | None, prev: int | None = None, next_: int | None = None) -> int:
        """Write an outline item and those under it; its visible descendants' count."""
        children = item["children"]
        visible = 0
        for i, child in enumerate(children):
            below = self._outline_item(child, item["number"], children[i - 1]["number"] if i else None,
                                       children[i + 1]["number"] if i + 1 < len(children) else None)
            visible += 1 + (0 if child.get("closed") else below)
        parts = [b"/Type /Outlines"] if parent is None else [
            b"/Title " + pikepdf.String(item["label"]).unparse(), b"/Parent %d 0 R" % parent,
            b"/Dest [ %d 0 R /XYZ %s %s 0 ]" % (item["page"], number(item["x"]), number(item["y"]))]
        if prev is not None:
            parts.append(b"/Prev %d 0 R" % prev)
        if next_ is not None:
            parts.append(b"/Next %d 0 R" % next_)
        if children:
            parts += [b"/First %d 0 R" % children[0]["number"], b"/Last %d 0 R" % children[-1]["number"],
                      b"/Count %d" % (-visible if item.get("closed") else visible)]
        self.book.add(item["number"], b"<< " + b" ".join(parts) + b" >>")
        return visible


def read_fragment(cache: Cache, blob: str, data: bytes, cached: bool) -> Fragment:
    """A fragment's data unpacked; one read from the cache that is not a fragment is damaged."""
    try:
        return unpack(data)
    except ValueError:
        if not cached:
            raise
        cache.store.discard(cache.store.blob_path(blob))
        raise CacheDamaged("a layout in the cache was damaged: build again") from None


def number(value: float) -> bytes:
    return (b"%.3f" % value).rstrip(b"0").rstrip(b".") or b"0"
