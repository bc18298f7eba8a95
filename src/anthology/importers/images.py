"""Give every imported figure a file inside the manuscript, so the piece builds at once.

Images found in the source are saved under `images/<slug>-<n>.<ext>`; where the source has
none (pasted text, a remote URL) a grey placeholder SVG is drawn there for the editor to replace.
"""

from __future__ import annotations

import os
from pathlib import Path

PLACEHOLDER = """<svg xmlns="http://www.w3.org/2000/svg" width="1200" height="800" viewBox="0 0 1200 800">
  <title>Placeholder: replace with the image</title>
  <rect width="1200" height="800" fill="#c8c8c8"/>
</svg>
"""
EXTENSIONS = {"jpeg": "jpg", "jpg": "jpg", "png": "png", "gif": "gif", "svg": "svg", "webp": "webp"}


def save_image(root: Path, name: str, data: bytes | None) -> tuple[Path, bool]:
    """Write `images/<name>` unless a file is already there; return (path, whether written).

    An existing file is never replaced: it may be the real image an editor put there."""
    path = root / "images" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        return path, False
    with os.fdopen(fd, "wb") as fh:
        fh.write(data if data is not None else PLACEHOLDER.encode("utf-8"))
    return path, True
