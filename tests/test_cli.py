"""The command line as an editor meets it: help everywhere, clear errors, nothing half-written."""

from __future__ import annotations

import subprocess
import sys

import pytest
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


def test_build_writes_every_edition(minimal, tmp_path):
    out = tmp_path / "out"
    result = run("build", minimal, "--out", out)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == [
        "a-small-book-screen.pdf", "a-small-book-web", "a-small-book.epub", "a-small-book.pdf"]
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


def test_a_relative_manuscript_with_styles_builds_stats_and_covers(minimal, monkeypatch, tmp_path):
    """`anthology build manuscript` with a styles/ folder: WeasyPrint needs file URIs, which a
    relative path cannot give (a ValueError traceback before the root was resolved at load)."""
    (minimal / "styles").mkdir()
    (minimal / "styles" / "base.css").write_text("p { letter-spacing: 0 }\n")
    monkeypatch.chdir(minimal.parent)
    for args in (("build", minimal.name, "--out", "out", "--format", "epub"),
                 ("stats", minimal.name, "--format", "json"),
                 ("cover", minimal.name, "--out", "out")):
        result = run(*args)
        assert result.exit_code == 0, (args, result.output)
        assert "Traceback" not in result.output


def test_commands_find_the_manuscript_from_inside_it(minimal, tmp_path):
    """Like git and mkdocs: anthology.yml in the working folder or the nearest parent."""
    inner = minimal / "essays"
    inner.mkdir()
    env_cwd = {"cwd": inner, "capture_output": True, "text": True}
    proc = subprocess.run([sys.executable, "-m", "anthology", "check"], **env_cwd)
    assert proc.returncode == 0, proc.stderr
    proc = subprocess.run([sys.executable, "-m", "anthology", "build", "--format", "epub", "--out",
                           str(tmp_path / "out")], **env_cwd)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "out" / "a-small-book.epub").is_file()


def test_an_output_inside_the_manuscript_is_not_an_input(minimal):
    """`cd manuscript && anthology build` writes ./build: a second build is up to date."""
    proc = [subprocess.run([sys.executable, "-m", "anthology", "build", "--format", "epub"], cwd=minimal,
                           capture_output=True, text=True) for _ in range(2)]
    assert [p.returncode for p in proc] == [0, 0], proc[0].stderr
    assert "up to date" in proc[1].stdout


def test_a_pdf_that_fails_preflight_does_not_replace_the_previous_one(minimal, tmp_path, monkeypatch):
    from anthology.commands import build as command
    from anthology.errors import OutputError
    from anthology.preflight import Finding, PreflightReport

    out = tmp_path / "out"
    command.build(minimal, out, ("pdf",), jobs=1)
    good = (out / "a-small-book.pdf").read_bytes()
    (minimal / "one.md").write_text(MINIMAL_PIECE_EDITED)

    def failing(path, spec):
        assert path.name.endswith(".tmp")  # the temporary file is checked, not the output
        return PreflightReport(path, [Finding("error", "boxes", "planted failure")])

    monkeypatch.setattr(command, "preflight", failing)
    with pytest.raises(OutputError, match="failed preflight"):
        command.build(minimal, out, ("pdf",), jobs=1)
    assert (out / "a-small-book.pdf").read_bytes() == good
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]


MINIMAL_PIECE_EDITED = "---\ntitle: One\nauthor: Bea Author\n---\n\nAn edited first paragraph.\n"


def test_build_counts_the_warnings_check_finds_and_strict_fails_on_them(make_manuscript, tmp_path):
    root = make_manuscript({"anthology.yml": MINIMAL_CONFIG_ONE,
                            "one.md": "---\ntitle: One\nauthor: Bea Author\n---\n\nA \"straight\" quote -- and  two spaces.\n"})
    checked = subprocess.run([sys.executable, "-m", "anthology", "check"], capture_output=True, text=True, cwd=root)
    warnings = [line for line in checked.stdout.splitlines() if ": warning: " in line]
    assert warnings and checked.returncode == 0
    out = tmp_path / "out"
    strict = subprocess.run([sys.executable, "-m", "anthology", "build", "--out", str(out), "--strict",
                             "--format", "epub"], capture_output=True, text=True, cwd=root)
    assert strict.returncode == 2 and "Traceback" not in strict.stderr
    assert [line for line in strict.stderr.splitlines() if ": warning: " in line] == warnings
    assert "fail a --strict build" in strict.stderr
    assert not (out / "a-small-book.epub").exists()
    lenient = subprocess.run([sys.executable, "-m", "anthology", "build", str(root), "--out", str(out),
                              "--format", "epub"], capture_output=True, text=True)
    assert lenient.returncode == 0, lenient.stderr
    assert f"{len(warnings)} warnings" in lenient.stdout
    again = subprocess.run([sys.executable, "-m", "anthology", "build", str(root), "--out", str(out), "--strict",
                            "--format", "epub"], capture_output=True, text=True)
    assert again.returncode == 2, "a lenient build's stamp must not make a strict build 'up to date'"


MINIMAL_CONFIG_ONE = "title: A Small Book\nlanguage: en\neditors: [Ada Editor]\ncontents:\n  - part: Essays\n    pieces:\n      - one.md\n"


def test_a_link_to_no_such_id_stops_a_build_as_check_reports_it(make_manuscript, tmp_path):
    """The EPUB would carry a dead link (EPUBCheck RSC-012): the build stops at the lint's error."""
    root = make_manuscript({"anthology.yml": MINIMAL_CONFIG_ONE,
                            "one.md": "---\ntitle: One\nauthor: Bea Author\n---\n\nSee [there](#nowhere).\n"})
    proc = subprocess.run([sys.executable, "-m", "anthology", "build", str(root), "--out", str(tmp_path / "out")],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "one.md:6:13: error: link to '#nowhere': no such id" in proc.stderr
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").glob("*.epub"))


def test_the_up_to_date_digest_does_not_read_through_a_symlink_leading_outside(minimal, tmp_path):
    from anthology.uptodate import inputs_digest

    outside = tmp_path / "secret.txt"
    outside.write_text("one")
    (minimal / "leak.txt").symlink_to(outside)
    before = inputs_digest(minimal, ("epub",))
    outside.write_text("two")
    assert inputs_digest(minimal, ("epub",)) == before  # its contents were never read
    (minimal / "leak.txt").unlink()
    (minimal / "leak.txt").symlink_to(tmp_path / "elsewhere.txt")
    assert inputs_digest(minimal, ("epub",)) != before  # where it points still counts
