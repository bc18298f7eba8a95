"""The sandbox (fetcher.py) as WeasyPrint's URL fetcher: kept apart so that what does not lay
pages out never imports WeasyPrint, which takes most of a second."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from weasyprint.urls import URLFetcher, URLFetcherResponse

from .fetcher import RefusedResource, Sandbox, guess_type


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
