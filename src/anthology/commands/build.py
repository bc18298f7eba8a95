"""`anthology build`: load → resolve → render → write, every edition from one model."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from .. import fontstack
from ..atomic import output_lock
from ..checks import written as checks
from ..cachestore import CacheDamaged, remove_old_formats
from ..lint import lint
from ..errors import Diagnostics, ManuscriptError, OutputError
from ..preflight import PreflightReport, preflight
from ..progress import Silent
from ..model import Anthology
from ..readers.manuscript import load
from ..writers.epub import EpubWriter
from ..writers.kepub import KepubWriter
from ..writers.print.edition import PdfWriter
from ..writers.print.pool import Pool
from ..uptodate import record
from ..writers.pdf import ScreenPdfWriter
from ..writers.web import WebWriter

FORMATS = ("pdf", "screen", "epub", "web")


@dataclass
class BuildResult:
    book: Anthology
    outputs: dict[str, Path] = field(default_factory=dict)
    pages: int = 0
    seconds: float = 0.0
    diagnostics: Diagnostics = field(default_factory=Diagnostics)
    preflight: dict[str, PreflightReport] = field(default_factory=dict)

    @property
    def words(self) -> int:
        return sum(p.words for p in self.book.pieces)

    def summary(self) -> str:
        """The closing line of a build: editions, pages, pieces, words, warnings and time."""
        def n(count: int, word: str) -> str:
            return f"{count:,} {word}{'' if count == 1 else 's'}"
        return ", ".join([n(len(self.outputs), "edition"), *([n(self.pages, "page")] if self.pages else []),
                          n(len(self.book.pieces), "piece"), n(self.words, "word"),
                          n(len(self.diagnostics.warnings), "warning")]) + f" in {self.seconds:.1f} s"


def build(manuscript: Path, out_dir: Path, formats: tuple[str, ...] = FORMATS, progress: Silent | None = None,
          jobs: int | None = None, pool: Pool | None = None, strict: bool = False,
          inputs: str | None = None, draft: bool = False) -> BuildResult:
    """Build the requested editions; raise ManuscriptError (with every diagnostic) on bad input.

    All reading happens before any writing; with `strict`, warnings are errors; a `draft`
    shows a placeholder for a missing image instead of stopping (readers.manuscript.load). The (first)
    print edition is always laid out first: the EPUB takes its print page numbers from that
    layout. The output folder is held by one build at a time (atomic.output_lock); `inputs`,
    the digest of the inputs (uptodate.inputs_digest), is recorded with the outputs before
    it is let go.

    A cache entry found damaged once the build counted on it (cachestore.CacheDamaged) is
    removed, and the build starts again: the entry is made anew.
    """
    started = time.perf_counter()
    progress = progress or Silent()
    damaged: list = []
    with pool or Pool(jobs) as pool:  # the workers start up while the manuscript is read; closed here
        for attempt in range(3):
            try:
                result = _build(Path(manuscript), Path(out_dir), formats, progress, pool, strict, inputs, attempt > 0,
                                draft)
                break
            except CacheDamaged as exc:
                damaged += [d for d in exc.diagnostics.warnings if d.message.startswith("the cache entry ")]
                if attempt == 2:
                    raise
                progress.stage("building again without the damaged cache entries")
    result.diagnostics.items[:0] = damaged
    result.seconds = time.perf_counter() - started
    return result


def _build(manuscript: Path, out_dir: Path, formats: tuple[str, ...], progress: Silent, pool: Pool,
           strict: bool = False, inputs: str | None = None, thorough: bool = False,
           draft: bool = False) -> BuildResult:
    say = progress.stage
    say(f"reading {manuscript}")
    book, diags = load(Path(manuscript), progress.piece, Path(out_dir) / ".cache" / "pieces", pool.executor, draft)
    out_dir = Path(out_dir)
    # A build finds what `anthology check` finds: the lint's warnings are counted in its summary
    # (or, with --strict, stop it), and an image without alternative text stops it (the EPUB
    # must be accessible).
    diags.extend(lint(book))
    fontstack.check(book, diags)
    if diags.errors:
        raise ManuscriptError("the manuscript has errors", diags)
    if strict and diags.warnings:
        raise ManuscriptError(f"{len(diags.warnings)} warnings fail a --strict build", diags)
    try:
        with output_lock(out_dir, lambda lock: say(f"waiting for another build into {out_dir} to finish ({lock})")):
            remove_old_formats(out_dir / ".cache")
            result = _write(book, diags, out_dir, formats, say, pool, thorough)
            if inputs:
                record(out_dir, inputs, list(result.outputs.values()))
            return result
    except CacheDamaged as exc:
        exc.diagnostics = diags
        raise


def _write(book, diags: Diagnostics, out_dir: Path, formats: tuple[str, ...], say, pool: Pool,
           thorough: bool) -> BuildResult:
    """Write the editions; thorough: every layout found in the cache is checked whole first
    (after one turned out damaged, the others may be too)."""
    result = BuildResult(book, diagnostics=diags)
    names = list(book.settings.editions) if book.settings is not None else ["print"]
    cache = out_dir / ".cache" / "chunks"
    printed = PdfWriter(book, diags, names[0], cache=cache, pool=pool, check_cache=thorough)
    say(f"laying out the {printed.edition} edition")
    printed.layout()
    result.pages = printed.pages
    writers = []
    if "pdf" in formats:
        writers = [printed] + [PdfWriter(book, diags, name, cache=cache, pool=pool, check_cache=thorough)
                               for name in names[1:]]
    if "screen" in formats:
        writers.append(ScreenPdfWriter(book, diags, printed.spec))
    for writer in writers:
        if not writer.laid_out:
            say(f"laying out the {writer.edition} edition")
            writer.layout()
        key = "pdf" if writer.edition == "print" else f"pdf:{writer.edition}"
        say(f"writing {writer.output_path(out_dir).name}")
        preflight_check = None if isinstance(writer, ScreenPdfWriter) else _preflight(writer, out_dir, result, say)
        check = checks.chain(preflight_check, checks.pdf(book, writer.output_path(out_dir), say))
        result.outputs[key] = writer.write(out_dir, check)
    if "epub" in formats:
        say("writing the EPUB")
        writer = EpubWriter(book, diags, printed.printed_pages())
        result.outputs["epub"] = writer.write(out_dir, checks.epub(book, writer.output_path(out_dir), say))
    if "kepub" in formats:
        say("writing the Kobo EPUB")
        result.outputs["kepub"] = KepubWriter(book, diags, printed.printed_pages()).write(out_dir)
    if "web" in formats:
        say("writing the web edition")
        editions = dict(result.outputs)
        cover = out_dir / f"{book.meta.slug}-cover.pdf"
        if cover.is_file():  # `anthology cover` wrote it
            editions["cover"] = cover
        writer = WebWriter(book, diags, printed.printed_pages(), editions)
        result.outputs["web"] = writer.write(out_dir, checks.web(book, writer.output_path(out_dir), say))
    return result


def _preflight(writer: PdfWriter, out_dir: Path, result: BuildResult, say):
    """Preflight of a print edition's temporary file: a PDF that fails it is not renamed into
    place, so the previous good one stays."""
    target = writer.output_path(out_dir)

    def check(tmp: Path) -> None:
        say(f"preflight of the {writer.edition} edition")
        report = result.preflight[writer.edition] = preflight(tmp, writer.spec)
        report.path = target
        if not report.ok:
            raise OutputError(f"{target.name} failed preflight (the previous file, if any, is kept):\n  "
                              + "\n  ".join(report.summary()))
    return check
