"""The `anthology` command line: Click only; each command calls a plain function in `commands`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from . import __version__
from .errors import AnthologyError, Diagnostics, ExitCode, os_error
from .locate import manuscript_root
from .progress import Bar, Log, Silent
from .limits import CHUNK_SECONDS
from .uptodate import EXTRA_FORMATS, FORMATS, inputs_digest, is_fresh

# Commands import their modules when they run: `anthology build` on an unchanged manuscript
# answers before WeasyPrint is even loaded.

err = Console(stderr=True, highlight=False)
out = Console(highlight=False)


def _locate(ctx, param, value: Path | None) -> Path:
    return manuscript_root(value)


MANUSCRIPT = click.argument("manuscript", type=click.Path(path_type=Path), default=None, required=False,
                            callback=_locate)


def report(diags: Diagnostics) -> None:
    for d in sorted(diags, key=lambda d: (d.path, d.line, d.col)):
        style = "red" if d.level == "error" else "yellow"
        err.print(d.format(), style=style, soft_wrap=True, markup=False, highlight=False)


def fail(exc: AnthologyError | OSError) -> None:
    """Report an error (an OS error as one writing an output) and exit with its status."""
    if isinstance(exc, OSError):
        exc = os_error(exc)
    report(exc.diagnostics)
    suffix = " — nothing was written" if exc.diagnostics.errors and exc.written_nothing else ""
    err.print(f"[red]error:[/red] {escape(str(exc))}{suffix}", soft_wrap=True)
    sys.exit(int(exc.exit_code))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="anthology")
def main() -> None:
    """Anthology turns a folder of essays into a book: a print-ready PDF and an EPUB 3.

    Exit status: 0 on success, 2 when the manuscript has errors (each reported as
    file:line: message), 3 when an output could not be written or failed its own check.
    """


@main.command()
@MANUSCRIPT
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False), default=Path("build"),
              show_default=True, help="Folder for the editions.")
@click.option("--format", "fmt", type=click.Choice(["all", *FORMATS, *EXTRA_FORMATS]), default="all", show_default=True,
              help="Which edition to build (web: the static site <slug>-web/ with its download page and feeds; "
                   "kepub: the Kobo EPUB, <slug>.kepub.epub, built only when named).")
@click.option("--quiet", "-q", is_flag=True, help="Print errors only.")
@click.option("--verbose", "-v", is_flag=True, help="Print every stage, with WeasyPrint's steps and warnings.")
@click.option("--jobs", "-j", type=click.IntRange(1, 64), default=None,
              help="Processes laying out the print edition (default: one per core).")
@click.option("--strict", is_flag=True, help="Fail on warnings too (exit 2), as for a release.")
@click.option("--draft", is_flag=True, help="A proof before the pictures arrive: a missing image is a warning "
              "and a grey frame naming the file stands in its place.")
@click.option("--chunk-timeout", type=click.FloatRange(min=0.1), default=CHUNK_SECONDS, show_default=True,
              help="Seconds the layout of one piece may take before the build stops with an error naming it.")
def build(manuscript: Path, out_dir: Path, fmt: str, quiet: bool, verbose: bool, jobs: int | None,
          strict: bool, draft: bool, chunk_timeout: float) -> None:
    """Build MANUSCRIPT (default: the folder holding anthology.yml here or above, else
    ./manuscript) into OUT: <slug>.pdf (print), <slug>-screen.pdf, <slug>.epub and the web
    edition <slug>-web/ (a static site: index.html, a page per piece, download.html, OPDS and
    Atom feeds). The EPUB's and the web edition's print page numbers come from the print
    layout, so building either alone lays the print edition out without writing it.

    Layouts are cached under OUT/.cache: a rebuild lays out again only the pieces that changed,
    and a rebuild of an unchanged manuscript does nothing."""
    try:
        _build(manuscript, out_dir, fmt, quiet, verbose, jobs, strict, chunk_timeout, draft)
    except (AnthologyError, OSError) as exc:
        fail(exc)


def _build(manuscript: Path, out_dir: Path, fmt: str, quiet: bool, verbose: bool, jobs: int | None,
           strict: bool, chunk_timeout: float, draft: bool = False) -> None:
    formats = FORMATS if fmt == "all" else (fmt,)
    # a strict build is not up to date with a lenient one, nor a release with a draft
    key = formats + (("strict",) if strict else ()) + (("draft",) if draft else ())
    digest = inputs_digest(manuscript, key, out_dir) if manuscript.is_dir() else None
    fresh = is_fresh(out_dir, digest) if digest else None
    if fresh is not None:
        from .atomic import sweep_temps

        sweep_temps(out_dir)  # what a killed build may have left beside them
        if not quiet:
            out.print(f"up to date: {', '.join(str(p) for p in fresh)}", soft_wrap=True)
        return
    from .writers.print.pool import Pool

    # the layout workers start up while the rest is imported and the manuscript read; from a
    # fork server, since this entry point's main module is guarded (pool.py)
    pool = Pool(jobs, chunk_timeout, start="forkserver")
    from .commands.build import build as run_build

    progress = Silent() if quiet else Log(err) if verbose else Bar(err)
    with progress:
        result = run_build(manuscript, out_dir, formats, progress, jobs, pool, strict, inputs=digest, draft=draft)
    if not quiet:
        report(result.diagnostics)
        for edition, checked in result.preflight.items():
            out.print(f"preflight of the {edition} edition:", soft_wrap=True)
            for line in checked.summary():
                out.print(f"  {line}", soft_wrap=True, markup=False)
        for kind, path in result.outputs.items():
            out.print(f"wrote {path}", soft_wrap=True)
        out.print(result.summary(), soft_wrap=True)


@main.command()
@MANUSCRIPT
@click.option("--strict", is_flag=True, help="Fail on warnings too.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--fix", "fix_", is_flag=True, help="Rewrite the Markdown in place where the fix is safe: quotes in the "
              "book's language, dashes, ellipses, spaces, French no-break spaces; each change is printed.")
@click.option("--diff", is_flag=True, help="Print what --fix would change, as a diff, and write nothing.")
def check(manuscript: Path, strict: bool, fmt: str, fix_: bool, diff: bool) -> None:
    """Check MANUSCRIPT without writing anything: every loader problem, then the editor's lint
    (straight quotes, double spaces, -- dashes, images without alternative text, broken
    internal links, titles used twice, empty pieces), each as file:line:col: level: message,
    the file named relative to the manuscript. Findings and the summary go to standard output.

    With --fix, the findings that have one right answer are fixed in the Markdown sources
    (code, URLs, HTML and front matter are left alone) and what remains is listed."""
    from .commands.check import as_json, check as run_check, fix as run_fix, relative

    changed = []
    if fix_ or diff:
        try:
            changed, diags = run_fix(manuscript, dry_run=diff)
        except OSError as exc:
            fail(exc)
    else:
        diags = run_check(manuscript)
    diags = relative(diags, manuscript)
    if fmt == "json":
        fixed = [{"path": f.path.relative_to(manuscript.resolve()).as_posix(), "line": c.line, "col": c.col,
                  "before": c.before, "after": c.after} for f in changed for c in f.changes]
        click.echo(json.dumps({"fixes": fixed, "diagnostics": as_json(diags)} if fix_ or diff else as_json(diags),
                              ensure_ascii=False, indent=2))
    else:
        root = manuscript.resolve()
        for f in changed:
            if diff:
                click.echo(f.diff(root), nl=False)
                continue
            name = f.path.relative_to(root).as_posix()
            for c in f.changes:
                out.print(f"{name}:{c.line}:{c.col}: fixed: {c.before!r} → {c.after!r}", soft_wrap=True,
                          markup=False, highlight=False)
        for d in sorted(diags, key=lambda d: (d.path, d.line, d.col)):
            out.print(d.format(), style="red" if d.level == "error" else "yellow", soft_wrap=True, markup=False,
                      highlight=False)
    failed = bool(diags.errors) or (strict and bool(diags.warnings))
    if fmt == "text":
        count = sum(len(f.changes) for f in changed)
        tally = f"{count} fix{'es' if count != 1 else ''} in {len(changed)} file{'s' if len(changed) != 1 else ''}"
        done = f"{tally} (--diff: nothing written), " if diff else f"{tally} made, " if fix_ else ""
        out.print(f"{done}{len(diags.errors)} errors, {len(diags.warnings)} warnings", soft_wrap=True)
    sys.exit(int(ExitCode.BAD_MANUSCRIPT if failed else ExitCode.OK))


@main.command()
@MANUSCRIPT
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False), default=Path("build"),
              show_default=True, help="Folder for the cover.")
@click.option("--edition", default="print", show_default=True, help="The print edition whose trim and paper to use.")
def cover(manuscript: Path, out_dir: Path, edition: str) -> None:
    """Write <slug>-cover.pdf: the full-wrap cover (back, spine, front, with bleed), its spine
    computed from the laid-out page count and the paper."""
    from .commands.cover import cover as run_cover
    try:
        path, geometry, pages = run_cover(manuscript, out_dir, edition)
    except (AnthologyError, OSError) as exc:
        fail(exc)
    out.print(f"wrote {path}: {geometry.width_pt / 72:.3f} × {geometry.height_pt / 72:.3f} in, "
              f"spine {geometry.spine_pt / 72:.3f} in for {pages} pages", soft_wrap=True)


@main.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--into", "manuscript", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Manuscript to add the pieces to: written to its essays/ folder and listed in anthology.yml. "
                   "For a whole book (.epub, or a Standard Ebooks source folder): the new manuscript's folder.")
def import_(files: tuple[Path, ...], manuscript: Path | None) -> None:
    """Import FILE… (.txt pasted from the web, .html/.htm saved pages, .docx and .odt documents,
    .md files whose front matter is kept) as Markdown pieces, or a whole book (.epub, or a folder
    of Standard Ebooks-style source) as a new manuscript.

    Never overwrites a file, and refuses a text the manuscript already holds, naming the piece;
    prints what was recognised and what to check, by source line."""
    from .importers import import_file
    from .importers.book import import_book

    failed = False
    for path in files:
        try:
            if path.is_dir() or path.suffix.lower() == ".epub":
                result = import_book(path, manuscript)
            else:
                result = import_file(path, manuscript)
        except AnthologyError as exc:
            err.print(f"[red]error:[/red] {escape(str(exc))}", soft_wrap=True)
            failed = True
            continue
        except OSError as exc:
            fail(exc)
        out.print(result.report(), soft_wrap=True, markup=False)
    sys.exit(int(ExitCode.BAD_MANUSCRIPT if failed else ExitCode.OK))


@main.command()
@click.argument("folder", type=click.Path(path_type=Path))
def new(folder: Path) -> None:
    """Start a manuscript in FOLDER (new or empty): an anthology.yml whose comments explain every
    key, an introduction and one essay in a part. It builds and checks clean as it stands."""
    from .commands.new import new as run_new
    try:
        written = run_new(folder)
    except (AnthologyError, OSError) as exc:
        fail(exc)
    for path in written:
        out.print(f"wrote {path}", soft_wrap=True)
    out.print(f"next: anthology build {folder}", soft_wrap=True, markup=False)


@main.command()
@click.argument("title")
@click.option("--part", default=None, help="List the piece in this part (created after the last part if missing); "
              "default: the last part, or the end of contents.")
@click.option("--manuscript", type=click.Path(path_type=Path, file_okay=False), default=None, callback=_locate,
              help="The manuscript folder (default: the one holding anthology.yml here or above, else ./manuscript).")
def add(title: str, part: str | None, manuscript: Path) -> None:
    """Add a piece called TITLE: essays/<slug>.md (never over an existing file), listed in the
    contents of anthology.yml, whose comments and layout are kept."""
    from .commands.new import add as run_add
    try:
        path, where = run_add(title, manuscript, part)
    except (AnthologyError, OSError) as exc:
        fail(exc)
    out.print(f"wrote {path}", soft_wrap=True)
    out.print(f"anthology.yml: listed at {where}", soft_wrap=True, markup=False)


@main.command("schema")
def schema_() -> None:
    """Print the JSON Schema of anthology.yml. `anthology new` saves it beside anthology.yml, whose
    first line points editors' YAML support at it (completion and validation as you type)."""
    from .commands.schema import schema

    click.echo(json.dumps(schema(), ensure_ascii=False, indent=2))


