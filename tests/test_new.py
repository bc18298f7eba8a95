"""`anthology new` starts a book that builds and checks clean; `anthology add` adds pieces to it."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from anthology.cli import main
from anthology.commands.new import add
from anthology.errors import AnthologyError
from anthology.importers.contents import add_to_contents
from anthology.readers.manuscript import load


def run(*args):
    return CliRunner().invoke(main, list(map(str, args)))


def test_new_builds_at_once_and_checks_clean(tmp_path):
    book = tmp_path / "book"
    result = run("new", book)
    assert result.exit_code == 0, result.output
    assert sorted(p.relative_to(book).as_posix() for p in book.rglob("*.*")) == [
        "anthology.schema.json", "anthology.yml", "essays/first-essay.md", "introduction.md"]
    config = (book / "anthology.yml").read_text()
    for key in ("title", "subtitle", "language", "editors", "publisher", "series", "date", "rights", "description",
                "identifier", "edition", "isbn", "subjects", "contents", "editions", "epub"):
        line = next(line for line in config.splitlines() if line.lstrip("# ").startswith(key + ":"))
        assert "#" in line.split(":", 1)[1], f"{key} has no comment explaining it"
    identifier = next(line for line in config.splitlines() if line.startswith("identifier:")).split()[1]
    assert re.fullmatch(r"urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", identifier)
    assert run("new", tmp_path / "other").exit_code == 0
    assert identifier not in (tmp_path / "other" / "anthology.yml").read_text()  # each book its own
    check = run("check", book)
    assert check.exit_code == 0 and "0 errors, 0 warnings" in check.output
    assert json.loads(run("check", book, "--format", "json", "--strict").stdout) == []
    out = tmp_path / "out"
    built = run("build", book, "--out", out)
    assert built.exit_code == 0, built.output
    assert (out / "a-new-anthology.pdf").stat().st_size > 0
    assert (out / "a-new-anthology.epub").stat().st_size > 0


def test_new_refuses_a_folder_with_anything_in_it(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    result = run("new", tmp_path)
    assert result.exit_code == 2 and "not an empty folder" in result.output
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]
    assert run("new", tmp_path / "notes.txt").exit_code == 2


def test_add_lists_the_piece_keeping_comments(tmp_path):
    book = tmp_path / "book"
    run("new", book)
    before = (book / "anthology.yml").read_text()
    result = run("add", "Why We Fight: Notes", "--manuscript", book)
    assert result.exit_code == 0, result.output
    piece = book / "essays" / "why-we-fight.md"
    assert piece.read_text() == '---\ntitle: "Why We Fight: Notes"\n# author: Name\n---\n\n'
    after = (book / "anthology.yml").read_text()
    assert after == before.replace("      - essays/first-essay.md\n",
                                   "      - essays/first-essay.md\n      - essays/why-we-fight.md\n")
    loaded, _ = load(book)
    assert [p.title for p in loaded.parts[0].pieces] == ["The First Essay", "Why We Fight: Notes"]


def test_add_never_overwrites(tmp_path):
    book = tmp_path / "book"
    run("new", book)
    (book / "essays" / "later.md").write_text("an editor's draft")
    path, _ = add("Later", book)
    assert path.name == "later-2.md"
    assert (book / "essays" / "later.md").read_text() == "an editor's draft"
    assert "essays/later-2.md" in (book / "anthology.yml").read_text()


def test_add_to_a_new_part_goes_after_the_last_part_before_back_matter(tmp_path):
    book = tmp_path / "book"
    run("new", book)
    config = book / "anthology.yml"
    config.write_text(config.read_text().replace("  # - afterword.md ", "  - afterword.md   "))
    (book / "afterword.md").write_text("---\ntitle: Afterword\n---\n\nThe end.\n")
    result = run("add", "Another One", "--part", "Later Essays", "--manuscript", book)
    assert result.exit_code == 0, result.output
    assert "in a new part 'Later Essays'" in result.output
    run("add", "Third", "--part", "Later Essays", "--manuscript", book)
    run("add", "Fourth", "--part", "Essays", "--manuscript", book)
    loaded, _ = load(book)
    assert [(part.title, [p.slug for p in part.pieces]) for part in loaded.parts] == [
        ("Essays", ["first-essay", "fourth"]), ("Later Essays", ["another-one", "third"])]
    assert [p.role for p in loaded.pieces][-1] == "back"
    assert "# A line starting with # is a comment." in config.read_text()


@pytest.mark.parametrize("before, after", [
    ("title: T\ncontents: [a.md]  # flow\n", "title: T\ncontents: [a.md, {part: P, pieces: [essays/new.md]}]  # flow\n"),
    ("title: T\ncontents:\n- part: P\n  pieces: [a.md]\n- back.md\n",
     "title: T\ncontents:\n- part: P\n  pieces: [a.md, essays/new.md]\n- back.md\n"),
    ("title: T\n", "title: T\ncontents:\n  - part: P\n    pieces:\n      - essays/new.md\n"),
])
def test_add_to_part_shapes(tmp_path, before, after):
    config = tmp_path / "anthology.yml"
    config.write_text(before)
    add_to_contents(config, "essays/new.md", part="P")
    assert config.read_text() == after


def test_add_needs_a_manuscript(tmp_path):
    with pytest.raises(AnthologyError, match="not a manuscript"):
        add("A Title", tmp_path)
    assert not (tmp_path / "essays").exists()
