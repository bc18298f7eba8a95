"""`anthology check --fix`: the lint's typographic findings fixed in the source, and nothing else."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from click.testing import CliRunner

from anthology.cli import main
from conftest import SAMPLE


def straighten(path: Path) -> None:
    """Undo the curly quotes of a piece's body by hand, as a plain-text editor would type it."""
    text = path.read_text(encoding="utf-8")
    end = text.index("\n---\n", 4) + 5
    body = re.sub("[‘’]", "'", re.sub("[“”]", '"', text[end:]))
    path.write_text(text[:end] + body, encoding="utf-8")


def test_fix_restores_the_sample_with_its_quotes_straightened(tmp_path):
    root = tmp_path / "sample"
    shutil.copytree(SAMPLE, root)
    for piece in root.rglob("*.md"):
        straighten(piece)
    essay = root / "essays" / "from-chomsky-to-marx.md"
    assert essay.read_bytes() != (SAMPLE / "essays" / "from-chomsky-to-marx.md").read_bytes()
    result = CliRunner().invoke(main, ["check", "--fix", str(root)])
    assert result.exit_code == 0, result.output
    assert "essays/from-chomsky-to-marx.md:14:11: fixed: '\"' → '“'" in result.output
    assert result.output.rstrip().endswith("25 fixes in 1 file made, 0 errors, 1 warnings")  # the sample has no identifier
    for piece in SAMPLE.rglob("*.md"):
        assert (root / piece.relative_to(SAMPLE)).read_bytes() == piece.read_bytes(), piece


SOURCE = """---
title: "Quotes 'and' -- things"
---

She said "it's 'fine'" -- twice... in 1914--1918 and  then  left.
*"Emphasis"* and "[a link](https://example.org/"x"--y...)" and `code "quotes" -- ...`.
<span title="a -- b">"tagged"</span> and {lang="en"} and 5' 10" tall.

```
"fenced" -- code...
```

| a "cell" |  two  |
"""

FIXED_EN = """---
title: "Quotes 'and' -- things"
---

She said “it’s ‘fine’” — twice… in 1914–1918 and then left.
*“Emphasis”* and “[a link](https://example.org/"x"--y...)” and `code "quotes" -- ...`.
<span title="a -- b">“tagged”</span> and {lang="en"} and 5' 10" tall.

```
"fenced" -- code...
```

| a “cell” |  two  |
"""


def test_fix_leaves_code_urls_html_front_matter_and_primes(make_manuscript):
    root = make_manuscript({"anthology.yml": "title: T\nlanguage: en\ncontents: [a.md]\n", "a.md": SOURCE})
    result = CliRunner().invoke(main, ["check", "--fix", str(root)])
    assert (root / "a.md").read_text(encoding="utf-8") == FIXED_EN
    # the primes stay for the editor to decide
    assert "a.md:7:59: warning: straight quote ': write ′ (prime) for feet or minutes, or ’" in result.output
    assert not list(root.glob(".*.tmp"))


def test_fix_follows_the_language(make_manuscript):
    body = '---\ntitle: T\n---\n\nIl a dit "non" : c\'est "fini" ! Vraiment ?\n'
    root = make_manuscript({"anthology.yml": "title: T\nlanguage: fr\ncontents: [a.md]\n", "a.md": body})
    CliRunner().invoke(main, ["check", "--fix", str(root)])
    assert (root / "a.md").read_text(encoding="utf-8").endswith(
        "Il a dit «\u00a0non\u00a0»\u00a0: c’est «\u00a0fini\u00a0»\u202f! Vraiment\u202f?\n")
    root = make_manuscript({"anthology.yml": "title: T\nlanguage: de\ncontents: [a.md]\n",
                            "a.md": "---\ntitle: T\n---\n\nEr sagte \"'nein' ist nein\".\n"}, name="de")
    result = CliRunner().invoke(main, ["check", str(root)])
    assert "a.md:5:10: warning: straight quote \": write „" in result.output  # the advice too
    CliRunner().invoke(main, ["check", "--fix", str(root)])
    assert (root / "a.md").read_text(encoding="utf-8").endswith("Er sagte „‚nein‘ ist nein“.\n")


def test_diff_is_a_dry_run_and_json_names_files_from_the_manuscript(make_manuscript, tmp_path, monkeypatch):
    root = make_manuscript({"anthology.yml": "title: T\nlanguage: en\nidentifier: urn:uuid:7d1f6c3e-0000-4000-8000-000000000001\ncontents: [essays/a.md]\n",
                            "essays/a.md": "---\ntitle: T\n---\n\nA \"quote\" -- here.\n"})
    before = (root / "essays" / "a.md").read_bytes()
    monkeypatch.chdir(tmp_path.parent)  # run from elsewhere: paths still name the manuscript's files
    result = CliRunner().invoke(main, ["check", "--diff", str(root)])
    assert (root / "essays" / "a.md").read_bytes() == before
    assert "-A \"quote\" -- here.\n+A “quote” — here.\n" in result.output
    assert "+++ b/essays/a.md" in result.output and "3 fixes in 1 file (--diff: nothing written)" in result.output
    result = CliRunner().invoke(main, ["check", "--format", "json", str(root)])
    assert {d["path"] for d in json.loads(result.stdout)} == {"essays/a.md"}
    result = CliRunner().invoke(main, ["check", "--fix", "--format", "json", str(root)])
    data = json.loads(result.stdout)
    assert data["diagnostics"] == []
    assert [(f["path"], f["line"], f["col"], f["before"], f["after"]) for f in data["fixes"]] == [
        ("essays/a.md", 5, 3, '"', "“"), ("essays/a.md", 5, 9, '"', "”"), ("essays/a.md", 5, 11, "--", "—")]


def test_findings_and_summary_share_one_stream(make_manuscript):
    root = make_manuscript({"anthology.yml": "title: T\nlanguage: en\nidentifier: urn:uuid:7d1f6c3e-0000-4000-8000-000000000002\ncontents: [a.md]\n",
                            "a.md": "---\ntitle: T\n---\n\nTwo  spaces.\n"})
    result = CliRunner().invoke(main, ["check", str(root)])
    assert result.stdout.splitlines() == ["a.md:5:4: warning: 2 spaces between words: use one",
                                          "0 errors, 1 warnings"]
