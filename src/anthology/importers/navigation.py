"""An EPUB's table of contents as a tree of (title, target) entries: the EPUB 3 navigation
document's `toc` nav, or else the EPUB 2 NCX. Parts of the book are read from it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lxml import etree

from .opf import PackageDocument
from .package import Package, inside, parse_xml
from .xhtml import local, types

NCX = "{http://www.daisy.org/z3986/2005/ncx/}"
SPACE = re.compile(r"\s+")


@dataclass
class Entry:
    title: str
    path: str | None  # the document, inside the publication
    fragment: str | None
    children: list["Entry"] = field(default_factory=list)

    def walk(self):
        yield self
        for child in self.children:
            yield from child.walk()


def _words(el: etree._Element) -> str:
    return SPACE.sub(" ", "".join(el.itertext())).strip()


def _target(base: str, href: str | None) -> tuple[str | None, str | None]:
    if not href:
        return None, None
    fragment = href.split("#", 1)[1] if "#" in href else None
    return inside(base, href), fragment


def _nav_list(ol: etree._Element, base: str) -> list[Entry]:
    entries = []
    for li in ol:
        if local(li) != "li":
            continue
        label = next((c for c in li if local(c) in ("a", "span")), None)
        path, fragment = _target(base, label.get("href")) if label is not None and local(label) == "a" else (None, None)
        sub = next((c for c in li if local(c) == "ol"), None)
        entries.append(Entry(_words(label) if label is not None else "", path, fragment,
                             _nav_list(sub, base) if sub is not None else []))
    return entries


def _ncx_points(parent: etree._Element, base: str) -> list[Entry]:
    entries = []
    for point in parent.findall(f"{NCX}navPoint"):
        text = point.find(f"{NCX}navLabel/{NCX}text")
        content = point.find(f"{NCX}content")
        path, fragment = _target(base, content.get("src") if content is not None else None)
        entries.append(Entry(_words(text) if text is not None else "", path, fragment, _ncx_points(point, base)))
    return entries


def read_toc(package: Package, doc: PackageDocument) -> list[Entry]:
    """The table of contents; empty when the publication has none (pieces then take their
    titles from their own headings)."""
    if doc.nav is not None:
        root = parse_xml(package.read(doc.nav.href), package.where(doc.nav.href))
        for nav in root.iter("{http://www.w3.org/1999/xhtml}nav"):
            if "toc" in types(nav) or "doc-toc" in types(nav):
                ol = next((c for c in nav if local(c) == "ol"), None)
                return _nav_list(ol, doc.nav.href) if ol is not None else []
    if doc.ncx is not None:
        root = parse_xml(package.read(doc.ncx.href), package.where(doc.ncx.href))
        nav_map = root.find(f"{NCX}navMap")
        return _ncx_points(nav_map, doc.ncx.href) if nav_map is not None else []
    return []
