"""A hostile manuscript: every attack is refused with its file and line, nothing it points at
reaches either edition, no connection is attempted, and the EPUB still passes EPUBCheck."""

from __future__ import annotations

import io
import os
import re
import socket
import zipfile
from pathlib import Path

import pikepdf
import pytest
import weasyprint
from PIL import Image

from anthology.commands.build import build
from anthology.errors import ManuscriptError
from anthology.layoutfetcher import SandboxFetcher
from anthology.readers.manuscript import load

from conftest import assert_epub_valid, write_manuscript

MARKER = b"TOP-SECRET-7f3a9c"  # the content of a file outside the manuscript

PIECE = """\
---
title: Attacks
author: Mallory
---

Text first.

![Up and out](../secret.txt)

![Absolute](/etc/passwd)

![File URL](file://{secret})

![Web](https://example.org/x.png)

![Symlink out](images/link.png)

![Scripted](images/scripted.svg)

![Entities](images/xxe.svg)

![External](images/external.svg)

![Mislabelled](images/mislabelled.png)

![Corrupt](images/corrupt.png)

![Enormous](images/enormous.png)

![Not an image](attacks.md)

<script>alert("script")</script>

<img src="https://example.org/pixel.gif" onerror="alert('handler')">

<iframe src="https://example.org/frame"></iframe><object data="https://example.org/x.swf"></object>

<form action="https://example.org/post"><input name="q"></form>

[js](javascript:alert('link')) and <a href="javascript:alert('raw')" onclick="alert('click')">raw</a>
and [out](../secret.txt).

<span id="dup">a</span> <span id="dup">b</span> <span dir="sideways" lang="!!">c</span>

![Fine](images/fine.png)
"""

STYLE = """\
@import url("file://{secret}");
@import "../../secret.txt";
body {{ background: url(https://example.org/bg.png); }}
p {{ background-image: url('../../secret.txt'); color: #222; }}
@font-face {{ font-family: Evil; src: url(/etc/passwd); }}
"""


