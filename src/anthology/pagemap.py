"""Print page numbers for the EPUB, read from the print edition's actual layout.

For every page of the laid-out PDF the layout worker (writers/print/layout.py) finds the first
word that begins on it: the element it belongs to (every block of text carries an id shared by
both editions) and how many non-space characters of that element come before it. The EPUB writer then places a page-break marker at
the same character in the same element, so "p. 47" means the same words in both editions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from lxml import etree

HYPHEN = "\u2010"  # what WeasyPrint adds where it hyphenates a word at the end of a line
XHTML = "http://www.w3.org/1999/xhtml"
EPUB_NS = "http://www.idpf.org/2007/ops"


def roman(number: int) -> str:
    out = ""
    for value, letters in ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"),
                           (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")):
        while number >= value:
            out, number = out + letters, number - value
    return out


def nonspace(text: str) -> int:
    return sum(1 for c in text if not c.isspace() and c != HYPHEN)


@dataclass(frozen=True)
class PageStart:
    """Where a print page begins: `offset` non-space characters into the element `element_id`;
    `element_id` None for a page on which no word begins (a blank verso)."""

    index: int
    label: str
    element_id: str | None
    offset: int


def label(index: int, body_start: int) -> str:
    """The folio printed on a page: roman before the body, arabic from 1 after."""
    return roman(index + 1) if index < body_start else str(index - body_start + 1)


@dataclass(frozen=True)
class PrintPages:
    """What the EPUB takes of a laid-out print edition: where each page begins, and the page
    count of the written file (blank pages added to reach the page multiple included)."""

    starts: list[PageStart]
    total: int


@dataclass
class PageMap:
    """Page starts of the print edition, and the placing of their markers in XHTML. A page's
    label is its folio in ASCII digits (marker ids are made of it); `shown` writes it as the
    folio prints it, in the book's digits, for readers."""

    starts: list[PageStart]
    shown: Callable[[str], str] = str

    @classmethod
    def from_starts(cls, raw: list[PageStart], known_ids: set[str], total: int | None = None) -> "PageMap":
        """Keep the pages from the first one whose words exist in the EPUB; a page with no
        word of its own (blank, or display matter) is marked where the next page begins.
        `total` counts the blank pages added after layout to reach the page multiple."""
        body_start = next((int(s.index) - int(s.label) + 1 for s in raw if s.label.isdigit()), 0)
        raw = raw + [PageStart(i, str(i - body_start + 1), None, 0) for i in range(len(raw), total or len(raw))]
        kept: list[PageStart] = []
        for start in raw:
            located = start.element_id in known_ids
            if not kept and not located:
                continue
            kept.append(start if located else PageStart(start.index, start.label, None, 0))
        return cls(kept)

    def entries(self) -> list[tuple[str, str]]:
        """(label as shown, marker id) of every page, in order: the page list."""
        return [(self.shown(s.label), f"page-{s.label}") for s in self.starts]

    def resolved(self) -> list[tuple[PageStart, str | None, int]]:
        """Each page with the element and offset where its marker goes (a page with no words
        of its own takes the next page's position; trailing ones go at the very end)."""
        out = []
        following: tuple[str | None, int] = (None, 0)
        for start in reversed(self.starts):
            if start.element_id is not None:
                following = (start.element_id, start.offset)
            out.append((start, *following))
        return list(reversed(out))

    def insert_markers(self, xhtml: bytes, last_document: bool) -> bytes:
        """Place the page-break markers that belong in this document."""
        root = etree.fromstring(xhtml)
        by_id = {el.get("id"): el for el in root.iter() if isinstance(el.tag, str) and el.get("id")}
        placed = False
        for start, element_id, offset in self.resolved():
            if element_id is None:
                if last_document:
                    body = root.find(f"{{{XHTML}}}body")
                    section = body[-1] if len(body) else body
                    section.append(marker(start.label, self.shown(start.label)))
                    placed = True
                continue
            element = by_id.get(element_id)
            if element is None:
                continue
            place(element, offset, marker(start.label, self.shown(start.label)))
            placed = True
        if not placed:
            return xhtml
        return etree.tostring(root, xml_declaration=True, encoding="utf-8", doctype="<!DOCTYPE html>")


def marker(label: str, shown: str) -> etree._Element:
    span = etree.Element(f"{{{XHTML}}}span", {f"{{{EPUB_NS}}}type": "pagebreak", "role": "doc-pagebreak",
                                               "id": f"page-{label}", "aria-label": shown})
    return span


def _is_noteref(el: etree._Element) -> bool:
    return el.get(f"{{{EPUB_NS}}}type") == "noteref" or el.get("role") == "doc-pagebreak"


def _slots(element: etree._Element):
    """(owner, is_tail, text) for every text node of an element in reading order, skipping
    note references (their numbers are generated content in print)."""
    yield element, False, element.text or ""
    for child in element:
        if isinstance(child.tag, str) and not _is_noteref(child):
            yield from _slots(child)
        yield child, True, child.tail or ""


def place(element: etree._Element, offset: int, span: etree._Element) -> None:
    """Insert `span` before the first word that begins at or after `offset` non-space characters
    (a page that opens with the end of a word hyphenated on the previous page is marked before
    its first whole word)."""
    count = 0
    slots = list(_slots(element))
    for i, (owner, is_tail, text) in enumerate(slots):
        for pos, ch in enumerate(text):
            if ch.isspace():
                continue
            if count >= offset and _word_starts(slots, i, pos):
                _insert(owner, is_tail, pos, span)
                return
            count += 1
    owner, is_tail, text = slots[-1]
    _insert(owner, is_tail, len(text), span)


def _word_starts(slots, i: int, pos: int) -> bool:
    text = slots[i][2]
    if pos > 0:
        return text[pos - 1].isspace() or text[pos - 1] in "—–/(\u201c\u2018\"'«„"
    for owner, is_tail, prev in reversed(slots[:i]):
        if prev:
            return prev[-1].isspace()
    return True


HEADINGS = {f"{{{XHTML}}}h{n}" for n in range(1, 7)}


def _insert(owner: etree._Element, is_tail: bool, pos: int, span: etree._Element) -> None:
    """Insert `span` at `pos` of a text node; a page that begins in a heading is marked just
    before the heading, so that a screen reader does not read the folio as part of it."""
    holder = owner.getparent() if is_tail else owner
    heading = None if holder is None else next(
        (h for h in (holder, *holder.iterancestors()) if h.tag in HEADINGS), None)
    if heading is not None:
        heading.addprevious(span)
        span.tail = None
        return
    if is_tail:
        text = owner.tail or ""
        owner.tail = text[:pos]
        span.tail = text[pos:]
        owner.addnext(span)
        # addnext moves the tail: restore it on the span
        owner.tail = text[:pos]
        span.tail = text[pos:]
    else:
        text = owner.text or ""
        owner.text = text[:pos]
        span.tail = text[pos:]
        owner.insert(0, span)
