"""One subset per face in a PDF assembled from separately laid-out chunks.

WeasyPrint subsets each face per document, keeping glyph ids, so the chunks of a book carry
many overlapping subsets of the same font. When a chunk's fragment is made (fragment.py),
its fonts of installed faces are read: their glyphs' widths and text are kept, their
programs, width arrays and ToUnicode maps are left behind, named as the face's. At the end
each face is subset once from the installed font, with every glyph the book draws (`Merged`).

A face is identified by its file's digest and its index in the file (a collection holds
several), never by name: the PostScript name only finds the installed candidate, which is
taken only when it draws every glyph of the chunk's font as that font does. Any other font (a
manuscript's own cut of an installed face, a TrueType face) keeps the chunk's own subset.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pikepdf
from fontTools.pens.recordingPen import RecordingPen
from fontTools.ttLib import TTFont

from ...fonts import DROPPED_TABLES, SUBSET_SETTINGS, embedded_name, postscript_files, subset_glyphs
from .cache import Cache, ChunkLayout, digest


def cff_face(obj: pikepdf.Object, names: dict[str, str | None]) -> str | None:
    """The PostScript name of the face a Type 0 font with an embedded CFF (OpenType) program
    draws from; None for any other object. Read once per face into `names`: chunks' subsets
    of a face differ only in their tag."""
    if not (isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/Font" and obj.get("/Subtype") == "/Type0"):
        return None
    cid_font = obj.DescendantFonts[0]
    program = cid_font.FontDescriptor.get("/FontFile3")
    if cid_font.get("/Subtype") != "/CIDFontType0" or program is None or program.get("/Subtype") != "/OpenType":
        return None
    face = str(cid_font.FontDescriptor.get("/FontName", "")).split("+", 1)[-1]
    if face not in names:
        names[face] = embedded_name(program.read_bytes())
    return names[face]


@dataclass
class FontUse:
    """What a chunk's font of an installed face draws: its glyphs' widths and text."""

    face: str  # the face's identity: its file's digest and its index in the file ("<sha256>-<index>")
    widths: dict[int, int | float]  # by glyph (CID)
    text: dict[int, str]  # by glyph, as hex UTF-16
    path: str = ""  # the installed file
    index: int = 0  # the face's index in it (0 but in a collection)


class Installed:
    """An installed face, opened once per process: its file's digest, for its identity."""

    def __init__(self, path: Path, index: int):
        self.path, self.index = path, index
        data = path.read_bytes()
        self.key = f"{hashlib.sha256(data).hexdigest()}-{index}"
        self.font = TTFont(io.BytesIO(data), fontNumber=index, lazy=True)
        self.glyphs = self.font.getGlyphSet()
        self.order = self.font.getGlyphOrder()

    def drew(self, program: bytes, gids: list[int]) -> bool:
        """Whether the embedded font program `program` draws the glyphs `gids` as this face
        does (same outlines, same advances), every one of them: whether it was subset from this
        face, and not from another file with the same PostScript name, such as a manuscript's
        own cut of an installed face."""
        try:
            subset = TTFont(io.BytesIO(program), lazy=True)
            glyphs, order = subset.getGlyphSet(), subset.getGlyphOrder()
            for gid in gids:
                if gid >= len(order) or gid >= len(self.order):
                    return False
                ours, theirs = self.glyphs[self.order[gid]], glyphs[order[gid]]
                pens = RecordingPen(), RecordingPen()
                ours.draw(pens[0])
                theirs.draw(pens[1])
                if pens[0].value != pens[1].value or ours.width != theirs.width:
                    return False
            return True
        except Exception:  # a program fontTools cannot read is not merged
            return False


