"""Whether a build would change anything: a digest of every input, checked before the heavy
imports, so that rebuilding an unchanged manuscript takes a fraction of a second."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from pathlib import Path

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
    """The outputs of the last build, if it had the same inputs and its files are untouched.
    They are named relative to the output folder, which may have moved or been copied since."""
    out_dir = Path(out_dir)
    try:
        stamp = json.loads((out_dir / STAMP).read_text())
        outputs = {out_dir / name: d for name, d in stamp["outputs"].items()
                   if isinstance(name, str) and Path(name).name == name}
        if (stamp["inputs"] != digest or len(outputs) != len(stamp["outputs"])
                or not all(p.is_file() and _file_digest(p) == d for p, d in outputs.items())):
            return None
        return list(outputs)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def record(out_dir: Path, digest: str, outputs: list[Path]) -> None:
    from .atomic import atomic_path

    data = {"inputs": digest, "outputs": {Path(p).name: _file_digest(p) for p in outputs}}
    with atomic_path(Path(out_dir) / STAMP) as tmp:
        tmp.write_text(json.dumps(data, indent=1))