@main.command()
@MANUSCRIPT
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="0 picks a free port.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
def serve(manuscript: Path, port: int, host: str) -> None:
    """Preview MANUSCRIPT as one web page, rebuilt and reloaded in the browser whenever a file
    changes, its latest problems listed at the top (the errors alone when it cannot be loaded);
    its web edition, as `build --format web` writes it, under /web/, reloaded the same way."""
    from .commands.serve import serve as run_serve

    def started(url: str) -> None:
        out.print(f"previewing {manuscript} at {url} and its web edition at {url}web/ (Ctrl-C to stop)",
                  soft_wrap=True, markup=False)

    def built(diags: Diagnostics, seconds: float) -> None:
        out.print(f"rebuilt in {seconds:.2f} s: {len(diags.errors)} errors, {len(diags.warnings)} warnings")

    try:
        run_serve(manuscript, host, port, started, built)
    except OSError as exc:
        err.print(f"[red]error:[/red] cannot listen on {host}:{port}: {exc.strerror or exc}", soft_wrap=True)
        sys.exit(int(ExitCode.OUTPUT_FAILED))


@main.command()
@MANUSCRIPT
@click.option("--edition", default="print", show_default=True, help="The print edition to lay out.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--typography", is_flag=True,
              help="Measure a built PDF (given in place of the manuscript) as a book designer would: "
                   "hyphenation, loose lines, short pages, uneven spreads, the body text's font.")
