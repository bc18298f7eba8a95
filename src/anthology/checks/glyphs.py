"""Every character a written file sets has a real glyph in the font that sets it.

A face can map a character to a glyph with no outline: the 8-point italic of EB Garamond does
so for all of Greek, and "Anaxagoras by (νοῦς) thought" printed "Anaxagoras by ( ) thought".
No layout engine falls back then (the face claims the character), so the check reads the
embedded fonts themselves: in a PDF, each font's ToUnicode map gives the characters each glyph
it drew stands for, and the glyph's outline, in the embedded font program, must not be empty
(nor .notdef, nor a glyph the font does not have). In an EPUB that embeds fonts, each character
of the text that a font maps must have an outline there. Spaces, joiners and other characters
that draw nothing are not asked for one.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import unicodedata
import zipfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pikepdf
from fontTools.cffLib import CFFFontSet
from fontTools.pens.basePen import NullPen
from fontTools.ttLib import TTFont
from lxml import etree

from ..model import Anthology
from .fidelity import Loss

BFCHAR = re.compile(rb"beginbfchar(.*?)endbfchar", re.S)
BFRANGE = re.compile(rb"beginbfrange(.*?)endbfrange", re.S)
HEX = re.compile(rb"<([0-9A-Fa-f]*)>|\[([^\]]*)\]")


@dataclass(frozen=True)
class Missing:
    char: str
    font: str  # the font that set it, as the file names it


def draws_nothing(char: str) -> bool:
    """Characters with no ink of their own: spaces, controls, format characters."""
    return unicodedata.category(char)[0] in "ZC"


def _utf16(data: bytes) -> str:
    return bytes.fromhex(data.decode()).decode("utf-16-be", errors="replace")


def to_unicode(cmap: bytes) -> dict[int, str]:
    """Glyph code → text, from a ToUnicode CMap's bfchar and bfrange entries."""
    out: dict[int, str] = {}
    for block in BFCHAR.findall(cmap):
        values = HEX.findall(block)
        for (src, _), (dst, _) in zip(values[::2], values[1::2]):
            out[int(src, 16)] = _utf16(dst)
    for block in BFRANGE.findall(cmap):
        values = HEX.findall(block)
        for k in range(0, len(values) - 2, 3):
            low, high = int(values[k][0], 16), int(values[k + 1][0], 16)
            hexdst, array = values[k + 2]
            if array:
                for code, item in zip(range(low, high + 1), HEX.findall(array)):
                    out[code] = _utf16(item[0])
            else:
                base = bytes.fromhex(hexdst.decode())
                for offset, code in enumerate(range(low, high + 1)):
                    last = int.from_bytes(base[-2:], "big") + offset
                    out[code] = (base[:-2] + last.to_bytes(2, "big")).decode("utf-16-be", errors="replace")
    return out


class Outlines:
    """Which glyph ids of an embedded font program have no outline."""

    def __init__(self, data: bytes | Path, kind: str, index: int = 0):
        self.cff = None
        self.glyf = None
        self.cmap: dict[int, str] = {}
        if kind == "/CIDFontType0C" or kind == "/Type1C":
            fonts = CFFFontSet()
            fonts.decompile(io.BytesIO(data), None)
            self.cff = fonts[fonts.fontNames[0]]
            self.order = self.cff.charset
        else:
            font = TTFont(io.BytesIO(data) if isinstance(data, bytes) else data, lazy=True, fontNumber=index)
            self.order = font.getGlyphOrder()
            self.cmap = font.getBestCmap() or {} if "cmap" in font else {}
            if "CFF " in font:
                self.cff = font["CFF "].cff.topDictIndex[0]
            elif "glyf" in font:
                self.glyf = font["glyf"]

    def empty(self, gid: int) -> bool:
        if gid <= 0 or gid >= len(self.order):
            return True
        name = self.order[gid]
        if self.glyf is not None:
            glyph = self.glyf[name]
            return glyph.numberOfContours == 0
        if self.cff is not None:
            try:
                self.cff.CharStrings[name].draw(_FirstStroke())
            except _Inked:
                return False
            return True
        return False


    def nominal_empty(self, char: str) -> bool:
        """Whether the face's own glyph for a character (its cmap's) draws nothing, or is none."""
        name = self.cmap.get(ord(char))
        return name is None or self.empty(self.index(name))

    def index(self, name: str) -> int:
        if not hasattr(self, "_ids"):
            self._ids = {n: i for i, n in enumerate(self.order)}
        return self._ids.get(name, 0)


def embedded_name(data: bytes) -> str | None:
    """The PostScript name inside an embedded OpenType or TrueType font program."""
    try:
        font = TTFont(io.BytesIO(data), lazy=True)
        return font["name"].getDebugName(6) or (font["CFF "].cff.fontNames[0] if "CFF " in font else None)
    except Exception:  # a bare CFF program, or one fontTools cannot read: named by the PDF instead
        return None


@lru_cache(maxsize=1)
def postscript_files() -> dict[str, tuple[Path, int]]:
    """PostScript name → (file, face index) of every installed font."""
    if not shutil.which("fc-list"):
        return {}
    out = subprocess.run(["fc-list", "--format", "%{postscriptname}|%{index}|%{file}\n"], capture_output=True,
                         text=True, check=False).stdout
    found: dict[str, tuple[Path, int]] = {}
    for line in out.splitlines():
        name, _, rest = line.partition("|")
        index, _, path = rest.partition("|")
        if name and path and index.isdigit():
            found.setdefault(name, (Path(path), int(index)))
    return found


