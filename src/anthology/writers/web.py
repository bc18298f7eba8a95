"""The web edition: a static site of the book in `OUT/<slug>-web/`, one page per part and piece.

It is made as the EPUB is, from the same model and macros (the EPUB writer's documents, page
markers, images and stylesheet resources), then written as HTML5: a home page with the cover
and contents, a page per part and piece with its notes linked both ways and previous/next
links, the generated back matter, a download page of the editions the build wrote (size,
pages, SHA-256, schema.org JSON-LD, Open Graph) and the feeds (feeds.py). The print edition's
page numbers stand in the margin where its pages begin. No script: it works from `file://`
and from any static host; links are relative unless `site.url` is set.
"""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path
from typing import Callable

from lxml import etree

from ..atomic import atomic_dir
from ..errors import Diagnostics, ManuscriptError
from ..model import Part, Piece
from ..pagemap import PrintPages
from . import feeds
from .base import build_time
from .downloads import Download, describe
from .epub import Doc, EpubWriter

STYLESHEET = "styles/book.css"
COVER = "cover.png"
THUMBNAIL = "cover-thumbnail.png"
THUMBNAIL_WIDTH = 400
XHTML = "http://www.w3.org/1999/xhtml"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


class WebWriter(EpubWriter):
    """Writes the folder `<slug>-web/`; `write()` returns its home page."""

    name = "web"
    suffix = "-web"
    label = "web edition"
    styles = "web"
    svg_fallbacks = False  # browsers draw SVG

    def __init__(self, book, diags: Diagnostics | None = None, printed: PrintPages | None = None,
                 editions: dict[str, Path] | None = None):
        """`editions` are the files the build wrote (by its keys: pdf, screen, epub …), offered
        on the download page and in the OPDS feeds."""
        super().__init__(book, diags, printed)
        self.editions = dict(editions or {})
        self.downloads: list[Download] = []
        self.cover_size = (0, 0)
        settings = book.settings
        self.base = (settings.site.url or "") if settings is not None else ""

    def _plan(self) -> list[Doc]:
        docs = [Doc("index", "index.html", self.book.meta.title, "home")]
        number = 0
        for entry in self.book.entries:
            if isinstance(entry, Part):
                number += 1
                docs.append(Doc(entry.id, f"{entry.id}.html", entry.title, "part", entry, number))
                pieces = entry.pieces
            else:
                pieces = (entry,)
            docs.extend(Doc(p.id, f"{p.id}.html", p.title, "piece", p) for p in pieces)
        taken = {d.file_name for d in docs}
        download = "download.html" if "download.html" not in taken else "downloads/index.html"
        docs.append(Doc("download", download, self.translate.text("Download"), "download"))
        return docs

    def href(self, target: str) -> str:
        file_name = self.locations.get(target, f"{target}.html")
        return file_name if file_name == f"{target}.html" else f"{file_name}#{target}"

    # --- pages --------------------------------------------------------------------------------
    def content(self, doc: Doc) -> bytes:
        reading = [d for d in self.docs if d.kind != "download"]
        at = reading.index(doc) if doc in reading else None
        previous = reading[at - 1] if at else None
        following = reading[at + 1] if at is not None and at + 1 < len(reading) else None
        previous, following = ({"href": d.file_name, "title": d.title} if d else None for d in (previous, following))
        body = self.render("web_content.j2", kind=doc.kind, item=doc.item, number=doc.number, cover=COVER,
                           downloads=self.downloads, cover_size=self.cover_size)
        page = self.render("web_page.html.j2", title=self.page_title(doc), stylesheet=STYLESHEET, kind=doc.kind,
                           content=body, canonical=self.base + doc.file_name, previous=previous, next=following,
                           description=self.description(doc), og=self.open_graph(doc),
                           jsonld=self.json_ld() if doc.kind in ("home", "download") else "",
                           download=self.href("download"), base=self.base, icon=THUMBNAIL)
        try:
            etree.fromstring(page.encode("utf-8"))
        except etree.XMLSyntaxError as exc:
            raise self.not_well_formed(doc, exc) from None
        return page.encode("utf-8")

    def not_well_formed(self, doc: Doc, exc: etree.XMLSyntaxError) -> ManuscriptError:
        """A manuscript's own web template that does not close what it opens (the page markers
        and the checks read each page as XML)."""
        diags = Diagnostics()
        diags.error(self.book.root / "templates", 0, f"the templates' output for {doc.file_name} is not "
                                                     f"well-formed: {exc.msg} (line {exc.lineno} of its output)")
        error = ManuscriptError("a template gave an invalid web page: the web edition was not written", diags)
        error.written_nothing = False
        return error

    def page_title(self, doc: Doc) -> str:
        meta = self.book.meta
        if doc.kind == "home":
            return meta.title + (f": {meta.subtitle}" if meta.subtitle else "")
        if doc.kind == "piece" and doc.item.authors and doc.item.role == "body":
            return f"{doc.title} — {doc.item.byline} · {meta.title}"
        return f"{doc.title} · {meta.title}"

    def description(self, doc: Doc) -> str:
        if isinstance(doc.item, Piece) and not doc.item.generated:
            return feeds.summary(doc.item, 30)
        return self.book.meta.description or ""

    def open_graph(self, doc: Doc) -> list[tuple[str, str]]:
        """Open Graph tags: what a link to the page shows where it is shared. Addresses only
        with `site.url`, since Open Graph takes absolute URLs."""
        meta = self.book.meta
        tags = [("og:title", doc.title), ("og:site_name", meta.title), ("og:locale", meta.language.replace("-", "_"))]
        piece = doc.item if isinstance(doc.item, Piece) else None
        tags.append(("og:type", "article" if piece is not None else "book"))
        if self.description(doc):
            tags.append(("og:description", self.description(doc)))
        if self.base:
            tags += [("og:url", self.base + doc.file_name), ("og:image", self.base + COVER)]
            if self.cover_size[0]:
                tags += [("og:image:width", str(self.cover_size[0])), ("og:image:height", str(self.cover_size[1])),
                         ("og:image:alt", self.translate.text("Cover: %(title)s", title=meta.title))]
        if piece is not None:
            tags += [("article:author", name) for name in piece.authors]
            if piece.date:
                tags.append(("article:published_time", piece.date))
        else:
            tags += [("book:author", name) for name, _ in meta.authors]
            if meta.isbn_ebook:
                tags.append(("book:isbn", meta.isbn_ebook.replace("-", "")))
            if meta.date:
                tags.append(("book:release_date", meta.date))
        return tags

    def json_ld(self) -> str:
        """The book as schema.org `Book`, each edition a `workExample`, each piece a part of it;
        escaped so that it is at home in a script element of HTML and of XML alike."""
        meta = self.book.meta
        data: dict = {"@context": "https://schema.org", "@type": "Book", "name": meta.title,
                      "inLanguage": meta.language, "identifier": meta.identifier,
                      "url": self.base + "index.html", "image": self.base + COVER}
        if meta.subtitle:
            data["alternativeHeadline"] = meta.subtitle
        if meta.authors:
            data["author"] = [{"@type": "Person", "name": name} for name, _ in meta.authors]
        if meta.editors:
            data["editor"] = [{"@type": "Person", "name": name} for name in meta.editors]
        if meta.publisher:
            data["publisher"] = {"@type": "Organization", "name": meta.publisher}
        for key, value in (("datePublished", meta.date), ("description", meta.description),
                           ("copyrightNotice", meta.rights), ("bookEdition", meta.edition)):
            if value:
                data[key] = value
        if meta.subjects:
            data["keywords"] = ", ".join(meta.subjects)
        if meta.series:
            data["isPartOf"] = {"@type": "CreativeWorkSeries", "name": meta.series}
        formats = {"epub": "https://schema.org/EBook", "kepub": "https://schema.org/EBook"}
        data["workExample"] = [
            {"@type": "Book", "name": d.title, "bookFormat": formats.get(d.kind.partition(":")[0], "https://schema.org/EBook"),
             "encodingFormat": d.media_type, "url": f"{self.base}downloads/{d.name}", "contentSize": str(d.size),
             **({"numberOfPages": d.pages} if d.pages else {}),
             **({"isbn": meta.isbn_ebook} if d.kind in ("epub", "kepub") and meta.isbn_ebook else {}),
             **({"isbn": meta.isbn_print} if d.kind == "pdf" and meta.isbn_print else {})}
            for d in self.downloads if d.kind != "cover"]
        data["hasPart"] = [{"@type": "Chapter", "name": p.title, "url": self.base + self.href(p.id),
                            **({"author": [{"@type": "Person", "name": n} for n in p.authors]} if p.authors else {})}
                           for p in self.book.pieces]
        text = json.dumps(data, ensure_ascii=False, indent=1)
        return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")

    # --- the site -----------------------------------------------------------------------------
    def cover_files(self) -> dict[str, bytes]:
        """The cover (the EPUB's: given or drawn), as PNG, and a thumbnail for the feeds."""
        from PIL import Image

        data = self.cover_image()
        with Image.open(io.BytesIO(data)) as image:
            image = image.convert("RGB")
            self.cover_size = image.size
            full = io.BytesIO()
            image.save(full, "PNG", optimize=True)
            image.thumbnail((THUMBNAIL_WIDTH, THUMBNAIL_WIDTH * 2))
            thumb = io.BytesIO()
            image.save(thumb, "PNG", optimize=True)
        return {COVER: full.getvalue(), THUMBNAIL: thumb.getvalue()}

    def files(self) -> dict[str, bytes]:
        """Every file of the site but the downloads, by its path in the site."""
        covers = self.cover_files()
        self.downloads = [describe(kind, path, self.translate.text) for kind, path in self.editions.items()]
        pages = self.contents()
        files = {doc.file_name: html5(pages[doc.uid]) for doc in self.docs}
        files[STYLESHEET] = self.stylesheet()
        for name, (_, data) in sorted(self.resources.items()):
            files.setdefault(name, data)
        for item in self.images():
            files.setdefault(item.file_name, item.content)
        files.update(covers)
        updated = build_time().strftime("%Y-%m-%dT%H:%M:%SZ")
        files["opds.xml"] = feeds.opds_xml(self.book, self.downloads, self.base, updated)
        files["opds.json"] = feeds.opds_json(self.book, self.downloads, self.base, updated, self.cover_size)
        files["publication.json"] = feeds.dumps(
            feeds.publication(self.book, self.downloads, self.base, updated, self.cover_size))
        files["feed.atom"] = feeds.atom(self.book, {p.id: self.locations[p.id] for p in self.book.pieces},
                                        self.base, updated)
        return files

    def contents(self) -> dict[str, bytes]:
        out = {doc.uid: self.content(doc) for doc in self.docs}
        self.mark_pages(out)
        return out

    def write(self, out_dir: Path, check: Callable[[Path], None] | None = None) -> Path:
        """Write the site into a temporary folder, check it (`check(folder)`), and put it in the
        place of the previous one."""
        target = self.output_path(out_dir)
        files = self.files()
        with atomic_dir(target) as tmp:
            for name, data in files.items():
                path = tmp / name
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
            for download in self.downloads:
                (tmp / "downloads").mkdir(exist_ok=True)
                shutil.copyfile(self.editions[download.kind], tmp / "downloads" / download.name)
            if check is not None:
                check(tmp)
        return target / "index.html"


