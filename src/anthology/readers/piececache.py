"""Pieces kept between builds, so that a rebuild converts only the essays that changed.

A piece is keyed by its file's bytes, where it stands in the book, the book's language, the
quotation library and the code that reads it; its diagnostics are kept with it and reported
again. Like Sphinx's environment, the cache is a pickle in the build folder (`.cache`).
"""

from __future__ import annotations

import functools
import hashlib
import pickle
from pathlib import Path

from .. import __version__
from ..atomic import atomic_path
from ..errors import Diagnostic
from ..model import Piece

PACKAGE = Path(__file__).resolve().parents[1]


@functools.lru_cache(maxsize=1)
def code_digest() -> str:
    h = hashlib.sha256(__version__.encode())
    for path in sorted(PACKAGE.rglob("*.py")):
        h.update(path.read_bytes())
    return h.hexdigest()


class PieceCache:
    def __init__(self, folder: Path | None):
        self.folder = folder

    @staticmethod
    def key(*parts: str | bytes) -> str:
        h = hashlib.sha256(code_digest().encode())
        for part in parts:
            h.update(b"\0" + (part.encode() if isinstance(part, str) else part))
        return h.hexdigest()

    def get(self, key: str) -> tuple[Piece, list[Diagnostic]] | None:
        if self.folder is None:
            return None
        try:
            with open(self.folder / f"{key}.pickle", "rb") as fh:
                return pickle.load(fh)
        except (OSError, pickle.PickleError, EOFError, AttributeError, ImportError, TypeError, ValueError):
            return None

    def has(self, key: str) -> bool:
        """Whether a piece is kept under this key (without reading it)."""
        return self.folder is not None and (self.folder / f"{key}.pickle").is_file()

    def put(self, key: str, piece: Piece, diagnostics: list[Diagnostic]) -> None:
        if self.folder is None:
            return
        with atomic_path(self.folder / f"{key}.pickle") as tmp:
            tmp.write_bytes(pickle.dumps((piece, diagnostics), protocol=pickle.HIGHEST_PROTOCOL))
