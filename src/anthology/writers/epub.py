"""The EPUB 3 edition: one XHTML document per piece, packaged by ebooklib, zipped reproducibly."""

from __future__ import annotations

import functools
import io
import os
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable
from urllib.parse import unquote, urlsplit

from ebooklib import epub
from lxml import etree

from .. import theme
from ..assets import clean_css
from ..atomic import atomic_path
from ..errors import Diagnostics, ManuscriptError, OutputError
from ..fetcher import RefusedResource, Sandbox, guess_type
from ..fonts import FAMILY, STYLES, font_files, subset_font
from ..labels import digits
from ..cover import front_cover_png
from ..model import Part, Piece, sort_name
from ..pagemap import PageMap, PrintPages
from ..placeholder import is_placeholder
from . import a11y
from .base import Writer, build_time
from .ncx import add_page_list
from .raster import RenderError, svg_png

STYLESHEET = "styles/book.css"
# What a stylesheet may bring into the EPUB: fonts (EPUB 3 exempts them from fallbacks, and
# EPUBCheck takes a collection as font/collection) and the core media types of images.
EPUB_MEDIA_TYPES = {".otf": "font/otf", ".ttf": "font/ttf", ".ttc": "font/collection", ".otc": "font/collection",
                    ".woff": "font/woff", ".woff2": "font/woff2", ".png": "image/png", ".jpg": "image/jpeg",
                    ".jpeg": "image/jpeg", ".gif": "image/gif", ".webp": "image/webp", ".svg": "image/svg+xml"}
FONT_SIGNATURES = {".otf": (b"OTTO", b"\0\1\0\0"), ".ttf": (b"\0\1\0\0", b"true", b"OTTO"), ".woff": (b"wOFF",),
                   ".woff2": (b"wOF2",), ".ttc": (b"ttcf",), ".otc": (b"ttcf",)}
SAFE_NAME = re.compile(r"[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*")
COVER_IMAGE = "images/cover.png"
COVER_SIZE = (1600, 2560)  # the least KDP asks of an ebook cover, in pixels
OPF_NS = "http://www.idpf.org/2007/opf"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
XHTML = "http://www.w3.org/1999/xhtml"


@dataclass
class Doc:
    """One XHTML document of the book: its file, its title and what it holds."""

    uid: str
    file_name: str
    title: str
    kind: str
    item: object = None
    number: int = 0
    landmark: str | None = None


