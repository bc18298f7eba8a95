"""Quotations across the book: consistency checks, and the data of the generated back matter
(index of quotations, works cited, image credits)."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field

from .errors import Diagnostics
from .labels import Labels
from .model import Anthology, Piece, Quotation, Source, sort_name

ATTRIBUTED_KINDS = ("epigraph", "blockquote")
PAIRS = {"en": ("“", "”"), "de": ("„", "“"), "fr": ("«", "»"), "es": ("«", "»"), "it": ("«", "»"), "ru": ("«", "»")}


def normal_text(text: str) -> str:
    """Words only, for comparing quotations whatever their quote marks, dashes or spacing."""
    text = unicodedata.normalize("NFKC", text).lower().replace("…", "...")
    return " ".join(re.findall(r"\w+", text))


def work_key(title: str) -> str:
    """One key for the ways a work gets named: "Marx vs. Bakunin" = "Marx versus Bakunin"."""
    t = unicodedata.normalize("NFKC", title).lower().replace("&", " and ")
    t = re.sub(r"\b(versus|vs\.?|v\.)(?=\s)", " v ", t)
    words = re.findall(r"\w+", t)
    if words and words[0] in ("the", "a", "an"):
        words = words[1:]
    return " ".join(words)


def unbalanced(text: str, language: str) -> str | None:
    """What is unbalanced in a passage's quotation marks, if anything."""
    opening, closing = PAIRS.get(language.split("-")[0].lower(), PAIRS["en"])
    if text.count(opening) != text.count(closing):
        return f"{text.count(opening)} opening {opening} but {text.count(closing)} closing {closing}"
    if text.count('"') % 2:
        return 'an odd number of straight " marks'
    return None


def word_diff(expected: str, found: str) -> str:
    """The words that differ, as `[-library words-] {+quoted words+}`."""
    a, b = expected.split(), found.split()
    out = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=[normal_text(w) for w in a], b=[normal_text(w) for w in b],
                                                       autojunk=False).get_opcodes():
        if op == "equal":
            continue
        removed, added = " ".join(a[i1:i2]), " ".join(b[j1:j2])
        out.append(" ".join(filter(None, [removed and f"[-{removed}-]", added and f"{{+{added}+}}"])))
    return "; ".join(out)


def check_quotations(book: Anthology, library, diags: Diagnostics) -> None:
    """Warn about misquotations, missing or conflicting attributions, and works named two ways."""
    quotes = [q for q in book.quotations if q.kind in ATTRIBUTED_KINDS]
    for q in quotes:
        where = q.location
        what = "epigraph" if q.kind == "epigraph" else "block quotation"
        if not (q.author or q.work or q.key):
            diags.warning(where.path, where.line, f"{what} has no attribution (end it with a line '— Author, *Work*')")
        entry = library.quotations.get(q.key) if q.key else None
        if entry is not None and normal_text(entry.text) != normal_text(q.text):
            diags.warning(where.path, where.line,
                          f"misquotation: the {what} differs from '{q.key}' in quotations.yml "
                          f"(line {entry.location.line}): {word_diff(entry.text, q.text)}")

    by_words: dict[str, Quotation] = {}
    for q in quotes:
        words = " ".join(normal_text(q.text).split()[:12])
        if not words or not (q.author or q.work):
            continue
        first = by_words.setdefault(words, q)
        if first is not q and (first.author, first.work) != (q.author, q.work):
            diags.warning(q.location.path, q.location.line,
                          f"the same words are attributed to {describe(q)} here and to {describe(first)} "
                          f"at {first.location}")

    names: dict[str, tuple[str, str]] = {}
    for source in library.sources.values():
        names.setdefault(work_key(source.title), (source.title, str(library.source_lines[source.key])))
    for q in quotes:
        if not q.work:
            continue
        title, where = names.setdefault(work_key(q.work), (q.work, str(q.location)))
        if title != q.work:
            diags.warning(q.location.path, q.location.line,
                          f"'{q.work}' names the same work as '{title}' ({where}): use one name")


def describe(q: Quotation) -> str:
    return ", ".join(filter(None, [q.author, q.work and f"'{q.work}'"])) or "no one"


# --- generated back matter ---------------------------------------------------------------------

@dataclass
class WorkEntry:
    title: str
    source: Source | None
    quotations: list[tuple[Quotation, Piece]] = field(default_factory=list)


@dataclass
class AuthorEntry:
    name: str
    sort: str
    works: dict[str, WorkEntry] = field(default_factory=dict)

    @property
    def sort_display(self) -> str:
        return sort_name(self.name)


def _pieces_by_id(book: Anthology) -> dict[str, Piece]:
    return {p.id: p for p in book.pieces}


def _source(book: Anthology, title: str | None) -> Source | None:
    if not title:
        return None
    key = work_key(title)
    return next((s for s in book.sources if work_key(s.title) == key), None)


def quotation_index(book: Anthology) -> list[AuthorEntry]:
    """Attributed quotations by author, then work, then opening words: each work listed once,
    with every place it is quoted, whatever name each essay gave it."""
    pieces = _pieces_by_id(book)
    authors: dict[str, AuthorEntry] = {}
    anonymous = anonymous_label(book)
    for q in book.quotations:
        if q.kind not in ATTRIBUTED_KINDS or not (q.author or q.work):
            continue
        name = q.author or anonymous
        entry = authors.setdefault(name, AuthorEntry(name, sort_name(name).lower()))
        source = _source(book, q.work)
        title = source.title if source else (q.work or "")
        work = entry.works.setdefault(work_key(title), WorkEntry(title, source))
        work.quotations.append((q, pieces[q.piece_id]))
    for entry in authors.values():
        entry.works = dict(sorted(entry.works.items()))
        for work in entry.works.values():
            work.quotations.sort(key=lambda qp: normal_text(qp[0].text))
    return sorted(authors.values(), key=lambda a: a.sort)


@dataclass
class Citation:
    """One entry of the works cited, in a consistent style: Author. *Title*. Publisher, Year."""

    author: str | None
    sort: str
    title: str
    publisher: str | None
    year: str | None
    url: str | None
    translator: str | None

    @property
    def author_display(self) -> str:
        return sort_name(self.author) if self.author else ""


def anonymous_label(book: Anthology) -> str:
    """What the index lists an unnamed author's quotations under, in the book's language."""
    return Labels(book.meta.language, book.meta.labels).text("Anonymous")


def works_cited(book: Anthology) -> list[Citation]:
    seen: dict[str, Citation] = {}
    anonymous = anonymous_label(book)
    for author in quotation_index(book):
        for work in author.works.values():
            if not work.title:
                continue
            s = work.source
            key = work_key(work.title)
            name = (s.author if s and s.author else None) or (author.name if author.name != anonymous else None)
            seen.setdefault(key, Citation(name, sort_name(name).lower() if name else work.title.lower(), work.title,
                                          s.publisher if s else None, s.year if s else None, s.url if s else None,
                                          s.translator if s else None))
    return sorted(seen.values(), key=lambda c: (c.sort, c.title.lower()))


def image_credits(book: Anthology) -> list[tuple[str, list[tuple[Piece, object]]]]:
    """Credits gathered from captions: each credit once, with the figures it covers."""
    credits: dict[str, list] = defaultdict(list)
    for piece in book.pieces:
        for fig in piece.figures:
            if fig.credit:
                credit = re.sub(r"^(Image|Photo|Photograph|Illustration|Credit|Source)\s*:\s*", "", fig.credit)
                credits[credit].append((piece, fig))
    return sorted(credits.items(), key=lambda kv: kv[0].lower())
