"""The typed model of an anthology: what every edition writer reads, and nothing else.

Anthology → entries (parts and stand-alone pieces) → pieces → blocks, with the quotations,
notes and contributors each piece carries. No I/O happens here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

from .labels import join_names


@dataclass(frozen=True)
class Location:
    """Where something was written: the file and line an editor should open."""

    path: Path
    line: int = 0

    def __str__(self) -> str:
        return f"{self.path}:{self.line}" if self.line else str(self.path)


@dataclass(frozen=True)
class Quotation:
    """A quoted passage with its attribution, wherever it appears in the book.

    `kind` is "epigraph", "blockquote", "pullquote" or "caption"; `anchor` is the id of the
    element that holds it, so indexes can link or count pages to it.
    """

    kind: str
    text: str
    author: str | None
    work: str | None
    location: Location
    piece_id: str = ""
    anchor: str = ""
    locator: str | None = None  # page, chapter or other place in the work
    key: str | None = None  # key in the quotation library, when used
    year: str | None = None
    translator: str | None = None
    url: str | None = None

    @property
    def opening(self) -> str:
        """The first words, as an index lists a quotation."""
        words = self.text.split()
        return " ".join(words[:8]) + ("…" if len(words) > 8 else "")


@dataclass(frozen=True)
class Source:
    """A work quoted in the book, as `sources.yml` describes it (or as an attribution names it)."""

    key: str
    title: str
    author: str | None = None
    year: str | None = None
    publisher: str | None = None
    url: str | None = None
    translator: str | None = None


@dataclass(frozen=True)
class Contributor:
    name: str
    bio: str | None = None
    sort_as: str | None = None


@dataclass(frozen=True)
class Note:
    """A footnote: its number within the piece, its id and its XHTML content."""

    number: int
    id: str
    ref_id: str
    html: str


@dataclass(frozen=True)
class Block:
    """One top-level block of a piece's body, already rendered to semantic XHTML."""

    kind: str  # paragraph, heading, quotation, blockquote, verse, pullquote, figure, break, list, table, other
    html: str
    text: str = ""


@dataclass(frozen=True)
class Heading:
    level: int
    id: str
    text: str


@dataclass(frozen=True)
class Figure:
    """An image with its caption and credit, kept for credits lists and checks."""

    src: str
    alt: str
    caption: str
    credit: str | None
    anchor: str
    location: Location


@dataclass(frozen=True)
class Piece:
    """An essay, or a front- or back-matter text such as an introduction."""

    id: str
    slug: str
    source_path: Path
    title: str
    subtitle: str | None
    authors: tuple[str, ...]
    date: str | None
    series: str | None
    source: str | None
    role: str  # "front", "body" or "back"
    part_id: str | None
    epigraphs: tuple[Block, ...]
    blocks: tuple[Block, ...]
    notes: tuple[Note, ...]
    quotations: tuple[Quotation, ...]
    headings: tuple[Heading, ...]
    figures: tuple[Figure, ...]
    words: int
    # `title`, `subtitle` and `series` are plain text (contents, running heads, NCX, metadata);
    # the *_html fields their markup, note references included, as the piece's opening prints
    # them; `title_nav_html` the title's markup without notes or links, for contents lists.
    title_html: str = ""
    title_nav_html: str = ""
    subtitle_html: str = ""
    series_html: str = ""
    language: str = "en"  # the book's: how its byline joins names
    generated: str | None = None  # back matter made from the book: index-of-quotations, works-cited, …
    files: tuple[str, ...] = ()  # the files its text refers to (images), relative to the manuscript, found or not

    def __post_init__(self) -> None:
        _default_markup(self, title_html=self.title, title_nav_html=self.title,
                        subtitle_html=self.subtitle, series_html=self.series)

    @property
    def byline(self) -> str:
        return join_names(self.authors, self.language)

    @property
    def running_title(self) -> str:
        return short_title(self.title)


@dataclass(frozen=True)
class Part:
    id: str
    title: str  # plain text; its markup in title_html (title_nav_html: without links, for contents)
    pieces: tuple[Piece, ...]
    title_html: str = ""
    title_nav_html: str = ""

    def __post_init__(self) -> None:
        _default_markup(self, title_html=self.title, title_nav_html=self.title)


@dataclass(frozen=True)
class BookMeta:
    """Book-wide metadata from `anthology.yml`."""

    title: str
    language: str
    slug: str
    identifier: str
    subtitle: str | None = None
    series: str | None = None
    editors: tuple[str, ...] = ()
    authors: tuple[tuple[str, str | None], ...] = ()  # (name, file-as) of the book's writers
    publisher: str | None = None
    date: str | None = None
    rights: str | None = None
    description: str | None = None
    edition: str | None = None
    isbn_print: str | None = None
    isbn_ebook: str | None = None
    subjects: tuple[str, ...] = ()
    labels: dict[str, str] = field(default_factory=dict)  # the manuscript's own wording of generated labels
    direction: str = "ltr"  # "rtl" for Arabic, Hebrew, Persian, Urdu … (CLDR), or as anthology.yml says
    # title, subtitle and series are plain text (metadata, cover, running heads); their markup here
    title_html: str = ""
    subtitle_html: str = ""
    series_html: str = ""

    def __post_init__(self) -> None:
        _default_markup(self, title_html=self.title, subtitle_html=self.subtitle, series_html=self.series)

    @property
    def running_title(self) -> str:
        return short_title(self.title)

    @property
    def editors_line(self) -> str:
        return join_names(self.editors, self.language)

    @property
    def authors_line(self) -> str:
        return join_names(tuple(name for name, _ in self.authors))


@dataclass(frozen=True)
class Anthology:
    """The whole book: metadata, then its contents in reading order."""

    meta: BookMeta
    root: Path
    entries: tuple[Part | Piece, ...]
    stylesheets: tuple[Path, ...] = ()
    config_path: Path | None = None
    settings: Any = None  # the validated anthology.yml (edition options)
    sources: tuple[Source, ...] = ()
    people: tuple[Contributor, ...] = ()

    @property
    def pieces(self) -> list[Piece]:
        out: list[Piece] = []
        for entry in self.entries:
            out.extend(entry.pieces if isinstance(entry, Part) else [entry])
        return out

    @property
    def parts(self) -> list[Part]:
        return [e for e in self.entries if isinstance(e, Part)]

    @property
    def contributors(self) -> list[str]:
        seen: dict[str, None] = {}
        for piece in self.pieces:
            for name in piece.authors:
                seen.setdefault(name, None)
        return list(seen)

    @property
    def quotations(self) -> list[Quotation]:
        return [q for piece in self.pieces for q in piece.quotations]


def _default_markup(obj, **plain: str | None) -> None:
    """Fill the markup fields a reader left empty with their plain text, escaped."""
    for name, text in plain.items():
        if name.endswith("html") and not getattr(obj, name) and text:
            object.__setattr__(obj, name, escape(text, quote=False))


def sort_name(name: str) -> str:
    """"Leon Trotsky" sorts as "Trotsky, Leon"; a single name sorts as itself."""
    parts = name.split()
    if len(parts) < 2:
        return name
    return f"{parts[-1]}, {' '.join(parts[:-1])}"


def short_title(title: str, limit: int = 45) -> str:
    """A title short enough for a running head: the part before a colon when it is long."""
    if len(title) <= limit:
        return title
    main = title.split(":")[0].strip()
    return main if len(main) <= limit else main[: limit - 1].rsplit(" ", 1)[0] + "…"