def html5(xhtml: bytes) -> bytes:
    """A page as HTML5 rather than XML: no namespaces (`epub:type` goes; `xml:lang` becomes
    `lang`), void elements written as HTML writes them (`<br>`, and an empty `<span>` closed),
    so that browsers parse it as the model says whatever the server calls it."""
    root = etree.fromstring(xhtml)
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        el.tag = etree.QName(el).localname
        for name in list(el.attrib):
            if name == XML_LANG:
                el.set("lang", el.attrib.pop(name)) if el.get("lang") is None else el.attrib.pop(name)
            elif name.startswith("{"):
                del el.attrib[name]
    etree.cleanup_namespaces(root)
    collapse_page_markers(root)
    return etree.tostring(root, method="html", encoding="utf-8", doctype="<!DOCTYPE html>")


def collapse_page_markers(root: etree._Element) -> None:
    """Of page markers side by side (pages with no words of their own: a blank verso, a part
    title's page), the margin shows the last, where the text goes on; the others stay as
    anchors, so that a link to any page number still lands there."""
    markers = [el for el in root.iter("span") if el.get("role") == "doc-pagebreak"]
    for marker in markers:
        following = marker.getnext()
        if (following is not None and following.get("role") == "doc-pagebreak"
                and not (marker.tail or "").strip()):
            del marker.attrib["role"]
            del marker.attrib["aria-label"]
