"""`anthology check`: load and resolve the manuscript without writing anything, then lint it;
with `--fix`, rewrite what the lint found that has one right answer."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from ..errors import Diagnostics, ManuscriptError
from ..fix import FileFix, fixes, write
from ..lint import lint
from ..model import Anthology
from ..placeholder import MISSING_IMAGE
from ..readers.manuscript import load


def inspect(manuscript: Path) -> tuple[Anthology | None, Diagnostics]:
    """The book (None when it cannot be loaded) and every diagnostic: the loader's, then the lint's.

    Lint needs a loaded book (its ids, its pieces), so a manuscript with load errors gets
    those errors alone; they have to be fixed first anyway. A missing image file is the
    exception: the book is loaded as for a draft, so the lint runs, and its error stays one."""
    try:
        book, diags = load(Path(manuscript), draft=True)
    except ManuscriptError as exc:
        return None, exc.diagnostics
    diags.items = [replace(d, level="error") if d.code == MISSING_IMAGE else d for d in diags.items]
    diags.extend(lint(book))
    return book, diags


def check(manuscript: Path) -> Diagnostics:
    """Every diagnostic, errors and warnings alike."""
    return inspect(manuscript)[1]


def relative(diags: Diagnostics, root: Path) -> Diagnostics:
    """The diagnostics with their paths relative to the manuscript, as an editor names its
    files wherever the command is run from (a path outside it is kept whole)."""
    root = Path(root).resolve()
    out = Diagnostics()
    for d in diags:
        try:
            path = Path(d.path).resolve().relative_to(root).as_posix()
        except ValueError:
            path = d.path
        out.items.append(replace(d, path=path))
    return out


def fix(manuscript: Path, dry_run: bool) -> tuple[list[FileFix], Diagnostics]:
    """The safe typographic fixes of every piece, written in place unless `dry_run`; then the
    diagnostics of the manuscript as it now is (or would be). A manuscript that does not load
    is not touched."""
    book, diags = inspect(manuscript)
    if book is None:
        return [], diags
    found = fixes(book)
    if dry_run:
        return found, diags
    for fixed in found:
        write(fixed)
    return found, check(manuscript) if found else diags


def as_json(diags: Diagnostics) -> list[dict]:
    """The diagnostics as CI reads them: one object per problem, in file order."""
    return [{"path": d.path, "line": d.line, "col": d.col, "level": d.level, "message": d.message}
            for d in sorted(diags, key=lambda d: (d.path, d.line, d.col))]