class EpubWriter(Writer):
    """Writes `<slug>.epub`, valid EPUB 3 with an NCX for older reading systems."""

    name = "epub"
    suffix = ".epub"
    label = "EPUB"  # the edition as messages name it
    styles = "epub"  # its stylesheet layers (theme.LAYERS), the Kobo edition's too
    svg_fallbacks = True  # a PNG beside each SVG figure, for reading systems without SVG

    def __init__(self, book, diags: Diagnostics | None = None, printed: PrintPages | None = None):
        """`printed` is where the print edition's pages begin, when the build has laid it out:
        they become the EPUB's page-break markers and page list."""
        super().__init__(book)
        self.diags = diags if diags is not None else Diagnostics()
        self.printed = printed
        self.page_map: PageMap | None = None
        self.page_files: dict[str, str] = {}
        self.resources: dict[str, tuple[str, bytes]] = {}  # what the manuscript's stylesheets refer to
        self.fallbacks: dict[str, str] = {}  # an SVG figure's PNG, for reading systems without SVG
        self.docs = self._plan()
        self.locations = {}
        for doc in self.docs:
            self.locations[doc.uid] = doc.file_name
            if isinstance(doc.item, Piece):
                for anchor in self._anchors(doc.item):
                    self.locations[anchor] = doc.file_name

    @staticmethod
    def _anchors(piece: Piece) -> list[str]:
        ids = [q.anchor for q in piece.quotations] + [n.id for n in piece.notes] + [h.id for h in piece.headings]
        return ids + [f.anchor for f in piece.figures]

    def _plan(self) -> list[Doc]:
        label = self.translate.text
        docs = [Doc("cover", "cover.xhtml", label("Cover"), "cover", landmark="cover"),
                Doc("titlepage", "titlepage.xhtml", label("Title Page"), "titlepage", landmark="titlepage"),
                Doc("copyright", "copyright.xhtml", label("Copyright"), "copyright", landmark="copyright-page"),
                Doc("nav", "nav.xhtml", label("Contents"), "nav", landmark="toc")]
        number = 0
        for entry in self.book.entries:
            if isinstance(entry, Part):
                number += 1
                docs.append(Doc(entry.id, f"{entry.id}.xhtml", entry.title, "part", entry, number))
                pieces = entry.pieces
            else:
                pieces = (entry,)
            docs.extend(Doc(p.id, f"{p.id}.xhtml", p.title, "piece", p) for p in pieces)
        body = next((d for d in docs if d.kind == "part" or (d.kind == "piece" and d.item.role == "body")), None)
        if body is not None:
            body.landmark = "bodymatter"
        return docs

    def href(self, target: str) -> str:
        file_name = self.locations.get(target, f"{target}.xhtml")
        return file_name if file_name == f"{target}.xhtml" else f"{file_name}#{target}"

    # --- content -----------------------------------------------------------------------------
    def content(self, doc: Doc) -> bytes:
        landmarks = [{"type": d.landmark, "href": d.file_name, "label": d.title} for d in self.docs if d.landmark]
        body = self.render("epub_content.j2", kind=doc.kind, item=doc.item, number=doc.number,
                           landmarks=landmarks, page_list=self.page_list(), cover=COVER_IMAGE)
        page = self.render("document.xhtml.j2", title=doc.title, stylesheet=STYLESHEET,
                           body_class=doc.kind, content=body).encode("utf-8")
        try:
            etree.fromstring(page)
        except etree.XMLSyntaxError as exc:
            raise self.not_well_formed(doc, exc) from None
        return page

    def not_well_formed(self, doc: Doc, exc: etree.XMLSyntaxError) -> ManuscriptError:
        """The error for an EPUB document that is not XML: it names the manuscript's own
        template (a built-in one always gives XML), since its output line is all lxml knows."""
        names = ("document.xhtml.j2", "epub_content.j2")
        files = [Path(self.env.get_template(name).filename or name) for name in names]
        own = [f for f in files if self.book.root.resolve() in f.resolve().parents] or files
        diags = Diagnostics()
        diags.error(own[0], 0, f"the template's output for {doc.file_name} is not well-formed XHTML, as an EPUB "
                               f"needs: {exc.msg} (line {exc.lineno} of its output); close every element it opens")
        error = ManuscriptError("a template gave an invalid EPUB document: the EPUB was not written", diags)
        error.written_nothing = False  # the PDFs, written first, were
        return error

    def contents(self) -> dict[str, bytes]:
        """Every document of the book, with the print edition's page breaks placed in the text."""
        out = {doc.uid: self.content(doc) for doc in self.docs if doc.kind != "nav"}
        self.mark_pages(out)
        nav = next(d for d in self.docs if d.kind == "nav")
        out[nav.uid] = self.content(nav)
        return out

    def mark_pages(self, out: dict[str, bytes]) -> None:
        """Place the print edition's page-break markers in the documents of parts and pieces
        (`out`, by uid), when the build laid it out; `page_files` then says where each page is."""
        if self.printed is None:
            return
        text_docs = [d for d in self.docs if d.kind in ("piece", "part")]
        owner = {}
        for doc in text_docs:
            for element_id in etree.fromstring(out[doc.uid]).xpath("//@id"):
                owner[str(element_id)] = doc.file_name
        self.page_map = PageMap.from_starts(self.printed.starts, set(owner), self.printed.total)
        self.page_map.shown = functools.partial(digits, language=self.book.meta.language)
        for doc in text_docs:
            out[doc.uid] = self.page_map.insert_markers(out[doc.uid], doc is text_docs[-1])
        for start, element_id, _ in self.page_map.resolved():
            self.page_files[start.label] = owner[element_id] if element_id else text_docs[-1].file_name

    def page_list(self) -> list[dict]:
        if self.page_map is None:
            return []
        return [{"href": f"{self.page_files[anchor.removeprefix('page-')]}#{anchor}", "label": label}
                for label, anchor in self.page_map.entries()]

    def cover_image(self) -> bytes:
        """The cover given in anthology.yml (`epub.cover`), or one drawn from the title."""
        given = self.book.settings.epub.cover if self.book.settings is not None else None
        if given:
            try:
                data = Sandbox([self.book.root]).image_bytes(self.book.root / given)[1]
                self.check_cover_size(data)
                return data
            except RefusedResource as exc:
                self.diags.warning(self.book.config_path, 0, f"epub.cover: {exc}; a cover is drawn from the title instead")
        return front_cover_png(self.book)

    def check_cover_size(self, data: bytes) -> None:
        """Warn about a given cover smaller than the stores ask (KDP: 1600 × 2560 pixels); the
        cover drawn from the title is that size."""
        from PIL import Image, UnidentifiedImageError

        try:
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
        except UnidentifiedImageError:  # an SVG: drawn at any size
            return
        if width < COVER_SIZE[0] or height < COVER_SIZE[1]:
            self.diags.warning(self.book.config_path, 0, f"epub.cover is {width} × {height} pixels: Kindle and the "
                               f"other stores ask for at least {COVER_SIZE[0]} × {COVER_SIZE[1]}")

    def stylesheet(self, fonts: list[tuple[str, str]] = ()) -> bytes:
        """The edition's stylesheets in one file, each read (and cleaned) through the sandbox,
        with the embedded faces first when there are any. What a manuscript's stylesheet
        refers to (the fonts of its @font-face rules, background images) is packaged beside
        it (`self.resources`), at the same place relative to the stylesheet: EPUB/styles/
        stands for the manuscript's styles/ folder, so its relative URLs hold as written."""
        sandbox, parts = Sandbox([self.book.root, theme.STYLES_DIR]), []
        own = Sandbox([self.book.root])
        for path in theme.stylesheets(self.styles, self.book.stylesheets):
            try:
                text = sandbox.read(path)
            except RefusedResource as exc:
                self.diags.warning(path, 0, f"stylesheet left out: {exc}")
                continue
            if path in self.book.stylesheets:
                kept, dropped = clean_css(text.decode("utf-8"), lambda url: self._resource(own, url))
                for line, message in dropped:
                    self.diags.warning(path, line, f"left out of the {self.label}: {message}")
                text = kept.encode("utf-8")
            parts.append(text)
        css = b"\n".join(parts)
        if fonts:
            faces = "".join(f'@font-face {{ font-family: "{FAMILY}"; font-style: {style}; font-weight: {weight}; '
                            f'src: url("../{name}"); }}\n' for name, (style, weight) in fonts)
            css = faces.encode() + css + f'\nbody {{ font-family: "{FAMILY}", serif; }}\n'.encode()
        return css

    def _resource(self, sandbox: Sandbox, url: str) -> str | None:
        """Package a file a manuscript stylesheet's url() names (relative to styles/): None
        when it is in the EPUB (or needs no file: data: URLs), else why it is left out."""
        parts = urlsplit(url.strip())
        if parts.scheme.lower() == "data" or not parts.path:
            return None
        if parts.scheme or parts.netloc:
            return f"'{url[:80]}' is not a file of the manuscript"
        styles = self.book.root / "styles"
        target = Path(os.path.normpath(styles / unquote(parts.path)))
        try:
            name = target.relative_to(self.book.root).as_posix()
            data = sandbox.read(target)
        except (ValueError, RefusedResource) as exc:
            return str(exc) if isinstance(exc, RefusedResource) else f"'{url[:80]}' is outside the manuscript"
        if not SAFE_NAME.fullmatch(name):
            return (f"'{url[:80]}': an EPUB file name is best made of letters, digits, '-', '_' and '.' "
                    f"(EPUBCheck flags spaces and other characters): rename the file and its url()")
        media_type = EPUB_MEDIA_TYPES.get(target.suffix.lower())
        if media_type is None:
            return (f"'{url[:80]}' is not a font or image type EPUB reading systems read "
                    f"({', '.join(sorted(EPUB_MEDIA_TYPES))})")
        if target.suffix.lower() in FONT_SIGNATURES and not data.startswith(FONT_SIGNATURES[target.suffix.lower()]):
            return f"'{url[:80]}' is not the font its extension says"
        self.resources.setdefault(name, (media_type, data))
        return None

    def font_items(self, contents: dict[str, bytes]) -> list[epub.EpubItem]:
        """The book face subset to the characters the book uses, when `epub.embed_fonts` asks."""
        if self.book.settings is None or not self.book.settings.epub.embed_fonts:
            return []
        files = font_files()
        if not files:
            self.diags.warning(self.book.config_path, 0, "epub.embed_fonts: the book typeface is not installed; "
                                                         "no font is embedded (apt-get install fonts-ebgaramond)")
            return []
        text = "".join("".join(etree.fromstring(c).itertext()) for c in contents.values())
        return [epub.EpubItem(uid=f"font-{style.lower()}", file_name=f"fonts/{FAMILY.replace(' ', '')}-{style}{path.suffix}",
                              media_type="font/otf" if path.suffix == ".otf" else "font/ttf",
                              content=subset_font(path, text))
                for style, path in sorted(files.items())]

    def images(self) -> list[epub.EpubItem]:
        """The figures' images, and a PNG beside each SVG (`self.fallbacks`: SVG → PNG name)."""
        sandbox = Sandbox([self.book.root])
        items, seen = [], set()
        for piece in self.book.pieces:
            for fig in piece.figures:
                if not fig.src or fig.src in seen or is_placeholder(fig.src):
                    continue  # a draft's placeholder is in the document itself
                seen.add(fig.src)
                try:
                    data = sandbox.read(self.book.root / fig.src)
                except RefusedResource as exc:
                    self.diags.warning(fig.location.path, fig.location.line, f"image left out: {exc}")
                    continue
                uid = "img-" + "".join(c if c.isalnum() else "-" for c in fig.src)
                items.append(epub.EpubItem(uid=uid, file_name=fig.src, media_type=guess_type(Path(fig.src)), content=data))
                if self.svg_fallbacks and fig.src.lower().endswith(".svg"):
                    try:
                        png = svg_png(data)
                    except RenderError as exc:
                        self.diags.warning(fig.location.path, fig.location.line, f"{fig.src}: {exc}")
                        continue
                    self.fallbacks[fig.src] = name = f"{fig.src[:-4]}.fallback.png"
                    items.append(epub.EpubItem(uid=f"{uid}-png", file_name=name, media_type="image/png", content=png))
        return items

    def with_fallbacks(self, xhtml: bytes) -> bytes:
        """Each SVG image as a `<picture>`: reading systems that draw SVG take the source, the
        others (Kindle's conversion among them) the PNG in its `<img>`, with the same alt."""
        if not self.fallbacks or b".svg" not in xhtml:
            return xhtml
        root = etree.fromstring(xhtml)
        changed = False
        for img in root.iter(f"{{{XHTML}}}img"):
            png = self.fallbacks.get(img.get("src", ""))
            if png is None or img.getparent().tag == f"{{{XHTML}}}picture":
                continue
            picture = etree.Element(f"{{{XHTML}}}picture")
            etree.SubElement(picture, f"{{{XHTML}}}source", {"srcset": img.get("src"), "type": "image/svg+xml"})
            img.addprevious(picture)
            picture.tail, img.tail = img.tail, None
            img.set("src", png)
            picture.append(img)
            changed = True
        return etree.tostring(root, xml_declaration=True, encoding="utf-8", doctype="<!DOCTYPE html>") if changed else xhtml

    # --- package -----------------------------------------------------------------------------
    def metadata(self, book: epub.EpubBook, contents: dict[str, bytes]) -> None:
        meta = self.book.meta
        book.set_identifier(meta.isbn_ebook and f"urn:isbn:{meta.isbn_ebook.replace('-', '')}" or meta.identifier)
        book.set_title(meta.title)
        book.set_language(meta.language)
        writers = {name for name, _ in meta.authors}
        for i, (name, roles) in enumerate(self.people().items(), 1):
            creator = "edt" in roles or name in writers
            uid = f"{'creator' if creator else 'contributor'}-{i}"
            book.add_metadata("DC", "creator" if creator else "contributor", name, {"id": uid})
            book.add_metadata(None, "meta", self.file_as(name), {"refines": f"#{uid}", "property": "file-as"})
            for role in roles:
                book.add_metadata(None, "meta", role, {"refines": f"#{uid}", "property": "role", "scheme": "marc:relators"})
        for key in ("publisher", "rights", "description"):
            value = getattr(meta, key)
            if value:
                book.add_metadata("DC", key, value)
        if meta.date:
            book.add_metadata("DC", "date", meta.date)
        for subject in meta.subjects:
            book.add_metadata("DC", "subject", subject)
        if meta.series:
            book.add_metadata(None, "meta", meta.series, {"property": "belongs-to-collection", "id": "series"})
            book.add_metadata(None, "meta", "series", {"refines": "#series", "property": "collection-type"})
        for prop, value in self.accessibility(contents):
            book.add_metadata(None, "meta", value, {"property": prop})

    def people(self) -> dict[str, list[str]]:
        """Every person once, with all their roles: the book's writers (an imported book's), its
        editors, and the pieces' authors; an editor who also wrote a piece is one creator with
        the roles edt and aut, not two people."""
        people: dict[str, list[str]] = {name: ["aut"] for name, _ in self.book.meta.authors}
        for name in self.book.meta.editors:
            people.setdefault(name, []).append("edt")
        for name in self.book.contributors:
            roles = people.setdefault(name, [])
            if "aut" not in roles and not ("edt" in roles and name.lower().startswith("the ")):
                roles.append("aut")  # "The Editors" signing the introduction are the editors
        return people

    def file_as(self, name: str) -> str:
        """How a person sorts: contributors.yml's form when it gives one, else "Surname, Given";
        a collective name ("The Editors") as written."""
        given = next((p.sort_as for p in self.book.people if p.name == name and p.sort_as), None)
        given = given or dict(self.book.meta.authors).get(name)
        return given or (name if name.lower().startswith("the ") else sort_name(name))

    def accessibility(self, contents: dict[str, bytes]) -> list[tuple[str, str]]:
        found = a11y.facts({k: v for k, v in contents.items() if k != "cover"}, COVER_IMAGE)
        index = any(p.generated == "index-of-quotations" for p in self.book.pieces)
        own_templates = os.path.lexists(self.book.root / "templates")
        return a11y.metadata(found, self.page_map is not None, index, own_templates, self.translate.text)

    def package(self) -> epub.EpubBook:
        book = epub.EpubBook()
        book.FOLDER_NAME = "EPUB"
        if self.book.meta.direction == "rtl":
            book.set_direction("rtl")  # the spine's page-progression-direction
        images = self.images()
        contents = {uid: self.with_fallbacks(xhtml) for uid, xhtml in self.contents().items()}
        self.metadata(book, contents)
        if self.page_map is not None:
            source = self.book.meta.isbn_print and f"urn:isbn:{self.book.meta.isbn_print.replace('-', '')}"
            source = source or f"{self.book.meta.identifier}#print"
            book.add_metadata("DC", "source", source)
            book.add_metadata(None, "meta", source, {"property": "pageBreakSource"})
        fonts = self.font_items(contents)
        for item in fonts:
            book.add_item(item)
        faces = [(f.file_name, STYLES[f.id.removeprefix("font-").title()]) for f in fonts]
        book.add_item(epub.EpubItem(uid="css", file_name=STYLESHEET, media_type="text/css", content=self.stylesheet(faces)))
        taken = {f.file_name for f in fonts} | {STYLESHEET, COVER_IMAGE}
        for i, (name, (media_type, data)) in enumerate(sorted(self.resources.items()), 1):
            if name not in taken:  # an image of the text at the same path is the same file
                book.add_item(epub.EpubItem(uid=f"style-resource-{i}", file_name=name, media_type=media_type,
                                            content=data))
        cover = epub.EpubCover(file_name=COVER_IMAGE)
        cover.content = self.cover_image()  # drawn or read once
        cover.media_type = "image/png" if cover.content[:4] == b"\x89PNG" else "image/jpeg"
        book.add_item(cover)
        book.add_metadata(None, "meta", "", {"name": "cover", "content": cover.id})
        for item in images:
            book.add_item(item)
        spine, toc = [], []
        for doc in self.docs:
            item = epub.EpubItem(uid=doc.uid, file_name=doc.file_name, media_type="application/xhtml+xml",
                                 content=contents[doc.uid])
            item.properties = ["nav"] if doc.kind == "nav" else []
            book.add_item(item)
            spine.append(item)
            if doc.kind == "part":
                toc.append((epub.Section(doc.title, doc.file_name),
                            [epub.Link(f"{p.id}.xhtml", nav_label(p), f"toc-{p.id}") for p in doc.item.pieces]))
            elif doc.kind == "piece" and doc.item.part_id is None:
                toc.append(epub.Link(doc.file_name, nav_label(doc.item), f"toc-{doc.uid}"))
        book.toc = toc
        book.add_item(epub.EpubNcx())
        book.spine = spine
        return book

    def write(self, out_dir: Path, check: Callable[[Path], None] | None = None) -> Path:
        """Write the EPUB; `check(tmp)` runs on the finished temporary file before it replaces
        the previous one."""
        target = self.output_path(out_dir)
        book = self.package()
        buffer = io.BytesIO()
        try:
            epub.write_epub(buffer, book, {"epub3_pages": False, "raise_exceptions": True,
                                           "mtime": build_time(), "play_order": {"enabled": True, "start_from": 1}})
        except Exception as exc:  # ebooklib raises bare exceptions
            raise OutputError(f"could not package the EPUB: {exc}") from exc
        with atomic_path(target) as tmp:
            rezip(buffer.getvalue(), tmp, self.book.meta.language,
                  lambda ncx: add_page_list(ncx, self.page_list(), [d.file_name for d in self.docs],
                                            self.translate.text("Print page numbers")))
            if check is not None:
                check(tmp)
        return target


