"""The layout worker: one chunk laid out by WeasyPrint, and what the book needs to know of it.

This is the one module that reads WeasyPrint's internals: a page's box tree
(`Page._page_box`), its page type (side, blank, name, groups), its margin boxes and text
boxes, and the fonts a document drew with (`Document.fonts`: each font's name and HarfBuzz
face, whose file identifies the face by content). WeasyPrint does not publish them, so
`check_internals` names every one this module relies on, and a test calls it: a WeasyPrint
upgrade that changes them fails that test by name, not a build by a wrong page number.
"""

from __future__ import annotations

import contextlib
import copy
import ctypes
import hashlib
import io
import os
import signal
import threading
import zlib
from pathlib import Path

from ...cachestore import Store
from ...pagemap import PageStart, label, nonspace
from .cache import ChunkLayout, Job

PDF_SCALE = 0.75  # CSS px to PDF points
_FONTS = None  # the process's FontConfiguration
_SHEETS: dict[tuple, tuple] = {}  # parsed stylesheets and their counter styles, by their (url, text) list


def check_internals() -> None:
    """Raise RuntimeError naming each WeasyPrint internal this module reads that is gone."""
    from weasyprint import HTML
    from weasyprint.formatting_structure import boxes

    missing = [f"boxes.{name}" for name in ("MarginBox", "FootnoteAreaBox", "TextBox", "PageBox")
               if not hasattr(boxes, name)]
    document = HTML(string="<p id=a>x</p>").render()
    page = document.pages[0]
    box = getattr(page, "_page_box", None)
    if box is None:
        missing.append("Page._page_box")
    else:
        kind = getattr(box, "page_type", None)
        missing += [f"PageType.{name}" for name in ("side", "blank", "name", "groups") if not hasattr(kind, name)]
        missing += [f"Box.{name}" for name in ("children", "element_tag") if not hasattr(box, name)]
    missing += [f"Page.{name}" for name in ("anchors", "bookmarks", "height") if not hasattr(page, name)]
    document.write_pdf()
    font = next(iter(getattr(document, "fonts", {}).values()), None)
    if font is None:
        missing.append("Document.fonts")
    else:
        missing += [f"Font.{name}" for name in ("name", "hb_face", "index", "variations", "bitmap")
                    if not hasattr(font, name)]
    from weasyprint.text import fonts

    if not hasattr(fonts, "get_hb_object_data"):
        missing.append("text.fonts.get_hb_object_data")
    if missing:
        raise RuntimeError("WeasyPrint changed internals the layout worker reads: " + ", ".join(missing))


def _text_boxes(box, boxes, ids: tuple[str, ...] = ()):
    """Yield (text box, ids of its ancestors) in reading order, outside margins, footnote area
    and generated content (folios, leaders, footnote calls, list markers)."""
    if isinstance(box, (boxes.MarginBox, boxes.FootnoteAreaBox)):
        return
    if box.element_tag and "::" in box.element_tag:
        return
    element = getattr(box, "element", None)
    if element is not None and element.get("id") and (not ids or ids[-1] != element.get("id")):
        ids = ids + (element.get("id"),)
    if isinstance(box, boxes.TextBox):
        yield box, ids
        return
    for child in getattr(box, "children", ()):
        yield from _text_boxes(child, boxes, ids)


def page_starts(document, body_start: int) -> list[PageStart]:
    """The first word of every page of a laid-out WeasyPrint document (pagemap.py)."""
    from weasyprint.formatting_structure import boxes

    seen: dict[str, int] = {}
    starts = []
    for index, page in enumerate(document.pages):
        folio = label(index, body_start)
        first = None
        for box, ids in _text_boxes(page._page_box, boxes):
            if not ids or not box.text.strip():
                continue
            element = ids[-1]
            count = seen.get(element, 0)
            if first is None:
                first = PageStart(index, folio, element, count)
            seen[element] = count + nonspace(box.text)
        starts.append(first or PageStart(index, folio, None, 0))
    return starts


def page_kinds(document) -> tuple[list[list], list[bool]]:
    """[side, blank, page name, opens its group] of every page (what `@page` selectors tell
    apart, for the folios: folios.py), and whether each page has margin boxes."""
    from weasyprint.formatting_structure.boxes import MarginBox

    kinds, drawn = [], []
    for page in document.pages:
        box = page._page_box
        kind = box.page_type
        kinds.append([kind.side, kind.blank, kind.name or "", bool(kind.name) and (kind.name, 0) in kind.groups])
        drawn.append(any(isinstance(child, MarginBox) for child in box.children))
    return kinds, drawn


