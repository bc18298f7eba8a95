"""The Kobo edition (`<slug>.kepub.epub`): the EPUB with Kobo's markup, as kepubify and
Standard Ebooks make it. Kobo's reader counts reading progress, highlights and page turns by
`koboSpan` spans: every sentence of every paragraph gets one, numbered per document, and the
body's content is wrapped in the `book-columns`/`book-inner` divs Kobo lays columns out with."""

from __future__ import annotations

import re

from lxml import etree

from .epub import EpubWriter

XHTML = "http://www.w3.org/1999/xhtml"
SENTENCE_END = re.compile(r"(?<=[.!?…»”’])\s+")
BLOCKS = {f"{{{XHTML}}}{tag}" for tag in ("p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "td", "th", "figcaption")}


class KepubWriter(EpubWriter):
    name = "kepub"
    suffix = ".kepub.epub"

    def contents(self) -> dict[str, bytes]:
        out = super().contents()
        for doc in self.docs:
            if doc.kind not in ("nav", "cover"):
                out[doc.uid] = kobo_spans(out[doc.uid])
        return out


def kobo_spans(xhtml: bytes) -> bytes:
    """Wrap each sentence of the document's text blocks in `<span class="koboSpan"
    id="kobo.P.S">` (P the block, S the sentence), and the body in Kobo's column divs."""
    root = etree.fromstring(xhtml)
    body = root.find(f"{{{XHTML}}}body")
    blocks = [el for el in body.iter() if el.tag in BLOCKS and not any(a.tag in BLOCKS for a in el.iterancestors())]
    for number, block in enumerate(blocks, 1):
        counter = iter(range(1, 1_000_000))
        _wrap(block, number, counter)
    columns = etree.Element(f"{{{XHTML}}}div", {"id": "book-columns"})
    inner = etree.SubElement(columns, f"{{{XHTML}}}div", {"id": "book-inner"})
    inner.text, body.text = body.text, None
    for child in list(body):
        inner.append(child)
    body.append(columns)
    return etree.tostring(root, xml_declaration=True, encoding="utf-8", doctype="<!DOCTYPE html>")


def _spans(text: str, block: int, counter) -> list[etree._Element]:
    spans = []
    for piece in SENTENCE_END.split(text):
        if piece:
            span = etree.Element(f"{{{XHTML}}}span", {"class": "koboSpan", "id": f"kobo.{block}.{next(counter)}"})
            span.text = piece
            spans.append(span)
    # the spaces between sentences stay outside the spans, as Kobo's own conversion leaves them
    for span, gap in zip(spans, SENTENCE_END.findall(text)):
        span.tail = gap
    return spans


def _wrap(element: etree._Element, block: int, counter) -> None:
    """Wrap the text nodes inside `element` (its text and its children's tails), in order;
    page-break markers are empty and stay as they are."""
    if element.get("class") == "koboSpan":
        return
    if element.text and element.text.strip():
        for i, span in enumerate(_spans(element.text, block, counter)):
            element.insert(i, span)
        element.text = None
    for child in list(element):
        if not isinstance(child.tag, str) or child.get("class") == "koboSpan":
            continue
        _wrap(child, block, counter)
        if child.tail and child.tail.strip():
            spans = _spans(child.tail, block, counter)
            child.tail = None
            for span in reversed(spans):
                child.addnext(span)
