"""What a chunk's layout is asked for and gives (`Job`, `ChunkLayout`), and where layouts are kept.

A layout is cached under `build/.cache/chunks` by a digest of everything that can change it
(its XHTML, the stylesheets, the edition's geometry, the fonts, the versions): a record of
what the book needs to know of it, and its data in a blob, both checked when read
(cachestore.py).
"""

from __future__ import annotations

import functools
import hashlib
import re
import zlib
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ... import __version__
from ...cachestore import CacheDamaged, Store
from ...errors import OutputError


@dataclass(frozen=True)
class Job:
    """One chunk to lay out: its document and what it may read."""

    key: str
    html: str | bytes | None  # bytes: compressed (see `pack`); None: known to be in the cache
    base_url: str
    stylesheets: tuple[tuple[str, str], ...]  # (url, text) in cascade order
    roots: tuple[str, ...]
    digest: str
    options: tuple[tuple[str, object], ...] = ()  # for write_pdf
    output: str = "pages"  # "pages": colour made PDF/X's, faces named; "pdf": the shell, as written
    colour: str | None = None  # the PDF/X variant whose colour its pages are converted to (pdfx.py)
    store: str = ""  # the layout cache's folder, where the worker keeps the files of the faces it drew with


@dataclass
class ChunkLayout:
    """What the book needs of a laid-out chunk: its pages' ids, first words, kinds (for
    folios), bookmarks and faces, and its PDF (colour made PDF/X's). Its data is let go once
    it is in the cache, and read again from there when wanted."""

    key: str
    pages: int
    anchors: list[list[str]]
    starts: list[list | None]  # [element id, offset] of the first word of each page
    refused: list[list[str]] = field(default_factory=list)
    kinds: list[list] = field(default_factory=list)  # [side, blank, page name, opens its group]
    bookmarks: list[list] = field(default_factory=list)  # [page, level, label, x, y, closed], PDF units
    drawn: list[bool] = field(default_factory=list)  # whether a page has margin boxes
    faces: dict[str, list] = field(default_factory=dict)  # by BaseFont: [face, its file's blob, index, size]
    digest: str = ""
    data: bytes = b""
    blob: str = ""  # where its data is kept in the cache (cachestore.py): digest and size
    size: int = 0

    def first_page(self, anchor: str) -> int | None:
        return next((i for i, ids in enumerate(self.anchors) if anchor in ids), None)


def pack(html: str) -> bytes:
    """A chunk's document, compressed: a long book's documents wait in memory for a worker."""
    return zlib.compress(html.encode("utf-8"), 1)


class Cache:
    """Chunk layouts by digest under `build/.cache/chunks`: each a record of what the book
    needs to know of it, and its data (the chunk's PDF, a face's subset) in a
    blob, both checked when read (cachestore.py)."""

    FIELDS = {"key": str, "pages": int, "anchors": list, "starts": list, "refused": list, "kinds": list,
              "bookmarks": list, "drawn": list, "faces": dict, "blob": str, "size": int}

    def __init__(self, folder: Path | None, report=None, thorough: bool = False):
        self.folder = folder
        self.store = Store(folder, report)
        self.thorough = thorough  # check a layout's data when it is found, not only when it is read
        self.checked: set[str] = set()  # the faces' files read back whole in this build (thorough)

    def get(self, digest: str, data: bool = True) -> ChunkLayout | None:
        """A layout, with its data or (data=False) without, to be read when wanted (`data`).
        None when it is not kept, or it (or its data, or the file of a face it draws with)
        is damaged or gone."""
        record = self.store.read(digest)
        if record is None:
            return None
        if not (isinstance(record, dict) and record.keys() == self.FIELDS.keys()
                and all(isinstance(record[k], t) for k, t in self.FIELDS.items())):
            self.store.damaged(digest)
            return None
        layout = ChunkLayout(**record, digest=digest)
        faces = list(layout.faces.values())
        if not all(isinstance(f, list) and len(f) == 4 and isinstance(f[1], str) and isinstance(f[3], int)
                   for f in faces):
            self.store.damaged(digest)
            return None
        if not all(self.store.has_blob(f[1], f[3]) for f in faces):  # a face's file gone: laid out again
            return None
        if self.thorough and not all(self.face_file_ok(f[1]) for f in faces):
            return None
        if data:
            layout.data = self.store.read_blob(layout.blob)
            if layout.data is None:
                return None
        elif not self.store.has_blob(layout.blob, layout.size):
            return None
        elif self.thorough and self.store.read_blob(layout.blob) is None:
            return None
        return layout

    def face_file_ok(self, blob: str) -> bool:
        """Whether a face's file in the cache reads back as it was written (once a build)."""
        if blob not in self.checked:
            if self.store.read_blob(blob) is None:
                return False
            self.checked.add(blob)
        return True

    def data(self, layout: ChunkLayout) -> bytes:
        """A layout's data, read from the cache if it was let go."""
        if layout.data or self.folder is None:
            return layout.data
        data = self.store.read_blob(layout.blob)
        if data is None:
            raise CacheDamaged("a layout in the cache was damaged or removed during the build: build again")
        return data

    def get_json(self, name: str):
        """A small record kept beside the layouts (the last placement of an edition)."""
        return self.store.read(name)

    def put_json(self, name: str, data) -> None:
        self.store.write(name, data)

    def alias(self, inputs: str) -> str | None:
        """The layout digest recorded for a chunk's inputs (see Jobs.inputs), if that
        layout is still in the cache."""
        digest = self.store.read(f"inputs-{inputs}")
        if digest is not None and not (isinstance(digest, str) and re.fullmatch("[0-9a-f]{64}", digest)):
            self.store.damaged(f"inputs-{inputs}")
            return None
        return digest if digest is not None and self.get(digest, data=False) is not None else None

    def set_alias(self, inputs: str, digest: str) -> None:
        self.store.write(f"inputs-{inputs}", digest)

    def put(self, digest: str, layout: ChunkLayout) -> None:
        if self.folder is None:
            return
        layout.blob, layout.size = self.store.put_blob(layout.data), len(layout.data)
        self.store.write(digest, {k: v for k, v in asdict(layout).items() if k not in ("data", "digest")})


CACHE_FORMAT = 5  # what a cached layout holds (4: checked records and blobs; 5: a PDF, faces by their files' blobs)


@functools.cache
def versions() -> str:
    """What every digest starts from (read when first needed: the pool starts before)."""
    from importlib.metadata import version

    return f"anthology {__version__} cache {CACHE_FORMAT} weasyprint {version('weasyprint')}"


def digest(*parts: str | bytes) -> str:
    h = hashlib.sha256(versions().encode())
    for part in parts:
        h.update(b"\0")
        h.update(part.encode("utf-8") if isinstance(part, str) else part)
    return h.hexdigest()


def lookup(jobs: list[Job], cache: Cache) -> tuple[dict[str, ChunkLayout], list[Job]]:
    """The jobs' layouts found in the cache, and the jobs to lay out."""
    hits: dict[str, ChunkLayout] = {}
    todo = []
    for job in jobs:
        hit = cache.get(job.digest, data=False)
        if hit is not None:
            hits[job.key] = hit
        elif job.html is None:
            raise OutputError("the layout cache changed during the build: build again")
        else:
            todo.append(job)
    return hits, todo