def die_with_parent(parent: int | None) -> None:
    """A worker ends when the build does, even a killed one (Linux's parent-death signal; the
    parent of a worker started by the fork server is the fork server, which ends with the build)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if parent is not None and os.getppid() != parent:  # the build ended before that
        os._exit(1)


def warm() -> None:
    """Import WeasyPrint and load the fonts: what every layout in this process needs first."""
    global _FONTS
    if _FONTS is None:
        from weasyprint.text.fonts import FontConfiguration

        _FONTS = FontConfiguration()


def start_worker(parent: int | None) -> None:
    die_with_parent(parent)
    warm()
    os.nice(5)  # then the main process's own work (reading, writing the PDF) comes first; guesses after


class LayoutTimeout(Exception):
    """A chunk's layout took longer than the pool allows: args (chunk key, seconds)."""


@contextlib.contextmanager
def time_limit(seconds: float | None, key: str):
    """Raise LayoutTimeout(key, seconds) in the code run inside once `seconds` have passed
    (in a process's main thread only: elsewhere, the pool's watch is the only limit)."""
    if not seconds or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expired(signum, frame):
        raise LayoutTimeout(key, seconds)

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def lay_out(job: Job, seconds: float | None = None) -> ChunkLayout:
    """Lay one chunk out (in a worker process), in at most `seconds`."""
    with time_limit(seconds, job.key):
        return _lay_out(job)


def _lay_out(job: Job) -> ChunkLayout:
    """Lay one chunk out: stylesheets and fonts are parsed once per process."""
    from weasyprint import CSS, HTML
    from weasyprint.css.counters import CounterStyle

    from ...fetcher import Sandbox
    from ...layoutfetcher import SandboxFetcher
    warm()
    fetcher = SandboxFetcher(Sandbox([Path(r) for r in job.roots]))
    sheets, counters = _SHEETS.get(job.stylesheets) or (None, None)
    if sheets is None:
        # the sheets' @counter-style rules go into `counters`: a document knows only the
        # counter styles of the dictionary it is rendered with (a single pass reads them
        # from the document's own <link>s)
        counters = CounterStyle()
        sheets = [CSS(string=text, base_url=url, url_fetcher=fetcher, font_config=_FONTS, counter_style=counters)
                  for url, text in job.stylesheets]
        _SHEETS[job.stylesheets] = sheets, counters
    html = zlib.decompress(job.html).decode("utf-8") if isinstance(job.html, bytes) else job.html
    document = HTML(string=html, base_url=job.base_url, url_fetcher=fetcher).render(
        stylesheets=sheets, font_config=_FONTS, counter_style=copy.copy(counters))
    starts = [[s.element_id, s.offset] if s.element_id else None for s in page_starts(document, 0)]
    kinds, drawn = page_kinds(document)
    bookmarks = []
    for number, page in enumerate(document.pages):
        for level, text, (x, y), state in page.bookmarks:  # in PDF units, as WeasyPrint's own outline
            bookmarks.append([number, level, text, x * PDF_SCALE, (page.height - y) * PDF_SCALE, state == "closed"])
    data = document.write_pdf(**dict(job.options))
    faces = face_files(document, Store(Path(job.store)) if job.store else None) if job.output != "pdf" else {}
    if job.output != "pdf" and job.colour:
        data = converted(data, job.colour)
    return ChunkLayout(job.key, len(document.pages), [sorted(p.anchors) for p in document.pages], starts,
                       [list(r) for r in fetcher.refused], kinds, bookmarks, drawn, faces, job.digest, data)


def face_files(document, store: Store | None) -> dict[str, list]:
    """The face each font of a written document draws from, by its BaseFont: [face, blob,
    index, size], the face known by its file's digest and its index in the file (a collection holds
    several), its file kept in the cache for the book's one subset (fonts.py). A variable
    face (instanced by WeasyPrint) or a bitmap one is left out: its fonts keep their subsets."""
    from weasyprint.text.fonts import get_hb_object_data

    out: dict[str, list] = {}
    if store is None:
        return out
    for font in document.fonts.values():
        name = font.name.decode("latin-1").lstrip("/")
        if name in out or font.variations or font.bitmap:
            continue  # WeasyPrint embeds the first font of a name for all of them
        data = get_hb_object_data(font.hb_face)
        if not data:
            continue
        blob = hashlib.sha256(data).hexdigest()
        if not store.has_blob(blob, len(data)):
            store.put_blob(data)
        out[name] = [f"{blob}-{font.index}", blob, font.index, len(data)]
    return out


def converted(data: bytes, colour: str) -> bytes:
    """A chunk's PDF with its colour made what its PDF/X variant allows (pdfx.py)."""
    import pikepdf

    from ... import pdfx

    with pikepdf.open(io.BytesIO(data)) as pdf:
        pdfx.convert(pdf, colour)
        out = io.BytesIO()
        pdf.save(out, deterministic_id=True)
    return out.getvalue()
