"""One subset per face in a PDF assembled from separately laid-out chunks.

WeasyPrint subsets each face per document, keeping glyph ids, so the chunks of a book carry
many overlapping subsets of the same font. A face is identified by its content: the digest of
its file and its index in the file (a collection holds several), which the layout worker reads
from WeasyPrint's own font (layout.py), never by its name: a manuscript's own cut of an
installed face is another face. At the end each face is subset once from that file, with
every glyph the book draws, keeping glyph ids, so every chunk's text still draws the same
glyphs, and all its fonts share that program, width array and text map.

A font WeasyPrint drew with stand-ins for characters no font has (its own Encoding CMap, not
Identity-H) keeps its own subset, as does a face whose subsetting fails.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pikepdf
from pikepdf import Dictionary, Name

from ...cachestore import CacheDamaged
from ...fonts import DROPPED_TABLES, SUBSET_SETTINGS, subset_glyphs
from .cache import Cache, ChunkLayout, digest

PROGRAMS = ("/FontFile3", "/FontFile2")


@dataclass
class FaceUse:
    """Every font of one face in the book: the glyphs they draw, their widths and text."""

    blob: str  # the face's file, kept in the layout cache
    index: int  # the face's index in it
    fonts: list = field(default_factory=list)  # their Type 0 font dictionaries, in the book
    widths: dict[int, int | float] = field(default_factory=dict)  # by glyph (CID)
    text: dict[int, str] = field(default_factory=dict)  # by glyph, as hex UTF-16


class Faces:
    """The fonts of the book's pages, by face (see the module)."""

    def __init__(self):
        self.uses: dict[str, FaceUse] = {}
        self.seen: set[tuple[int, int]] = set()

    def take(self, owner: pikepdf.Object, faces: dict[str, list]) -> None:
        """The fonts a page or form draws with (and the forms it draws), `faces` naming the
        face of each by its BaseFont (layout.py)."""
        resources = owner.get("/Resources")
        if not isinstance(resources, Dictionary) or (resources.is_indirect and resources.objgen in self.seen):
            return
        if resources.is_indirect:
            self.seen.add(resources.objgen)
        for font in (resources.get("/Font") or Dictionary()).values():
            self._font(font, faces)
        for xobject in (resources.get("/XObject") or Dictionary()).values():
            if isinstance(xobject, pikepdf.Stream) and xobject.get("/Subtype") == "/Form":
                self.take(xobject, faces)

    def _font(self, font: pikepdf.Object, faces: dict[str, list]) -> None:
        if not font.is_indirect or font.objgen in self.seen:
            return
        self.seen.add(font.objgen)
        if font.get("/Subtype") != "/Type0" or font.get("/Encoding") != "/Identity-H":
            return
        face = faces.get(str(font.get("/BaseFont", "")).lstrip("/"))
        if face is None:
            return
        key, blob, index, _ = face
        use = self.uses.setdefault(key, FaceUse(blob, index))
        cid_font = font.DescendantFonts[0]
        use.fonts.append(font)
        use.widths.update(font_widths(cid_font))
        for gid, text in font_text(font).items():
            use.text.setdefault(gid, text)  # the first text found for a glyph is kept

    def finish(self, book: pikepdf.Pdf, cache: Cache) -> None:
        """Each face subset once, in the order of their identities, and every font of it made
        to draw from that program, width array and text map."""
        for key in sorted(self.uses):
            use = self.uses[key]
            program = self.program(key, use, cache)
            if program is None:
                continue
            first = use.fonts[0].DescendantFonts[0].FontDescriptor
            kind = next(k for k in PROGRAMS if k in first)
            stream = book.make_stream(program)
            for name, value in first[kind].stream_dict.items():
                if name not in ("/Length", "/Filter", "/DecodeParms", "/Length1"):
                    stream[name] = value
            if kind == "/FontFile2":
                stream.Length1 = len(program)
            widths = book.make_indirect(width_array(use.widths))
            text = book.make_stream(to_unicode(use.text))
            for font in use.fonts:
                font.ToUnicode = text
                cid_font = font.DescendantFonts[0]
                cid_font.W = widths
                descriptor = cid_font.FontDescriptor
                for name in PROGRAMS:
                    if name in descriptor:
                        del descriptor[name]
                descriptor[Name(kind)] = stream

    @staticmethod
    def program(key: str, use: FaceUse, cache: Cache) -> bytes | None:
        """The face subset to the glyphs the book draws, from the cache or made now; None if
        it cannot be (the fonts keep their own subsets)."""
        gids = set(use.widths)
        name = digest("font", key, ",".join(map(str, sorted(gids))), repr(SUBSET_SETTINGS), repr(DROPPED_TABLES))
        hit = cache.get(name)
        if hit is not None:
            return hit.data
        data = cache.store.read_blob(use.blob)
        if data is None:
            raise CacheDamaged("a font in the layout cache was damaged or removed during the build: build again")
        try:
            program = subset_glyphs(data, gids, use.index)
        except Exception:  # fontTools could not subset it: WeasyPrint's own subsets stay
            return None
        cache.put(name, ChunkLayout(key, 0, [], [], data=program))
        return program


