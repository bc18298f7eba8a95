"""What the download page says of each edition a build wrote: its size, pages and SHA-256."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pikepdf

# Each edition's media type (OPDS acquisition links), format, and its name and note as labels
# (labels.MESSAGES) in the book's language.
KINDS = {
    "pdf": ("application/pdf", "PDF/X", "Print edition", "As sent to the printer, with bleed."),
    "screen": ("application/pdf", "PDF", "Screen edition", "For reading on screen."),
    "epub": ("application/epub+zip", "EPUB 3", "Ebook",
             "For e-readers and reading apps, with the print edition's page numbers."),
    "kepub": ("application/kepub+zip", "Kobo EPUB", "Ebook for %(name)s e-readers", ""),
    "cover": ("application/pdf", "PDF/X", "Cover", "Back, spine and front, for the printer."),
}


@dataclass(frozen=True)
class Download:
    """One file offered for download: plain data, as templates see it."""

    kind: str
    name: str  # the file's name in the site's downloads/ folder
    media_type: str
    format: str
    title: str
    note: str
    size: int
    pages: int | None
    sha256: str

    @property
    def size_text(self) -> str:
        """The size as readers read it: 840 KB, 2.4 MB."""
        if self.size < 1000 * 1000:
            return f"{max(1, round(self.size / 1000))} KB"
        return f"{self.size / 1000 / 1000:.1f} MB"


def describe(kind: str, path: Path, label: Callable[..., str]) -> Download:
    """A written edition as the download page lists it: `kind` is the build's key for it
    (pdf, pdf:large-print, pdf:screen, epub, kepub, cover); `label` words its name and note in
    the book's language (labels.Labels.text)."""
    base, _, edition = kind.partition(":")
    if kind == "pdf:screen":  # the build's key for the screen PDF
        base, edition = "screen", ""
    media_type, form, title, note = KINDS[base]
    title = label(title, name="Kobo") if base == "kepub" else label(title)
    if edition:
        title = f"{title} ({edition})"
    with open(path, "rb") as handle:
        sha256 = hashlib.file_digest(handle, "sha256").hexdigest()
    pages = None
    if media_type == "application/pdf":
        with pikepdf.open(path) as pdf:
            pages = len(pdf.pages)
    return Download(kind, path.name, media_type, form, title, label(note) if note else "", path.stat().st_size,
                    pages, sha256)
