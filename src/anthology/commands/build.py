"""`anthology build`: load → resolve → render → write, every edition from one model."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from ..lint import lint
from ..errors import Diagnostics, ManuscriptError, OutputError
from ..preflight import PreflightReport, preflight
from ..progress import Silent
from ..model import Anthology
from ..readers.manuscript import load
from ..writers.epub import EpubWriter
from ..writers.chunks import Pool
from ..writers.pdf import PdfWriter, ScreenPdfWriter

FORMATS = ("pdf", "screen", "epub")


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
          jobs: int | None = None, pool: Pool | None = None, strict: bool = False) -> BuildResult:
    """Build the requested editions; raise ManuscriptError (with every diagnostic) on bad input.

    All reading happens before any writing; with `strict`, warnings are errors. The (first)
    print edition is always laid out first: the EPUB takes its print page numbers from that
    layout.
    """
    started = time.perf_counter()
    with pool or Pool(jobs) as pool:  # the workers start up while the manuscript is read; closed here
        result = _build(Path(manuscript), Path(out_dir), formats, progress or Silent(), pool, strict)
    result.seconds = time.perf_counter() - started
    return result


def _build(manuscript: Path, out_dir: Path, formats: tuple[str, ...], progress: Silent, pool: Pool,
           strict: bool = False) -> BuildResult:
    say = progress.stage
    say(f"reading {manuscript}")
    book, diags = load(Path(manuscript), progress.piece, Path(out_dir) / ".cache" / "pieces", pool.executor)
    result = BuildResult(book, diagnostics=diags)
    out_dir = Path(out_dir)
    # A build finds what `anthology check` finds: the lint's warnings are counted in its summary
    # (or, with --strict, stop it), and an image without alternative text stops it (the EPUB
    # must be accessible).
    diags.extend(lint(book))
    if diags.errors:
        raise ManuscriptError("the manuscript has errors", diags)
    if strict and diags.warnings:
        raise ManuscriptError(f"{len(diags.warnings)} warnings fail a --strict build", diags)
    names = list(book.settings.editions) if book.settings is not None else ["print"]
    cache = out_dir / ".cache" / "chunks"
    printed = PdfWriter(book, diags, names[0], cache=cache, pool=pool)
    say(f"laying out the {printed.edition} edition")
    printed.layout()
    result.pages = printed.pages
    writers = []
    if "pdf" in formats:
        writers = [printed] + [PdfWriter(book, diags, name, cache=cache, pool=pool) for name in names[1:]]
    if "screen" in formats:
        writers.append(ScreenPdfWriter(book, diags, printed.spec))
    for writer in writers:
        if not writer.laid_out:
            say(f"laying out the {writer.edition} edition")
            writer.layout()
        key = "pdf" if writer.edition == "print" else f"pdf:{writer.edition}"
        say(f"writing {writer.output_path(out_dir).name}")
        check = None if isinstance(writer, ScreenPdfWriter) else _preflight(writer, out_dir, result, say)
        result.outputs[key] = writer.write(out_dir, check)
    if "epub" in formats:
        say("writing the EPUB")
        result.outputs["epub"] = EpubWriter(book, diags, printed).write(out_dir)
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