def png(size=(8, 8), fmt="PNG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "teal").save(out, fmt)
    return out.getvalue()


@pytest.fixture
def hostile(tmp_path) -> Path:
    secret = tmp_path / "secret.txt"
    secret.write_bytes(MARKER)
    enormous = io.BytesIO()
    Image.new("1", (8000, 8000)).save(enormous, "PNG")
    root = write_manuscript(tmp_path / "ms", {
        "anthology.yml": "title: Hostile\nlanguage: en\ncontents: [attacks.md]\nepub: {cover: attacks.md}\n",
        "attacks.md": PIECE.format(secret=secret),
        "styles/base.css": STYLE.format(secret=secret),
        "images/scripted.svg": '<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9" onload="alert(1)">'
                               '<script>alert("svg")</script></svg>',
        "images/xxe.svg": f'<?xml version="1.0"?>\n<!DOCTYPE svg [<!ENTITY x SYSTEM "file://{secret}">]>\n'
                          '<svg xmlns="http://www.w3.org/2000/svg" width="90" height="9"><text>&x;</text></svg>',
        "images/external.svg": '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
                               f'width="9" height="9"><image xlink:href="file://{secret}" width="9" height="9"/></svg>',
        "images/mislabelled.png": png(fmt="JPEG"),
        "images/corrupt.png": png((64, 64))[:60],
        "images/enormous.png": enormous.getvalue(),
        "images/fine.png": png(),
    })
    os.symlink(secret, root / "images" / "link.png")
    os.symlink(secret, root / "styles" / "leak.css")
    return root


def warnings_by_place(diags) -> dict[tuple[str, int], str]:
    return {(Path(d.path).name, d.line): d.message for d in diags.warnings}


def test_every_attempt_is_named_with_file_and_line(hostile):
    _, diags = load(hostile)
    found = warnings_by_place(diags)
    expected = {
        8: "outside the manuscript", 10: "not in the manuscript", 12: "not in the manuscript",
        14: "not in the manuscript", 16: "outside the manuscript", 18: "event handler", 20: "DOCTYPE",
        22: "refers to 'file://", 24: "is a JPEG file, not the PNG", 26: "damaged", 28: "enormous",
        30: "not an image a book can use", 34: "not in the manuscript",
    }
    for line, words in expected.items():
        assert words in found.get(("attacks.md", line), ""), (line, found)
    for line, words in {1: "@import", 2: "@import", 3: "https URLs are not read", 4: "outside the manuscript",
                        5: "outside the manuscript"}.items():
        assert words in found.get(("base.css", line), ""), (line, found)
    assert "outside the manuscript" in found[("leak.css", 0)]


@pytest.mark.slow
def test_nothing_refused_reaches_either_edition_and_no_connection_is_made(hostile, tmp_path, monkeypatch):
    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise OSError("the network is not used at build time")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    fetchers, fetched = [], []
    real_init, real_fetch = weasyprint.HTML.__init__, weasyprint.urls.URLFetcher.fetch

    def spy_init(self, *args, **kwargs):
        fetchers.append(kwargs.get("url_fetcher"))
        real_init(self, *args, **kwargs)

    def spy_fetch(self, url, *args, **kwargs):
        fetched.append((type(self), url))
        return real_fetch(self, url, *args, **kwargs)

    monkeypatch.setattr(weasyprint.HTML, "__init__", spy_init)
    monkeypatch.setattr(weasyprint.urls.URLFetcher, "fetch", spy_fetch)

    result = build(hostile, tmp_path / "out")
    assert any("epub.cover" in d.message and "not an image" in d.message for d in result.diagnostics.warnings)

    assert not attempts
    assert fetchers and all(isinstance(f, SandboxFetcher) for f in fetchers)
    assert all(kind is SandboxFetcher and url.startswith("data:") for kind, url in fetched), fetched
    passwd = Path("/etc/passwd").read_bytes().split(b"\n")[0]
    with zipfile.ZipFile(result.outputs["epub"]) as z:
        names = z.namelist()
        blob = b"".join(z.read(n) for n in names)
    assert "EPUB/images/fine.png" in names
    assert not any(n.endswith((".svg", ".md", "link.png", "corrupt.png", "enormous.png", "mislabelled.png")) for n in names)
    for bad in (MARKER, passwd, b"<script", b"onload", b"onerror", b"onclick", b"javascript:", b"<iframe",
                b"<object", b"<form", b"@import", b"example.org", b"secret.txt", b'id="dup"', b"sideways", b"Mallory\n---"):
        assert bad not in blob, bad
    site = result.outputs["web"].parent  # the web edition: its own files (downloads/ are the editions above)
    files = [p for p in site.rglob("*") if p.is_file() and "downloads" not in p.relative_to(site).parts]
    assert "images/fine.png" in {p.relative_to(site).as_posix() for p in files}
    assert not any(p.name.endswith((".svg", ".md", "link.png", "corrupt.png", "enormous.png", "mislabelled.png"))
                   for p in files)
    web = re.sub(rb'<script type="application/ld\+json">.*?</script>', b"", b"".join(p.read_bytes() for p in files),
                 flags=re.S)
    for bad in (MARKER, passwd, b"<script", b"onload", b"onerror", b"onclick", b"javascript:", b"<iframe",
                b"<object", b"<form", b"@import", b"example.org", b"secret.txt", b'id="dup"', b"sideways", b"Mallory\n---"):
        assert bad not in web, bad
    for key in ("pdf", "pdf:screen"):
        with pikepdf.open(result.outputs[key]) as pdf:
            streams = b"".join(obj.read_bytes() for obj in pdf.objects if isinstance(obj, pikepdf.Stream))
            strings = repr([obj for obj in pdf.objects if isinstance(obj, pikepdf.Dictionary)]).encode()
        for bad in (MARKER, passwd, b"JavaScript", b"example.org/x.png", b"secret.txt"):
            assert bad not in streams and bad not in strings, (key, bad)
    assert_epub_valid(result.outputs["epub"])


def test_manuscript_templates_cannot_reach_python_or_files_outside(hostile, tmp_path):
    templates = hostile / "templates"
    templates.mkdir()
    os.symlink(tmp_path / "secret.txt", templates / "leak.txt")
    (templates / "print.html.j2").write_text("{% include 'leak.txt' %}\n")
    with pytest.raises(ManuscriptError) as caught:
        build(hostile, tmp_path / "a", ("pdf",))
    [d] = caught.value.diagnostics.errors
    assert (Path(d.path).name, d.line) == ("print.html.j2", 1) and "leak.txt" in d.message
    (templates / "print.html.j2").write_text("<p>\n{{ cycler.__init__.__globals__.os.popen('id').read() }}</p>\n")
    with pytest.raises(ManuscriptError) as caught:
        build(hostile, tmp_path / "b", ("pdf",))
    [d] = caught.value.diagnostics.errors
    assert (Path(d.path).name, d.line) == ("print.html.j2", 2) and "unsafe" in d.message
    # no output: at most complete cache entries of what was laid out before the error
    for out in (tmp_path / "a", tmp_path / "b"):
        assert not [p for p in out.glob("*") if not p.name.startswith(".")]


@pytest.mark.parametrize("files, where, words", [
    ({"a.md": b"---\ntitle: A\n---\n\nGood \xff bad.\n"}, ("a.md", 5), "not valid UTF-8"),
    ({"a.md": "---\ntitle: A\n\nNever closed.\n"}, ("a.md", 1), "never closed"),
    ({"a.md": "---\ntitle: &t A\nsubtitle: *t\n---\nx\n"}, ("a.md", 3), "aliases"),
    ({"a.md": "---\ntitle: !!python/object:os.system A\n---\nx\n"}, ("a.md", 2), "tag"),
    ({"a.md": "---\ntitle: !custom A\n---\nx\n"}, ("a.md", 2), "tag"),
    ({"a.md": "---\ntitle: " + "[" * 3000 + "]" * 3000 + "\n---\nx\n"}, ("a.md", 2), "nested more than 32 deep"),
    ({"a.md": "---\ntitle: A\n---\n\n" + "".join("  " * i + "- item\n" for i in range(40))}, ("a.md", 37), "nests more than 32"),
    ({"a.md": "---\ntitle: A\n---\n\n" + ">" * 500 + " deep\n"}, ("a.md", 5), "nests more than 32"),
    ({"a.md": "---\ntitle: A\n---\nx\n", "styles/x.css": b"p { color: red }\n/* \xfe */\n"}, ("x.css", 2), "UTF-8"),
])
def test_bad_files_are_errors_naming_the_file(make_manuscript, files, where, words):
    root = make_manuscript({"anthology.yml": "title: T\nlanguage: en\ncontents: [a.md]\n", **files})
    with pytest.raises(ManuscriptError) as caught:
        load(root)
    found = {(Path(d.path).name, d.line): d.message for d in caught.value.diagnostics.errors}
    assert words in found.get(where, ""), found


def test_stylesheet_cleaning_keeps_every_rule_that_stays_inside(tmp_path):
    from anthology.fetcher import Sandbox

    (tmp_path / "fonts").mkdir()
    (tmp_path / "fonts" / "book.otf").write_bytes(b"font")
    css = ("@font-face { font-family: Book; src: url(../fonts/book.otf); }\n"
           "@media print {\n  a:hover { color: red; background: url(http://x.test/y.png); }\n}\n"
           "p { background: url(data:image/png;base64,AAAA); margin: 0 }\n")
    sheet = tmp_path / "styles" / "a.css"
    sheet.parent.mkdir()
    cleaned, problems = Sandbox([tmp_path]).stylesheet(sheet, css)
    assert problems == [(3, "'background' is ignored: 'http://x.test/y.png' is not read: http URLs are not read at build time")]
    assert "src: url(../fonts/book.otf)" in cleaned and "a:hover { color: red; }" in cleaned.replace("  ", " ")
    assert "x.test" not in cleaned
    assert "p { background: url(data:image/png;base64,AAAA); margin: 0 }" in cleaned


def test_notes_calling_notes_link_and_uncalled_notes_are_left_out(make_manuscript):
    body = ("Text[^a].\n\n[^a]: See also[^b].\n\n[^b]: The second.\n\n[^c]: Never called, calls[^d].\n\n"
            "[^d]: Only called from c.\n")
    root = make_manuscript({"anthology.yml": "title: T\nlanguage: en\ncontents: [a.md]\n",
                            "a.md": f"---\ntitle: A\n---\n\n{body}"})
    book, diags = load(root)
    first, second = book.pieces[0].notes
    assert 'href="#a-fn2"' in first.html and 'class="noteref"' in first.html and "fnref" not in second.html
    assert [(d.line, d.message) for d in diags.warnings] == [(11, "note [^c] is left out: the text never calls it"),
                                                             (13, "note [^d] is left out: the text never calls it")]
