"""The book typeface's files, and subsets of them for embedding in the EPUB."""

from __future__ import annotations

import io
import logging
import shutil
import subprocess
from pathlib import Path

from fontTools.ttLib import TTFont

logging.getLogger("fontTools.subset").setLevel(logging.ERROR)  # it reports each table it drops

FAMILY = "EB Garamond 12"  # the text optical size of EB Garamond (Debian's fonts-ebgaramond)
STYLES = {"Regular": ("normal", "normal"), "Italic": ("italic", "normal"), "Bold": ("normal", "bold")}


def font_files(family: str = FAMILY) -> dict[str, Path]:
    """Style name → file for the family's regular, italic and bold faces that are installed."""
    if not shutil.which("fc-list"):
        return {}
    out = subprocess.run(["fc-list", family, "file", "style"], capture_output=True, text=True, check=False).stdout
    found: dict[str, Path] = {}
    for line in out.splitlines():
        path, _, styles = line.partition(":")
        for style in STYLES:
            if style in styles.replace("style=", "").split(",") and Path(path).suffix.lower() in (".otf", ".ttf"):
                found.setdefault(style, Path(path))
    return found


def subset_font(path: Path, text: str) -> bytes:
    """The font reduced to the glyphs `text` needs (plus what shaping pulls in), reproducibly."""
    from fontTools import subset  # a tenth of a second to import: only when a font is subset

    options = subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.recalc_timestamp = False
    font = TTFont(path, recalcTimestamp=False)
    subsetter = subset.Subsetter(options)
    subsetter.populate(text="".join(sorted(set(text + " .,;:!?'\"-–—‘’“”…"))))
    subsetter.subset(font)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


# Subsetting for glyphs drawn by id (writers/print/fonts.py): outlines and metrics only.
# Hinting left out and CFF desubroutinized, as WeasyPrint's own subsets are.
SUBSET_SETTINGS = {"retain_gids": True, "recalc_timestamp": False, "name_IDs": [1, 2, 3, 4, 5, 6],
                   "layout_features": [], "notdef_outline": True, "hinting": False, "desubroutinize": True}
DROPPED_TABLES = ["GSUB", "GPOS", "GDEF", "BASE", "JSTF", "MATH", "kern"]


def subset_glyphs(data: bytes, gids: set[int], index: int = 0) -> bytes:
    """The face at `index` of a font file's bytes (0 but in a collection) reduced to the glyphs `gids`,
    each keeping its glyph id (as WeasyPrint's own subsets do), so one subset can serve pages
    laid out separately. A PDF draws glyphs by id: the shaping tables (GSUB, GPOS) and the
    licence text in the names stay behind. Ids past the face's last glyph are not glyphs of
    it (WeasyPrint numbers a character no font has so, and draws it as .notdef): left out."""
    from fontTools import subset

    options = subset.Options(**SUBSET_SETTINGS)
    options.drop_tables += DROPPED_TABLES
    font = TTFont(io.BytesIO(data), recalcTimestamp=False, fontNumber=index)
    count = len(font.getGlyphOrder())
    subsetter = subset.Subsetter(options)
    subsetter.populate(gids=sorted({g for g in gids if g < count} | {0}))
    subsetter.subset(font)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()
