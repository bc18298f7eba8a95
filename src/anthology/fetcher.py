"""The one door through which every file a manuscript names is read: `anthology.yml`, the
library files, pieces, templates, stylesheets, images and fonts.

Only regular files inside the allowed folders (the manuscript and the built-in theme) are
read; every other URL — another scheme, a path or symlink leading outside, a device — is
refused and remembered, so the build can report it and go on without the resource. What is
read is vetted too (assets.py): images must be what they say, stylesheets are served without
the imports and URLs that would lead outside. WeasyPrint reads through it as a URL fetcher
(layoutfetcher.py).
"""

from __future__ import annotations

import hashlib
import mimetypes
import os
import stat
import threading
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .assets import IMAGE_SUFFIXES, UnsafeContent, clean_css, vet_image

MAX_BYTES = 64 * 1024 * 1024
MIME_OVERRIDES = {".svg": "image/svg+xml", ".css": "text/css", ".otf": "font/otf", ".ttf": "font/ttf",
                  ".woff": "font/woff", ".woff2": "font/woff2"}


class RefusedResource(ValueError):
    """A resource the sandbox will not hand over; the message says why, for the editor."""


def guess_type(path: Path) -> str:
    suffix = path.suffix.lower()
    return MIME_OVERRIDES.get(suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"


class Sandbox:
    """Decides whether a path may be read: a regular file under one of the allowed roots.

    Every file a manuscript names is read through `read_bytes` (or `read`, which vets it
    too): the file is opened first, and what was opened — after every symlink, as the kernel
    resolved it — is checked, then read from that same descriptor. A symlink swapped in
    between a check and a read therefore cannot lead outside."""

    def __init__(self, roots: list[Path]):
        self.roots = [Path(os.path.realpath(r)) for r in roots]

    def inside(self, real: Path) -> bool:
        return any(real == root or root in real.parents for root in self.roots)

    def check(self, path: Path) -> Path:
        """The real path of a file that may be read (a quick check, for a name and a reason:
        the contents are read with `read_bytes`, which checks the opened file itself)."""
        real = Path(os.path.realpath(path))
        if not self.inside(real):
            raise RefusedResource(f"'{path}' is outside the manuscript")
        if not real.is_file():
            raise RefusedResource(f"'{path}' is not a file" if real.exists() else f"'{path}' does not exist")
        if real.stat().st_size > MAX_BYTES:
            raise RefusedResource(f"'{path}' is larger than {MAX_BYTES // (1024 * 1024)} MB")
        return real

    def open_bytes(self, path: Path) -> tuple[Path, bytes]:
        """(real path, contents) of a file that may be read, read once from the file opened.

        The name is resolved first so that nothing outside is even opened (opening a device
        can have effects); the final component is then opened without following a symlink,
        and the descriptor's own path and type are checked before a byte is read."""
        real = self.check(path)
        flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0)
        try:
            fd = os.open(real, flags)
        except OSError as exc:
            raise RefusedResource(f"'{path}' cannot be read: {exc.strerror or exc}") from None
        try:
            opened = _opened_path(fd, real)
            if opened is None or not self.inside(opened):
                raise RefusedResource(f"'{path}' is outside the manuscript")
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                raise RefusedResource(f"'{path}' is not a file")
            if st.st_size > MAX_BYTES:
                raise RefusedResource(f"'{path}' is larger than {MAX_BYTES // (1024 * 1024)} MB")
            chunks, left = [], MAX_BYTES + 1
            while left > 0:
                block = os.read(fd, min(left, 1 << 20))
                if not block:
                    break
                chunks.append(block)
                left -= len(block)
            if left <= 0:
                raise RefusedResource(f"'{path}' is larger than {MAX_BYTES // (1024 * 1024)} MB")
        except OSError as exc:
            raise RefusedResource(f"'{path}' cannot be read: {exc.strerror or exc}") from None
        finally:
            os.close(fd)
        return opened, b"".join(chunks)

    def read_bytes(self, path: Path) -> bytes:
        """The file's bytes, as they are, read once through the checks of `open_bytes`."""
        return self.open_bytes(path)[1]

    def read(self, path: Path) -> bytes:
        """The file's bytes once vetted: a file named as an image must be that image (see
        `image`), an SVG comes back sanitised; a stylesheet comes back without the rules that
        reach outside the sandbox."""
        suffix = Path(path).suffix.lower()
        if suffix in IMAGE_SUFFIXES:
            return self.image_bytes(path)[1]
        real, data = self.open_bytes(path)
        if suffix == ".css":
            return self.stylesheet(real, data.decode("utf-8", errors="replace"))[0].encode("utf-8")
        return data

    def image_bytes(self, path: Path) -> tuple[Path, bytes]:
        """(real path, bytes to use) of an image that may be used: inside the sandbox, a PNG,
        JPEG, GIF, WebP or SVG matching its extension, whole, not enormous; an SVG comes back
        sanitised (assets.clean_svg)."""
        real, data = self.open_bytes(path)
        verdict, cleaned = _image_verdict(Path(path).suffix.lower(), hashlib.sha256(data).digest(), data)
        if verdict:
            raise RefusedResource(f"'{path}' {verdict}")
        return real, data if cleaned is None else cleaned

    def image(self, path: Path) -> Path:
        """The real path of an image that may be used (see `image_bytes`)."""
        return self.image_bytes(path)[0]

    def stylesheet(self, path: Path, text: str) -> tuple[str, list[tuple[int, str]]]:
        """A stylesheet without its `@import`s and the `url()`s this sandbox refuses, and
        (line, message) for each thing left out."""
        return clean_css(text, lambda url: self.refusal(url, Path(os.path.realpath(path)).parent))

    def refusal(self, url: str, base: Path) -> str | None:
        """None if `url` (relative to `base`) may be read through this sandbox, else why not."""
        parts = urlsplit(url.strip())
        scheme = parts.scheme.lower()
        if scheme == "data" or (not scheme and not parts.path):
            return None
        if scheme not in ("", "file") or parts.netloc:
            return f"'{url[:80]}' is not read: {scheme or 'network'} URLs are not read at build time"
        try:
            self.check(base / unquote(parts.path))
        except RefusedResource as exc:
            return str(exc)
        return None


def _opened_path(fd: int, expected: Path) -> Path | None:
    """The path of an open file as the kernel knows it; where /proc is missing, `expected`
    if it is still the very file opened."""
    try:
        return Path(os.readlink(f"/proc/self/fd/{fd}"))
    except OSError:
        try:
            st, now = os.fstat(fd), os.stat(expected, follow_symlinks=False)
        except OSError:
            return None
        return expected if (st.st_dev, st.st_ino) == (now.st_dev, now.st_ino) else None


_REMEMBERED: dict[tuple[str, bytes], tuple[str | None, bytes | None]] = {}
_REMEMBERED_LOCK = threading.Lock()  # `serve` vets from several threads


def _image_verdict(suffix: str, digest: bytes, data: bytes) -> tuple[str | None, bytes | None]:
    """Why an image is refused (or None), and the sanitised bytes of an SVG (None for a
    raster image, used as it is); remembered by content, since both editions and the loader
    all ask about the same images."""
    key = (suffix, digest)
    with _REMEMBERED_LOCK:
        known = _REMEMBERED.get(key)
    if known is not None:
        return known
    try:
        result = (None, vet_image(data, "image" + suffix))
    except UnsafeContent as exc:
        result = (str(exc), None)
    with _REMEMBERED_LOCK:
        _REMEMBERED[key] = result
        while len(_REMEMBERED) > 64:
            _REMEMBERED.pop(next(iter(_REMEMBERED)))
    return result
