"""The command line as an editor meets it: help everywhere, clear errors, nothing half-written."""

from __future__ import annotations

import subprocess
import sys

from click.testing import CliRunner

from anthology import __version__
from anthology.cli import main


def run(*args):
    return CliRunner().invoke(main, list(map(str, args)))


def test_version_and_help_on_every_command():
    assert run("--version").output.strip() == f"anthology, version {__version__}"
    result = run("--help")
    assert result.exit_code == 0 and "build" in result.output and "check" in result.output
    for command in main.commands:
        assert run(command, "--help").exit_code == 0


def test_build_writes_both_editions(minimal, tmp_path):
    out = tmp_path / "out"
    result = run("build", minimal, "--out", out)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == [
        "a-small-book-screen.pdf", "a-small-book.epub", "a-small-book.pdf"]
    assert "1 pieces" in result.output or "1 piece" in result.output


def test_build_one_format(minimal, tmp_path):
    out = tmp_path / "out"
    assert run("build", minimal, "--out", out, "--format", "epub").exit_code == 0
    assert [p.name for p in out.iterdir() if not p.name.startswith(".")] == ["a-small-book.epub"]


def test_bad_manuscript_exits_2_with_every_problem_and_writes_nothing(make_manuscript, tmp_path):
    root = make_manuscript({
        "anthology.yml": "title: T\nlanguage: en\nsubtitel: typo\ncontents: [a.md, b.md]\n",
        "a.md": "---\ntitle: A\n",
    })
    out = tmp_path / "out"
    out.mkdir()
    (out / "previous.pdf").write_bytes(b"%PDF previous")
    proc = subprocess.run([sys.executable, "-m", "anthology", "build", str(root), "--out", str(out)],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr + proc.stdout
    assert "anthology.yml:3: error: unknown key 'subtitel'" in proc.stderr
    assert "anthology.yml:4: error: 'b.md' does not exist" in proc.stderr
    assert [p.name for p in out.iterdir()] == ["previous.pdf"]
    assert (out / "previous.pdf").read_bytes() == b"%PDF previous"


def test_missing_manuscript_folder(tmp_path):
    result = run("build", tmp_path / "nowhere", "--out", tmp_path / "out")
    assert result.exit_code == 2
    assert "manuscript folder not found" in result.output


def test_check_reports_without_writing(make_manuscript):
    root = make_manuscript({"anthology.yml": "title: T\nlanguage: en\ncontents: [a.md]\n",
                            "a.md": "---\ntitle: A\nkeywords: x\n---\nText.\n"})
    result = run("check", root)
    assert result.exit_code == 0
    assert "a.md:3: warning: unknown front matter key 'keywords' is ignored" in result.output
    assert run("check", root, "--strict").exit_code == 2
    assert not (root / "build").exists()


def test_build_refuses_an_image_without_alternative_text(make_manuscript, tmp_path):
    root = make_manuscript({
        "anthology.yml": "title: T\nlanguage: en\ncontents: [a.md]\n",
        "a.md": "---\ntitle: A\n---\n\nText.\n\n![](pic.svg)\n\n![](pic.svg){.decorative}\n",
        "pic.svg": '<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>',
    })
    result = run("build", root, "--out", tmp_path / "out")
    assert result.exit_code == 2
    assert "a.md:7:1: error: image without alternative text" in result.output
    assert "a.md:9" not in result.output


def test_stats_with_a_relative_manuscript_path(minimal, monkeypatch, tmp_path):
    monkeypatch.chdir(minimal.parent)
    result = run("stats", minimal.name, "--format", "json")
    assert result.exit_code == 0, result.output
    assert '"path": "one.md"' in result.output