def stats(manuscript: Path, edition: str, fmt: str, typography: bool) -> None:
    """Words and pages per piece and part, from the print layout, with the total page count
    and the spine width it gives on the edition's paper. Nothing is written."""
    if typography:
        typography_report(manuscript, fmt)
        return
    from .commands.stats import stats as run_stats
    try:
        counted = run_stats(manuscript, edition)
    except (AnthologyError, OSError) as exc:
        fail(exc)
    if fmt == "json":
        click.echo(json.dumps(counted.as_dict(), ensure_ascii=False, indent=2))
        return
    table = Table(title=f"{manuscript}: the {counted.edition} edition")
    for column, justify in (("piece", "left"), ("part", "left"), ("words", "right"), ("pages", "right"),
                            ("opens on page", "right")):
        table.add_column(column, justify=justify)
    table.add_row("title pages and contents", "", "", str(counted.front_pages), "1")
    for piece in counted.pieces:
        table.add_row(piece.title, piece.part or "", f"{piece.words:,}", str(piece.pages), str(piece.first_page))
    table.add_section()
    for part in counted.parts:
        table.add_row("", f"{part.title} (with its title page)", f"{part.words:,}", str(part.pages), "")
    table.add_section()
    blank = counted.pages - counted.laid_out_pages
    table.add_row("total" + (f" ({blank} blank pages for the printer's minimum and page multiple)" if blank else ""), "",
                  f"{counted.words:,}", str(counted.pages), "")
    out.print(table)
    out.print(f"spine: {counted.spine_pt / 72:.3f} in ({counted.spine_pt / 72 * 25.4:.1f} mm) "
              f"for {counted.pages} pages on {counted.paper} paper", soft_wrap=True)


