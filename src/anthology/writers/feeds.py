"""The web edition's feeds: the book as an OPDS 1.2 acquisition feed (Atom) and as OPDS 2.0
JSON, which reading apps (KOReader, Thorium, Moon+ Reader) subscribe to, and an Atom feed of
the pieces, one entry per piece, so that readers can follow the series as it grows.

Links are relative to the site unless `site.url` is set: Atom and OPDS resolve them against
the feed's own address, so a feed read from the published site finds its files either way.
"""

from __future__ import annotations

import json
import uuid

from lxml import etree

from ..model import Anthology, Piece
from .downloads import Download

ATOM = "http://www.w3.org/2005/Atom"
DC = "http://purl.org/dc/terms/"
OPDS = "http://opds-spec.org/2010/catalog"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
ACQUISITION = "http://opds-spec.org/acquisition/open-access"  # free to download
OPDS_ACQUISITION_TYPE = "application/atom+xml;profile=opds-catalog;kind=acquisition"
OPDS2_TYPE = "application/opds+json"
OPDS2_PUBLICATION_TYPE = "application/opds-publication+json"


def iri(book: Anthology, name: str) -> str:
    """A stable id for something of this book (a feed, a piece): a name-based UUID from the
    book's identifier, valid as an Atom id whatever form the identifier takes."""
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'{book.meta.identifier}#{name}')}"


def timestamp(date: str | None, fallback: str) -> str:
    """An RFC 3339 date-time from a YYYY, YYYY-MM or YYYY-MM-DD date (the first day it names)."""
    if not date:
        return fallback
    parts = (date.split("-") + ["01", "01"])[:3]
    return f"{parts[0]}-{parts[1]}-{parts[2]}T00:00:00Z"


def summary(piece: Piece, words: int = 50) -> str:
    """What an entry says of a piece: its subtitle, or the opening words of its text."""
    if piece.subtitle:
        return piece.subtitle
    text = " ".join(b.text for b in piece.blocks if b.kind == "paragraph" and b.text)
    opening = text.split()
    return " ".join(opening[:words]) + ("…" if len(opening) > words else "")


def _sub(parent, tag: str, text: str | None = None, **attrs) -> etree._Element:
    el = etree.SubElement(parent, tag, {k.rstrip("_"): v for k, v in attrs.items() if v is not None})
    if text is not None:
        el.text = text
    return el


def _feed(book: Anthology, feed_id: str, title: str, updated: str, people: tuple[str, ...]) -> etree._Element:
    feed = etree.Element(f"{{{ATOM}}}feed", nsmap={None: ATOM, "dc": DC, "opds": OPDS})
    feed.set(XML_LANG, book.meta.language)
    _sub(feed, f"{{{ATOM}}}id", feed_id)
    _sub(feed, f"{{{ATOM}}}title", title)
    _sub(feed, f"{{{ATOM}}}updated", updated)
    for name in people or (book.meta.publisher or book.meta.title,):
        _sub(_sub(feed, f"{{{ATOM}}}author"), f"{{{ATOM}}}name", name)
    return feed


def _people(book: Anthology) -> tuple[str, ...]:
    return tuple(name for name, _ in book.meta.authors) or book.meta.editors


def opds_xml(book: Anthology, downloads: list[Download], base: str, updated: str) -> bytes:
    """The OPDS 1.2 acquisition feed: one entry, the book, with a link to each edition."""
    meta = book.meta
    feed = _feed(book, iri(book, "opds"), meta.title, updated, _people(book))
    _sub(feed, f"{{{ATOM}}}link", rel="self", href=f"{base}opds.xml", type=OPDS_ACQUISITION_TYPE)
    _sub(feed, f"{{{ATOM}}}link", rel="start", href=f"{base}opds.xml", type=OPDS_ACQUISITION_TYPE)
    _sub(feed, f"{{{ATOM}}}link", rel="alternate", href=f"{base}opds.json", type=OPDS2_TYPE)
    entry = _sub(feed, f"{{{ATOM}}}entry")
    _sub(entry, f"{{{ATOM}}}id", meta.identifier)
    _sub(entry, f"{{{ATOM}}}title", meta.title + (f": {meta.subtitle}" if meta.subtitle else ""))
    _sub(entry, f"{{{ATOM}}}updated", updated)
    for name, _ in meta.authors:
        _sub(_sub(entry, f"{{{ATOM}}}author"), f"{{{ATOM}}}name", name)
    for name in meta.editors:
        _sub(_sub(entry, f"{{{ATOM}}}contributor"), f"{{{ATOM}}}name", name)
    _sub(entry, f"{{{DC}}}language", meta.language)
    if meta.publisher:
        _sub(entry, f"{{{DC}}}publisher", meta.publisher)
    if meta.date:
        _sub(entry, f"{{{DC}}}issued", meta.date)
    for subject in meta.subjects:
        _sub(entry, f"{{{ATOM}}}category", term=subject, label=subject)
    if meta.description:
        _sub(entry, f"{{{ATOM}}}summary", meta.description, type="text")
    _sub(entry, f"{{{ATOM}}}link", rel="http://opds-spec.org/image", href=f"{base}cover.png", type="image/png")
    _sub(entry, f"{{{ATOM}}}link", rel="http://opds-spec.org/image/thumbnail", href=f"{base}cover-thumbnail.png",
         type="image/png")
    _sub(entry, f"{{{ATOM}}}link", rel="alternate", href=f"{base}index.html", type="text/html")
    for d in downloads:
        _sub(entry, f"{{{ATOM}}}link", rel=ACQUISITION, href=f"{base}downloads/{d.name}", type=d.media_type,
             title=d.title, length=str(d.size))
    return etree.tostring(feed, xml_declaration=True, encoding="utf-8", pretty_print=True)


