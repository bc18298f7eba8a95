"""The live preview behind `anthology serve`: the whole book as one web page, rebuilt on change,
and the web edition under `/web/` as `build --format web` writes it (without the print page
numbers and downloads, which need a build), each page reloading itself on change too.

The page is the print edition's own template (print.html.j2) with the screen stylesheets, so
what an editor reads is what goes to the printer, minus pagination: each piece's notes at its
foot, numbered as the book numbers them, in the book's small type below a short rule. A
thread watches the manuscript's files with watchfiles (the system's file events, not a poll
of every file); when one changes the page is rebuilt and its version bumped, and a small
script in the page, asking `/version`, reloads it. The latest diagnostics (the loader's and
the lint's) head the page; when the book cannot be loaded, the errors replace it.

Only the standard library's http.server is used, bound to the address given (127.0.0.1 by
default). Files are read through the same `Sandbox` as the editions: images, stylesheets and
fonts inside the manuscript or the built-in theme, nothing else.
"""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from html import escape
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

import watchfiles
from lxml import html as lhtml

from . import theme
from .commands.check import inspect
from .errors import AnthologyError, Diagnostic, Diagnostics
from .fetcher import RefusedResource, Sandbox, guess_type
from .model import Anthology
from .writers.base import Writer
from .writers.web import WebWriter

THEME_PREFIX = "/_theme/"
WEB_PREFIX = "/web/"
SERVED_TYPES = ("image/", "text/css", "font/")
SCREEN_CSS = """
body.print { max-width: 36em; margin: 0 auto; padding: 2em 1.5em 6em; }
body.print section.piece, body.print section.part-title, body.print .frontmatter > section { margin-top: 4em; }
#anthology-diagnostics { font: 14px/1.4 sans-serif; border: 1px solid #c9a227; background: #fff8e1;
  padding: 0.5em 1em; margin-bottom: 2em; white-space: pre-wrap; }
#anthology-diagnostics.failed { border-color: #b00020; background: #fdecea; }
#anthology-diagnostics li.error { color: #b00020; }
body.print section.footnotes { margin-top: 2.5em; padding-top: 0.6em; font-size: 0.8em; line-height: 1.35;
  background: linear-gradient(currentColor, currentColor) no-repeat 0 0 / 30% 0.5px; }
body.print aside.footnote { margin: 0 0 0.35em; text-align: justify; }
body.print aside.footnote > p { margin: 0; text-indent: 0; }
body.print aside.footnote > p.note-number, body.print aside.footnote > p.note-number + p { display: inline; }
body.print aside.footnote > p.note-number::after { content: ". "; }
body.print aside.footnote > p.note-number a { color: inherit; text-decoration: none; }
"""
RELOAD_SCRIPT = """
(function () {
  var current = document.querySelector('meta[name="anthology-version"]').content;
  function poll() {
    fetch('/version', {cache: 'no-store'}).then(function (r) { return r.json(); }).then(function (v) {
      if (String(v.version) !== current) { location.reload(); } else { setTimeout(poll, 300); }
    }).catch(function () { setTimeout(poll, 1000); });
  }
  setTimeout(poll, 300);
})();
"""


class PreviewRenderer(Writer):
    """The print template with the screen stylesheets, served from this preview's own URLs."""

    def href(self, target: str) -> str:
        return f"#{target}"

    def stylesheet_url(self, path: Path) -> str:
        if path.parent == theme.STYLES_DIR:
            return THEME_PREFIX + path.name
        return "/" + path.relative_to(self.book.root).as_posix()

    def html(self) -> str:
        sheets = [self.stylesheet_url(p) for p in theme.stylesheets("screen", self.book.stylesheets)]
        return self.render("print.html.j2", edition_name="", stylesheets=sheets, edition_css=SCREEN_CSS, created="")


def located(diag: Diagnostic, root: Path) -> str:
    """`file:line:col: level: message` with the file named from the manuscript folder."""
    try:
        diag = dataclasses.replace(diag, path=Path(diag.path).resolve().relative_to(root.resolve()).as_posix())
    except ValueError:
        pass
    return diag.format()


