"""A chunk's pages as PDF syntax, made where the chunk was laid out, written into the book as is.

Joining chunks through pikepdf held the whole book's object graph in the main process until
it was saved (about 19 KB a page: 270 MB at 5,000 pages). A fragment instead holds the
objects a chunk's pages draw on, each as its PDF text, with its references to the chunk's own
objects numbered from 0 (`\\0L3\\0`) and those to objects the whole book shares named
(`\\0Gfont/EBGaramond-Regular/program\\0`): the book (assembly.py) numbers them as it writes them
to its file, one chunk at a time, and keeps only each page's dictionary until the end.
"""

from __future__ import annotations

import hashlib
import io
import re
import zlib
from dataclasses import dataclass, field

import msgpack
import pikepdf

from ... import pdfx
from .fonts import Faces, FontUse

# A reference `12 0 R`, or a literal string (pikepdf writes its parentheses escaped), whose
# text is never a reference.
REF = re.compile(rb"\((?:[^\\)]|\\.)*\)|(\d+) (\d+) R", re.S)
BOXES = ("/MediaBox", "/CropBox", "/BleedBox", "/TrimBox", "/ArtBox")
LEFT_OUT = {"/Type", "/Parent", "/Resources", "/Contents", "/Annots", *BOXES}  # links: none in print


@dataclass
class PageText:
    """A page's dictionary, in parts the book completes (parent, folio)."""

    boxes: bytes  # its box entries (a blank page takes them from the page two before)
    head: bytes  # any other entries of its own
    resources: bytes  # the entries of its resources but the XObjects
    xobjects: bytes  # the entries of its XObject resources
    contents: bytes  # references to its content streams


@dataclass
class Fragment:
    """What the book needs of one chunk's PDF."""

    objects: list[tuple[bytes, bytes | None, bytes | None]] = field(default_factory=list)  # text, stream data, digest
    pages: list[PageText] = field(default_factory=list)
    forms: list[tuple[bytes, bytes]] = field(default_factory=list)  # each page as a form XObject (dictionary, data)
    fonts: list[FontUse] = field(default_factory=list)
    catalog: bytes = b""  # the shell's catalogue entries (see shell_fragment)
    info: bytes = b""  # and its document information dictionary


PACKED = "anthology-fragment 2"  # what `pack` writes first


def pack(fragment: Fragment) -> bytes:
    """A fragment as msgpack (plain values only: nothing in it is code), for the cache."""
    return msgpack.packb([
        PACKED,
        [list(o) for o in fragment.objects],
        [[p.boxes, p.head, p.resources, p.xobjects, p.contents] for p in fragment.pages],
        [list(f) for f in fragment.forms],
        [[u.face, u.widths, u.text, u.path, u.index] for u in fragment.fonts],
        fragment.catalog, fragment.info,
    ], use_bin_type=True)


def unpack(data: bytes) -> Fragment:
    """The fragment `pack` wrote; ValueError if `data` is anything else."""
    def check(ok: bool) -> None:
        if not ok:
            raise ValueError("not a packed fragment")

    def is_bytes(*values, none: bool = False) -> bool:
        return all(isinstance(v, bytes) or (none and v is None) for v in values)

    try:
        head, objects, pages, forms, fonts, catalog, info = msgpack.unpackb(
            data, raw=False, strict_map_key=False, use_list=True)
    except (ValueError, TypeError, msgpack.UnpackException) as exc:
        raise ValueError("not a packed fragment") from exc
    check(head == PACKED and is_bytes(catalog, info))
    check(all(isinstance(o, list) and len(o) == 3 and is_bytes(o[0]) and is_bytes(*o[1:], none=True)
              for o in objects))
    check(all(isinstance(p, list) and len(p) == 5 and is_bytes(*p) for p in pages))
    check(all(isinstance(f, list) and len(f) == 2 and is_bytes(*f) for f in forms))
    check(all(isinstance(u, list) and len(u) == 5 and isinstance(u[0], str) and isinstance(u[1], dict)
              and isinstance(u[2], dict) and isinstance(u[3], str) and isinstance(u[4], int) for u in fonts))
    return Fragment([tuple(o) for o in objects], [PageText(*p) for p in pages], [tuple(f) for f in forms],
                    [FontUse(*u) for u in fonts], catalog, info)


def key_text(key: str) -> bytes:
    return pikepdf.Name(key).unparse()


