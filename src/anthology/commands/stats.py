"""`anthology stats`: lay the print edition out (without writing it) and count it, or measure
the typography of a built PDF."""

from __future__ import annotations

from pathlib import Path

import pikepdf
from pdfminer.psexceptions import PSException

from ..errors import Diagnostics, ManuscriptError
from ..readers.manuscript import load
from ..stats import BookStats, book_stats
from ..typereport import TypographyReport, measure
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


def typography(pdf: Path) -> TypographyReport:
    """The typography report of a built PDF (typereport.py); a file that is not one is an error."""
    pdf = Path(pdf)
    diags = Diagnostics()
    if not pdf.is_file():
        diags.error(pdf, 0, "no such PDF: stats --typography measures a built book (build/<slug>.pdf)")
        raise ManuscriptError("not a PDF", diags)
    try:
        return measure(pdf)
    except (pikepdf.PdfError, PSException, ValueError) as exc:  # pdfminer: PDFException and PSEOF alike
        diags.error(pdf, 0, f"cannot read it as a PDF: {exc}")
        raise ManuscriptError("not a PDF", diags) from exc