def banner(diags: Diagnostics, root: Path, failed: bool) -> str:
    items = "".join(f'<li class="{d.level}">{escape(located(d, root))}</li>'
                    for d in sorted(diags, key=lambda d: (d.path, d.line, d.col)))
    summary = f"{len(diags.errors)} errors, {len(diags.warnings)} warnings"
    if failed:
        summary = "The book cannot be built: " + summary
    return (f'<aside id="anthology-diagnostics" class="{"failed" if failed else "warnings"}" role="status">'
            f"<p>{summary}</p><ul>{items}</ul></aside>")


def render_page(root: Path, version: int) -> tuple[bytes, Diagnostics]:
    """The preview page of the manuscript at `root` as it is now (errors instead of the book
    when it does not load), and its diagnostics."""
    book: Anthology | None
    try:
        book, diags = inspect(root)
        source = PreviewRenderer(book).html() if book is not None else None
        doc = lhtml.document_fromstring(source) if source is not None else None
    except AnthologyError as exc:
        book, doc, diags = None, None, exc.diagnostics
    except Exception as exc:  # noqa: BLE001 (any file may be bad: the preview reports it and goes on)
        book, doc, diags = None, None, Diagnostics()
        diags.error(root, 0, f"the page could not be rendered: {exc.__class__.__name__}: {exc}")
    if doc is None:
        doc = lhtml.document_fromstring(
            f"<!DOCTYPE html><html><head><meta charset='utf-8'/><title>{escape(root.name)}: errors</title>"
            f"<style>{SCREEN_CSS}</style></head><body class='print'></body></html>")
    head, body = doc.find("head"), doc.find("body")
    head.append(lhtml.fragment_fromstring(f'<meta name="anthology-version" content="{version}"/>'))
    if diags or book is None:
        body.insert(0, lhtml.fragment_fromstring(banner(diags, root, book is None)))
    script = lhtml.Element("script")
    script.text = RELOAD_SCRIPT
    body.append(script)
    return lhtml.tostring(doc, encoding="utf-8", doctype="<!DOCTYPE html>"), diags


def reloading(page: bytes, version: int) -> bytes:
    """A page with the script that reloads it when the manuscript changes."""
    doc = lhtml.document_fromstring(page)
    doc.find("head").append(lhtml.fragment_fromstring(f'<meta name="anthology-version" content="{version}"/>'))
    script = lhtml.Element("script")
    script.text = RELOAD_SCRIPT
    doc.find("body").append(script)
    return lhtml.tostring(doc, encoding="utf-8", doctype="<!DOCTYPE html>")


def web_files(root: Path) -> dict[str, bytes]:
    """The web edition's files as a build writes them (no print layout, no downloads), or a
    page of the errors that stop it."""
    try:
        book, diags = inspect(root)
        if book is not None:
            return WebWriter(book).files()
    except AnthologyError as exc:
        diags = exc.diagnostics
    except Exception as exc:  # noqa: BLE001 (as render_page: reported, and the watch goes on)
        diags = Diagnostics()
        diags.error(root, 0, f"the web edition could not be rendered: {exc.__class__.__name__}: {exc}")
    page = (f"<!DOCTYPE html><html><head><meta charset='utf-8'/><title>{escape(root.name)}: errors</title>"
            f"<style>{SCREEN_CSS}</style></head><body>{banner(diags, root, True)}</body></html>")
    return {"index.html": page.encode("utf-8")}


def watched(root: Path):
    """A watchfiles filter: every file of the manuscript except those in hidden folders (a
    build's cache) and editors' swap and backup files."""
    default = watchfiles.DefaultFilter()
    root = Path(root).resolve()

    def keep(change: watchfiles.Change, path: str) -> bool:
        try:
            parts = Path(path).resolve().relative_to(root).parts
        except ValueError:
            return False
        return default(change, path) and not any(part.startswith(".") for part in parts[:-1])

    return keep


