"""Bad input never gives a traceback: each is `file:line: message` on stderr, exit 2, and
nothing written to the output folder, from every command that reads a manuscript. Input that
is legitimate but unusual (a combining keycap, a short book under KDP) just builds."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

CONFIG = """\
title: A Small Book
language: {language}
editors: [Ada Editor]
{extra}contents:
  - one.md
"""

PIECE = """\
---
title: {title}
author: Bea Author
{extra}---

{body}
"""


def manuscript(make_manuscript, *, language="en", config_extra="", title="One", piece_extra="",
               body="A first paragraph.", files=None):
    return make_manuscript({
        "anthology.yml": CONFIG.format(language=language, extra=config_extra),
        "one.md": PIECE.format(title=title, extra=piece_extra, body=body),
        **(files or {}),
    })


def anthology(*args, cwd=None, env=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "anthology", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=600)


def written(out: Path) -> list[str]:
    return sorted(p.name for p in out.rglob("*") if p.is_file()) if out.exists() else []


def assert_refused(proc: subprocess.CompletedProcess, where: str, *words: str) -> None:
    """Exit 2, the file and line on stderr with the message's words, and no traceback."""
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stderr
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = [line for line in proc.stderr.splitlines() if where in line]
    assert lines, f"no '{where}' in:\n{proc.stderr}"
    assert any(all(w in line for w in words) for line in lines), proc.stderr


def refused_everywhere(root: Path, tmp_path: Path, where: str, *words: str, commands=("build", "check", "stats", "cover")):
    """Every command that reads the manuscript refuses it the same way and writes nothing."""
    for command in commands:
        out = tmp_path / f"out-{command}"
        args = [command, root] + (["--out", out] if command in ("build", "cover") else [])
        assert_refused(anthology(*args), where, *words)
        assert written(out) == [], command


# --- dates ------------------------------------------------------------------------------------

@pytest.mark.parametrize("date", ["2026-02-30", "2026-13", "26/11/2025", "next spring", "2026-11-25 10:00:00"])
def test_a_bad_date_in_anthology_yml_is_refused_with_its_line(make_manuscript, tmp_path, date):
    root = manuscript(make_manuscript, config_extra=f"date: {date}\n")
    assert_refused(anthology("check", root), "anthology.yml:4:", "date", "YYYY-MM-DD")


def test_an_impossible_date_is_refused_by_every_command(make_manuscript, tmp_path):
    root = manuscript(make_manuscript, config_extra="date: 2026-02-30\n")
    refused_everywhere(root, tmp_path, "anthology.yml:4:", "2026-02-30", "YYYY, YYYY-MM or YYYY-MM-DD")


@pytest.mark.parametrize("date", ["2024-02-30", "26/11/2025", "next spring"])
def test_a_bad_date_in_a_piece_is_refused_with_its_line(make_manuscript, tmp_path, date):
    root = manuscript(make_manuscript, piece_extra=f"date: {date}\n")
    out = tmp_path / "out"
    assert_refused(anthology("build", root, "--out", out), "one.md:4:", "date", "YYYY-MM-DD")
    assert written(out) == []


@pytest.mark.parametrize("date", ["2026", "2026-11", "2026-11-25", "'2026-11-25'"])
def test_dates_in_the_accepted_forms_load(make_manuscript, date):
    from anthology.readers.manuscript import load

    root = manuscript(make_manuscript, config_extra=f"date: {date}\n", piece_extra=f"date: {date}\n")
    book, diags = load(root)
    assert book.meta.date == date.strip("'") and not diags.errors
