"""The chunked, parallel and cached print layout gives the same book as one single pass,
and every input that can change a page invalidates the cache."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from anthology.generator import generate
from anthology.readers.manuscript import load
from anthology.commands.build import build
from anthology.writers.pdf import SinglePassPdf
from anthology.writers.print import cache as layout_cache
from anthology.writers.print.edition import PdfWriter
from anthology.writers.print.pool import Pool

from conftest import SAMPLE, outline


def page_texts(path) -> list[str]:
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return [" ".join(page.split()) for page in out.split("\f")[:-1]]


@pytest.fixture(scope="module")
def manuscript(tmp_path_factory):
    root = generate(tmp_path_factory.mktemp("gen") / "ms", pieces=8, parts=2, seed=21, words=(500, 2200))
    config = root / "anthology.yml"
    config.write_text(config.read_text() + "  - generate: index-of-quotations\n  - generate: works-cited\n")
    return root


@pytest.fixture(scope="module")
def single(manuscript, tmp_path_factory):
    book, diags = load(manuscript)
    writer = SinglePassPdf(book, diags)
    writer.layout()
    return writer.write(tmp_path_factory.mktemp("single"))


def chunked(manuscript, out, workers, cache):
    book, diags = load(manuscript)
    writer = PdfWriter(book, diags, workers=workers, cache=cache)
    writer.layout()
    return writer.write(out)


def test_parallel_and_single_process_match_the_single_pass(manuscript, single, tmp_path):
    one = chunked(manuscript, tmp_path / "one", 1, None)
    two = chunked(manuscript, tmp_path / "two", 2, None)
    expected = page_texts(single)
    assert page_texts(one) == expected
    assert page_texts(two) == expected
    assert outline(one) == outline(two) == outline(single)


@pytest.mark.slow
def test_workers_renewed_by_the_fork_server_match(manuscript, single, tmp_path, monkeypatch):
    """The command line's pool: workers from a fork server, each replaced after every layout
    (max_tasks_per_child), lay out the same book."""
    monkeypatch.setattr(Pool, "RENEW", 1)
    with Pool(2, start="forkserver") as pool:
        result = build(manuscript, tmp_path / "out", ("pdf",), pool=pool)
    assert page_texts(result.outputs["pdf"]) == page_texts(single)


@pytest.mark.slow
def test_a_script_without_a_main_guard_runs_once(manuscript, single, tmp_path):
    """A script that calls `build()` at its top level, with no `__main__` guard, runs once:
    the library's own pool forks its workers from the caller, which imports nothing again."""
    script = tmp_path / "build_it.py"
    script.write_text("from anthology.commands.build import build\n"
                      "print('script ran', flush=True)\n"
                      f"build({str(manuscript)!r}, {str(tmp_path / 'out')!r}, ('pdf',), jobs=2)\n")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, check=True, cwd=tmp_path)
    assert done.stdout.count("script ran") == 1
    assert page_texts(next((tmp_path / "out").glob("*.pdf"))) == page_texts(single)


@pytest.mark.slow
def test_a_cache_of_another_format_is_not_read(manuscript, tmp_path, monkeypatch):
    """A build directory made by another version's cache format is built again, not failed
    on: every digest names the cache's format (an old format's entries are never looked up)."""
    monkeypatch.setattr(layout_cache, "CACHE_FORMAT", 1)
    layout_cache.versions.cache_clear()
    before = chunked(manuscript, tmp_path / "old", 2, tmp_path / "cache")
    monkeypatch.setattr(layout_cache, "CACHE_FORMAT", 2)
    layout_cache.versions.cache_clear()
    assert page_texts(chunked(manuscript, tmp_path / "new", 2, tmp_path / "cache")) == page_texts(before)


@pytest.mark.slow
def test_incremental_rebuild_matches_a_full_build(manuscript, tmp_path):
    work = tmp_path / "ms"
    shutil.copytree(manuscript, work)
    cache = tmp_path / "cache"
    chunked(work, tmp_path / "first", 2, cache)
    essay = sorted((work / "essays").glob("*.md"))[3]
    text = essay.read_text()
    paragraph = text.split("\n\n")[-2]
    essay.write_text(text.replace(" the ", " a ", 1) + "\n" + "\n\n".join([paragraph] * 3) + "\n")
    before = {p.name for p in cache.iterdir()}
    incremental = chunked(work, tmp_path / "incremental", 2, cache)
    laid_out_again = {p.name for p in cache.iterdir()} - before
    full = chunked(work, tmp_path / "full", 1, None)
    assert page_texts(incremental) == page_texts(full)
    assert outline(incremental) == outline(full)
    # the edited essay, the pages that print page numbers, fonts and folios: not every chunk
    assert 0 < len({n.rsplit(".", 1)[0] for n in laid_out_again}) < 9


@pytest.mark.parametrize("change", ["template", "style", "config"])
def test_templates_styles_and_config_invalidate_the_cache(tmp_path, change):
    work = tmp_path / "ms"
    shutil.copytree(SAMPLE, work)
    cache = tmp_path / "cache"
    first = chunked(work, tmp_path / "a", 1, cache)
    if change == "template":
        (work / "templates").mkdir()
        macros = (SAMPLE.parent / "src" / "anthology" / "templates" / "_macros.j2").read_text()
        (work / "templates" / "_macros.j2").write_text(macros.replace('<p class="part-number"', '<p class="part-number changed"'))
        marker = None
    elif change == "style":
        (work / "styles").mkdir()
        (work / "styles" / "print.css").write_text("p { letter-spacing: 0.3em; }\n")
        marker = None
    else:
        config = work / "anthology.yml"
        config.write_text(config.read_text().replace("title: Why I Joined the IMT", "title: A Changed Title"))
        marker = "A Changed Title"
    before = {p.name for p in cache.iterdir()}
    second = chunked(work, tmp_path / "b", 1, cache)
    assert {p.name for p in cache.iterdir()} - before, "nothing was laid out again"
    if marker:
        assert marker in " ".join(page_texts(second))
    if change == "style":
        assert len(page_texts(second)) > len(page_texts(first))


def test_build_reports_up_to_date_without_laying_out(tmp_path):
    from click.testing import CliRunner

    from anthology.cli import main

    out = tmp_path / "out"
    runner = CliRunner()
    assert runner.invoke(main, ["build", str(SAMPLE), "--out", str(out), "--format", "pdf"]).exit_code == 0
    again = runner.invoke(main, ["build", str(SAMPLE), "--out", str(out), "--format", "pdf"])
    assert again.exit_code == 0 and again.output.startswith("up to date:")
    (out / "why-i-joined-the-imt.pdf").write_bytes(b"tampered")
    rebuilt = runner.invoke(main, ["build", str(SAMPLE), "--out", str(out), "--format", "pdf"])
    assert "up to date" not in rebuilt.output
    assert (out / "why-i-joined-the-imt.pdf").read_bytes().startswith(b"%PDF")
