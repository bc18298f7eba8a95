"""The manuscript format as a contract: what loads, and how every mistake is reported."""

from __future__ import annotations

import pytest

from anthology.errors import ManuscriptError
from anthology.readers.manuscript import load

from conftest import MINIMAL_PIECE


def errors_of(root):
    with pytest.raises(ManuscriptError) as info:
        load(root)
    return [(d.path.split("/")[-1], d.line, d.message) for d in info.value.diagnostics.errors]


def test_minimal_manuscript_loads(minimal):
    book, diags = load(minimal)
    assert book.meta.title == "A Small Book"
    assert book.meta.slug == "a-small-book"
    assert book.meta.identifier.startswith("urn:uuid:")
    assert [p.title for p in book.pieces] == ["One"]
    assert book.parts[0].title == "Essays"
    assert book.pieces[0].authors == ("Bea Author",)
    assert not diags.errors


def test_identifier_is_stable(make_manuscript):
    """Derived, when anthology.yml gives none: the same from one build to the next."""
    from conftest import MINIMAL_CONFIG, MINIMAL_PIECE
    config = "\n".join(line for line in MINIMAL_CONFIG.splitlines() if not line.startswith("identifier:"))
    root = make_manuscript({"anthology.yml": config, "one.md": MINIMAL_PIECE})
    assert load(root)[0].meta.identifier == load(root)[0].meta.identifier


def test_two_books_of_one_title_get_different_identifiers(make_manuscript):
    """The identifier of a manuscript that gives none comes from its title, editors, language
    and date: two books called "Essays" are not merged by library apps."""
    piece = {"a.md": "---\ntitle: A\n---\nText.\n"}
    base = "title: Essays\nlanguage: en\ncontents: [a.md]\n"
    ids = {load(make_manuscript({"anthology.yml": base + extra, **piece}, name=f"ms{i}"))[0].meta.identifier
           for i, extra in enumerate(["", "editors: [Ann Editor]\n", "editors: [Bo Editor]\n", "date: '1905'\n"])}
    assert len(ids) == 4 and all(i.startswith("urn:uuid:") for i in ids)
    german = load(make_manuscript({"anthology.yml": base.replace("language: en", "language: de"), **piece}, name="de"))[0]
    assert german.meta.identifier not in ids
    given = load(make_manuscript({"anthology.yml": base + "identifier: urn:uuid:0f8f1b8e-3c39-4a8e-9d43-6f1d2c1a9b7e\n",
                                  **piece}, name="given"))[0]
    assert given.meta.identifier == "urn:uuid:0f8f1b8e-3c39-4a8e-9d43-6f1d2c1a9b7e"


def test_missing_config(make_manuscript):
    root = make_manuscript({"one.md": MINIMAL_PIECE})
    assert errors_of(root) == [("anthology.yml", 0, "missing anthology.yml: every manuscript needs one at its root")]


def test_invalid_yaml_names_its_line(make_manuscript):
    root = make_manuscript({"anthology.yml": "title: A\nlanguage: en\ncontents: [one.md\n", "one.md": MINIMAL_PIECE})
    [(name, line, message)] = errors_of(root)
    assert name == "anthology.yml" and line == 4 and message.startswith("invalid YAML")


def test_every_config_problem_at_once(make_manuscript):
    root = make_manuscript({
        "anthology.yml": """
            language: english
            colour: blue
            contents:
              - one.md
              - missing.md
            """,
        "one.md": MINIMAL_PIECE,
    })
    found = errors_of(root)
    assert ("anthology.yml", 1, "missing required key 'title'") in found
    assert ("anthology.yml", 2, "unknown key 'colour'") in found
    assert any(line == 1 and "BCP 47" in message for _, line, message in found)


def test_missing_content_path_names_its_line(make_manuscript):
    root = make_manuscript({
        "anthology.yml": """
            title: T
            language: en
            contents:
              - one.md
              - part: P
                pieces:
                  - two.md
            """,
        "one.md": MINIMAL_PIECE,
    })
    assert errors_of(root) == [("anthology.yml", 7, "'two.md' does not exist")]


