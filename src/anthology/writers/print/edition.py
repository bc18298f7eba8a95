"""The print edition's orchestrator: plans the chunks, has the pool lay them out, places them,
has the pages that print page numbers and the folios laid out until every number holds, and
has the assembly write the book.

What each step does lives in its own module: plan.py (chunks and where they land), jobs.py and
documents.py (what each layout is asked for), layout.py (the worker), pool.py (the
processes), cache.py, folios.py, fonts.py and assembly.py.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Callable

import pikepdf

from ...atomic import atomic_path
from ...errors import Diagnostics, ManuscriptError, OutputError
from ...pagemap import PageStart, PrintPages, label
from ...printspec import PrintSpec
from ..pdf import SinglePassPdf, save
from . import folios, plan
from .assembly import Assembly
from .cache import Cache, ChunkLayout, Job, digest, lookup
from .jobs import Jobs
from .layout import LayoutTimeout
from .pool import Pool, default_workers, run

ATLAS_BLOCK = 160  # folio numbers an atlas document holds at most


class PdfWriter(SinglePassPdf):
    """A print edition laid out chunk by chunk, in parallel (pool.py) and cached (cache.py), its
    folios laid out once per number and kind of page (folios.py)."""

    def __init__(self, book, diags: Diagnostics | None = None, edition: str = "print",
                 spec: PrintSpec | None = None, workers: int | None = None, cache: Path | None = None,
                 pool: Pool | None = None, check_cache: bool = False):
        super().__init__(book, diags, edition, spec)
        self.workers = pool.workers if pool is not None else workers or default_workers()
        self.pool = pool
        if cache is None:  # the faces' files and the layouts are kept for this build only
            self._scratch = tempfile.TemporaryDirectory(prefix="anthology-layouts-")
            cache = Path(self._scratch.name)
        self.cache = Cache(cache, self.diags.warning, thorough=check_cache)  # check_cache: see Cache
        self.plan = plan.plan(self.book.entries)
        self.layouts: dict[str, ChunkLayout] = {}
        self.starts: dict[str, int] = {}
        self.total = 0
        self.shell: ChunkLayout | None = None
        self.atlas: folios.Atlas | None = None
        self.stamps: list[folios.Stamp | None] = []
        self.changed: set[str] = set()  # chunks laid out again in this build
        self.assembly = Assembly([c.key for c in self.plan if not c.needs_labels] +
                                 [c.key for c in self.plan if c.needs_labels],
                                 late=[c.key for c in self.plan if c.needs_labels], cache=self.cache,
                                 variant=self.variant)
        self.jobs = Jobs(self)

    def place(self) -> None:
        counts = {key: layout.pages for key, layout in self.layouts.items()}
        self.starts, self.total, self.body_start = plan.placement(self.plan, counts)
        self.page_labels = plan.labels(self.plan, self.starts, self.layouts, self.body_start)

    def layout(self):
        """Lay the chunks out, then again those that print page numbers (contents, index)
        until every page number is stable, and the folios the book does not have yet.
        A chunk whose layout takes too long stops the build with an error naming its piece."""
        try:
            return self._layout()
        except LayoutTimeout as exc:
            key, seconds = exc.args
            piece = next((p for p in self.book.pieces if p.id == key), None)
            what = f"the layout of the {self.edition} edition" if piece is None else "its print layout"
            diags = Diagnostics()
            diags.error(piece.source_path if piece is not None else self.book.config_path, 0,
                        f"{what} ({key}) took more than {seconds:g} s and was stopped: shorten or split the "
                        f"piece, simplify its tables and notes, or allow more time with --chunk-timeout")
            raise ManuscriptError("a layout took too long", diags) from None

    def _layout(self):
        if self.pool is None:  # a pool for this layout only
            self.pool = Pool(self.workers)
            try:
                return self._layout()
            finally:
                self.pool.close()
                self.pool = None
        self.check_system()
        fonts = font_fingerprint()
        previous = self.cache.get_json(f"placed-{self.edition}")
        if not (isinstance(previous, dict) and isinstance(previous.get("pages"), dict)
                and isinstance(previous.get("labels"), dict)):
            previous = None
        for _ in range(3):
            theme_sheets = self.jobs.theme_sheets()
            self.folio_sheets = folios.split_sheets([text for _, text in theme_sheets])
            sheets = tuple(theme_sheets + [("about:chunk", self.folio_sheets.no_folios)])
            folio_sheets = tuple(theme_sheets + [("about:folios", self.folio_sheets.only_folios)])
            # all at once, those that print page numbers with the last build's numbers
            self.page_labels = dict((previous or {}).get("labels", {}))
            wanted = [self.jobs.job(c, sheets, fonts) for c in self.plan] + [self.jobs.shell_job(fonts)]
            hits, todo = lookup(wanted, self.cache)
            guesses = self.guess(previous, hits, todo, sheets, folio_sheets, fonts) if self.pool.parallel else []
            self.changed = {j.key for j in todo}
            for key, layout in hits.items():
                self.assembly.offer(key, layout)
            results = {**hits, **run(todo, self.cache, self.pool, guesses, self.assembly)}
            self.shell = results.pop("shell")
            self.layouts = results
            for _ in range(4):
                self.place()
                labels = dict(self.page_labels)
                dependent = [self.jobs.job(c, sheets, fonts) for c in self.plan if c.needs_labels]
                # the folios of this placement alongside: it holds unless a page count changes
                atlas_jobs = self.folio_jobs(folio_sheets, fonts)
                results = run(dependent + atlas_jobs, self.cache, self.pool, sink=self.assembly)
                self.take_folios(results)
                self.layouts.update(results)
                self.place()
                if self.page_labels == labels:
                    break
            gutter = self.spec.gutter(self.spec.padded(self.total))
            if gutter == self.gutter:
                break
            self.gutter = gutter
        for layout in self.layouts.values():
            for url, reason in layout.refused:
                self.diags.warning(self.book.config_path, 0, f"resource refused: {reason}")
        missing = [p.id for p in self.book.pieces if p.id not in self.page_labels]
        if missing:
            raise OutputError(f"the PDF layout lost pieces: {', '.join(missing)}")
        self.take_folios(run(self.folio_jobs(folio_sheets, fonts), self.cache, self.pool, sink=self.assembly))
        self.atlas.save()
        self.cache.put_json(f"placed-{self.edition}", {
            "pages": {k: v.pages for k, v in self.layouts.items()}, "labels": self.page_labels})
        return self

    def guess(self, previous: dict | None, hits: dict, todo: list[Job], sheets, folio_sheets,
              fonts: str) -> list[Job]:
        """When one chunk changed since the last build, the layouts of the pages that print page
        numbers and of the folios as they will be if it grew enough to move the chunks after
        it by two pages (the common edit: a paragraph added), to start alongside it rather
        than after it. A wrong guess costs an idle core."""
        keys = {c.key for c in self.plan}
        changed = [j.key for j in todo if j.key in keys]
        if len(changed) != 1 or not previous or changed[0] not in previous.get("pages", {}):
            return []
        counts = {k: v.pages for k, v in hits.items() if k in keys}
        pages = previous["pages"][changed[0]]
        counts[changed[0]] = pages + 1 if pages % 2 == 0 else pages + 2  # the next recto, two pages on
        if len(counts) != len(self.plan):
            return []
        starts, total, body_start = plan.placement(self.plan, counts)
        known = {k: v for k, v in hits.items() if k in keys and k != changed[0]}
        saved = self.page_labels
        self.page_labels = {**previous.get("labels", {}), **plan.labels(self.plan, starts, known, body_start)}
        try:
            dependent = [self.jobs.job(c, sheets, fonts) for c in self.plan if c.needs_labels]
        finally:
            self.page_labels = saved
        stamps = {s for s in plan.stamps(self.plan, starts, known, body_start, total) if s is not None}
        return dependent + self.folio_jobs(folio_sheets, fonts, stamps, total, pending=False)

    # --- folios -------------------------------------------------------------------------------
    def folio_jobs(self, sheets, fonts: str, wanted: set | None = None, total: int | None = None,
                   pending: bool = True) -> list[Job]:
        """Atlas documents for the folios (of the current placement, unless given) that no
        atlas has yet, in blocks of numbers; pending: expected from the coming run."""
        count = str(self.spec.padded(total or self.total)) if self.folio_sheets.uses_total else ""
        atlas_key = digest(self.jobs.portable(sheets), fonts, count, self.jobs.colour)
        if self.atlas is None or self.atlas.key != atlas_key:
            self.atlas = folios.Atlas(self.cache, atlas_key)
        changed: set[folios.Stamp] = set()
        if wanted is None:
            self.stamps = plan.stamps(self.plan, self.starts, self.layouts, self.body_start, self.total)
            wanted = {s for s in self.stamps if s is not None}
            if len(self.changed & set(self.starts)) == 1:  # as when a guess was made (see `guess`)
                changed = {s for key in self.changed & set(self.starts)
                           for s in self.stamps[self.starts[key]:self.starts[key] + self.layouts[key].pages]}
        coming = {key for where in self.atlas.pending.values() for key in where}
        missing = [s for s in self.atlas.missing(folios.complete(wanted)) if s.key not in coming]
        out = []
        # by number, those of the one changed chunk apart: a guess (which cannot know those)
        # and the build then share the documents of the rest
        # and a document of the cache found damaged (or gone) made again as it was
        lost = {stamp: digest for digest, stamps in self.atlas.lost.items() for stamp in stamps}
        missing = sorted(set(missing) | {s for s in lost if s.key not in self.atlas.index and s.key not in coming})
        blocks: dict = {}
        for stamp in missing:
            block = lost.get(stamp) or (-1 if stamp in changed else stamp.value // ATLAS_BLOCK)
            blocks.setdefault(block, []).append(stamp)
        for block in blocks.values():
            html, where = folios.atlas_html(block, self.book.meta.language, self.book.meta.direction)
            key = "atlas:" + digest(html, self.jobs.portable(sheets), fonts, count, self.jobs.colour)
            out.append(Job(key, html, self.jobs.base_url, sheets, self.jobs.roots, key[6:],
                           colour=self.variant, store=self.jobs.store))
            if pending:
                self.atlas.pending[key] = where
        return out

    def take_folios(self, results: dict[str, ChunkLayout]) -> None:
        for key in [k for k in results if k.startswith("atlas:")]:
            self.atlas.add(key[6:], self.atlas.pending.pop(key), results.pop(key))

    # --- the book -----------------------------------------------------------------------------
    @property
    def laid_out(self) -> bool:
        return self.atlas is not None

    @property
    def pages(self) -> int:
        return self.spec.padded(self.total)

    def printed_pages(self) -> PrintPages:
        """The first word of every page, for the EPUB's page-break markers."""
        starts = [PageStart(i, label(i, self.body_start), None, 0) for i in range(self.total)]
        for chunk in self.plan:
            for j, first in enumerate(self.layouts[chunk.key].starts):
                i = self.starts[chunk.key] + j
                if first is not None:
                    starts[i] = PageStart(i, starts[i].label, first[0], first[1])
        return PrintPages(starts, self.pages)

    def write(self, out_dir: Path, check: Callable[[Path], None] | None = None) -> Path:
        """Place the pages (their chunks mostly copied while the pool worked: see assembly.py)
        in order, each with its folio, and give the book its outline and identity; `check(tmp)`
        runs before the file replaces the previous output."""
        if self.atlas is None:
            self.layout()
        target = self.output_path(out_dir)
        assembly = self.assembly
        assembly.copy_all(self.layouts)
        index = 0
        for chunk in self.plan:
            while index < self.starts[chunk.key]:
                assembly.blank()
                index += 1
            for page in assembly.pages(chunk.key):
                stamp = self.stamps[index]
                index += 1
                where = self.atlas.where(stamp.key) if stamp is not None else None
                if where is None:
                    assembly.page(page)
                else:
                    atlas, number = where
                    assembly.page(page, assembly.form(atlas, number, self.atlas.document))
        while index < self.spec.padded(self.total):
            assembly.blank()
            index += 1
        bookmarks = [(self.starts[chunk.key] + page, *rest) for chunk in self.plan
                     for page, *rest in self.layouts[chunk.key].bookmarks]
        try:
            with pikepdf.open(io.BytesIO(self.cache.data(self.shell))) as shell:
                self.stamp(shell)
                book = assembly.finish(shell, bookmarks)
                with atomic_path(target) as tmp:
                    save(book, tmp, str(shell.pdf_version), self.variant)
                    if check is not None:
                        check(tmp)
        finally:
            assembly.close()
        return target


def font_fingerprint() -> str:
    """The installed fonts, as far as a layout can depend on them."""
    if not shutil.which("fc-list"):
        return ""
    out = subprocess.run(["fc-list", "--format", "%{file}|%{fontversion}\n"], capture_output=True, text=True,
                         check=False).stdout
    return "\n".join(sorted(out.splitlines()))