def font_widths(cid_font: pikepdf.Dictionary) -> dict[int, object]:
    """The width of every glyph (CID) a font uses, from its /W array: runs of `c [w1 w2 …]`
    or `first last w`."""
    widths: dict[int, object] = {}
    items = list(cid_font.get("/W") or [])
    i = 0
    while i < len(items):
        first = int(items[i])
        if isinstance(items[i + 1], pikepdf.Array):
            for k, w in enumerate(items[i + 1]):
                widths[first + k] = number(w)
            i += 2
        else:
            for cid in range(first, int(items[i + 1]) + 1):
                widths[cid] = number(items[i + 2])
            i += 3
    return widths


def number(value) -> int | float:
    """A PDF number as a Python one (it outlives the PDF it was read from)."""
    value = float(value)
    return int(value) if value.is_integer() else value


def width_array(widths: dict[int, object]) -> pikepdf.Array:
    """A compact /W array: `c [w1 w2 …]` for each run of consecutive CIDs."""
    out: list = []
    run: list = []
    start = previous = None
    for cid in sorted(widths):
        if previous is not None and cid == previous + 1:
            run.append(widths[cid])
        else:
            if run:
                out += [start, pikepdf.Array(run)]
            start, run = cid, [widths[cid]]
        previous = cid
    if run:
        out += [start, pikepdf.Array(run)]
    return pikepdf.Array(out)


BFCHAR = re.compile(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>")


def font_text(font: pikepdf.Dictionary) -> dict[int, str]:
    """The text of each glyph, from a font's ToUnicode CMap (WeasyPrint writes bfchar entries only)."""
    mapping: dict[int, str] = {}
    if "/ToUnicode" in font:
        for block in re.findall(rb"beginbfchar(.*?)endbfchar", font.ToUnicode.read_bytes(), re.S):
            for gid, text in BFCHAR.findall(block):
                mapping.setdefault(int(gid, 16), text.decode().lower())
    return mapping


def to_unicode(mapping: dict[int, str]) -> bytes:
    """One ToUnicode CMap with every glyph's text."""
    lines = [b"/CIDInit /ProcSet findresource begin", b"12 dict begin", b"begincmap",
             b"/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
             b"/CMapName /Adobe-Identity-UCS def", b"/CMapType 2 def",
             b"1 begincodespacerange", b"<0000> <ffff>", b"endcodespacerange"]
    items = sorted(mapping.items())
    for i in range(0, len(items), 100):  # at most 100 entries a block
        chunk = items[i:i + 100]
        lines.append(f"{len(chunk)} beginbfchar".encode())
        lines += [f"<{gid:04x}> <{text}>".encode() for gid, text in chunk]
        lines.append(b"endbfchar")
    lines += [b"endcmap", b"CMapName currentdict /CMap defineresource pop", b"end", b"end"]
    return b"\n".join(lines)
