"""The build cache on disk: data, never code, and checked on every read.

A cache folder holds two kinds of file, each written atomically (atomic.py):

- **records**, `<name>.json`: a header line `anthology-cache <format> <sha256 of the rest>`,
  then JSON. A record is read only when the digest in its header is the digest of what
  follows it.
- **blobs**, `blobs/<sha256>`: bytes named by their digest (a chunk's PDF, a font file or
  program), which is computed once when the blob is written and checked again whenever it
  is read.

Nothing in the cache is ever unpickled or evaluated: JSON decodes to plain values, and a blob
is read as a PDF or a font, never run. An entry that does not check out (emptied, truncated, a byte flipped, edited, a file
of some other format such as a pickle planted under an entry's name) is *damaged*: it is
deleted, reported once through `report` (the build prints "the cache entry … was damaged;
rebuilt"), and read as missing, so that the build makes it again.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Callable

from .atomic import atomic_path
from .errors import OutputError

FORMAT = 3
MAGIC = f"anthology-cache {FORMAT} ".encode()
HEADER = len(MAGIC) + 64  # the magic, then the hexadecimal SHA-256


class CacheDamaged(OutputError):
    """A cache entry turned out damaged after the build had counted on it: it has been
    removed, and building again makes it anew (commands/build.py does so at once)."""


def damaged_message(folder: Path, path: Path) -> str:
    return f"the cache entry {path.relative_to(folder).as_posix()} was damaged; rebuilt"


class Store:
    """Records and blobs under `folder` (None: nothing is kept, every read misses)."""

    def __init__(self, folder: Path | None, report: Callable[[Path, int, str], None] | None = None):
        self.folder = Path(folder) if folder is not None else None
        self.report = report  # report(folder, 0, message) for each damaged entry: a Diagnostics.warning

    # --- records ----------------------------------------------------------------------------
    def record_path(self, name: str) -> Path:
        return self.folder / f"{name}.json"

    def read(self, name: str):
        """A record's JSON value; None if it is missing or damaged (then removed)."""
        payload = self.read_payload(name)
        if payload is None:
            return None
        try:
            return json.loads(payload)
        except ValueError:
            self.discard(self.record_path(name))
            return None

    def read_payload(self, name: str) -> bytes | None:
        """A record's JSON text, checked; None if it is missing or damaged (then removed)."""
        if self.folder is None:
            return None
        path = self.record_path(name)
        try:
            data = path.read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError:
            self.discard(path)
            return None
        header, payload = data[:HEADER], data[HEADER + 1:]
        if (not header.startswith(MAGIC) or data[HEADER:HEADER + 1] != b"\n"
                or header[len(MAGIC):] != hashlib.sha256(payload).hexdigest().encode()):
            self.discard(path)
            return None
        return payload

    def write(self, name: str, value) -> None:
        self.write_payload(name, json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))

    def write_payload(self, name: str, payload: bytes) -> None:
        """Keep a record's JSON text as it is."""
        if self.folder is None:
            return
        with atomic_path(self.record_path(name)) as tmp:
            tmp.write_bytes(MAGIC + hashlib.sha256(payload).hexdigest().encode() + b"\n" + payload)

    def exists(self, name: str) -> bool:
        return self.folder is not None and self.record_path(name).is_file()

    # --- blobs ------------------------------------------------------------------------------
    def blob_path(self, digest: str) -> Path:
        if len(digest) != 64 or not all(c in "0123456789abcdef" for c in digest):
            raise ValueError(f"not a blob digest: {digest!r}")
        return self.folder / "blobs" / digest

    def put_blob(self, data: bytes) -> str:
        """Keep `data` (once, whoever else keeps the same bytes); its digest."""
        digest = hashlib.sha256(data).hexdigest()
        if self.folder is not None:
            path = self.blob_path(digest)
            try:
                same = path.stat().st_size == len(data)
            except OSError:
                same = False
            if same and self.read_blob(digest) is not None:  # kept already (a damaged one is removed)
                return digest
            with atomic_path(path) as tmp:
                tmp.write_bytes(data)
        return digest

    def has_blob(self, digest: str, size: int) -> bool:
        """Whether a blob is there at its size (cheap: its digest is checked when it is read)."""
        if self.folder is None:
            return False
        try:
            path = self.blob_path(digest)
            found = path.stat().st_size
        except (OSError, ValueError):
            return False
        if found != size:
            self.discard(path)
            return False
        return True

    def read_blob(self, digest: str) -> bytes | None:
        """A blob's bytes, checked against its digest; None if missing or damaged (then removed)."""
        if self.folder is None:
            return None
        try:
            path = self.blob_path(digest)
            data = path.read_bytes()
        except (OSError, ValueError):
            return None
        if hashlib.sha256(data).hexdigest() != digest:
            self.discard(path)
            return None
        return data

    # --- damage -----------------------------------------------------------------------------
    def discard(self, path: Path) -> None:
        """Remove a damaged entry and say so."""
        try:
            os.unlink(path)
        except FileNotFoundError:
            return  # another reader got there first
        except OSError:
            pass
        if self.report is not None:
            self.report(self.folder, 0, damaged_message(self.folder, path))

    def damaged(self, name: str) -> None:
        """A record that checked out but does not hold what its reader expects."""
        if self.folder is not None:
            self.discard(self.record_path(name))


def fingerprint(root: Path, name: str) -> list:
    """What a referred-to file is now: where it leads (relative to the manuscript) and a
    digest of its bytes, read through the manuscript's sandbox (nothing outside it, nor what
    is not a regular file), or None when it is refused or cannot be read."""
    from .fetcher import RefusedResource, Sandbox

    path = Path(root) / name
    try:
        digest = hashlib.sha256(Sandbox([Path(root)]).read_bytes(path)).hexdigest()
    except (RefusedResource, OSError):
        digest = None
    return [os.path.relpath(os.path.realpath(path), os.path.realpath(root)), digest]


# --- values kept or digested without the manuscript's place on disk ---------------------------
MARKER = "\u2063manuscript\u2063"  # in kept or digested JSON: where the manuscript is


def _json_string(text: str) -> bytes:
    import pydantic_core

    return pydantic_core.to_json(text)[1:-1]


def portable(data: bytes, root: Path) -> bytes:
    """JSON with the manuscript's folder (as given, and resolved) in every path and message
    written as MARKER: so that a key or an entry does not depend on where the manuscript is."""
    roots = {_json_string(os.path.abspath(root) + os.sep), _json_string(os.path.realpath(root) + os.sep)}
    for found in sorted(roots, key=len, reverse=True):
        data = data.replace(found, _json_string(MARKER + os.sep))
    return data


def placed(data: bytes, root: Path) -> bytes:
    """The inverse of `portable`: MARKER made the manuscript's folder."""
    return data.replace(_json_string(MARKER + os.sep), _json_string(os.path.abspath(root) + os.sep))


def canonical(value, root: Path) -> bytes:
    """A value's JSON (dataclasses, paths, as the model holds them), portable, for a key."""
    import pydantic_core

    return portable(pydantic_core.to_json(value, serialize_unknown=True), root)


OLD_FORMATS = ("pieces/*.pickle", "chunks/*.data", "chunks/*.inputs")  # before format 3: pickles among them


def remove_old_formats(cache_root: Path) -> None:
    """Delete what the cache held before this format (never read now), pickles first of all."""
    for pattern in OLD_FORMATS:
        for path in Path(cache_root).glob(pattern):
            try:
                path.unlink()
            except OSError:
                pass
