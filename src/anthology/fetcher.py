"""The one door through which any edition reads a resource (image, stylesheet, font).

Only regular files inside the allowed folders (the manuscript and the built-in theme) are
read; every other URL — another scheme, a path or symlink leading outside, a device — is
refused and remembered, so the build can report it and go on without the resource.
"""

from __future__ import annotations

import mimetypes
import os
from pathlib import Path
from urllib.parse import unquote, urlsplit

from weasyprint.urls import URLFetcher, URLFetcherResponse

MAX_BYTES = 64 * 1024 * 1024
MIME_OVERRIDES = {".svg": "image/svg+xml", ".css": "text/css", ".otf": "font/otf", ".ttf": "font/ttf",
                  ".woff": "font/woff", ".woff2": "font/woff2"}


class RefusedResource(ValueError):
    """A resource outside the sandbox."""


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
        return self.check(path).read_bytes()


class SandboxFetcher(URLFetcher):
    """A WeasyPrint URL fetcher that reads only what the sandbox allows, and never the network."""

    def __init__(self, sandbox: Sandbox):
        super().__init__(allowed_protocols=("file", "data"), allow_redirects=False)
        self.sandbox = sandbox
        self.refused: list[tuple[str, str]] = []

    def fetch(self, url: str, headers=None):
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        try:
            if scheme == "data":
                return super().fetch(url, headers)
            if scheme != "file":
                raise RefusedResource(f"'{url}': {scheme or 'this'} URLs are not read at build time")
            path = Path(unquote(parts.path))
            data = self.sandbox.read(path)
        except RefusedResource as exc:
            self.refused.append((url, str(exc)))
            raise
        return URLFetcherResponse(url, body=data, headers={"Content-Type": guess_type(path)})
