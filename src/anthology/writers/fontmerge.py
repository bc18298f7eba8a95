"""One subset per face in a PDF assembled from separately laid-out chunks.

WeasyPrint subsets each face per document, keeping glyph ids, so the chunks of a book carry
many overlapping subsets of the same font. Here the glyphs every chunk uses are gathered
from the fonts' width arrays and the face is subset once from the installed font, keeping
glyph ids, so every chunk's text still draws the same glyphs.
"""

from __future__ import annotations

import re
from collections import defaultdict

import pikepdf

from ..fonts import DROPPED_TABLES, SUBSET_SETTINGS, embedded_name, postscript_files, subset_glyphs
from . import chunks


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


def merge_subsets(pdf: pikepdf.Pdf, cache: chunks.Cache, fonts: list[tuple[str, pikepdf.Dictionary]]) -> None:
    """One subset of each face for these (face, Type 0 font) pairs (see cff_face)."""
    groups: dict[str, list[pikepdf.Dictionary]] = defaultdict(list)
    parents: dict[str, list[pikepdf.Dictionary]] = defaultdict(list)
    for name, font in fonts:
        groups[name].append(font.DescendantFonts[0])
        parents[name].append(font)
    originals = postscript_files()
    for name, fonts in groups.items():
        if len(fonts) < 2 or name not in originals:
            continue
        widths = merged_widths(fonts)
        gids = set(widths)
        key = chunks.digest("font", name, originals[name].read_bytes(), ",".join(map(str, sorted(gids))),
                            repr(SUBSET_SETTINGS), repr(DROPPED_TABLES))
        hit = cache.get(key)
        data = hit.pdf if hit is not None else subset_glyphs(originals[name], gids)
        if hit is None:
            cache.put(key, chunks.ChunkLayout(name, 0, [], [], pdf=data))
        stream = pdf.make_stream(data)
        stream.Subtype = pikepdf.Name.OpenType
        widths = pdf.make_indirect(width_array(widths))
        for font in fonts:
            font.FontDescriptor.FontFile3 = stream
            font.W = widths
        unicode = pdf.make_stream(merged_to_unicode([p for p in parents[name] if "/ToUnicode" in p]))
        for parent in parents[name]:
            parent.ToUnicode = unicode


def merged_widths(fonts: list[pikepdf.Dictionary]) -> dict[int, object]:
    """The width of every glyph (CID) any of the fonts uses, from their /W arrays: runs of
    `c [w1 w2 …]` or `first last w`."""
    widths: dict[int, float] = {}
    for font in fonts:
        items = list(font.get("/W") or [])
        i = 0
        while i < len(items):
            first = int(items[i])
            if isinstance(items[i + 1], pikepdf.Array):
                for k, w in enumerate(items[i + 1]):
                    widths[first + k] = w
                i += 2
            else:
                for cid in range(first, int(items[i + 1]) + 1):
                    widths[cid] = items[i + 2]
                i += 3
    return widths


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


def merged_to_unicode(fonts: list[pikepdf.Dictionary]) -> bytes:
    """One ToUnicode CMap with every glyph's text (WeasyPrint writes bfchar entries only)."""
    mapping: dict[int, str] = {}
    for font in fonts:
        data = font.ToUnicode.read_bytes()
        for block in re.findall(rb"beginbfchar(.*?)endbfchar", data, re.S):
            for gid, text in BFCHAR.findall(block):
                mapping.setdefault(int(gid, 16), text.decode().lower())
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
