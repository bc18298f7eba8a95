"""The build cache is data, never code, and is checked whenever it is read: a damaged entry
is reported, made again, and the outputs are those of a clean build. Its keys cover the
files a piece refers to and do not depend on where the manuscript or the build folder is;
one build at a time writes into an output folder; what killed builds left is removed."""

from __future__ import annotations

import fcntl
import os
import pickle
import re
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from anthology.commands.build import build
from anthology.readers import manuscript as reader

from conftest import REPO, write_manuscript

SVG = (b'<svg xmlns="http://www.w3.org/2000/svg" width="120" height="80" viewBox="0 0 120 80">'
       b'<rect width="120" height="80" fill="#777"/></svg>')

FILES = {
    "anthology.yml": """
        title: A Cached Book
        language: en
        editors: [Ada Editor]
        contents:
          - part: Essays
            pieces: [one.md, two.md]
        """,
    "one.md": """
        ---
        title: One
        author: Bea Author
        ---

        A first paragraph, with a note.[^n]

        ![A picture / Image: Bea Author](images/picture.svg "a grey rectangle")

        [^n]: The note.
        """,
    "two.md": """
        ---
        title: Two
        author: Cy Author
        ---

        Another paragraph, quite short. *Emphasis* and more words to set.
        """,
    "images/picture.svg": SVG,
}
FORMATS = ("pdf", "epub")


class Marker:
    """Unpickled, it would create the file `path`: no cache read may ever do that."""

    def __init__(self, path: Path):
        self.path = path

    def __reduce__(self):
        return (os.system, (f"touch {self.path}",))


@pytest.fixture(scope="module")
def books(tmp_path_factory):
    """A manuscript, a build of it (whose cache the tests damage) and a clean build's outputs."""
    os.environ["SOURCE_DATE_EPOCH"] = "1700000000"
    root = tmp_path_factory.mktemp("cache")
    ms = write_manuscript(root / "ms", FILES)
    build(ms, root / "warm", FORMATS, jobs=1)
    clean = build(ms, root / "clean", FORMATS, jobs=1)
    yield ms, root / "warm", {key: path.read_bytes() for key, path in clean.outputs.items()}
    del os.environ["SOURCE_DATE_EPOCH"]


def entries(out: Path) -> list[Path]:
    """Every kind of cache entry: the pieces, the records beside the layouts (placements,
    folio indexes, documents' digests), every other layout's record, and every blob, so
    that some damaged data is found when its layout is looked up and some only when it is
    read, its record intact."""
    cache = out / ".cache"
    layouts = sorted(p for p in (cache / "chunks").glob("*.json") if re.fullmatch(r"[0-9a-f]{64}\.json", p.name))
    others = [p for p in cache.rglob("*.json") if p.name != "build.json" and p not in layouts]
    return others + layouts[::2] + sorted((cache / "chunks" / "blobs").iterdir())