@lru_cache(maxsize=64)
def installed(postscript_name: str) -> Outlines | None:
    """The whole installed face a subset was made from, found by its PostScript name."""
    found = postscript_files().get(postscript_name)
    return Outlines(found[0], "/OpenType", found[1]) if found else None


class _Inked(Exception):
    pass


class _FirstStroke(NullPen):
    """Stops a glyph's program at its first contour: whether it draws, not what."""

    def moveTo(self, pt) -> None:
        raise _Inked


def _font_program(descendant) -> tuple[pikepdf.Stream, str] | None:
    """A CID font's embedded program and its kind (TrueType, OpenType, bare CFF)."""
    descriptor = descendant.get("/FontDescriptor")
    if descriptor is None:
        return None
    if "/FontFile2" in descriptor:
        return descriptor.FontFile2, "/TrueType"
    if "/FontFile3" in descriptor:
        return descriptor.FontFile3, str(descriptor.FontFile3.get("/Subtype", "/OpenType"))
    return None


def _cid_to_gid(descendant) -> dict[int, int] | None:
    mapping = descendant.get("/CIDToGIDMap")
    if isinstance(mapping, pikepdf.Stream):
        data = mapping.read_bytes()
        return {cid: int.from_bytes(data[2 * cid:2 * cid + 2], "big") for cid in range(len(data) // 2)}
    return None  # /Identity, or a CFF font: the code is the glyph id


def missing_in_pdf(path: Path) -> list[Missing]:
    """Each character a PDF's Type 0 fonts set with an empty or absent glyph, once per font."""
    found: dict[tuple[str, str], Missing] = {}
    programs: dict[tuple[int, int], tuple[Outlines, str | None]] = {}  # read once, however many fonts share one
    with pikepdf.open(path) as pdf:
        for obj in pdf.objects:
            if not isinstance(obj, pikepdf.Dictionary) or obj.get("/Type") != "/Font" \
                    or obj.get("/Subtype") != "/Type0" or "/ToUnicode" not in obj:
                continue
            descendant = obj.DescendantFonts[0]
            program = _font_program(descendant)
            if program is None:
                continue
            stream, kind = program
            if stream.objgen not in programs:
                data = stream.read_bytes()
                programs[stream.objgen] = Outlines(data, kind), embedded_name(data)
            outlines, postscript = programs[stream.objgen]
            name = postscript or str(obj.get("/BaseFont", "?")).lstrip("/").partition("+")[2]
            gids = _cid_to_gid(descendant)
            for code, text in to_unicode(obj.ToUnicode.read_bytes()).items():
                inked = [c for c in text if not draws_nothing(c)]
                gid = gids.get(code, 0) if gids is not None else code
                if not inked or not outlines.empty(gid):
                    continue
                # An empty glyph in a shaped cluster (Nastaliq's, say) may carry the cluster's
                # text while others draw it: then the face's own glyph for the character decides.
                face = installed(postscript) if postscript and 0 < gid < len(outlines.order) else None
                for char in inked:
                    if face is None or face.nominal_empty(char):
                        found.setdefault((char, name), Missing(char, name))
    return list(found.values())


def missing_in_epub(path: Path) -> list[Missing]:
    """Each character of an EPUB's text that one of its embedded fonts maps to an empty glyph."""
    with zipfile.ZipFile(path) as z:
        fonts = {n: z.read(n) for n in z.namelist() if n.lower().endswith((".otf", ".ttf"))}
        if not fonts:
            return []
        chars: set[str] = set()
        for name in z.namelist():
            if name.endswith(".xhtml"):
                chars.update("".join(etree.fromstring(z.read(name)).itertext()))
    out = []
    for name, data in sorted(fonts.items()):
        font = TTFont(io.BytesIO(data), lazy=True)
        cmap = font.getBestCmap() or {}
        outlines = Outlines(data, "/OpenType")
        order = {g: i for i, g in enumerate(outlines.order)}
        for char in sorted(chars):
            if not draws_nothing(char) and ord(char) in cmap and outlines.empty(order.get(cmap[ord(char)], 0)):
                out.append(Missing(char, Path(name).name))
    return out


def locate(book: Anthology, char: str) -> tuple[Path, int]:
    """The first line of the manuscript (pieces, then anthology.yml) that holds a character."""
    files = [p.source_path for p in book.pieces if not p.generated] + ([book.config_path] if book.config_path else [])
    for path in files:
        try:
            for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
                if char in line:
                    return path, number
        except OSError:
            continue
    return book.config_path or book.root, 0


def losses(book: Anthology, missing: list[Missing], output: str, stack: str) -> list[Loss]:
    out = []
    for item in missing:
        path, line = locate(book, item.char)
        code = f"U+{ord(item.char):04X} {unicodedata.name(item.char, 'unnamed character')}"
        out.append(Loss(path, line, f"{output} sets ‘{item.char}’ ({code}) in {item.font}, which has no glyph for it "
                                    f"(it prints blank or as a box); fonts tried: {item.font}, then {stack}"))
    return out
