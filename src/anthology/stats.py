"""Words and pages per piece and part, from the print layout itself.

Each part title and piece is laid out as a chunk that opens on a known page, so a piece runs from its opening page to the page before the next piece or part title opens: a
blank verso left so the next piece can open on a recto counts to the piece before it, as it
does in the printer's page count. The spine comes from the padded total and the paper.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path

from .model import Anthology, Part
from .printspec import PrintSpec


@dataclass(frozen=True)
class PieceStats:
    id: str
    title: str
    part: str | None
    path: str
    words: int
    pages: int
    first_page: int  # 1-based, counting from the half-title


@dataclass(frozen=True)
class PartStats:
    id: str
    title: str
    words: int
    pages: int  # its title page(s) and its pieces


@dataclass(frozen=True)
class BookStats:
    edition: str
    paper: str
    pieces: list[PieceStats]
    parts: list[PartStats]
    front_pages: int  # half-title, title, copyright and contents pages before the first piece
    laid_out_pages: int
    pages: int  # padded to the edition's page multiple: what the printer counts
    spine_pt: float

    @property
    def words(self) -> int:
        return sum(p.words for p in self.pieces)

    def as_dict(self) -> dict:
        data = asdict(self)
        del data["spine_pt"]
        data["words"] = self.words
        data["spine"] = {"pt": round(self.spine_pt, 3), "in": round(self.spine_pt / 72, 4),
                         "mm": round(self.spine_pt / 72 * 25.4, 2)}
        return data


def book_stats(book: Anthology, opening: dict[str, int], laid_out: int, spec: PrintSpec) -> BookStats:
    """Count a laid-out book: `opening` gives the (0-based) page each part title and piece opens
    on, `laid_out` the pages before padding (both from `PdfWriter.layout()`)."""
    sections = []  # ids of part titles and pieces, in reading order
    for entry in book.entries:
        sections.append(entry.id)
        if isinstance(entry, Part):
            sections.extend(p.id for p in entry.pieces)
    starts = [opening[s] for s in sections]
    length = {s: (starts[i + 1] if i + 1 < len(starts) else laid_out) - starts[i] for i, s in enumerate(sections)}
    part_of = {p.id: part for part in book.parts for p in part.pieces}
    pieces = [PieceStats(p.id, p.title, part_of[p.id].title if p.id in part_of else None,
                         Path(os.path.relpath(p.source_path, book.root)).as_posix(), p.words, length[p.id], opening[p.id] + 1)
              for p in book.pieces]
    parts = [PartStats(part.id, part.title, sum(p.words for p in part.pieces),
                       length[part.id] + sum(length[p.id] for p in part.pieces)) for part in book.parts]
    pages = spec.padded(laid_out)
    return BookStats(spec.name, spec.paper, pieces, parts, starts[0] if starts else laid_out, laid_out, pages,
                     spec.spine(pages))
