"""The editor's lint: what loads fine but reads badly, found in the Markdown source itself.

The loader works on rendered HTML and knows lines only roughly; an editor fixing a straight
quote needs its exact column. So every check here runs on the source text, with code (fenced
blocks, code spans), URLs, HTML tags and attribute lists blanked out first, keeping columns.

Findings and their levels: straight quotes, double spaces and `--` dashes are warnings;
an image without alternative text (unless marked `{.decorative}`) and a link to an id or
piece that does not exist are errors; a title used twice and a piece with no text are
warnings. Missing image files are the loader's to report, once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .errors import Diagnostics
from .fetcher import RefusedResource, Sandbox
from .model import Anthology, Piece
from .readers.body import CREDIT
from .readers.manuscript import split_front_matter
from .readers.markdown import normalise
from .typography import quote_marks

BLANK = "\0"  # stands in for every character that is not prose; never a space, quote or dash

FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
DIV_FENCE = re.compile(r"^\s*:{3,}")
RULE = re.compile(r"^\s{0,3}([-*_])(\s*\1){2,}\s*$")
TABLE_ROW = re.compile(r"^\s*\|")
CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1")
ESCAPE = re.compile(r"\\[\\`*_{}\[\]()#+\-.!\"'<>|~]")
COMMENT = re.compile(r"<!--.*?-->")
TAG = re.compile(r"</?[A-Za-z][^>]*>|<(?:https?|mailto):[^>]*>")
URL = re.compile(r"\b(?:https?|mailto|ftp):[^\s<>()]+")
DESTINATION = re.compile(r"\]\((?:<[^>]*>|[^\s)]*)(?:\s+(?:\"[^\"]*\"|'[^']*'|\([^)]*\)))?\s*\)")
REFERENCE = re.compile(r"^\s{0,3}\[(?!\^)[^\]]+\]:.*$")
ATTRIBUTES = re.compile(r"\{\s*(?:[#.:]|[A-Za-z][\w-]*=)[^}]*\}")  # {.class}, {lang="el"}: attributes, not prose
LINE_PREFIX = re.compile(r"^\s*(?:>\s?)*\s*(?:(?:[-*+]|\d+[.)]|#{1,6})\s+|\[\^[^\]]+\]:\s*)?")

IMAGE = re.compile(r"!\[(?P<alt>(?:[^\]\\]|\\.)*)\]\((?P<dest><[^>]*>|[^\s)]*)"
                   r"(?:\s+(?P<title>\"[^\"]*\"|'[^']*'|\([^)]*\)))?\s*\)(?P<attrs>\{[^}]*\})?")
LINK = re.compile(r"(?<!!)\[(?:[^\]\\]|\\.)*\]\((?P<dest><[^>]*>|[^\s)]*)")
SPACES = re.compile(r"(?<=[^\s\0]) {2,}(?=[^\s\0])")
DASH = re.compile(r"(?<!-)-{2,3}(?!-)")
ID_ATTR = re.compile(r'\bid="([^"]+)"')
BOOK_IDS = {"halftitle", "titlepage", "copyright", "contents", "contents-title"}


@dataclass
class Source:
    """A piece's Markdown: its lines, where the body starts, and its title's position."""

    path: Path
    lines: list[str]
    body_start: int  # index into lines of the first body line
    title_line: int = 1
    title_col: int = 0

    @classmethod
    def read(cls, path: Path, root: Path) -> "Source | None":
        """The piece's source, read again through the manuscript's sandbox (None if it is
        refused or no longer UTF-8: the loader reported it)."""
        try:
            text = normalise(Sandbox([root]).read_bytes(path).decode("utf-8"))
        except (RefusedResource, UnicodeDecodeError):
            return None
        split = split_front_matter(text, path, Diagnostics())
        if split is None:
            return None
        lines = text.split("\n")
        source = cls(path, lines, split[2] - 1)
        for i in range(1, source.body_start):
            m = re.match(r"title\s*:\s*", lines[i])
            if m:
                source.title_line, source.title_col = i + 1, m.end() + 1
                break
        return source

    def body(self):
        """(line number, raw line, line with code blanked, line with all non-prose blanked)."""
        fence = None
        for i in range(self.body_start, len(self.lines)):
            raw = self.lines[i]
            opened = FENCE.match(raw)
            if fence is not None or opened:
                if fence is None:
                    fence = opened.group(1)[0] * len(opened.group(1))
                elif raw.strip().startswith(fence):
                    fence = None
                yield i + 1, raw, BLANK * len(raw), BLANK * len(raw)
                continue
            code = blank(raw, ESCAPE, COMMENT, CODE_SPAN)
            if DIV_FENCE.match(raw) or RULE.match(raw) or REFERENCE.match(raw):
                prose = BLANK * len(raw)
            else:
                prose = blank(code, TAG, DESTINATION, URL, ATTRIBUTES)
            yield i + 1, raw, code, prose


def blank(text: str, *patterns: re.Pattern) -> str:
    """Replace every match of the patterns by BLANK characters, keeping every column."""
    for pattern in patterns:
        text = pattern.sub(lambda m: BLANK * len(m.group(0)), text)
    return text


OPENERS = " \t([{<\"'“‘„‚«‹—–-/" + BLANK  # what may stand before an opening mark
TRANSPARENT = "*_"  # emphasis markers: "*word*" is quoted as if they were not there


def _neighbour(prose: str, at: int, step: int) -> str:
    """The character beside `at`, looking through emphasis markers; a space past either end."""
    at += step
    while 0 <= at < len(prose) and prose[at] in TRANSPARENT:
        at += step
    return prose[at] if 0 <= at < len(prose) else " "


def curly(prose: str, start: int, marks: tuple[str, ...]) -> dict[int, str | None]:
    """The curly mark in the book's language (`marks`, from typography.quote_marks) for each
    straight quote of a line's prose from `start` on, by column; None when the neighbouring
    characters cannot tell its side. Read left to right, each mark decided is seen by the next:
    in "'fine'" the last mark follows a closing one."""
    open2, close2, open1, close1 = marks[:4]
    chars, found, singles = list(prose), {}, 0
    for at in range(start, len(chars)):
        if chars[at] not in "\"'":
            continue
        line = "".join(chars)
        mark, before, after = chars[at], _neighbour(line, at, -1), _neighbour(line, at, 1)
        # after code, a link's address or a tag (blanked), a mark followed by a space or a
        # punctuation mark closes: [a link](…)", `code`".
        opening = before in OPENERS and not (before == BLANK and (after.isspace() or after in ".,;:!?)]}"))
        if before.isdigit() or (opening and after.isspace()):
            found[at] = None  # 5' 10": primes; a mark between spaces: either side
        elif mark == '"':
            found[at] = open2 if opening else close2
        elif not opening:
            closes = singles > 0 and not (before.isalpha() and after.isalpha())
            found[at] = close1 if closes else "’"  # it's, the workers’
            singles -= closes
        elif after.isdigit():
            found[at] = "’"  # ’90s
        else:
            later = any(line[k] == "'" and line[k - 1] not in OPENERS and not line[k + 1:k + 2].isalpha()
                        for k in range(at + 1, len(line)))
            found[at] = open1 if later else "’"  # ‘quoted’, or an elision: ’tis
            singles += found[at] == open1
        if found[at]:
            chars[at] = found[at]
    return found


def quote_advice(prose: str, at: int, mark: str | None, marks: tuple[str, ...]) -> str:
    """What to write for a straight quote: its curly `mark`, or the choices when it is unclear."""
    if mark == "’" and prose[at - 1:at].isalpha() and _neighbour(prose, at, 1).isalpha():
        return "’ (apostrophe)"
    if mark:
        return mark
    if prose[at - 1:at].isdigit():
        return "′ (prime) for feet or minutes, or ’" if prose[at] == "'" else "″ (double prime) for inches or seconds, or ”"
    return f"{marks[0]} or {marks[1]}" if prose[at] == '"' else f"{marks[2]} (opening) or ’"


def lint_prose(source: Source, diags: Diagnostics, marks: tuple[str, ...]) -> None:
    for number, _, _, prose in source.body():
        start = LINE_PREFIX.match(prose).end()
        for at, mark in curly(prose, start, marks).items():
            diags.warning(source.path, number, f"straight quote {prose[at]}: write {quote_advice(prose, at, mark, marks)}",
                          at + 1, "straight-quote")
        if not TABLE_ROW.match(prose):
            for m in SPACES.finditer(prose, start):
                diags.warning(source.path, number, f"{len(m.group(0))} spaces between words: use one",
                              m.start() + 1, "double-space")
        attribution = ">" in prose[:start]
        for m in DASH.finditer(prose, start):
            if attribution and m.start() == start:
                continue  # "> -- Author, *Work*": the documented attribution line
            between_digits = prose[m.start() - 1 : m.start()].isdigit() and prose[m.end() : m.end() + 1].isdigit()
            advice = "– (en dash) for a range" if between_digits else "— (em dash)"
            diags.warning(source.path, number, f"'{m.group(0)}' used for a dash: write {advice}", m.start() + 1, "dash")


def lint_images(source: Source, diags: Diagnostics) -> None:
    """An image needs alternative text: its caption or its title; `{.decorative}` says it has none on purpose."""
    for number, _, code, _ in source.body():
        for m in IMAGE.finditer(code):
            alt = m.group("alt")
            credit = CREDIT.search(alt)
            caption = (alt[: credit.start()] if credit else alt).strip()
            title = (m.group("title") or "")[1:-1].strip()
            if caption or title or re.search(r"\.decorative\b", m.group("attrs") or ""):
                continue
            diags.error(source.path, number, "image without alternative text: give it a caption ![Caption](…), "
                        "a description ![…](… \"description\"), or mark it decorative: ![](…){.decorative}",
                        m.start() + 1, "image-alt")


def piece_ids(piece: Piece) -> set[str]:
    """Every id a link may point to inside the piece, as both editions write them."""
    ids = {piece.id, f"{piece.id}-title", f"{piece.id}-byline", f"{piece.id}-subtitle", f"{piece.id}-series"}
    for block in (*piece.epigraphs, *piece.blocks):
        ids.update(ID_ATTR.findall(block.html))
    for note in piece.notes:
        ids.update((note.id, note.ref_id))
    return ids


def lint_links(source: Source, ids: dict[Path, set[str]], everywhere: set[str], diags: Diagnostics) -> None:
    """`[x](#id)` must name an id in the book (`everywhere`), `[x](other.md#id)` a listed piece
    (a key of `ids`, the pieces' resolved paths) and an id in it."""
    for number, _, code, _ in source.body():
        for m in LINK.finditer(code):
            dest = m.group("dest").strip("<>")
            file, _, fragment = dest.partition("#")
            col = m.start("dest") + 1
            if re.match(r"^[A-Za-z][\w+.-]*:", dest) or not (file.endswith(".md") or (not file and fragment)):
                continue
            if file:
                known = ids.get((source.path.parent / file).resolve())
                if known is None:
                    diags.error(source.path, number, f"link to '{file}', which is not a piece in contents", col, "link")
                    continue
                where = f"in '{file}'"
            else:
                known, where = everywhere, "in the book"
            if fragment and fragment not in known:
                near = sorted(i for i in known if i.endswith(f"-{fragment}"))
                maybe = f" (did you mean #{near[0]}?)" if near else ""
                diags.error(source.path, number, f"link to '#{fragment}': no such id {where}{maybe}", col, "link")


def unlisted(book: Anthology, diags: Diagnostics) -> None:
    """Markdown files in the manuscript that `contents` does not list: usually a piece the
    editor meant to include (hidden folders, such as a build's cache, are not looked in)."""
    root = Path(book.root)
    listed = {Path(p.source_path).resolve() for p in book.pieces if not p.generated}
    for path in sorted(root.rglob("*.md")):
        if any(part.startswith(".") for part in path.relative_to(root).parts) or not path.is_file():
            continue
        if path.resolve() not in listed:
            diags.warning(path, 0, f"{path.relative_to(root).as_posix()} is not listed in the contents of "
                          "anthology.yml, so it is not in the book", code="unlisted")


def lint(book: Anthology) -> Diagnostics:
    """Every lint finding in the book's pieces, file by file in reading order, then the
    manuscript's Markdown files that no piece comes from."""
    diags = Diagnostics()
    sources = {p.id: Source.read(p.source_path, book.root) for p in book.pieces}
    ids = {p.source_path.resolve(): piece_ids(p) for p in book.pieces}
    everywhere = BOOK_IDS.union(*ids.values(), (part.id for part in book.parts))  # once: lint runs in every build
    titles: dict[str, Source] = {}
    marks = quote_marks(book.meta.language)
    for piece in book.pieces:
        source = sources[piece.id]
        if source is None:
            continue
        lint_prose(source, diags, marks)
        lint_images(source, diags)
        lint_links(source, ids, everywhere, diags)
        first = titles.setdefault(piece.title.casefold(), source)
        if first is not source:
            diags.warning(source.path, source.title_line, f"the title '{piece.title}' is also used by "
                          f"{first.path.name}:{first.title_line}", source.title_col, "duplicate-title")
        if not piece.words and not any(b.kind == "figure" for b in piece.blocks):
            diags.warning(source.path, source.title_line, f"'{piece.title}' has no text yet", source.title_col, "empty")
    unlisted(book, diags)
    lint_identifier(book, diags)
    return diags


def lint_identifier(book: Anthology, diags: Diagnostics) -> None:
    """A book without an identifier gets one derived from its title, editors, language and
    date: it changes when they do, and library apps then take the new edition for another book."""
    if book.settings is None or book.settings.identifier or book.config_path is None:
        return
    try:
        lines = Sandbox([book.root]).read_bytes(book.config_path).decode("utf-8").splitlines()
    except (RefusedResource, UnicodeDecodeError):
        lines = []  # the loader read it: only the line number is lost
    line = next((i for i, text in enumerate(lines, 1) if text.startswith("title:")), 0)
    diags.warning(book.config_path, line, f"no identifier: add 'identifier: {book.meta.identifier}' (derived from "
                  f"the title, editors, language and date) so that the book keeps it when they change",
                  code="identifier")