def nav_label(piece: Piece) -> str:
    """The NCX's label of a piece, read aloud as the nav's is: "Preface — Friedrich Engels"."""
    return f"{piece.title} — {piece.byline}" if piece.authors and piece.role == "body" else piece.title


def rezip(data: bytes, target: Path, language: str, fix_ncx=None) -> None:
    """Re-zip ebooklib's output reproducibly: `mimetype` first and stored, fixed timestamps,
    `xml:lang` on the package element (ebooklib leaves it out), and `fix_ncx` applied to the
    NCX (its page list, which ebooklib does not write)."""
    stamp = build_time()
    date_time = max((stamp.year, stamp.month, stamp.day, stamp.hour, stamp.minute, stamp.second), (1980, 1, 1, 0, 0, 0))
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(target, "w") as out:
        names = src.namelist()
        ordered = ["mimetype"] + [n for n in names if n != "mimetype"]
        for name in ordered:
            content = src.read(name)
            if name.endswith(".opf"):
                content = fix_opf(content, language)
            elif name.endswith(".ncx") and fix_ncx is not None:
                content = fix_ncx(content)
            info = zipfile.ZipInfo(name, date_time=date_time)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            out.writestr(info, content, compresslevel=9 if name != "mimetype" else None)


def fix_opf(content: bytes, language: str) -> bytes:
    root = etree.fromstring(content)
    root.set(XML_LANG, language)
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")
