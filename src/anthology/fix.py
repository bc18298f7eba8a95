"""`anthology check --fix`: the lint's typographic findings, rewritten in the Markdown source.

Only what has one right answer is fixed: straight quotes whose side the neighbouring
characters tell (by the book's language: “ ”, „ “, « » …), `--`/`---` typed for a dash, `...`
for an ellipsis, runs of spaces between words, and in French the no-break space before ; : ! ?
and inside guillemets. The lint's own view of a line decides what is prose, so code, URLs,
HTML tags, attribute lists and the front matter are never touched; a quote it cannot place
(a prime after a digit, a mark between two spaces) stays for the editor, as a warning.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path

from .atomic import atomic_path
from .lint import DASH, LINE_PREFIX, SPACES, TABLE_ROW, Source, curly
from .model import Anthology
from .typography import quote_marks

NBSP, NNBSP = "\u00a0", "\u202f"


@dataclass
class Change:
    """One fix: where it is (line and column in the source) and what it replaced."""

    line: int
    col: int
    before: str
    after: str


@dataclass
class FileFix:
    """A piece's source before and after its fixes."""

    path: Path
    old: str
    new: str
    changes: list[Change] = field(default_factory=list)

    def diff(self, root: Path) -> str:
        name = self.path.relative_to(root).as_posix()
        return "".join(difflib.unified_diff(self.old.splitlines(True), self.new.splitlines(True),
                                            f"a/{name}", f"b/{name}"))


def fix_line(prose: str, start: int, marks: tuple[str, str, str, str, str], french: bool,
             attribution: bool) -> list[tuple[int, int, str]]:
    """The replacements (start, end, text) for one line's prose, from column `start` on."""
    edits: list[tuple[int, int, str]] = []
    inside = marks[4]
    for k, mark in curly(prose, start, marks).items():
        if mark is not None:
            if inside and mark == marks[0] and prose[k + 1:k + 2] != inside:
                mark += inside
            elif inside and mark == marks[1] and prose[k - 1:k] != inside:
                mark = inside + mark
            edits.append((k, k + 1, mark))
    for m in DASH.finditer(prose, start):
        if attribution and m.start() == start:
            continue  # "> -- Author, *Work*": the documented attribution line
        digits = prose[m.start() - 1:m.start()].isdigit() and prose[m.end():m.end() + 1].isdigit()
        edits.append((m.start(), m.end(), "–" if digits else "—"))
    k = prose.find("...", start)
    while k >= 0:
        if prose[k - 1:k] != "." and prose[k + 3:k + 4] != ".":
            edits.append((k, k + 3, "…"))
        k = prose.find("...", k + 3)
    if not TABLE_ROW.match(prose):
        edits.extend((m.start(), m.end(), " ") for m in SPACES.finditer(prose, start))
    if french:
        for k in range(max(start, 1), len(prose)):
            if prose[k] in ";:!?»" and prose[k - 1] == " " and prose[k - 2:k - 1] not in ("", " "):
                edits.append((k - 1, k, NBSP if prose[k] in ":»" else NNBSP))
            elif prose[k] == "«" and prose[k + 1:k + 2] == " ":
                edits.append((k + 1, k + 2, NBSP))
    edits.sort()
    return [e for i, e in enumerate(edits) if not i or e[0] >= edits[i - 1][1]]  # overlaps: the first wins


def fix_source(source: Source, old: str, language: str) -> FileFix:
    """Apply the fixes to the file's text `old` (as read from disk), line by line.

    A line that the loader's normalisation changed (a carriage return, a control character)
    is fixed only when its text is otherwise the same, so every byte not fixed is kept."""
    marks, french = quote_marks(language), language.split("-")[0].lower() == "fr"
    lines = old.split("\n")
    changes: list[Change] = []
    for number, _, _, prose in source.body():
        raw = lines[number - 1] if number - 1 < len(lines) else ""
        end = "\r" if raw.endswith("\r") else ""
        if raw[: len(raw) - len(end)] != source.lines[number - 1]:
            continue
        start = LINE_PREFIX.match(prose).end()
        edits = fix_line(prose, start, marks, french, ">" in prose[:start])
        text = raw[: len(raw) - len(end)]
        for a, b, new in reversed(edits):
            changes.append(Change(number, a + 1, text[a:b], new))
            text = text[:a] + new + text[b:]
        lines[number - 1] = text + end
    changes.sort(key=lambda c: (c.line, c.col))
    return FileFix(source.path, old, "\n".join(lines), changes)


def fixes(book: Anthology) -> list[FileFix]:
    """The fixes for every piece of the book that has any, in reading order."""
    out = []
    for piece in book.pieces:
        if piece.generated:
            continue
        source = Source.read(piece.source_path, book.root)
        if source is None:
            continue
        old = Path(piece.source_path).read_bytes().decode("utf-8")
        fixed = fix_source(source, old, book.meta.language)
        if fixed.changes:
            out.append(fixed)
    return out


def write(fixed: FileFix) -> None:
    """Replace the source whole: a fix interrupted midway leaves the file as it was."""
    with atomic_path(fixed.path) as tmp:
        tmp.write_bytes(fixed.new.encode("utf-8"))