def publication(book: Anthology, downloads: list[Download], base: str, updated: str,
                cover: tuple[int, int]) -> dict:
    """The book as an OPDS 2.0 publication (Readium Web Publication Manifest metadata)."""
    meta = book.meta
    metadata: dict = {"@type": "http://schema.org/Book", "title": meta.title, "identifier": meta.identifier,
                      "language": meta.language, "modified": updated}
    optional = {"subtitle": meta.subtitle, "publisher": meta.publisher, "description": meta.description,
                "published": meta.date, "author": [name for name, _ in meta.authors],
                "editor": list(meta.editors), "subject": list(meta.subjects)}
    metadata.update({k: v for k, v in optional.items() if v})
    if meta.series:
        metadata["belongsTo"] = {"series": [{"name": meta.series}]}
    links = [{"rel": "self", "href": f"{base}publication.json", "type": OPDS2_PUBLICATION_TYPE},
             {"rel": "alternate", "href": f"{base}index.html", "type": "text/html"}]
    links += [{"rel": ACQUISITION, "href": f"{base}downloads/{d.name}", "type": d.media_type, "title": d.title}
              for d in downloads]
    images = [{"href": f"{base}cover.png", "type": "image/png", "width": cover[0], "height": cover[1]},
              {"href": f"{base}cover-thumbnail.png", "type": "image/png"}]
    return {"metadata": metadata, "links": links, "images": images}


def opds_json(book: Anthology, downloads: list[Download], base: str, updated: str, cover: tuple[int, int]) -> bytes:
    """The OPDS 2.0 feed: the book as its one publication."""
    feed = {"metadata": {"title": book.meta.title, "modified": updated},
            "links": [{"rel": "self", "href": f"{base}opds.json", "type": OPDS2_TYPE},
                      {"rel": "alternate", "href": f"{base}opds.xml", "type": OPDS_ACQUISITION_TYPE}],
            "publications": [publication(book, downloads, base, updated, cover)]}
    return dumps(feed)


def dumps(data: dict) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def atom(book: Anthology, pages: dict[str, str], base: str, updated: str) -> bytes:
    """The Atom feed of the pieces (RFC 4287): an entry per piece, with its authors, date and
    summary, linking to its page; `pages` gives each piece's page by its id."""
    meta = book.meta
    pieces = [p for p in book.pieces if not p.generated]
    title = meta.series or meta.title
    latest = max((timestamp(p.date, "") for p in pieces), default="") or updated
    feed = _feed(book, iri(book, "pieces"), title, latest, _people(book))
    if meta.description:
        _sub(feed, f"{{{ATOM}}}subtitle", meta.description)
    _sub(feed, f"{{{ATOM}}}link", rel="self", href=f"{base}feed.atom", type="application/atom+xml")
    _sub(feed, f"{{{ATOM}}}link", rel="alternate", href=f"{base}index.html", type="text/html")
    for piece in pieces:
        entry = _sub(feed, f"{{{ATOM}}}entry")
        _sub(entry, f"{{{ATOM}}}id", iri(book, piece.id))
        _sub(entry, f"{{{ATOM}}}title", piece.title)
        _sub(entry, f"{{{ATOM}}}updated", timestamp(piece.date, timestamp(meta.date, updated)))
        if piece.date:
            _sub(entry, f"{{{ATOM}}}published", timestamp(piece.date, updated))
        for name in piece.authors:
            _sub(_sub(entry, f"{{{ATOM}}}author"), f"{{{ATOM}}}name", name)
        _sub(entry, f"{{{ATOM}}}link", rel="alternate", href=f"{base}{pages[piece.id]}", type="text/html")
        text = summary(piece)
        if text:
            _sub(entry, f"{{{ATOM}}}summary", text, type="text")
    return etree.tostring(feed, xml_declaration=True, encoding="utf-8", pretty_print=True)