def test_piece_problems_all_reported(make_manuscript):
    root = make_manuscript({
        "anthology.yml": "title: T\nlanguage: en\ncontents: [a.md, b.md, c.md, d.md]\n",
        "a.md": "No front matter here.\n",
        "b.md": "---\ntitle: B\nauthor: X\n\nbody without a closing fence\n",
        "c.md": "---\nauthor: [unclosed\n---\nText\n",
        "d.md": "---\nauthor: Someone\n---\nText\n",
    })
    found = errors_of(root)
    assert ("a.md", 1, "a piece must start with a YAML front matter block ('---', title: …, '---')") in found
    assert ("b.md", 1, "the front matter block opened here is never closed with '---'") in found
    assert any(name == "c.md" and line == 2 and "invalid YAML" in msg for name, line, msg in found)
    assert ("d.md", 2, "missing required key 'title'") in found


def test_unknown_front_matter_key_is_a_warning(make_manuscript):
    root = make_manuscript({
        "anthology.yml": "title: T\nlanguage: en\ncontents: [a.md]\n",
        "a.md": "---\ntitle: A\ntags: [x]\n---\nText\n",
    })
    _, diags = load(root)
    assert [(d.line, d.message) for d in diags.warnings] == [(3, "unknown front matter key 'tags' is ignored")]


def test_yaml_aliases_are_refused(make_manuscript):
    root = make_manuscript({
        "anthology.yml": "title: &t T\nsubtitle: *t\nlanguage: en\ncontents: [a.md]\n",
        "a.md": MINIMAL_PIECE,
    })
    [(name, line, message)] = errors_of(root)
    assert line == 2 and "aliases" in message


def test_invalid_utf8_names_its_line(make_manuscript):
    root = make_manuscript({
        "anthology.yml": "title: T\nlanguage: en\ncontents: [a.md]\n",
        "a.md": b"---\ntitle: A\n---\n\nline four\ncaf\xe9\n",
    })
    assert errors_of(root) == [("a.md", 6, "not valid UTF-8 (byte 0xe9); save the file as UTF-8")]


def test_contents_outside_the_manuscript_is_refused(make_manuscript, tmp_path):
    (tmp_path / "outside.md").write_text(MINIMAL_PIECE)
    root = make_manuscript({"anthology.yml": "title: T\nlanguage: en\ncontents: [../outside.md]\n"})
    assert errors_of(root) == [("anthology.yml", 3, "'../outside.md' is outside the manuscript folder")]


def test_roles_follow_the_parts(make_manuscript):
    root = make_manuscript({
        "anthology.yml": """
            title: T
            language: en
            contents:
              - intro.md
              - part: P
                pieces: [one.md]
              - after.md
            """,
        "intro.md": "---\ntitle: Introduction\n---\nHello.\n",
        "one.md": MINIMAL_PIECE,
        "after.md": "---\ntitle: Afterword\n---\nBye.\n",
    })
    book, _ = load(root)
    assert [(p.title, p.role) for p in book.pieces] == [("Introduction", "front"), ("One", "body"), ("Afterword", "back")]


def test_pieces_converted_in_parallel_give_the_same_book(make_manuscript):
    """Two files with the same name in different folders: the second takes the id "-2" in a
    parallel load as in a serial one."""
    from anthology.writers.print.pool import Pool

    piece = "---\ntitle: {t}\nauthor: Bea Author\n---\n\nA paragraph[^n] of {t}.\n\n[^n]: A note.\n"
    root = make_manuscript({
        "anthology.yml": "title: Twins\nlanguage: en\ncontents:\n  - part: Essays\n    pieces:\n"
                         "      - a/essay.md\n      - b/essay.md\n      - c/other.md\n",
        "a/essay.md": piece.format(t="First"),
        "b/essay.md": piece.format(t="Second"),
        "c/other.md": piece.format(t="Third"),
    })
    serial, _ = load(root)
    with Pool(2) as pool:
        parallel, _ = load(root, pool=pool.executor)
    assert [p.id for p in parallel.pieces] == ["essay", "essay-2", "other"]
    assert parallel.entries == serial.entries


@pytest.mark.parametrize("line, hint", [
    ("title: Marx: A Life", 'must be quoted: title: "Marx: A Life"'),
    ("title: @me", "a value starting with @ must be quoted"),
])
def test_yaml_errors_say_what_to_do(make_manuscript, line, hint):
    root = make_manuscript({"anthology.yml": f"{line}\nlanguage: en\ncontents: [a.md]\n"})
    with pytest.raises(ManuscriptError) as caught:
        load(root)
    [error] = caught.value.diagnostics.errors
    assert error.line == 1 and hint in error.message
