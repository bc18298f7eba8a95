"""Pieces kept between builds, so that a rebuild converts only the essays that changed.

A piece is keyed by its file's place in the manuscript and bytes, where it stands in the
book, the book's language, the quotation library and the code that reads it; its
diagnostics are kept with it and reported again. The files its text refers to (images) are
kept with it too, each with a digest of its bytes (or as missing): a piece whose images
changed, appeared or went away since is converted again.

Each piece is a checked JSON record (cachestore.py) in the build folder (`.cache/pieces`),
its paths (and those in its diagnostics' messages) relative to the manuscript, so that the
build folder and the manuscript can move.
"""

from __future__ import annotations

import functools
import hashlib
import os
from pathlib import Path

import pydantic

from .. import __version__
from ..cachestore import Store, fingerprint, placed, portable
from ..errors import Diagnostic
from ..model import Piece

PACKAGE = Path(__file__).resolve().parents[1]


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
        payload = self.store.read_payload(key)
        if payload is None:
            return None
        try:
            piece, diagnostics, files = _adapter().validate_json(placed(payload, self.root))
        except pydantic.ValidationError:
            self.store.damaged(key)
            return None
        if any(fingerprint(self.root, name) != list(then) for name, then in files):
            return None  # an image changed, appeared or went away: converted again
        return piece, diagnostics

    def has(self, key: str) -> bool:
        """Whether a piece is kept under this key, and still holds."""
        return self.get(key) is not None

    def put(self, key: str, piece: Piece, diagnostics: list[Diagnostic]) -> None:
        if self.folder is None:
            return
        files = [(name, fingerprint(self.root, name)) for name in piece.files]
        self.store.write_payload(key, portable(_adapter().dump_json((piece, list(diagnostics), files)), self.root))
        self.read[key] = (piece, list(diagnostics))
