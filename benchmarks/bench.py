"""`make bench`: the print build against a single-pass render, incremental and no-op rebuilds,
the EPUB against pandoc, and peak memory, on one generated anthology; then the typography
report of its print PDF beside that of the same book set by Typst (typst_anchor.py).

Prints a table and writes build/bench.json with the cores, the `--jobs` given and the load
average, since a speed-up means nothing without them. Sizes: small ≈ 100 pages, book ≈ 1,000,
large ≈ 5,000. Memory is sampled twice over: the largest single process (the build or one of
its workers) and the whole process tree together.
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


PEAKS: list[float] = []  # MB, the largest single process of each run
TREES: list[float] = []  # MB, the largest sum over the run's process tree
MEMORY_GOALS = {"small": 250, "book": 250, "large": 500}  # MB (issue 15)


def run(*args: str) -> float:
    """Run the CLI in a fresh process; return its wall time and record, sampled every 50 ms,
    the largest resident set of the process or any of its workers, and of all of them together."""
    import psutil

    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "anthology", *args],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    largest, tree, top = 0.0, 0.0, psutil.Process(proc.pid)
    while proc.poll() is None:
        try:
            sizes = [p.memory_info().rss / 2 ** 20 for p in [top, *top.children(recursive=True)]]
            largest, tree = max(largest, *sizes), max(tree, sum(sizes))
        except psutil.Error:
            pass  # a worker ended while it was measured
        time.sleep(0.05)
    seconds = time.perf_counter() - started
    if proc.returncode:
        sys.exit(f"anthology {' '.join(args)} failed:\n{proc.stderr.read()}")
    PEAKS.append(round(largest, 1))
    TREES.append(round(tree, 1))
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


def side_by_side(ours: Path, manuscript: Path, work: Path) -> dict:
    """The typography reports of our PDF and of Typst's, with Typst's times."""
    from anthology.typereport import measure
    from typst_anchor import typeset

    (work / "typst").mkdir()
    theirs, pandoc_seconds, typst_seconds = typeset(manuscript, work / "typst")
    reports = {"anthology": measure(ours), "typst": measure(theirs)}
    return {"pandoc_to_typst_seconds": round(pandoc_seconds, 2), "typst_seconds": round(typst_seconds, 2),
            **{name: {"pages": r.pages, "body_face": r.body_face, "chars_per_line": r.chars_per_line,
                      "goals": [[label, value, goal, met] for label, value, goal, met in r.goals()]}
               for name, r in reports.items()}}


def print_typography(typography: dict) -> None:
    ours, theirs = typography["anthology"], typography["typst"]
    print(f"\ntypography (Typst: pandoc {typography['pandoc_to_typst_seconds']} s, "
          f"layout {typography['typst_seconds']} s)")
    print(f"{'':48} {'anthology':>24} {'typst':>24}   goal")
    for key in ("pages", "body_face", "chars_per_line"):
        print(f"{key:48} {ours[key]!s:>24} {theirs[key]!s:>24}")
    for (label, value, goal, met), (_, other, _, _) in zip(ours["goals"], theirs["goals"]):
        print(f"{label:48} {value:>24} {other:>24}   {goal}{'' if met else '  (not met)'}")


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
    parser.add_argument("--jobs", type=int, default=len(os.sched_getaffinity(0)),
                        help="processes for the print layout (default: one per core)")
    args = parser.parse_args()
    jobs = ("--jobs", str(args.jobs))
    sys.path.insert(0, str(ROOT / "src"))
    from anthology.generator import generate

    pieces, parts, words = SIZES[args.size]
    work = Path(tempfile.mkdtemp(prefix="anthology-bench-"))
    try:
        ms = generate(work / "ms", pieces=pieces, parts=parts, seed=2026, words=words)
        out, base = work / "out", work / "single"
        base.mkdir()
        single_seconds, single_pdf = single_pass(ms, base)
        load_before = os.getloadavg()[0]
        full = run("build", str(ms), "--out", str(out), "--format", "pdf", "--quiet", *jobs)
        peak, tree = PEAKS[-1], TREES[-1]
        ours = next(p for p in out.glob("*.pdf"))
        pages = int(subprocess.run(["pdfinfo", str(ours)], capture_output=True, text=True).stdout
                    .split("Pages:")[1].split()[0])
        noop = run("build", str(ms), "--out", str(out), "--format", "pdf", "--quiet", *jobs)
        essay = sorted((ms / "essays").glob("*.md"))[pieces // 2]
        edit(essay, add_page=False)
        one_word = run("build", str(ms), "--out", str(out), "--format", "pdf", "--quiet", *jobs)
        edit(essay, add_page=True)
        one_page = run("build", str(ms), "--out", str(out), "--format", "pdf", "--quiet", *jobs)
        epub = run("build", str(ms), "--out", str(out), "--format", "epub", "--quiet")
        pandoc = pandoc_epub(ms, work)
        typography = side_by_side(ours, ms, work)
        result = {
            "size": args.size, "pieces": pieces, "pages": pages, "cores": len(os.sched_getaffinity(0)),
            "jobs": args.jobs, "load_average_before": round(load_before, 2),
            "single_pass_seconds": round(single_seconds, 2), "full_seconds": round(full, 2),
            "pdf_speedup": round(single_seconds / full, 2),
            "single_pass_bytes": single_pdf.stat().st_size, "pdf_bytes": ours.stat().st_size,
            "pdf_size_ratio": round(ours.stat().st_size / single_pdf.stat().st_size, 3),
            "incremental_seconds": round(one_word, 2), "incremental_ratio": round(one_word / full, 3),
            "incremental_page_seconds": round(one_page, 2), "incremental_page_ratio": round(one_page / full, 3),
            "noop_seconds": round(noop, 2),
            "epub_seconds": round(epub, 2), "pandoc_seconds": round(pandoc, 2), "epub_ratio": round(epub / pandoc, 2),
            "peak_rss_mb": round(peak, 1), "peak_tree_mb": tree,
            "peak_rss_all_runs_mb": round(max(PEAKS), 1),
            "typography": typography,
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)
    goals = {"pdf_speedup": ">= 1.8", "pdf_size_ratio": "<= 1.1", "incremental_ratio": "<= 0.10",
             "incremental_page_ratio": "<= 0.10", "noop_seconds": "< 1", "epub_ratio": "<= 0.5",
             "peak_rss_mb": f"<= {MEMORY_GOALS[args.size]}", "peak_rss_all_runs_mb": f"<= {MEMORY_GOALS[args.size]}"}
    for key, value in result.items():
        if key != "typography":
            print(f"{key:26} {value!s:>12}   {goals.get(key, '')}")
    print_typography(result["typography"])
    target = ROOT / "build" / "bench.json"
    target.parent.mkdir(exist_ok=True)
    target.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