class Faces:
    """Recognises the fonts of installed faces in a chunk's PDF (see cff_face)."""

    def __init__(self):
        self.names: dict[str, str | None] = {}
        self._originals: dict[str, tuple[Path, int]] | None = None
        self._installed: dict[tuple[Path, int], Installed | None] = {}

    @property
    def originals(self) -> dict[str, tuple[Path, int]]:
        if self._originals is None:
            self._originals = postscript_files()
        return self._originals

    def installed(self, name: str, program: bytes, gids: list[int]) -> Installed | None:
        """The installed face a chunk's font program was subset from: a candidate found by its
        PostScript name (fontconfig's list, collections' faces at their index), kept only when
        the glyphs the chunk draws are that face's."""
        if name not in self.originals:
            return None
        where = self.originals[name]
        if where not in self._installed:
            try:
                self._installed[where] = Installed(*where)
            except Exception:  # unreadable: the chunk's own subset stays
                self._installed[where] = None
        face = self._installed[where]
        return face if face is not None and face.drew(program, gids) else None

    def take(self, pdf: pikepdf.Pdf, named: dict[tuple[int, int], bytes]) -> list[FontUse]:
        """The fonts of installed faces in a PDF, their programs, width arrays and text maps
        named (in `named`) as the face's merged ones, which the book writes once."""
        out = []
        for obj in pdf.objects:
            name = cff_face(obj, self.names)
            if name is None or name not in self.originals:
                continue
            cid_font = obj.DescendantFonts[0]
            widths, text = font_widths(cid_font), font_text(obj)
            stand_ins = missing_codes(obj)
            installed = self.installed(name, cid_font.FontDescriptor.FontFile3.read_bytes(),
                                       sorted(cid for cid in widths if cid and cid not in stand_ins))
            if installed is None:
                continue
            face = installed.key
            if stand_ins:
                # Characters no font has: WeasyPrint gives each a code past the face's last
                # glyph, which its own Encoding CMap maps to .notdef, with the width of the
                # character and its text; another chunk numbers its own otherwise. This font
                # keeps its width array and text map; it shares only the glyphs' program.
                widths = {cid: w for cid, w in widths.items() if cid and cid not in stand_ins}
                text = {cid: t for cid, t in text.items() if cid not in stand_ins}
            out.append(FontUse(face, widths, text, str(installed.path), installed.index))
            if "/W" not in cid_font or not cid_font.W.is_indirect:
                cid_font.W = pdf.make_indirect(pikepdf.Array())
            if "/ToUnicode" not in obj:
                obj.ToUnicode = pdf.make_stream(b"")
            shared = [(cid_font.FontDescriptor.FontFile3, b"program")]
            if not stand_ins:
                shared += [(cid_font.W, b"widths"), (obj.ToUnicode, b"unicode")]
            for value, part in shared:
                named[value.objgen] = b"\0Gfont/%s/%s\0" % (face.encode(), part)
        return out


class Merged:
    """Every installed face's glyphs the book draws, chunk after chunk: at the end each face
    is subset once from the installed font, keeping glyph ids, so every chunk's text still
    draws the same glyphs, and all its fonts share that program, width array and text map."""

    def __init__(self):
        self.widths: dict[str, dict[int, object]] = defaultdict(dict)
        self.text: dict[str, dict[int, str]] = defaultdict(dict)
        self.sources: dict[str, tuple[Path, int]] = {}

    def add(self, uses: list[FontUse]) -> None:
        for use in uses:
            self.sources.setdefault(use.face, (Path(use.path), use.index))
            self.widths[use.face].update(use.widths)
            text = self.text[use.face]
            for gid, value in use.text.items():
                text.setdefault(gid, value)  # the first text found for a glyph is kept

    def faces(self, cache: Cache):
        """(face, font program, width array, ToUnicode map) of every face, in the order of
        their identities (file digest and face index)."""
        for name in sorted(self.widths):
            widths = self.widths[name]
            gids = set(widths)
            path, index = self.sources[name]
            key = digest("font", name, ",".join(map(str, sorted(gids))),
                                repr(SUBSET_SETTINGS), repr(DROPPED_TABLES))
            hit = cache.get(key)
            data = hit.data if hit is not None else subset_glyphs(path, gids, index)
            if hit is None:
                cache.put(key, ChunkLayout(name, 0, [], [], data=data))
            yield name, data, width_array(widths).unparse(), to_unicode(self.text[name])


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


CIDCHAR = re.compile(rb"<([0-9a-fA-F]+)>\s+(\d+)")


def missing_codes(font: pikepdf.Dictionary) -> set[int]:
    """The codes a font's own Encoding CMap maps to .notdef (CID 0): WeasyPrint's stand-ins
    for characters no font has. None with the Identity-H encoding."""
    encoding = font.get("/Encoding")
    if not isinstance(encoding, pikepdf.Stream):
        return set()
    return {int(code, 16) for block in re.findall(rb"begincidchar(.*?)endcidchar", encoding.read_bytes(), re.S)
            for code, cid in CIDCHAR.findall(block) if int(cid) == 0 and int(code, 16) != 0}


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
