"""What `anthology build` says as it runs: a bar, every stage with --verbose, nothing with --quiet."""

from __future__ import annotations

import io

from click.testing import CliRunner
from rich.console import Console

from anthology.cli import main
from anthology.commands.build import build
from anthology.progress import Bar


def test_summary_names_editions_pages_words_warnings_and_time(minimal, tmp_path):
    result = CliRunner().invoke(main, ["build", str(minimal), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    summary = result.stdout.strip().splitlines()[-1]
    assert summary.startswith("4 editions, ") and ", 1 piece, 3 words, 0 warnings in " in summary
    assert summary.endswith(" s")


def test_quiet_prints_nothing_on_success(minimal, tmp_path):
    result = CliRunner().invoke(main, ["build", str(minimal), "--out", str(tmp_path / "out"), "--quiet"])
    assert result.exit_code == 0 and result.output == ""


def test_verbose_prints_every_stage_and_weasyprint_warnings(make_manuscript, tmp_path):
    from conftest import MINIMAL_CONFIG, MINIMAL_PIECE
    root = make_manuscript({"anthology.yml": MINIMAL_CONFIG, "one.md": MINIMAL_PIECE,
                            "styles/print.css": "p { colr: red }\n"})
    result = CliRunner().invoke(main, ["build", str(root), "--out", str(tmp_path / "out"), "--verbose"])
    assert result.exit_code == 0, result.output
    for stage in ("read ", "one.md (1/1)", "laying out the print edition", "writing a-small-book.pdf",
                  "preflight of the print edition", "laying out the screen edition", "writing the EPUB",
                  "WeasyPrint step: Step 5 - Creating layout", "WeasyPrint warning: Ignored `colr: red"):
        assert stage in result.stderr, stage
    assert "Page 1" not in result.stderr


def test_bar_names_the_piece_being_read(minimal, tmp_path):
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=100)
    with Bar(console) as bar:
        build(minimal, tmp_path / "out", ("epub",), bar)
    assert "reading one.md" in screen.getvalue()
    assert "laying out the print edition" in screen.getvalue()
