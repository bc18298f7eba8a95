"""`anthology build`: load → resolve → render → write, every edition from one model."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import Diagnostics, ManuscriptError
from ..model import Anthology
from ..readers.manuscript import load
from ..writers.epub import EpubWriter
from ..writers.pdf import PdfWriter, ScreenPdfWriter

FORMATS = ("pdf", "epub")


@dataclass
class BuildResult:
    book: Anthology
    outputs: dict[str, Path] = field(default_factory=dict)
    pages: int = 0
    seconds: float = 0.0
    diagnostics: Diagnostics = field(default_factory=Diagnostics)

    @property
    def words(self) -> int:
        return sum(p.words for p in self.book.pieces)


def build(manuscript: Path, out_dir: Path, formats: tuple[str, ...] = FORMATS, progress=None) -> BuildResult:
    """Build the requested editions; raise ManuscriptError (with every diagnostic) on bad input.

    All reading happens before any writing. The print edition is laid out first: the EPUB
    takes its print page numbers from that layout.
    """
    started = time.perf_counter()
    say = progress or (lambda message: None)
    say(f"reading {manuscript}")
    book, diags = load(Path(manuscript))
    result = BuildResult(book, diagnostics=diags)
    if diags.errors:
        raise ManuscriptError("the manuscript has errors", diags)
    out_dir = Path(out_dir)
    if "pdf" in formats:
        names = list(book.settings.editions) if book.settings is not None else ["print"]
        writers = [PdfWriter(book, diags, name) for name in names]
        writers.append(ScreenPdfWriter(book, diags, writers[0].spec))
        for writer in writers:
            say(f"laying out the {writer.edition} edition")
            writer.layout()
            result.outputs[f"pdf:{writer.edition}" if writer.edition != "print" else "pdf"] = writer.write(out_dir)
        result.pages = writers[0].pages
    if "epub" in formats:
        say("writing the EPUB")
        result.outputs["epub"] = EpubWriter(book, diags).write(out_dir)
    result.seconds = time.perf_counter() - started
    return result
