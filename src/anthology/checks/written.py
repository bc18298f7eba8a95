"""The checks of one written file, as the build hands them to a writer: `check(tmp)` runs on
the temporary file before it is renamed into place, and raises OutputError on a loss."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from .. import fontstack
from ..model import Anthology
from . import fidelity, glyphs


def _stack(book: Anthology) -> str:
    own = book.settings.fonts if book.settings is not None else {}
    return ", ".join(fontstack.stack(book.meta.language, own))


def pdf(book: Anthology, target: Path, say: Callable[[str], None]) -> Callable[[Path], None]:
    """A PDF's words in order, and a glyph for every character it sets."""
    def check(tmp: Path) -> None:
        say(f"checking {target.name} against the manuscript")
        losses = fidelity.check_pdf(book, tmp, target.name)
        losses += glyphs.losses(book, glyphs.missing_in_pdf(tmp), target.name, _stack(book))
        fidelity.verdict(losses, target.name)
    return check


def epub(book: Anthology, target: Path, say: Callable[[str], None]) -> Callable[[Path], None]:
    """The EPUB's words, notes and quotations, and a glyph in its embedded fonts for its text."""
    def check(tmp: Path) -> None:
        say(f"checking {target.name} against the manuscript")
        losses = fidelity.check_epub(book, tmp, target.name)
        losses += glyphs.losses(book, glyphs.missing_in_epub(tmp), target.name, "the reading system's fonts")
        fidelity.verdict(losses, target.name)
    return check


def web(book: Anthology, target: Path, say: Callable[[str], None]) -> Callable[[Path], None]:
    """The web edition's words, notes and quotations, page by page, as in the EPUB."""
    def check(tmp: Path) -> None:
        say(f"checking {target.name} against the manuscript")
        fidelity.verdict(fidelity.check_web(book, tmp, target.name), target.name)
    return check


def chain(*checks: Callable[[Path], None] | None) -> Callable[[Path], None]:
    def check(tmp: Path) -> None:
        for each in checks:
            if each is not None:
                each(tmp)
    return check
