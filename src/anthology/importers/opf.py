"""The package document of an EPUB: the book's metadata, its files and its reading order.

EPUB 3 refines a creator with `<meta refines="#id" property="file-as">`, EPUB 2 with an
`opf:file-as` attribute; both are read, and so are a title's `title-type` (main, subtitle)
and a contributor's MARC role (`aut`, `win` for the writer of an introduction …).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lxml import etree

from ..config import BCP47, check_date
from .package import Package, inside, parse_xml

NS = {"opf": "http://www.idpf.org/2007/opf", "dc": "http://purl.org/dc/elements/1.1/"}
OPF2 = "{http://www.idpf.org/2007/opf}"
SPACE = re.compile(r"\s+")


@dataclass
class Person:
    name: str
    file_as: str | None = None
    roles: tuple[str, ...] = ()


@dataclass
class Metadata:
    title: str = ""
    subtitle: str | None = None
    authors: list[Person] = field(default_factory=list)
    editors: list[Person] = field(default_factory=list)
    contributors: list[Person] = field(default_factory=list)
    language: str = "en"
    description: str | None = None
    identifier: str | None = None
    date: str | None = None
    subjects: list[str] = field(default_factory=list)


@dataclass
class Item:
    id: str
    href: str  # path inside the publication
    media_type: str
    properties: set[str]


@dataclass
class PackageDocument:
    metadata: Metadata
    manifest: dict[str, Item]
    spine: list[Item]
    nav: Item | None
    ncx: Item | None


def _text(el: etree._Element) -> str:
    return SPACE.sub(" ", "".join(el.itertext())).strip()


def _date(value: str) -> str | None:
    """dc:date as the manuscript takes it: 2017-03-31T19:18:38Z gives 2017-03-31."""
    m = re.match(r"\d{4}(?:-\d{2}(?:-\d{2})?)?", value.strip())
    if not m:
        return None
    try:
        return check_date(m.group(0))
    except ValueError:
        return None


def read_package_document(package: Package) -> PackageDocument:
    root = parse_xml(package.read(package.opf), package.where(package.opf))
    meta_el = root.find("opf:metadata", NS)
    if meta_el is None:
        meta_el = etree.Element("metadata")
    refines: dict[str, dict[str, list[str]]] = {}
    for m in meta_el.findall("opf:meta", NS):
        target, prop = (m.get("refines") or "").lstrip("#"), m.get("property")
        if target and prop:
            refines.setdefault(target, {}).setdefault(prop, []).append(_text(m))

    def refined(el: etree._Element, prop: str) -> list[str]:
        return refines.get(el.get("id") or "", {}).get(prop, [])

    meta = Metadata()
    titles = meta_el.findall("dc:title", NS)
    main = [t for t in titles if "main" in refined(t, "title-type")] or titles[:1]
    if main:
        meta.title = _text(main[0])
    sub = [t for t in titles if "subtitle" in refined(t, "title-type")]
    if sub:
        meta.subtitle = _text(sub[0])
    for tag, people in (("creator", meta.authors), ("contributor", meta.contributors)):
        for el in meta_el.findall(f"dc:{tag}", NS):
            name = _text(el)
            if not name:
                continue
            file_as = (refined(el, "file-as") or [el.get(f"{OPF2}file-as") or ""])[0] or None
            roles = tuple(refined(el, "role")) or ((el.get(f"{OPF2}role"),) if el.get(f"{OPF2}role") else ())
            people.append(Person(name, file_as, roles))
    # a creator whose roles do not include author (an editor, an illustrator …) is a contributor
    meta.contributors += [p for p in meta.authors if p.roles and "aut" not in p.roles]
    meta.authors = [p for p in meta.authors if not p.roles or "aut" in p.roles]
    meta.editors = [p for p in meta.contributors if "edt" in p.roles]
    lang = meta_el.find("dc:language", NS)
    if lang is not None and BCP47.match(_text(lang)):
        meta.language = _text(lang)
    desc = meta_el.find("dc:description", NS)
    if desc is not None and _text(desc):
        # EPUB 2 descriptions often hold escaped HTML: keep its words
        meta.description = SPACE.sub(" ", re.sub(r"<[^>]+>", " ", _text(desc))).strip()
    uid = root.get("unique-identifier")
    ids = meta_el.findall("dc:identifier", NS)
    chosen = [i for i in ids if i.get("id") == uid] or ids[:1]
    if chosen and _text(chosen[0]):
        meta.identifier = _text(chosen[0])
    date = meta_el.find("dc:date", NS)
    if date is not None:
        meta.date = _date(_text(date))
    meta.subjects = [s for s in (_text(el) for el in meta_el.findall("dc:subject", NS)) if s]

    manifest: dict[str, Item] = {}
    for el in root.findall("opf:manifest/opf:item", NS):
        href = inside(package.opf, el.get("href") or "")
        if el.get("id") and href:
            manifest[el.get("id")] = Item(el.get("id"), href, el.get("media-type") or "", set((el.get("properties") or "").split()))
    spine_el = root.find("opf:spine", NS)
    spine = []
    if spine_el is not None:
        spine = [manifest[r.get("idref")] for r in spine_el.findall("opf:itemref", NS) if r.get("idref") in manifest]
    nav = next((i for i in manifest.values() if "nav" in i.properties), None)
    ncx_id = spine_el.get("toc") if spine_el is not None else None
    ncx = manifest.get(ncx_id) if ncx_id else next((i for i in manifest.values() if i.media_type == "application/x-dtbncx+xml"), None)
    return PackageDocument(meta, manifest, spine, nav, ncx)
