"""The editor's lint: each problem in the Markdown source reported at its exact line and column."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from anthology.cli import main
from anthology.commands.check import check

CONFIG = """
title: Lint Test
language: en
contents:
  - intro.md
  - part: Essays
    pieces:
      - essays/seeded.md
      - essays/again.md
      - essays/empty.md
"""

INTRO = """
---
title: Introduction
---

An introduction with a [good link](essays/seeded.md#seeded-the-state) and [a heading
link](#seeded-the-state), with `code "quotes"` and <span class="x">markup</span> left alone.
"""

SEEDED = """
---
title: Seeded
---

He said "hello" to me.
It's fine, but this is  a double space.
Then -- a dash, and 1914--1918.

## The State

![](../figure.svg)

![A caption](../figure.svg)

![](../figure.svg){.decorative}

![](../missing.svg "A described image")

See [nowhere](#no-such-id) and [there](again.md#nope) and [gone](gone.md).

```
code "with" quotes  and -- dashes
```

> Quoted text.
>
> -- Author, *Work*
"""

AGAIN = """
---
title: "Seeded"
---

A [link](seeded.md#seeded-the-state) that works, and one [close](#the-state) to it.
"""

EMPTY = """
---
title: Nothing Yet
---
"""

FIGURE = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>'


def seeded(make_manuscript):
    return make_manuscript({"anthology.yml": CONFIG, "intro.md": INTRO, "essays/seeded.md": SEEDED,
                            "essays/again.md": AGAIN, "essays/empty.md": EMPTY, "figure.svg": FIGURE})


def found(diags) -> list[tuple[str, int, int, str, str]]:
    return sorted((d.path.rsplit("/", 1)[-1], d.line, d.col, d.level, d.code) for d in diags)


def test_each_problem_at_its_line_and_column(make_manuscript):
    root = seeded(make_manuscript)
    diags = check(root)
    lint = [f for f in found(diags) if f[4]]
    assert lint == sorted([
        ("seeded.md", 5, 9, "warning", "straight-quote"),
        ("seeded.md", 5, 15, "warning", "straight-quote"),
        ("seeded.md", 6, 3, "warning", "straight-quote"),
        ("seeded.md", 6, 23, "warning", "double-space"),
        ("seeded.md", 7, 6, "warning", "dash"),
        ("seeded.md", 7, 25, "warning", "dash"),
        ("seeded.md", 11, 1, "error", "image-alt"),
        ("seeded.md", 17, 0, "error", "missing-image"),
        ("seeded.md", 19, 15, "error", "link"),
        ("seeded.md", 19, 40, "error", "link"),
        ("seeded.md", 19, 66, "error", "link"),
        ("again.md", 2, 8, "warning", "duplicate-title"),
        ("again.md", 5, 66, "error", "link"),
        ("empty.md", 2, 8, "warning", "empty"),
        ("anthology.yml", 1, 0, "warning", "identifier"),
    ])
    messages = {(d.path.rsplit("/", 1)[-1], d.line, d.col): d.message for d in diags}
    assert messages[("seeded.md", 5, 9)] == 'straight quote ": write “'
    assert messages[("seeded.md", 5, 15)] == 'straight quote ": write ”'
    assert messages[("seeded.md", 6, 3)] == "straight quote ': write ’ (apostrophe)"
    assert messages[("seeded.md", 7, 25)] == "'--' used for a dash: write – (en dash) for a range"
    assert messages[("seeded.md", 19, 40)] == "link to '#nope': no such id in 'again.md'"
    assert messages[("seeded.md", 19, 66)] == "link to 'gone.md', which is not a piece in contents"
    assert messages[("again.md", 5, 66)] == "link to '#the-state': no such id in the book (did you mean #seeded-the-state?)"
    assert messages[("again.md", 2, 8)] == "the title 'Seeded' is also used by seeded.md:2"
    # The missing image file is the loader's finding, reported once, as an error naming it from the manuscript.
    missing = [d for d in diags if "missing.svg" in d.message]
    assert len(missing) == 1 and missing[0].path.endswith("seeded.md") and missing[0].line == 17
    assert missing[0].message == "image '../missing.svg' not found: there is no missing.svg in the manuscript"


def test_check_prints_file_line_col_and_fails_on_errors(make_manuscript):
    root = seeded(make_manuscript)
    result = CliRunner().invoke(main, ["check", str(root)])
    assert result.exit_code == 2
    assert "essays/seeded.md:7:6: warning: '--' used for a dash: write — (em dash)" in result.output
    assert "6 errors, 9 warnings" in result.output  # the missing identifier's among them


def test_check_json_for_ci(make_manuscript):
    root = seeded(make_manuscript)
    result = CliRunner().invoke(main, ["check", str(root), "--format", "json"])
    data = json.loads(result.stdout)
    assert result.exit_code == 2
    assert all(set(item) == {"path", "line", "col", "level", "message"} for item in data)
    assert {"path": "essays/seeded.md", "line": 11, "col": 1, "level": "error",
            "message": "image without alternative text: give it a caption ![Caption](…), a description "
                       "![…](… \"description\"), or mark it decorative: ![](…){.decorative}"} in data


def test_strict_fails_on_warnings_alone(make_manuscript):
    root = make_manuscript({"anthology.yml": "title: T\nlanguage: en\ncontents: [a.md]\n",
                            "a.md": "---\ntitle: A\n---\nTwo  spaces.\n"})
    assert CliRunner().invoke(main, ["check", str(root)]).exit_code == 0
    result = CliRunner().invoke(main, ["check", str(root), "--strict"])
    assert result.exit_code == 2 and "a.md:4:4: warning: 2 spaces between words: use one" in result.output


def test_the_sample_manuscript_is_clean():
    """Clean but for its missing identifier, which is the editors' to add (the derived one is
    suggested): its words stay as written."""
    from conftest import SAMPLE
    [diag] = check(SAMPLE)
    assert (diag.path.rsplit("/", 1)[-1], diag.line, diag.level, diag.code) == ("anthology.yml", 1, "warning", "identifier")
    assert diag.message.startswith("no identifier: add 'identifier: urn:uuid:")


def test_a_manuscript_without_identifier_is_told_to_add_one(make_manuscript):
    root = make_manuscript({"anthology.yml": "language: en\ntitle: T\ncontents: [a.md]\n", "a.md": "---\ntitle: A\n---\nText.\n"})
    [diag] = check(root)
    assert (diag.line, diag.level, diag.code) == (2, "warning", "identifier")
    root = make_manuscript({"anthology.yml": "title: T\nlanguage: en\nidentifier: urn:isbn:9780000000002\ncontents: [a.md]\n",
                            "a.md": "---\ntitle: A\n---\nText.\n"}, name="with-id")
    assert list(check(root)) == []


def test_a_markdown_file_contents_does_not_list_is_a_warning(make_manuscript):
    root = make_manuscript({"anthology.yml": "title: T\nlanguage: en\ncontents: [a.md]\n",
                            "a.md": "---\ntitle: A\n---\nText.\n",
                            "essays/forgotten.md": "---\ntitle: F\n---\nText.\n",
                            ".cache/old.md": "hidden folders are not the editor's"})
    found = [(Path(d.path).name, d.message) for d in check(root) if d.code == "unlisted"]
    assert found == [("forgotten.md", "essays/forgotten.md is not listed in the contents of anthology.yml, "
                                      "so it is not in the book")]
