"""`anthology check`: load and resolve the manuscript without writing anything, then lint it."""

from __future__ import annotations

from pathlib import Path

from ..errors import Diagnostics, ManuscriptError
from ..lint import lint
from ..model import Anthology
from ..readers.manuscript import load


def inspect(manuscript: Path) -> tuple[Anthology | None, Diagnostics]:
    """The book (None when it cannot be loaded) and every diagnostic: the loader's, then the lint's.

    Lint needs a loaded book (its ids, its pieces), so a manuscript with load errors gets
    those errors alone; they have to be fixed first anyway."""
    try:
        book, diags = load(Path(manuscript))
    except ManuscriptError as exc:
        return None, exc.diagnostics
    diags.extend(lint(book))
    return book, diags


def check(manuscript: Path) -> Diagnostics:
    """Every diagnostic, errors and warnings alike."""
    return inspect(manuscript)[1]


def as_json(diags: Diagnostics) -> list[dict]:
    """The diagnostics as CI reads them: one object per problem, in file order."""
    return [{"path": d.path, "line": d.line, "col": d.col, "level": d.level, "message": d.message}
            for d in sorted(diags, key=lambda d: (d.path, d.line, d.col))]
