"""`anthology import`: turn essays as editors receive them (pasted text, saved web pages, DOCX and
ODT documents, Markdown files) into pieces.

`import_file` picks a reader by extension, writes `<manuscript>/essays/<slug>.md` (never over an
existing file), gives every figure an image file, adds the piece to `anthology.yml` by a
textual edit, and returns an `ImportResult` saying what was recognised and what was a guess.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from ..readers.body import slugify
from ..readers.chars import NOT_TEXT
from ..readers.manuscript import CONFIG_NAME, book_slug
from ..readers.markdown import normalise
from .contents import ContentsError, add_to_contents
from .duplicates import already_imported
from .errors import ImportError_
from .draft import Draft, Finding, Findings
from .images import EXTENSIONS, save_image
from .markdown import render

__all__ = ["ImportError_", "ImportResult", "import_file", "read_source", "SUFFIXES"]

SUFFIXES = {".txt": "text", ".text": "text", "": "text", ".html": "html", ".htm": "html", ".xhtml": "html", ".docx": "docx",
            ".md": "markdown", ".markdown": "markdown", ".odt": "odt"}


@dataclass
class ImportResult:
    """What one import did: the piece written, the files created, and a report by source line."""

    source: Path
    format: str
    draft: Draft
    markdown: str
    written: Path | None = None
    images: list[Path] = field(default_factory=list)
    contents_entry: str | None = None
    contents_note: str | None = None
    recognised: list[Finding] = field(default_factory=list)
    unsure: list[Finding] = field(default_factory=list)

    @property
    def title(self) -> str:
        return self.draft.title

    @property
    def series(self) -> str | None:
        return self.draft.series

    @property
    def epigraphs(self) -> list[tuple[str | None, str | None]]:
        return [(q.author, q.work) for q in self.draft.epigraphs]

    @property
    def quotations(self) -> list[tuple[str | None, str | None]]:
        return [(q.author, q.work) for q in self.draft.quotations]

    @property
    def captions(self) -> list[tuple[str, str | None]]:
        return [(f.caption, f.credit) for f in self.draft.figures]

    def summary(self) -> str:
        def n(count: int, word: str) -> str:
            return f"{count} {word}{'' if count == 1 else 's'}"
        pulls = sum(f.kind == "pull quote" for f in self.recognised)
        return (f"“{self.title}”: " + ("series line, " if self.series else "")
                + ", ".join([n(len(self.epigraphs), "epigraph"), n(len(self.quotations), "quotation"),
                             n(len(self.captions), "caption"), n(pulls, "pull quote")]))

    def report(self) -> str:
        """The report printed by `anthology import`: what was written, recognised and guessed."""
        out = [f"{self.source}: imported as {self.format}: {self.summary()}"]
        if self.written:
            out.append(f"  wrote {self.written}")
        for image in self.images:
            out.append(f"  wrote {image}")
        if self.contents_entry:
            out.append(f"  anthology.yml: {self.contents_note or 'added'} ({self.contents_entry})")
        elif self.contents_note:
            out.append(f"  anthology.yml: {self.contents_note}")
        out.append("  recognised:")
        out.extend(f"    {f.format(self.source)}" for f in self.recognised)
        if self.unsure:
            out.append("  unsure — please check:")
            out.extend(f"    {f.format(self.source)}" for f in self.unsure)
        return "\n".join(out)


def read_source(path: Path) -> tuple[str, Draft, Findings]:
    """Read a file with the reader its extension names: (format, draft, findings)."""
    path = Path(path)
    kind = SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise ImportError_(f"{path}: cannot import '{path.suffix}' files: use .txt, .md, .html/.htm, .docx or .odt")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImportError_(f"{path}: cannot read: {exc.strerror or exc}") from exc
    if kind in ("text", "markdown"):
        try:
            text = normalise(data.decode("utf-8"))
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise ImportError_(f"{path}:{line}: not valid UTF-8; save the file as UTF-8 and import again") from exc
        if kind == "text":
            from .text import read_text
            draft, findings = read_text(text)
        else:
            from .piecefile import PieceFileError, read_piece
            try:
                draft, findings = read_piece(text, path)
            except PieceFileError as exc:
                raise ImportError_(f"{path}:{exc.line}: {exc}; nothing was written") from None
    elif kind == "odt":
        from .html import read_html
        from .odt import OdtError, odt_html
        try:
            page = odt_html(path)
        except OdtError as exc:
            raise ImportError_(f"{path}: {exc}; nothing was written") from None
        draft, findings = read_html(page, path)
    elif kind == "html":
        from .html import read_html
        draft, findings = read_html(data, path)
    else:
        from .docx import read_docx
        draft, findings = read_docx(path)
    if not draft.title.strip():
        findings.doubt("title", 1, "no title found: 'Untitled' was used")
        draft.title = "Untitled"
    if not draft.authors:
        findings.doubt("author", 0, "no byline found: add 'author:' to the front matter")
    if not draft.date:
        findings.doubt("date", 0, "no date found: add 'date:' (YYYY-MM-DD) to the front matter if the piece has one")
    return kind, draft, findings


def piece_slug(title: str) -> str:
    """The file name for a piece: its main title (before any colon), as book_slug does."""
    slug = book_slug(title) or slugify(title)
    return slug if slug and slug != "section" else "piece"


def listed_pieces(root: Path) -> set[str]:
    """The paths in a manuscript's contents, so a listed but missing file's name is not reused."""
    import yaml
    try:
        data = yaml.safe_load((root / CONFIG_NAME).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return set()
    out: set[str] = set()
    for item in data.get("contents") or [] if isinstance(data, dict) else []:
        if isinstance(item, str):
            out.add(item)
        elif isinstance(item, dict):
            out.update(p for p in item.get("pieces") or [] if isinstance(p, str))
    return out


def create_piece(folder: Path, slug: str, text: str, taken: set[str], root: Path) -> Path:
    """Create `<slug>.md`, or `<slug>-2.md` … when the name is taken; never open an existing file."""
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(1, 1000):
        name = f"{slug}.md" if n == 1 else f"{slug}-{n}.md"
        path = folder / name
        if path.relative_to(root).as_posix() in taken:
            continue
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            continue
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        return path
    raise ImportError_(f"{folder}: no free file name for '{slug}.md'")


def import_file(path: Path, manuscript: Path | None = None, *, workdir: Path | None = None) -> ImportResult:
    """Import one essay into `manuscript` (its essays/ folder and contents list).

    Without a manuscript the piece is written to `<workdir or cwd>/essays/` with its images in
    `images/` beside it, the same layout, and no contents list is touched. An existing file is
    never overwritten: the piece gets the next free name `<slug>-2.md`, `<slug>-3.md` …
    """
    path = Path(path)
    if manuscript is not None:
        root = Path(manuscript)
        if not (root / CONFIG_NAME).is_file():
            raise ImportError_(f"{root}: not a manuscript (no {CONFIG_NAME}); nothing was written")
    else:
        root = Path(workdir) if workdir is not None else Path.cwd()
    kind, draft, findings = read_source(path)
    same = already_imported(root, render(draft, image_prefix="../"))
    if same is not None:
        raise ImportError_(f"{path}: this text is already in the manuscript as {same.relative_to(root).as_posix()}; "
                           "nothing was written (delete or rename that piece to import it again)")
    taken = listed_pieces(root) if manuscript is not None else set()
    slug = piece_slug(draft.title)
    # Reserve the piece's name first: its images are named after it.
    folder = root / "essays"
    piece = create_piece(folder, slug, "", taken, root)
    slug = piece.stem
    result = ImportResult(path, kind, draft, "", piece)
    try:
        for n, figure in enumerate(draft.figures, 1):
            ext = EXTENSIONS.get(figure.image.ext.lower(), figure.image.ext.lower()) if figure.image.data else "svg"
            name = f"{slug}-{n}.{ext}"
            image, written = save_image(root, name, figure.image.data)
            figure.src = f"images/{name}"
            if written:
                result.images.append(image)
            if figure.image.data is None:
                origin = f" (the source named {figure.image.origin})" if figure.image.origin else ""
                state = "a grey placeholder was drawn" if written else "an existing file of that name is used"
                findings.doubt("image", figure.line, f"no image file in the source{origin}: {figure.src}: {state}; replace it with the real image")
            if not figure.description:
                findings.doubt("image description", figure.line, "no description: the caption will serve as the alternative text")
        result.markdown = render(draft, image_prefix="../")
        removed = sorted(set(NOT_TEXT.findall(result.markdown)))
        if removed:  # the manuscript would refuse them (control characters, noncharacters)
            result.markdown = NOT_TEXT.sub("", result.markdown)
            findings.doubt("text", 0, "removed what is not text: " + ", ".join(f"U+{ord(c):04X}" for c in removed))
        with open(piece, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(result.markdown)
    except BaseException:
        piece.unlink(missing_ok=True)
        raise
    if manuscript is not None:
        entry = piece.relative_to(root).as_posix()
        try:
            result.contents_note = "added at " + add_to_contents(root / CONFIG_NAME, entry)
            result.contents_entry = entry
        except ContentsError as exc:
            result.contents_note = f"not changed: {exc}"
            findings.doubt("contents", 0, str(exc))
    result.recognised, result.unsure = findings.recognised, findings.unsure
    return result
