"""`make bench`: the print build against a single-pass render, incremental and no-op rebuilds,
the EPUB against pandoc, and peak memory, on one generated anthology.

Prints a table and writes build/bench.json. Sizes: small ≈ 100 pages, book ≈ 1,000, large ≈ 5,000.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SIZES = {"small": (10, 2, (700, 2600)), "book": (80, 5, (2500, 6000)), "large": (400, 10, (2500, 6000))}
ROOT = Path(__file__).resolve().parents[1]


PEAKS: list[float] = []


def run(*args: str) -> float:
    """Run the CLI in a fresh process under GNU time; return its wall time and record the
    largest resident set of the process or any of its workers."""
    started = time.perf_counter()
    done = subprocess.run(["/usr/bin/time", "-f", "%M", sys.executable, "-m", "anthology", *args], check=True,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seconds = time.perf_counter() - started
    PEAKS.append(int(done.stderr.strip().splitlines()[-1]) / 1024)
    return seconds


def single_pass(manuscript: Path, out: Path) -> tuple[float, Path]:
    code = (
        "import sys, time; from pathlib import Path\n"
        "from anthology.readers.manuscript import load\n"
        "from anthology.writers.pdf import SinglePassPdf\n"
        "book, diags = load(Path(sys.argv[1]))\n"
        "w = SinglePassPdf(book, diags)\n"
        "t = time.perf_counter(); w.layout(); path = w.write(Path(sys.argv[2])); print(time.perf_counter() - t)\n"
    )
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code, str(manuscript), str(out)], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started, next(out.glob("*.pdf"))


def pandoc_epub(manuscript: Path, out: Path) -> float:
    import pypandoc

    pieces = sorted((manuscript / "essays").glob("*.md"))
    started = time.perf_counter()
    subprocess.run([pypandoc.get_pandoc_path(), "-o", str(out / "pandoc.epub"), "--metadata", "title=Bench",
                    *map(str, pieces)], check=True)
    return time.perf_counter() - started


def edit(path: Path, add_page: bool) -> None:
    text = path.read_text(encoding="utf-8")
    if add_page:
        paragraph = text.split("\n\n")[-2] if "\n\n" in text else text
        text += "\n" + "\n\n".join([paragraph] * 4) + "\n"
    else:
        text = text.replace(" the ", " a ", 1)
    path.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", choices=SIZES, default=os.environ.get("BENCH", "book"))
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    from anthology.generator import generate

    pieces, parts, words = SIZES[args.size]
    work = Path(tempfile.mkdtemp(prefix="anthology-bench-"))
    try:
        ms = generate(work / "ms", pieces=pieces, parts=parts, seed=2026, words=words)
        out, base = work / "out", work / "single"
        base.mkdir()
        single_seconds, single_pdf = single_pass(ms, base)
        full = run("build", str(ms), "--out", str(out), "--format", "pdf", "--quiet")
        peak = PEAKS[-1]
        ours = next(p for p in out.glob("*.pdf"))
        pages = int(subprocess.run(["pdfinfo", str(ours)], capture_output=True, text=True).stdout
                    .split("Pages:")[1].split()[0])
        noop = run("build", str(ms), "--out", str(out), "--format", "pdf", "--quiet")
        essay = sorted((ms / "essays").glob("*.md"))[pieces // 2]
        edit(essay, add_page=False)
        one_word = run("build", str(ms), "--out", str(out), "--format", "pdf", "--quiet")
        edit(essay, add_page=True)
        one_page = run("build", str(ms), "--out", str(out), "--format", "pdf", "--quiet")
        epub = run("build", str(ms), "--out", str(out), "--format", "epub", "--quiet")
        pandoc = pandoc_epub(ms, work)
        result = {
            "size": args.size, "pieces": pieces, "pages": pages,
            "single_pass_seconds": round(single_seconds, 2), "full_seconds": round(full, 2),
            "pdf_speedup": round(single_seconds / full, 2),
            "single_pass_bytes": single_pdf.stat().st_size, "pdf_bytes": ours.stat().st_size,
            "pdf_size_ratio": round(ours.stat().st_size / single_pdf.stat().st_size, 3),
            "incremental_seconds": round(one_word, 2), "incremental_ratio": round(one_word / full, 3),
            "incremental_page_seconds": round(one_page, 2), "incremental_page_ratio": round(one_page / full, 3),
            "noop_seconds": round(noop, 2),
            "epub_seconds": round(epub, 2), "pandoc_seconds": round(pandoc, 2), "epub_ratio": round(epub / pandoc, 2),
            "peak_rss_mb": round(peak, 1),
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)
    goals = {"pdf_speedup": ">= 1.8", "pdf_size_ratio": "<= 1.1", "incremental_ratio": "<= 0.10",
             "incremental_page_ratio": "<= 0.10", "noop_seconds": "< 1", "epub_ratio": "<= 0.5", "peak_rss_mb": "<= 400"}
    for key, value in result.items():
        print(f"{key:26} {value!s:>12}   {goals.get(key, '')}")
    target = ROOT / "build" / "bench.json"
    target.parent.mkdir(exist_ok=True)
    target.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
