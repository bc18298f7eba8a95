"""A build killed at any moment leaves the previous outputs intact and usable, and the next
build clears the temporary files the killed one left."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pikepdf
import pytest

from conftest import MANUSCRIPTS, REPO


def run_build(ms: Path, out: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    return subprocess.Popen([sys.executable, "-m", "anthology", "build", str(ms), "--out", str(out), "-q"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def usable(path: Path) -> bool:
    if path.suffix == ".pdf":
        with pikepdf.open(path) as pdf:
            return len(pdf.pages) > 0
    with zipfile.ZipFile(path) as z:
        return z.testzip() is None and z.read("mimetype") == b"application/epub+zip"


@pytest.mark.slow
def test_killed_builds_leave_the_previous_outputs(tmp_path):
    ms, out = tmp_path / "ms", tmp_path / "out"
    shutil.copytree(MANUSCRIPTS / "varied", ms)
    started = time.monotonic()
    assert run_build(ms, out).wait(timeout=120) == 0
    duration = time.monotonic() - started
    previous = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    assert len(previous) == 3
    site = next(p.name for p in out.iterdir() if p.is_dir() and p.name.endswith("-web"))  # the web edition
    with (ms / "preface.md").open("a", encoding="utf-8") as fh:
        fh.write("\nA sentence added after the first build, so the next outputs differ.\n")
    for fraction in (0.2, 0.35, 0.5, 0.65, 0.8, 0.9, 0.97):
        build = run_build(ms, out)
        time.sleep(duration * fraction)
        build.send_signal(signal.SIGKILL)
        build.wait(timeout=30)
        for name, data in previous.items():
            path = out / name
            assert path.read_bytes() == data or usable(path), (fraction, name)
        assert (out / site / "index.html").is_file(), fraction  # one whole site or the other
        strays = [p.name for p in out.iterdir() if p.name not in previous and p.name not in (".cache", site)]
        assert all(n.startswith(".") and n.endswith(".tmp") for n in strays), strays
    (out / f".{next(iter(previous))}.{build.pid}.stale.tmp").write_bytes(b"left by a killed build")
    assert run_build(ms, out).wait(timeout=120) == 0
    assert sorted(p.name for p in out.iterdir() if p.is_file()) == sorted(previous)
    # the cache the killed builds wrote to holds only whole entries: temporary files aside,
    # every entry reads back
    cache = out / ".cache"
    assert not [p for p in cache.rglob("*.tmp")]
    assert all(usable(out / name) and (out / name).read_bytes() != data for name, data in previous.items())
