"""`anthology cover`: the full-wrap cover, sized from the laid-out interior."""

from __future__ import annotations

from pathlib import Path

from ..cover import CoverGeometry, cover_pdf
from ..errors import ManuscriptError
from ..readers.manuscript import load
from ..writers.print.edition import PdfWriter


def cover(manuscript: Path, out_dir: Path, edition: str = "print") -> tuple[Path, CoverGeometry, int]:
    """Lay the interior out to learn its final page count, then write `<slug>-cover.pdf`."""
    book, diags = load(Path(manuscript))
    if book.settings is not None and edition not in book.settings.editions:
        diags.error(book.config_path, 0, f"no edition '{edition}' in anthology.yml (editions: {', '.join(book.settings.editions)})")
        raise ManuscriptError("unknown edition", diags)
    interior = PdfWriter(book, diags, edition)
    interior.layout()
    target = Path(out_dir) / f"{book.meta.slug}-cover.pdf"
    return target, cover_pdf(book, interior.spec, interior.pages, target), interior.pages
