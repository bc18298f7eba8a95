"""What the download page says of each edition a build wrote: its size, pages and SHA-256."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import pikepdf

# Each edition's media type (OPDS acquisition links) and what a reader should know of it.
KINDS = {
    "epub": ("application/epub+zip", "EPUB 3", "For e-readers and reading apps: reflowable, with the print "
                                               "edition's page numbers."),
    "kepub": ("application/kepub+zip", "Kobo EPUB", "The EPUB prepared for Kobo e-readers."),
    "pdf": ("application/pdf", "Print PDF", "The print edition as sent to the printer: PDF/X, with bleed."),
    "screen": ("application/pdf", "Screen PDF", "The print layout for reading on screen, tagged, without bleed."),
    "cover": ("application/pdf", "Cover", "The print edition's full-wrap cover: back, spine and front."),
}


@dataclass(frozen=True)
class Download:
    """One file offered for download: plain data, as templates see it."""

    kind: str
    name: str  # the file's name in the site's downloads/ folder
    media_type: str
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


def describe(kind: str, path: Path) -> Download:
    """A written edition as the download page lists it: `kind` is the build's key for it
    (pdf, pdf:large-print, screen, epub, kepub, cover)."""
    base, _, edition = kind.partition(":")
    if kind == "pdf:screen":  # the build's key for the screen PDF
        base, edition = "screen", ""
    media_type, title, note = KINDS[base]
    if edition:
        title = f"{title} ({edition})"
    with open(path, "rb") as handle:
        sha256 = hashlib.file_digest(handle, "sha256").hexdigest()
    pages = None
    if media_type == "application/pdf":
        with pikepdf.open(path) as pdf:
            pages = len(pdf.pages)
    return Download(kind, path.name, media_type, title, note, path.stat().st_size, pages, sha256)
