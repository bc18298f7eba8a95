"""Pieces kept between builds, so that a rebuild converts only the essays that changed.

A piece is keyed by its file's place in the manuscript and bytes, where it stands in the
book, the book's language, the quotation library and the code that reads it; its
diagnostics are kept with it and reported again. The files its text refers to (images) are
kept with it too, each with a digest of its bytes (or as missing): a piece whose images
changed, appeared or went away since is converted again.

Each piece is a checked JSON record (cachestore.py) in the build folder (`.cache/pieces`),
its paths relative to the manuscript, so that the build folder and the manuscript can move.
"""

from __future__ import annotations

import functools
import hashlib
import os
from dataclasses import replace
from pathlib import Path

import pydantic

from .. import __version__
from ..cachestore import Store, fingerprint, rebased, relative
from ..errors import Diagnostic
from ..model import Piece

PACKAGE = Path(__file__).resolve().parents[1]
ROOT = "\u2063manuscript\u2063"  # in a kept diagnostic's message: where the manuscript is


@functools.lru_cache(maxsize=1)
def code_digest() -> str:
    h = hashlib.sha256(__version__.encode())
    for path in sorted(PACKAGE.rglob("*.py")):
        h.update(path.read_bytes())
    return h.hexdigest()


@functools.cache
def _adapter() -> pydantic.TypeAdapter:
    return pydantic.TypeAdapter(tuple[Piece, list[Diagnostic], list[tuple[str, list]]])


class PieceCache:
    def __init__(self, folder: Path | None, root: Path = Path("."), report=None):
        self.folder = folder
        self.root = Path(root)
        self.store = Store(folder, report)
        self.read: dict[str, tuple[Piece, list[Diagnostic]] | None] = {}

    def name(self, path: Path) -> str:
        """A piece file's place in the manuscript, as its key takes it."""
        return Path(os.path.relpath(os.path.realpath(path), os.path.realpath(self.root))).as_posix()

    @staticmethod
    def key(*parts: str | bytes) -> str:
        h = hashlib.sha256(code_digest().encode())
        for part in parts:
            h.update(b"\0" + (part.encode() if isinstance(part, str) else part))
        return h.hexdigest()

    def get(self, key: str) -> tuple[Piece, list[Diagnostic]] | None:
        """The piece kept under `key` if the files it refers to are as they were."""
        if self.folder is None:
            return None
        if key not in self.read:
            self.read[key] = self._read(key)
        return self.read[key]

    def _read(self, key: str) -> tuple[Piece, list[Diagnostic]] | None:
        record = self.store.read(key)
        if record is None:
            return None
        try:
            piece, diagnostics, files = _adapter().validate_python(record)
        except pydantic.ValidationError:
            self.store.damaged(key)
            return None
        if any(fingerprint(self.root, name) != list(then) for name, then in files):
            return None  # an image changed, appeared or went away: converted again
        diagnostics = [replace(d, message=d.message.replace(ROOT, os.path.abspath(self.root))) for d in diagnostics]
        return rebased(piece, self.root), rebased(diagnostics, self.root)

    def has(self, key: str) -> bool:
        """Whether a piece is kept under this key, and still holds."""
        return self.get(key) is not None

    def put(self, key: str, piece: Piece, diagnostics: list[Diagnostic]) -> None:
        if self.folder is None:
            return
        files = [(name, fingerprint(self.root, name)) for name in piece.files]
        roots = sorted({os.path.abspath(self.root), os.path.realpath(self.root)}, key=len, reverse=True)
        kept = []
        for d in relative(list(diagnostics), self.root):  # messages may name files by their full path
            message = d.message
            for root in roots:
                message = message.replace(root + os.sep, ROOT + os.sep)
            kept.append(replace(d, message=message))
        value = (relative(piece, self.root), kept, files)
        self.store.write(key, _adapter().dump_python(value, mode="json"))
        self.read[key] = (piece, list(diagnostics))