class _Walk:
    """The objects reachable from what has been written so far, numbered as found."""

    def __init__(self, pdf: pikepdf.Pdf, named: dict[tuple[int, int], bytes]):
        self.pdf = pdf
        self.named = named  # objects the book shares: a name instead of a number
        self.local: dict[tuple[int, int], int] = {}
        self.found: list[tuple[int, int]] = []

    def text(self, obj) -> bytes:
        """A direct object's (or an entry's value's) PDF text, references made local or named."""
        if not isinstance(obj, pikepdf.Object):  # pikepdf gives numbers, booleans and null as Python's
            return pikepdf.Array([obj]).unparse()[1:-1].strip()
        return REF.sub(self._ref, obj.unparse(resolved=False))

    def entries(self, mapping, skip=()) -> bytes:
        return b" ".join(key_text(k) + b" " + self.text(v) for k, v in mapping.items() if k not in skip)

    def _ref(self, match: re.Match) -> bytes:
        if match.group(1) is None:
            return match.group(0)
        objgen = (int(match.group(1)), int(match.group(2)))
        if objgen in self.named:
            return self.named[objgen]
        if objgen not in self.local:
            self.local[objgen] = len(self.found)
            self.found.append(objgen)
        return b"\0L%d\0" % self.local[objgen]

    def objects(self) -> list[tuple[bytes, bytes | None, bytes | None]]:
        """Every object found, and those they refer to, streams with their (compressed) data,
        each with a digest of all it draws on, so that the book keeps one copy of identical
        objects (chunks carry their own colour profiles, images, transparency groups)."""
        out = []
        i = 0
        while i < len(self.found):
            obj = self.pdf.get_object(self.found[i])
            i += 1
            if isinstance(obj, pikepdf.Stream):
                out.append((b"<< " + self.entries(obj.stream_dict, ("/Length",)) + b" >>", obj.read_raw_bytes()))
            else:
                out.append((REF.sub(self._ref, obj.unparse(resolved=True)), None))
        digests: dict[int, bytes | None] = {}
        return [(text, data, _digest(i, out, digests)) for i, (text, data) in enumerate(out)]


LOCAL = re.compile(rb"\0L(\d+)\0")


def _digest(i: int, objects, digests: dict[int, bytes | None]) -> bytes | None:
    """A digest of an object and of every object it refers to; None within a cycle."""
    if i in digests:
        return digests[i]
    digests[i] = None  # until known: a cycle leaves it None
    text, data = objects[i]
    below = {j: _digest(int(j), objects, digests) for j in LOCAL.findall(text)}
    if None in below.values():
        return None
    text = LOCAL.sub(lambda m: b"\0D" + below[m.group(1)] + b"\0", text)  # the same whatever the numbering
    digests[i] = hashlib.sha256(text + b"\0" + (data or b"")).digest()
    return digests[i]


def make(pdf_bytes: bytes, faces: Faces, forms: bool = False, colour: str | None = None) -> Fragment:
    """A laid-out chunk's fragment; forms: its pages as form XObjects (the folio atlases);
    colour: the PDF/X variant its colours are converted for (pdfx.py)."""
    out = Fragment()
    with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
        pdfx.convert(pdf, colour)
        named: dict[tuple[int, int], bytes] = {}
        out.fonts = faces.take(pdf, named)
        if colour == "pdf/x-1a":  # the faces taken are made bare when the book writes them (assembly.py)
            pdfx.bare_fonts(pdf, skip=named)
        walk = _Walk(pdf, named)
        shared: dict[bytes, pikepdf.Object] = {}
        for page in pdf.pages:
            page = page.obj
            resources = page.get("/Resources", pikepdf.Dictionary())
            xobjects = resources.get("/XObject", pikepdf.Dictionary())
            if forms:  # the pages share their resources, as WeasyPrint's pages do: so do the forms
                if not resources.is_indirect:
                    resources = shared.setdefault(resources.unparse(), pdf.make_indirect(resources))
                dictionary = (b"<< /Type /XObject /Subtype /Form /BBox " + walk.text(page.MediaBox) +
                              b" /Resources " + walk.text(resources) + b" /Filter /FlateDecode >>")
                out.forms.append((dictionary, zlib.compress(content(page))))
                continue
            out.pages.append(PageText(
                b" ".join(key_text(k) + b" " + walk.text(page[k]) for k in BOXES if k in page),
                walk.entries(page, LEFT_OUT),
                walk.entries(resources, ("/XObject",)),
                walk.entries(xobjects),
                b" ".join(walk.text(stream) for stream in content_streams(page))))
        out.objects = walk.objects()
    return out


def shell_fragment(shell: pikepdf.Pdf) -> Fragment:
    """The book's identity, from the shell WeasyPrint wrote: the catalogue's entries but its
    pages, outline and names (metadata, language, PDF/X output intent), and its document
    information."""
    walk = _Walk(shell, {})
    out = Fragment(catalog=walk.entries(shell.Root, ("/Type", "/Pages", "/Outlines", "/Names", "/PageMode")),
                   info=b"<< " + walk.entries(shell.docinfo) + b" >>")
    out.objects = walk.objects()
    return out


def content_streams(page: pikepdf.Object) -> list:
    contents = page.get("/Contents")
    return list(contents) if isinstance(contents, pikepdf.Array) else [contents] if contents is not None else []


def content(page: pikepdf.Object) -> bytes:
    """A page's content, its streams joined."""
    return b"\n".join(stream.read_bytes() for stream in content_streams(page))
