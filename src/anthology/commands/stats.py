"""`anthology stats`: lay the print edition out (without writing it) and count it."""

from __future__ import annotations

from pathlib import Path

from ..errors import ManuscriptError
from ..readers.manuscript import load
from ..stats import BookStats, book_stats
from ..writers.print.edition import PdfWriter


def stats(manuscript: Path, edition: str = "print", cache: Path | None = Path("build") / ".cache" / "chunks") -> BookStats:
    """Words and pages of `edition`, per piece and part, with its spine width (the layout is
    shared with `anthology build` through the chunk cache)."""
    book, diags = load(Path(manuscript))
    if book.settings is not None and edition not in book.settings.editions:
        diags.error(book.config_path, 0, f"no edition '{edition}' in anthology.yml (editions: {', '.join(book.settings.editions)})")
        raise ManuscriptError("unknown edition", diags)
    writer = PdfWriter(book, diags, edition, cache=cache)
    writer.layout()
    return book_stats(book, writer.starts, writer.total, writer.spec)