def damage(path: Path, kind: str, marker: Path) -> None:
    data = path.read_bytes()
    if kind == "truncate":
        path.write_bytes(data[: len(data) // 2])
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "flip":
        i = len(data) * 2 // 3
        path.write_bytes(data[:i] + bytes([data[i] ^ 0x10]) + data[i + 1:])
    elif kind == "edit":  # still well-formed: a number changed, as an edited object would be
        digits = [m.start() for m in re.finditer(rb"[0-8]", data)]
        i = digits[len(digits) // 2]
        path.write_bytes(data[:i] + bytes([data[i] + 1]) + data[i + 1:])
    else:
        path.write_bytes(pickle.dumps(Marker(marker)))


@pytest.mark.parametrize("kind", ["truncate", "empty", "flip", "edit", "pickle"])
def test_a_damaged_cache_entry_is_reported_and_made_again(books, tmp_path, kind):
    ms, warm, clean = books
    out = tmp_path / "out"
    shutil.copytree(warm, out)
    marker = tmp_path / "pickle-ran"
    damaged = entries(out)
    assert damaged
    for path in damaged:
        damage(path, kind, marker)
    result = build(ms, out, FORMATS, jobs=1)
    warnings = [d for d in result.diagnostics.warnings if d.message.startswith("the cache entry ")]
    assert warnings and all(d.message.endswith(" was damaged; rebuilt") for d in warnings)
    assert all(d.format().endswith(d.message) and "warning: the cache entry" in d.format() for d in warnings)
    assert not marker.exists()
    for key, path in result.outputs.items():
        assert path.read_bytes() == clean[key], key
    # the entries were made again: the next build reads them without a word
    again = build(ms, out, FORMATS, jobs=1)
    assert not [d for d in again.diagnostics.warnings if d.message.startswith("the cache entry ")]
    assert not marker.exists()


def test_no_pickle_in_the_package():
    source = REPO / "src" / "anthology"
    assert not [p for p in source.rglob("*.py")
                if re.search(r"^\s*(import|from)\s+(c?pickle|marshal|shelve)\b|pickle\.loads?\(", p.read_text(), re.M)]


def test_an_image_added_after_a_build_is_in_the_next_one(make_manuscript, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    ms = make_manuscript(FILES)
    (ms / "images" / "picture.svg").unlink()
    first = build(ms, tmp_path / "out", FORMATS, jobs=1, draft=True)  # a proof before the picture came
    assert any("not found" in d.message for d in first.diagnostics.warnings)
    (ms / "images" / "picture.svg").write_bytes(SVG)
    second = build(ms, tmp_path / "out", FORMATS, jobs=1)
    assert not any("not found" in d.message for d in second.diagnostics.warnings)
    with zipfile.ZipFile(second.outputs["epub"]) as epub:
        assert any(name.endswith("picture.svg") for name in epub.namelist())
    clean = build(ms, tmp_path / "clean", FORMATS, jobs=1)
    for key, path in second.outputs.items():
        assert path.read_bytes() == clean.outputs[key].read_bytes(), key
    # changed, then gone again
    (ms / "images" / "picture.svg").write_bytes(SVG.replace(b"#777", b"#333"))
    third = build(ms, tmp_path / "out", FORMATS, jobs=1)
    assert third.outputs["pdf"].read_bytes() != clean.outputs["pdf"].read_bytes()
    (ms / "images" / "picture.svg").unlink()
    fourth = build(ms, tmp_path / "out", FORMATS, jobs=1, draft=True)
    assert any("not found" in d.message for d in fourth.diagnostics.warnings)


def test_pieces_are_kept_by_their_place_in_the_manuscript(make_manuscript, tmp_path, monkeypatch):
    """The manuscript and its build folder moved together: the pieces come from the cache,
    with their paths in the new place."""
    ms = make_manuscript({**FILES, "one.md": FILES["one.md"].replace("images/picture.svg", "../outside.svg")})
    cache = tmp_path / "pieces"
    reader.load(ms, cache=cache)
    moved = tmp_path / "moved"
    shutil.move(ms, moved)
    converted = []
    real = reader.load_piece
    monkeypatch.setattr(reader, "load_piece", lambda path, *a, **k: converted.append(path) or real(path, *a, **k))
    book, diags = reader.load(moved, cache=cache)
    assert converted == []
    assert all(p.source_path.is_relative_to(moved) for p in book.pieces)
    assert all(Path(d.path).is_relative_to(moved) for d in diags)
    [left_out] = [d for d in diags if "left out" in d.message]  # named where the manuscript is now
    assert str(moved / "..") in left_out.message and str(ms) + os.sep not in left_out.message


def cli(*args: str, env=None) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO / "src"), **(env or {})}
    return subprocess.Popen([sys.executable, "-m", "anthology", *args], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


@pytest.mark.slow
def test_a_build_folder_can_move(make_manuscript, tmp_path):
    ms = make_manuscript(FILES)
    out = tmp_path / "out"
    done = cli("build", str(ms), "--out", str(out), "--format", "pdf")
    assert done.wait(timeout=300) == 0
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    up = cli("build", str(ms), "--out", str(copy), "--format", "pdf")
    stdout, _ = up.communicate(timeout=60)
    assert stdout.startswith("up to date:") and str(copy) in stdout and str(out) + "/" not in stdout
    for pdf in copy.glob("*.pdf"):  # outputs gone from the copy: not "up to date" because of the original's
        pdf.unlink()
    again = cli("build", str(ms), "--out", str(copy), "--format", "pdf")
    stdout, _ = again.communicate(timeout=300)
    assert again.returncode == 0 and not stdout.startswith("up to date") and list(copy.glob("*.pdf"))


def lock_held(out: Path) -> bool:
    try:
        fd = os.open(out / ".cache" / "lock", os.O_RDWR)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(fd)


@pytest.mark.slow
def test_two_builds_into_one_folder_do_not_mix(make_manuscript, tmp_path):
    """The second build waits for the first, says so, and every output is then its own."""
    first = make_manuscript(FILES, "first")
    second = make_manuscript({**FILES, "two.md": FILES["two.md"] + "\n        Only the second manuscript says this.\n"},
                             "second")
    out = tmp_path / "out"
    a = cli("build", str(first), "--out", str(out), "-v")
    deadline = time.monotonic() + 300
    while not lock_held(out):
        assert a.poll() is None and time.monotonic() < deadline, "the first build never held the folder"
        time.sleep(0.05)
    b = cli("build", str(second), "--out", str(out), "-v")
    _, a_err = a.communicate(timeout=300)
    _, b_err = b.communicate(timeout=300)
    assert a.returncode == 0 and b.returncode == 0, a_err + b_err
    assert "waiting for another build into" in b_err
    pdf = next(out.glob("*[!n].pdf"))  # the print edition
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    screen = subprocess.run(["pdftotext", str(next(out.glob("*-screen.pdf"))), "-"], capture_output=True,
                            text=True, check=True).stdout
    with zipfile.ZipFile(next(out.glob("*.epub"))) as epub:
        book = " ".join(epub.read(n).decode() for n in epub.namelist() if n.endswith(".xhtml"))
    assert all("Only the second manuscript says this." in " ".join(t.split()) for t in (text, screen, book))
    # and the folder's record is the second build's
    up = cli("build", str(second), "--out", str(out))
    stdout, _ = up.communicate(timeout=60)
    assert stdout.startswith("up to date:")


def test_what_killed_builds_left_is_removed(make_manuscript, tmp_path):
    ms = make_manuscript(FILES)
    out = tmp_path / "out"
    build(ms, out, ("pdf",), jobs=1)
    gone = subprocess.Popen(["true"])
    gone.wait()
    alive = subprocess.Popen(["sleep", "60"])
    try:
        folders = [out, out / ".cache", out / ".cache" / "chunks", out / ".cache" / "chunks" / "blobs",
                   out / ".cache" / "pieces"]
        stale = [folder / f".entry.{gone.pid}.x1y2z3.tmp" for folder in folders]
        kept = out / ".cache" / "chunks" / f".entry.{alive.pid}.a1b2c3.tmp"
        for path in stale + [kept]:
            path.write_bytes(b"left by a killed build")
        build(ms, out, ("pdf",), jobs=1)
        assert not [p for p in stale if p.exists()]
        assert kept.exists()  # its build is still running
        # an up-to-date build sweeps too
        assert cli("build", str(ms), "--out", str(out), "--format", "pdf").wait(timeout=300) == 0
        for path in stale:
            path.write_bytes(b"left by a killed build")
        done = cli("build", str(ms), "--out", str(out), "--format", "pdf")
        stdout, _ = done.communicate(timeout=300)
        assert done.returncode == 0 and stdout.startswith("up to date:")
        assert not [p for p in stale if p.exists()]
    finally:
        alive.kill()
        alive.wait()