class Handler(BaseHTTPRequestHandler):
    server: "PreviewServer"
    server_version = "AnthologyPreview"

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        preview = self.server.preview
        path = urlsplit(self.path).path
        if path == "/":
            self.send(HTTPStatus.OK, "text/html; charset=utf-8", preview.page)
        elif path == "/version":
            self.send(HTTPStatus.OK, "application/json", json.dumps({"version": preview.version}).encode())
        elif path == WEB_PREFIX.rstrip("/"):
            self.send_response(HTTPStatus.MOVED_PERMANENTLY)
            self.send_header("Location", WEB_PREFIX)
            self.end_headers()
        elif path.startswith(WEB_PREFIX):
            self.web(unquote(path[len(WEB_PREFIX):]) or "index.html")
        elif path.startswith(THEME_PREFIX):
            self.file(Sandbox([theme.STYLES_DIR]), theme.STYLES_DIR / unquote(path[len(THEME_PREFIX):]))
        else:
            self.file(Sandbox([preview.root]), preview.root / unquote(path).lstrip("/"))

    def web(self, name: str) -> None:
        """A file of the web edition, made from the manuscript as it is now; its pages reload."""
        version, files = self.server.preview.web()
        data = files.get(name)
        if data is None:
            self.send(HTTPStatus.NOT_FOUND, "text/plain; charset=utf-8", b"not found\n")
        elif name.endswith(".html"):
            self.send(HTTPStatus.OK, "text/html; charset=utf-8", reloading(data, version))
        else:
            self.send(HTTPStatus.OK, guess_type(Path(name)), data)

    def file(self, sandbox: Sandbox, path: Path) -> None:
        """Images, stylesheets and fonts the sandbox allows; 404 for anything else."""
        kind = guess_type(path)
        try:
            if not kind.startswith(SERVED_TYPES):
                raise RefusedResource(f"'{path.name}' is not an image, a stylesheet or a font")
            data = sandbox.read(path)
        except (RefusedResource, OSError, ValueError):  # refused, unreadable, or a NUL in the URL
            self.send(HTTPStatus.NOT_FOUND, "text/plain; charset=utf-8", b"not found\n")
            return
        self.send(HTTPStatus.OK, kind, data)

    def send(self, status: HTTPStatus, kind: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args) -> None:  # noqa: A002 (http.server's signature)
        """Requests are not logged: the preview's console reports rebuilds, not traffic."""


class PreviewServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], preview: "Preview"):
        self.preview = preview
        super().__init__(address, Handler)


class Preview:
    """Serves and rebuilds one manuscript's preview; `with Preview(...) as p:` runs it in threads."""

    def __init__(self, manuscript: Path, host: str = "127.0.0.1", port: int = 8000, on_build=None):
        self.root = Path(manuscript)
        self.on_build = on_build or (lambda diags, seconds: None)
        self.version = 0
        self.page = b""
        self.web_lock = threading.Lock()
        self.web_cache: tuple[int, dict[str, bytes]] = (0, {})
        self.rebuild()
        self.server = PreviewServer((host, port), self)
        self.stopping = threading.Event()
        self.listening = threading.Event()
        self.threads = [threading.Thread(target=self.server.serve_forever, name="preview-http", daemon=True),
                        threading.Thread(target=self.watch, name="preview-watch", daemon=True)]

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/"

    def rebuild(self) -> None:
        started = time.perf_counter()
        page, diags = render_page(self.root, self.version + 1)
        self.page, self.version = page, self.version + 1
        self.on_build(diags, time.perf_counter() - started)

    def web(self) -> tuple[int, dict[str, bytes]]:
        """The web edition of the current version, made when first asked for (most edits are
        read in the one-page preview, which must reload at once)."""
        with self.web_lock:
            version = self.version
            if self.web_cache[0] != version:
                self.web_cache = (version, web_files(self.root))
            return self.web_cache

    def watch(self) -> None:
        """Rebuild whenever a file of the manuscript is added, removed or changed; changes that
        come together (an editor's save, a checkout) make one rebuild. The watcher says it is
        listening by a first empty report after `rust_timeout`; `start` waits for it, so no
        edit made after it returns is missed. Nothing a file holds stops the watch
        (render_page reports what it cannot render)."""
        while not self.stopping.is_set():
            try:
                for changes in watchfiles.watch(self.root, watch_filter=watched(self.root), debounce=400, step=50,
                                                stop_event=self.stopping, raise_interrupt=False,
                                                rust_timeout=200, yield_on_timeout=True):
                    self.listening.set()
                    if changes:
                        self.rebuild()
            except Exception:  # noqa: BLE001 (a folder gone and back: watch it again)
                self.stopping.wait(0.5)

    def start(self) -> "Preview":
        for thread in self.threads:
            thread.start()
        self.listening.wait(10)
        return self

    def stop(self) -> None:
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()
        for thread in self.threads:
            thread.join(timeout=5)

    def __enter__(self) -> "Preview":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
