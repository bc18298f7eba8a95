"""The piece as an importer understood it, before it is written: one shape for every source format.

Inline text in these blocks is already Markdown (escaped, with *emphasis* and links), so the
writer only has to lay the blocks out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Paragraph:
    text: str
    line: int = 0


@dataclass
class Heading:
    level: int  # 2 for `##`: the piece title is the only first-level heading
    text: str
    line: int = 0


@dataclass
class Quote:
    """A block quote; `given` means its attribution is already stated by the text before it,
    so it is written as `::: {.quote author=… work=…}` instead of a closing "— Author" line."""

    paragraphs: list[str]
    author: str | None = None
    work: str | None = None
    locator: str | None = None
    given: bool = False
    line: int = 0


@dataclass
class ImageSource:
    """Where a figure's image comes from: bytes to save, or nothing (a placeholder is drawn)."""

    data: bytes | None = None
    ext: str = "svg"
    origin: str | None = None  # the URL or file the source named, for the report


@dataclass
class Figure:
    caption: str  # Markdown-escaped
    credit: str | None = None  # "Image: Socialist Revolution"
    description: str | None = None  # alternative text, written as the image title
    image: ImageSource = field(default_factory=ImageSource)
    line: int = 0
    src: str = ""  # manuscript-relative path, set when the image is saved


@dataclass
class ListBlock:
    items: list[str]
    ordered: bool = False
    line: int = 0


@dataclass
class PullQuote:
    text: str
    line: int = 0


@dataclass
class Break:
    line: int = 0


@dataclass
class Callout:
    """The site's closing call to action ("Join us!"), kept apart from the essay as `::: callout`."""

    lines: list[str]
    line: int = 0


Block = Paragraph | Heading | Quote | Figure | ListBlock | PullQuote | Break | Callout


@dataclass
class Draft:
    title: str = ""
    subtitle: str | None = None
    authors: list[str] = field(default_factory=list)
    series: str | None = None
    date: str | None = None
    source: str | None = None
    blocks: list[Block] = field(default_factory=list)
    notes: list[tuple[str, str]] = field(default_factory=list)  # (label, Markdown text)
    source_text: str | None = None  # a Markdown piece imported as it was written (piecefile)

    @property
    def epigraphs(self) -> list[Quote]:
        """Block quotes before the first other block: the loader makes these the epigraphs."""
        out = []
        for block in self.blocks:
            if not isinstance(block, Quote):
                break
            out.append(block)
        return out

    @property
    def quotations(self) -> list[Quote]:
        leading = len(self.epigraphs)
        return [b for b in self.blocks[leading:] if isinstance(b, Quote)]

    @property
    def figures(self) -> list[Figure]:
        return [b for b in self.blocks if isinstance(b, Figure)]


@dataclass
class Finding:
    """Something an importer recognised, or was unsure of, at a line of the source."""

    kind: str
    line: int
    detail: str

    def format(self, source: Path | None = None) -> str:
        where = f"{source.name}:{self.line}" if source else f"line {self.line}"
        return f"{where}: {self.kind}: {self.detail}"


@dataclass
class Findings:
    recognised: list[Finding] = field(default_factory=list)
    unsure: list[Finding] = field(default_factory=list)

    def saw(self, kind: str, line: int, detail: str) -> None:
        self.recognised.append(Finding(kind, line, detail))

    def doubt(self, kind: str, line: int, detail: str) -> None:
        self.unsure.append(Finding(kind, line, detail))
