"""The one door through which any edition reads a resource (image, stylesheet, font).

Only regular files inside the allowed folders (the manuscript and the built-in theme) are
read; every other URL — another scheme, a path or symlink leading outside, a device — is
refused and remembered, so the build can report it and go on without the resource. What is
read is vetted too (assets.py): images must be what they say, stylesheets are served without
the imports and URLs that would lead outside. WeasyPrint reads through it as a URL fetcher
(layoutfetcher.py).
"""

from __future__ import annotations

import functools
import mimetypes
import os
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
    """Decides whether a path may be read: a regular file under one of the allowed roots."""

    def __init__(self, roots: list[Path]):
        self.roots = [Path(os.path.realpath(r)) for r in roots]

    def check(self, path: Path) -> Path:
        real = Path(os.path.realpath(path))
        if not any(real == root or root in real.parents for root in self.roots):
            raise RefusedResource(f"'{path}' is outside the manuscript")
        if not real.is_file():
            raise RefusedResource(f"'{path}' is not a file" if real.exists() else f"'{path}' does not exist")
        if real.stat().st_size > MAX_BYTES:
            raise RefusedResource(f"'{path}' is larger than {MAX_BYTES // (1024 * 1024)} MB")
        return real

    def read(self, path: Path) -> bytes:
        """The file's bytes once vetted: a file named as an image must be that image (see
        `image`); a stylesheet comes back without the rules that reach outside the sandbox."""
        suffix = Path(path).suffix.lower()
        if suffix in IMAGE_SUFFIXES:
            return self.image(path).read_bytes()
        real = self.check(path)
        if suffix == ".css":
            return self.stylesheet(real, real.read_text(encoding="utf-8", errors="replace"))[0].encode("utf-8")
        return real.read_bytes()

    def image(self, path: Path) -> Path:
        """The real path of an image that may be used: inside the sandbox, a PNG, JPEG, GIF,
        WebP or SVG matching its extension, whole, not enormous, SVG without scripts."""
        real = self.check(path)
        stat = real.stat()
        verdict = _image_verdict(real, Path(path).name, stat.st_mtime_ns, stat.st_size)
        if verdict:
            raise RefusedResource(f"'{path}' {verdict}")
        return real

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


@functools.lru_cache(maxsize=256)
def _image_verdict(real: Path, name: str, mtime_ns: int, size: int) -> str | None:
    """Why an image is refused, or None; remembered per file version, since both editions
    and the loader all ask about the same images."""
    try:
        vet_image(real.read_bytes(), name)
    except UnsafeContent as exc:
        return str(exc)
    return None
