"""The plan of a chunked print edition, and where its chunks land: pure functions of the book
and of the chunks' page counts, so placement can be reasoned about (and tested) without a layout.

Every chunk (the display pages, the contents, a part title, a piece) opens on a recto, after a
blank verso if need be; the body's first page is folio 1, the pages before it are numbered in
roman numerals.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ...model import Part
from ...pagemap import label
from .cache import ChunkLayout
from .folios import Stamp


@dataclass(frozen=True)
class ChunkSpec:
    """A run of pages laid out on its own: the display pages, the contents, a part title or a piece."""

    key: str
    kind: str  # "display", "contents", "part" or "piece"
    wrapper: str  # "frontmatter", "mainmatter" or "backmatter", as in the single document
    item: object = None
    number: int = 0
    first: bool = False  # the first thing in its wrapper

    @property
    def needs_labels(self) -> bool:
        """Whether its text holds page numbers of other chunks (contents, index, credits)."""
        return self.kind == "contents" or getattr(self.item, "generated", None) is not None

    @property
    def whole_book(self) -> bool:
        """Whether its document draws on other chunks (their page numbers, or their titles and
        sources, as the display pages' credits do): its document is made again every build,
        not known from its own inputs (jobs.py)."""
        return self.needs_labels or self.kind == "display"


def plan(entries) -> list[ChunkSpec]:
    """The chunks of a book with these entries (parts and pieces), in book order."""
    chunks = [ChunkSpec("display", "display", "frontmatter", first=True),
              ChunkSpec("contents", "contents", "frontmatter")]
    number = 0
    for entry in entries:
        if isinstance(entry, Part):
            number += 1
            chunks.append(ChunkSpec(entry.id, "part", "mainmatter", entry, number))
            chunks += [ChunkSpec(p.id, "piece", "mainmatter", p) for p in entry.pieces]
        else:
            wrapper = {"front": "frontmatter", "back": "backmatter"}.get(entry.role, "mainmatter")
            chunks.append(ChunkSpec(entry.id, "piece", wrapper, entry))
    seen: set[str] = set()
    for i, chunk in enumerate(chunks):
        if chunk.wrapper not in seen:
            seen.add(chunk.wrapper)
            chunks[i] = replace(chunk, first=True)
    return chunks


def placement(chunks: list[ChunkSpec], counts: dict[str, int]) -> tuple[dict[str, int], int, int]:
    """Where each chunk lands for these page counts (a chunk not laid out yet: one page): the
    starts, the page count and the first body page."""
    starts, index = {}, 0
    for chunk in chunks:
        index += index % 2
        starts[chunk.key] = index
        index += counts.get(chunk.key, 1)
    first_body = next((c.key for c in chunks if c.wrapper == "mainmatter"), None)
    return starts, index, starts.get(first_body, 0)


def labels(chunks: list[ChunkSpec], starts: dict[str, int], layouts: dict[str, ChunkLayout],
           body_start: int) -> dict[str, str]:
    """The printed page number of every id the laid-out chunks hold (its first page's)."""
    out: dict[str, str] = {}
    for chunk in chunks:
        layout = layouts.get(chunk.key)
        for j, ids in enumerate(layout.anchors if layout else ()):
            for anchor in ids:
                out.setdefault(anchor, label(starts[chunk.key] + j, body_start))
    return out


def stamps(chunks: list[ChunkSpec], starts: dict[str, int], layouts: dict[str, ChunkLayout], body_start: int,
           total: int) -> list[Stamp | None]:
    """The folio each page of a placement needs (None: a blank page, or one not laid out)."""
    out: list[Stamp | None] = [None] * total
    for chunk in chunks:
        layout = layouts.get(chunk.key)
        for j, (side, blank, name, first) in enumerate(layout.kinds if layout else ()):
            i = starts[chunk.key] + j
            if not blank:
                value = i + 1 if i < body_start else i - body_start + 1
                out[i] = Stamp(name, first, value, side)
    return out