def typography_report(pdf: Path, fmt: str) -> None:
    """`stats --typography PDF`: the report and its goals, or its figures as JSON."""
    from .commands.stats import typography as run_typography
    try:
        report = run_typography(pdf)
    except (AnthologyError, OSError) as exc:
        fail(exc)
    if fmt == "json":
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
        return
    out.print(f"{pdf.name}: {report.pages} pages, body text {report.body_face} at {report.body_size:g}/"
              f"{report.line_pitch:g} pt, {report.chars_per_line:g} characters a full line, "
              f"{report.lines:,} lines", soft_wrap=True, markup=False)
    table = Table(title="typography")
    for column, justify in (("measure", "left"), ("book", "right"), ("goal", "right"), ("", "left")):
        table.add_column(column, justify=justify)
    for label, value, goal, met in report.goals():
        table.add_row(label, value, goal, "[green]met[/green]" if met else "[red]not met[/red]")
    table.add_section()
    table.add_row("hyphens at a page's foot (recto and verso)", str(report.page_end_hyphens), "", "")
    table.add_row("a paragraph's last word broken", str(report.last_line_hyphens), "", "")
    table.add_row("lines with word spaces > 0.4 em", str(report.loose_04), "", "")
    table.add_row("widest word space", f"{report.widest_space:.2f} em", "", "")
    out.print(table)
    for kind, where in (("short pages", report.short_pages), ("uneven spreads", report.uneven_spreads)):
        if where:
            out.print(f"{kind}: " + ", ".join(f"{w[0]}–{w[1]}" if isinstance(w, tuple) else str(w) for w in where),
                      soft_wrap=True, markup=False)
    for kind, lines in report.examples.items():
        if lines:
            out.print(f"{kind}: " + "; ".join(lines), soft_wrap=True, markup=False)
