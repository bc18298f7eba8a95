"""Parallel, cached layout of a print edition, one chunk at a time.

Every piece opens on a recto, so its layout does not depend on where it lands, and neither
do its pages' sides and page names: each chunk (the display pages, the contents, a part
title, a piece) is laid out on its own, running heads included, in the build's pool of
worker processes, with the stylesheets parsed once per process, and cached under
`build/.cache` by a digest of everything that can change it (its XHTML, the stylesheets, the
edition's geometry, the fonts, the versions). What does depend on where a chunk lands comes
afterwards: the contents and the index are laid out again with the known page numbers, and
folios are drawn from an atlas laid out once per number and kind of page (folios.py).
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import hashlib
import multiprocessing
import multiprocessing.context
from multiprocessing import forkserver, popen_forkserver, spawn
import os
import re
import signal
import threading
import time
import zlib
from collections import deque
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait as futures_wait
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .. import __version__
from ..cachestore import CacheDamaged, Store
from ..errors import OutputError
from ..limits import CHUNK_SECONDS


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
    output: str = "pages"  # what the book takes of its PDF: "pages", "forms" (folio atlases) or "pdf" (the shell)
    colour: str | None = None  # the PDF/X variant whose colour its pages are converted to (pdfx.py)


@dataclass
class ChunkLayout:
    """What the book needs of a laid-out chunk: its pages' ids, first words, kinds (for
    folios) and bookmarks, and its PDF's fragment (fragment.py; the shell's PDF itself). Its
    data is let go once it is in the cache, and read again from there when wanted."""

    key: str
    pages: int
    anchors: list[list[str]]
    starts: list[list | None]  # [element id, offset] of the first word of each page
    refused: list[list[str]] = field(default_factory=list)
    kinds: list[list] = field(default_factory=list)  # [side, blank, page name, opens its group]
    bookmarks: list[list] = field(default_factory=list)  # [page, level, label, x, y, closed], PDF units
    drawn: list[bool] = field(default_factory=list)  # whether a page has margin boxes
    digest: str = ""
    data: bytes = b""
    blob: str = ""  # where its data is kept in the cache (cachestore.py): digest and size
    size: int = 0

    def first_page(self, anchor: str) -> int | None:
        return next((i for i, ids in enumerate(self.anchors) if anchor in ids), None)


PDF_SCALE = 0.75  # CSS px to PDF points
_FONTS = None  # the process's FontConfiguration
_SHEETS: dict[tuple, list] = {}  # parsed stylesheets, by their (url, text) list
_FACES = None  # the process's fontmerge.Faces


def die_with_parent(parent: int | None) -> None:
    """A worker ends when the build does, even a killed one (Linux's parent-death signal; a
    renewed worker's parent is the fork server, which ends with the build)."""
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
    from weasyprint.formatting_structure.boxes import MarginBox

    from ..fetcher import Sandbox
    from ..layoutfetcher import SandboxFetcher
    from ..pagemap import page_starts
    from . import fragment
    from .fontmerge import Faces

    global _FACES
    warm()
    fetcher = SandboxFetcher(Sandbox([Path(r) for r in job.roots]))
    sheets = _SHEETS.get(job.stylesheets)
    if sheets is None:
        sheets = [CSS(string=text, base_url=url, url_fetcher=fetcher, font_config=_FONTS)
                  for url, text in job.stylesheets]
        _SHEETS[job.stylesheets] = sheets
    html = zlib.decompress(job.html).decode("utf-8") if isinstance(job.html, bytes) else job.html
    document = HTML(string=html, base_url=job.base_url, url_fetcher=fetcher).render(
        stylesheets=sheets, font_config=_FONTS)
    starts = [[s.element_id, s.offset] if s.element_id else None for s in page_starts(document, 0)]
    kinds, bookmarks, drawn = [], [], []
    for number, page in enumerate(document.pages):
        box = page._page_box
        kind = box.page_type
        kinds.append([kind.side, kind.blank, kind.name or "", bool(kind.name) and (kind.name, 0) in kind.groups])
        drawn.append(any(isinstance(child, MarginBox) for child in box.children))
        for level, label, (x, y), state in page.bookmarks:  # in PDF units, as WeasyPrint's own outline
            bookmarks.append([number, level, label, x * PDF_SCALE, (page.height - y) * PDF_SCALE, state == "closed"])
    data = document.write_pdf(**dict(job.options))
    if job.output != "pdf":
        _FACES = _FACES or Faces()
        data = fragment.pack(fragment.make(data, _FACES, forms=job.output == "forms", colour=job.colour))
    return ChunkLayout(job.key, len(document.pages), [sorted(p.anchors) for p in document.pages], starts,
                       [list(r) for r in fetcher.refused], kinds, bookmarks, drawn, job.digest, data)


def pack(html: str) -> bytes:
    """A chunk's document, compressed: a long book's documents wait in memory for a worker."""
    return zlib.compress(html.encode("utf-8"), 1)


class Cache:
    """Chunk layouts by digest under `build/.cache/chunks`: each a record of what the book
    needs to know of it, and its data (a fragment, the shell's PDF, a font program) in a
    blob, both checked when read (cachestore.py)."""

    FIELDS = {"key": str, "pages": int, "anchors": list, "starts": list, "refused": list, "kinds": list,
              "bookmarks": list, "drawn": list, "blob": str, "size": int}

    def __init__(self, folder: Path | None, report=None, thorough: bool = False):
        self.folder = folder
        self.store = Store(folder, report)
        self.thorough = thorough  # check a layout's data when it is found, not only when it is read

    def get(self, digest: str, data: bool = True) -> ChunkLayout | None:
        """A layout, with its data or (data=False) without, to be read when wanted (`data`).
        None when it is not kept, or it (or its data) is damaged."""
        record = self.store.read(digest)
        if record is None:
            return None
        if not (isinstance(record, dict) and record.keys() == self.FIELDS.keys()
                and all(isinstance(record[k], t) for k, t in self.FIELDS.items())):
            self.store.damaged(digest)
            return None
        layout = ChunkLayout(**record, digest=digest)
        if data:
            layout.data = self.store.read_blob(layout.blob)
            if layout.data is None:
                return None
        elif not self.store.has_blob(layout.blob, layout.size):
            return None
        elif self.thorough and self.store.read_blob(layout.blob) is None:
            return None
        return layout

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
        """The layout digest recorded for a chunk's inputs (see PdfWriter.inputs), if that
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


CACHE_FORMAT = 4  # what a cached layout holds (2: a fragment, fragment.py; 3: faces by file digest; 4: checked records and blobs)


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


class _Launch(popen_forkserver.Popen):
    def _launch(self, process_obj):
        """Start a worker without the main module's preparation: it runs anthology's functions
        only, and would otherwise import the main module again (running the body of a script
        that calls `build()` without a `__main__` guard)."""
        prepare = spawn.get_preparation_data
        spawn.get_preparation_data = lambda name: {k: v for k, v in prepare(name).items()
                                                   if not k.startswith("init_main_from")}
        try:
            super()._launch(process_obj)
        finally:
            spawn.get_preparation_data = prepare


class _ZygoteProcess(multiprocessing.context.ForkServerProcess):
    @staticmethod
    def _Popen(process_obj):
        return _Launch(process_obj)


class Zygote(multiprocessing.context.ForkServerContext):
    """Workers forked from a fork server: a fresh interpreter that has imported WeasyPrint and
    nothing of the build."""

    Process = _ZygoteProcess
    PRELOAD = ["anthology.writers.chunks", "weasyprint", "weasyprint.text.fonts"]

    @classmethod
    def start(cls) -> None:
        forkserver.set_forkserver_preload(cls.PRELOAD)
        forkserver.ensure_running()


class Pool:
    """The build's worker processes, started before the manuscript is read, so that they
    import WeasyPrint and load the fonts while the main process reads. Forked: they inherit
    what the main process has loaded. One worker: every layout runs in the main process.

    A worker's memory grows a little with each layout (in Pango and HarfBuzz, not in Python),
    so after `RENEW` layouts a process the pool is replaced by a new one while the old one
    finishes what it was given. The new workers are forked from a small fork server started
    for them (`Zygote`), not from the main process, which by then holds the manuscript: so a
    long book's workers take no more memory than a short one's."""

    RENEW = 25  # layouts a worker process does before it is replaced
    GRACE = 5.0  # seconds past its limit a layout stuck outside Python is given before its worker is stopped

    def __init__(self, workers: int | None = None, timeout: float | None = CHUNK_SECONDS):
        self.workers = workers or default_workers()
        self.timeout = timeout  # seconds a chunk's layout may take (see time_limit), None: no limit
        self.keys: dict[Future, str] = {}
        self.executor = None
        self.submitted = 0  # layouts given to the current executor
        self.guesses: dict[str, Future] = {}  # by digest: layouts that may be wanted later
        if self.workers > 1:
            self.executor = self._executor()
            for _ in range(self.workers):
                self.executor.submit(int)  # start them now

    def _executor(self, renewed: bool = False) -> ProcessPoolExecutor:
        if renewed:
            Zygote.start()
            return ProcessPoolExecutor(self.workers, Zygote(), initializer=start_worker, initargs=(None,))
        return ProcessPoolExecutor(self.workers, multiprocessing.get_context("fork"),
                                   initializer=start_worker, initargs=(os.getpid(),))

    @property
    def parallel(self) -> bool:
        return self.executor is not None

    def submit(self, job: Job) -> Future:
        if self.submitted == self.workers * self.RENEW // 2:
            Zygote.start()  # ready by the time it is wanted
        if self.submitted >= self.workers * self.RENEW:
            old, self.executor, self.submitted = self.executor, self._executor(renewed=True), 0
            old.shutdown(wait=False)  # its processes end once they have done what they were given
        self.submitted += 1
        future = self.executor.submit(lay_out, job, self.timeout)
        self.keys[future] = job.key
        return future

    def guess(self, jobs: list[Job]) -> None:
        """Start layouts that may be wanted: a later `run` that wants one takes its result,
        and those never wanted are stopped when the pool closes."""
        for job in jobs:
            if job.digest not in self.guesses:
                self.guesses[job.digest] = self.submit(job)

    def map(self, jobs: list[Job], idle=None):
        """The jobs' layouts in order; while one is not ready, `idle()` is called until it
        returns False (the main process's own work, done while the workers lay out). Jobs are
        given to the workers a few at a time, the first at once."""
        if self.executor is None:
            return map(functools.partial(lay_out, seconds=self.timeout), jobs)
        jobs = list(jobs)
        ahead = min(len(jobs), 2 * self.workers)
        futures = deque(self.guesses.pop(job.digest, None) or self.submit(job) for job in jobs[:ahead])
        return self._results(futures, jobs[ahead:], idle)

    def _results(self, futures: deque, rest: list[Job], idle):
        rest = deque(rest)
        running: dict[Future, float] = {}  # when each layout was first seen running
        while futures:
            head = futures[0]
            while not head.done():
                self._top_up(futures, rest)
                if idle is None or not idle():
                    futures_wait([f for f in futures if not f.done()], timeout=1.0, return_when=FIRST_COMPLETED)
                self._watch(futures, running)
            futures.popleft()
            self.keys.pop(head, None)
            self._top_up(futures, rest)
            yield head.result()

    def _watch(self, futures: deque, running: dict[Future, float]) -> None:
        """Stop the workers when a layout has run past its limit without stopping itself (stuck
        in a library's C code, where the worker's own alarm cannot interrupt it)."""
        if not self.timeout:
            return
        now = time.monotonic()
        for future in futures:
            if future.running():
                since = running.setdefault(future, now)
                # queued behind another layout at most: two limits, and some grace
                if now - since > 2 * self.timeout + self.GRACE:
                    for process in list(self.executor._processes.values()):
                        process.terminate()
                    raise LayoutTimeout(self.keys.get(future, "?"), self.timeout)

    def _top_up(self, futures: deque, rest: deque) -> None:
        """Keep two layouts a worker given out (so none waits for the main process)."""
        while rest and sum(not f.done() for f in futures) < 2 * self.workers:
            job = rest.popleft()
            futures.append(self.guesses.pop(job.digest, None) or self.submit(job))

    def close(self) -> None:
        if self.executor is not None:
            if any(not f.done() for f in self.guesses.values()):
                for process in list(self.executor._processes.values()):  # a wrong guess: not worth waiting for
                    process.terminate()
            self.executor.shutdown(cancel_futures=True)
            self.executor = None

    def __enter__(self) -> "Pool":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


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


def run(jobs: list[Job], cache: Cache, pool: Pool, guesses: list[Job] = (), sink=None) -> dict[str, ChunkLayout]:
    """Lay out every job not already cached, in parallel when there are several; start the
    guesses (see Pool.guess) once the jobs are queued, so that they run on idle workers.
    A sink (join.Joiner) is offered every layout as it is known and does its work while the
    pool is busy."""
    out, todo = lookup(jobs, cache)
    for key, layout in out.items() if sink is not None else ():
        sink.offer(key, layout)
    order = sorted(todo, key=lambda j: -len(j.html))  # biggest first, so that no long chunk starts last
    layouts = pool.map(order, sink.step if sink is not None else None)
    if guesses and pool.parallel:
        pool.guess(guesses)
    for job, layout in zip(order, layouts):
        cache.put(job.digest, layout)
        if cache.folder is not None:
            layout.data = b""  # read again when wanted: a long book's would add up
        out[job.key] = layout
        if sink is not None:
            sink.offer(job.key, layout)
    return out


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)
