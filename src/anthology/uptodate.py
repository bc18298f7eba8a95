"""Whether a build would change anything: a digest of every input, checked before the heavy
imports, so that rebuilding an unchanged manuscript takes a fraction of a second."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from pathlib import Path, PurePosixPath

from . import __version__

FORMATS = ("pdf", "screen", "epub", "web")  # what --format all builds
EXTRA_FORMATS = ("kepub",)  # built when named: the Kobo EPUB
PACKAGE = Path(__file__).resolve().parent
STAMP = ".cache/build.json"


def _files(folder: Path, skip: Path | None = None):
    for path in sorted(folder.rglob("*")):
        if skip is not None and path.is_relative_to(skip):
            continue
        if path.is_file() and not any(part.startswith(".") or part == "__pycache__"
                                      for part in path.relative_to(folder).parts):
            yield path


def inputs_digest(manuscript: Path, formats: tuple[str, ...], out_dir: Path | None = None) -> str:
    """Everything a build reads: the manuscript, the package's code, templates and styles, the
    installed fonts, the requested formats and SOURCE_DATE_EPOCH. The output folder is left out
    when it lies inside the manuscript (`cd manuscript && anthology build` writes ./build)."""
    h = hashlib.sha256(f"{__version__} {formats} {os.environ.get('SOURCE_DATE_EPOCH', '')}".encode())
    skip = Path(os.path.abspath(out_dir)) if out_dir is not None else None
    for root in (Path(manuscript), PACKAGE, PACKAGE / "styles"):
        for path in _files(root, skip):
            if path.suffix == ".pyc":
                continue
            # a symlink counts by where it points: the build refuses one leading outside, and
            # this digest must not read what the build may not
            data = os.readlink(path).encode() if path.is_symlink() else path.read_bytes()
            h.update(str(path.relative_to(root)).encode() + b"\0" + data)
    try:
        h.update(subprocess.run(["fc-list", "--format", "%{file}\n"], capture_output=True, check=False).stdout)
    except OSError:
        pass
    return h.hexdigest()


def _file_digest(path: Path) -> str:
    with open(path, "rb") as f:  # read in blocks: a long book's PDF need not be in memory whole
        return hashlib.file_digest(f, "sha256").hexdigest()


def is_fresh(out_dir: Path, digest: str) -> list[Path] | None:
    """The outputs of the last build, if it had the same inputs and its files are untouched
    (every file of the web edition's folder). They are named relative to the output folder,
    which may have moved or been copied since; the folder's files are given as its home page."""
    out_dir = Path(out_dir)
    try:
        stamp = json.loads((out_dir / STAMP).read_text())
        outputs = {out_dir / name: d for name, d in stamp["outputs"].items()
                   if isinstance(name, str) and _inside(name)}
        if (stamp["inputs"] != digest or len(outputs) != len(stamp["outputs"])
                or not all(p.is_file() and _file_digest(p) == d for p, d in outputs.items())):
            return None
        return [p for p in outputs if p.parent == out_dir or p.name == "index.html" and p.parent.parent == out_dir]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _inside(name: str) -> bool:
    """A name the stamp may hold: a path relative to the output folder that stays in it."""
    path = PurePosixPath(name)
    return bool(name) and not path.is_absolute() and ".." not in path.parts and "\\" not in name


def record(out_dir: Path, digest: str, outputs: list[Path]) -> None:
    """Keep the inputs' digest with each output's; an output inside a folder of its own (the
    web edition's index.html) stands for every file of that folder."""
    from .atomic import atomic_path

    out_dir = Path(os.path.abspath(out_dir))
    files: list[Path] = []
    for output in map(lambda p: Path(os.path.abspath(p)), outputs):
        if output.parent == out_dir:
            files.append(output)
        else:
            files += [f for f in sorted(output.parent.rglob("*")) if f.is_file()]
    data = {"inputs": digest, "outputs": {f.relative_to(out_dir).as_posix(): _file_digest(f) for f in files}}
    with atomic_path(out_dir / STAMP) as tmp:
        tmp.write_text(json.dumps(data, indent=1))
