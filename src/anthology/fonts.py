"""The book typeface's files, and subsets of them for embedding in the EPUB."""

from __future__ import annotations

import io
import logging
import shutil
import subprocess
from pathlib import Path

from fontTools import subset
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
