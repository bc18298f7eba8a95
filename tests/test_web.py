"""The web edition: a static site a reader's browser reads without a script, its download page
and its feeds, checked as a browser, a feed reader and a validator would."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import threading
import zipfile
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

import jsonschema
import pytest
from lxml import etree, html as lhtml

from anthology.checks import fidelity
from anthology.checks.tokens import tokens
from anthology.commands.build import build
from anthology.commands.check import inspect
from anthology.errors import OutputError
from anthology.generator import generate

from browser import CHROMIUM, Browser
from conftest import HERE, SAMPLE

DATA = HERE / "data"
ATOM = {"a": "http://www.w3.org/2005/Atom"}
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """The sample's EPUB and web edition (the print edition laid out, not written)."""
    out = tmp_path_factory.mktemp("web")
    result = build(SAMPLE, out, formats=("epub", "web"))
    return result, result.outputs["web"].parent


def pages(site: Path) -> dict[str, lhtml.HtmlElement]:
    return {p.relative_to(site).as_posix(): lhtml.parse(str(p)).getroot() for p in sorted(site.rglob("*.html"))}


def broken_links(site: Path, base: str = "") -> list[str]:
    """Every href and src of every page that does not lead to a file of the site (and, with a
    fragment, to an element with that id): external web links aside."""
    docs = pages(site)
    ids = {name: set(root.xpath("//@id")) for name, root in docs.items()}
    broken = []
    for name, root in docs.items():
        for el, attr in [(el, a) for el in root.iter() if isinstance(el.tag, str) for a in ("href", "src")
                         if el.get(a) is not None]:
            url = el.get(attr)
            if base and url.startswith(base):
                url = url[len(base):]
            parts = urlsplit(url)
            if parts.scheme in ("http", "https", "mailto") and not (base and el.get(attr).startswith(base)):
                continue  # a link of the text to the web
            target = (site / name).parent / unquote(parts.path) if parts.path else site / name
            target = Path(os.path.normpath(target))
            if not target.is_relative_to(site) or not target.is_file():
                broken.append(f"{name}: {attr}={el.get(attr)!r}: no such file")
            elif parts.fragment and target.suffix == ".html":
                if unquote(parts.fragment) not in ids[target.relative_to(site).as_posix()]:
                    broken.append(f"{name}: {attr}={el.get(attr)!r}: no such id")
    return broken


def test_the_site_has_a_page_per_piece_and_every_link_resolves(sample):
    result, site = sample
    book = result.book
    names = {p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file()}
    assert {"index.html", "download.html", "opds.xml", "opds.json", "feed.atom", "styles/book.css",
            "cover.png", "cover-thumbnail.png"} <= names
    assert {f"{p.id}.html" for p in book.pieces} <= names
    assert broken_links(site) == []
    assert not list(site.parent.glob(".*.tmp")), "the temporary folder was renamed into place"


def test_a_piece_page_has_its_epigraphs_notes_neighbours_and_print_pages(sample):
    result, site = sample
    book = result.book
    piece = next(p for p in book.pieces if p.epigraphs and p.role == "body")
    root = lhtml.parse(str(site / f"{piece.id}.html")).getroot()
    assert root.get("lang") == book.meta.language
    assert root.xpath("//link[@rel='canonical']/@href") == [f"{piece.id}.html"]
    assert len(root.xpath("//blockquote[@role='doc-epigraph']")) == len(piece.epigraphs)
    for note in piece.notes:  # linked both ways
        assert root.xpath(f"//a[@href='#{note.id}']") and root.xpath(f"//*[@id='{note.ref_id}']")
    reading = ["index"]
    for entry in book.entries:
        reading += [entry.id] + [p.id for p in entry.pieces] if hasattr(entry, "pieces") else [entry.id]
    here = reading.index(piece.id)
    assert root.xpath("//nav[@class='pager']/a[@rel='prev']/@href") == [f"{reading[here - 1]}.html"]
    following = [f"{reading[here + 1]}.html"] if here + 1 < len(reading) else []
    assert root.xpath("//nav[@class='pager']/a[@rel='next']/@href") == following
    assert not root.xpath("//script[not(@type='application/ld+json')]"), "no script"
    # the print edition's page numbers: the EPUB's page list, every one in the site once
    with zipfile.ZipFile(result.outputs["epub"]) as z:
        nav = etree.fromstring(z.read("EPUB/nav.xhtml"))
    listed = nav.xpath("//*[@id='page-list']//*[local-name()='a']/text()")
    found = [i for doc in pages(site).values() for i in doc.xpath("//span[starts-with(@id, 'page-')]/@id")]
    assert sorted(found) == sorted(f"page-{label}" for label in listed) and listed
    shown = [s.get("aria-label") for doc in pages(site).values() for s in doc.xpath("//span[@role='doc-pagebreak']")]
    assert shown and set(shown) <= set(listed)


def test_every_word_of_every_piece_is_on_its_page_and_a_loss_is_found(sample, tmp_path):
    result, site = sample
    assert fidelity.check_web(result.book, site) == []
    piece = next(p for p in result.book.pieces if p.role == "body")
    copy = tmp_path / "site"
    shutil.copytree(site, copy)
    page = copy / f"{piece.id}.html"
    doc = lhtml.parse(str(page)).getroot()
    paragraph = doc.xpath("//div[@class='piece-body']/p")[1]
    lost = paragraph.text_content().split()[:3]
    paragraph.getparent().remove(paragraph)
    page.write_bytes(lhtml.tostring(doc, doctype="<!DOCTYPE html>"))
    losses = fidelity.check_web(result.book, copy, "the web edition")
    line = next(i for i, text in enumerate(piece.source_path.read_text().splitlines(), 1) if " ".join(lost) in text)
    assert [(loss.path, loss.line) for loss in losses] == [(piece.source_path, line)]
    assert losses[0].message.startswith(f"the web edition lacks {len(tokens(paragraph.text_content()))} words of")


def test_the_download_page_gives_each_edition_its_size_and_sha256(sample):
    result, site = sample
    root = lhtml.parse(str(site / "download.html")).getroot()
    rows = root.xpath("//table[@class='download-table']/tbody/tr")
    assert len(rows) == len([k for k in result.outputs if k != "web"])
    for row in rows:
        href = row.xpath(".//a/@href")[0]
        data = (site / href).read_bytes()
        original = site.parent / Path(href).name
        assert data == original.read_bytes()
        assert row.xpath("string(.//td[@class='download-sha256'])").strip() == hashlib.sha256(data).hexdigest()
        assert int(row.xpath("string(.//td[@class='download-size']/@data-bytes)")) == len(data)
    ld = json.loads(root.xpath("string(//script[@type='application/ld+json'])"))
    assert ld["@type"] == "Book" and ld["name"] == result.book.meta.title
    assert [w["url"] for w in ld["workExample"]] == [f"downloads/{Path(h).name}" for h in root.xpath(
        "//table[@class='download-table']//a/@href")]
    og = dict(zip(root.xpath("//meta[@property]/@property"), root.xpath("//meta[@property]/@content")))
    assert og["og:type"] == "book" and og["og:title"]


def test_the_opds_feeds_validate_against_their_schemas(sample):
    _, site = sample
    relaxng = etree.RelaxNG(etree.parse(str(DATA / "opds-1.2.rng")))
    feed = etree.parse(str(site / "opds.xml"))
    assert relaxng.validate(feed), relaxng.error_log
    entries = feed.xpath("/a:feed/a:entry", namespaces=ATOM)
    assert len(entries) == 1 and feed.xpath("/a:feed/a:link[@rel='self']", namespaces=ATOM)
    acquisitions = entries[0].xpath("a:link[starts-with(@rel, 'http://opds-spec.org/acquisition')]", namespaces=ATOM)
    assert [a.get("type") for a in acquisitions] == ["application/epub+zip"]
    for link in entries[0].xpath("a:link", namespaces=ATOM):
        assert (site / link.get("href")).is_file(), link.get("href")
    # the schema does reject what is wrong: an entry without its title
    title = entries[0].find("a:title", namespaces=ATOM)
    title.getparent().remove(title)
    assert not relaxng.validate(feed)

    schema = json.loads((DATA / "opds-2.0.schema.json").read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    data = json.loads((site / "opds.json").read_text())
    jsonschema.validate(data, schema)
    publication = data["publications"][0]
    assert publication["metadata"]["identifier"] == entries[0].findtext("a:id", namespaces=ATOM)
    publication["links"] = [link for link in publication["links"] if "acquisition" not in link["rel"]]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, schema)


def test_the_atom_feed_has_one_entry_per_piece_with_ids_dates_and_authors(sample):
    result, site = sample
    feed = etree.parse(str(site / "feed.atom"))
    relaxng = etree.RelaxNG(etree.parse(str(DATA / "opds-1.2.rng")))  # the Atom rules it holds
    assert relaxng.validate(feed), relaxng.error_log
    pieces = [p for p in result.book.pieces if not p.generated]
    entries = feed.xpath("/a:feed/a:entry", namespaces=ATOM)
    assert [e.findtext("a:title", namespaces=ATOM) for e in entries] == [p.title for p in pieces]
    ids = feed.xpath("//a:id/text()", namespaces=ATOM)
    assert len(set(ids)) == len(ids) and all(re.match(r"[a-z][a-z0-9+.-]*:", i) for i in ids)
    assert all(RFC3339.fullmatch(u) for u in feed.xpath("//a:updated/text()", namespaces=ATOM))
    feed_author = feed.xpath("/a:feed/a:author", namespaces=ATOM)
    for entry, piece in zip(entries, pieces):
        assert feed_author or entry.xpath("a:author", namespaces=ATOM)  # RFC 4287 4.1.2
        assert entry.xpath("a:author/a:name/text()", namespaces=ATOM) == list(piece.authors)
        assert entry.xpath("a:link[@rel='alternate']/@href", namespaces=ATOM) == [f"{piece.id}.html"]
        assert entry.findtext("a:summary", namespaces=ATOM)


SITE_BOOK = {
    "anthology.yml": "title: Web Book\nlanguage: en\nidentifier: urn:uuid:5d1c8a2e-2f6b-4c39-9a61-0c3f1d2e4b7a\n"
                     "editors: [Ann Editor]\nsite:\n  url: https://example.org/web-book\ncontents: [a.md]\n",
    "a.md": "---\ntitle: A Piece\nauthor: Jo Writer\ndate: 2026-03-04\n---\n\nIts only paragraph.[^1]\n\n[^1]: A note.\n",
}


def test_site_url_makes_canonical_links_and_feeds_absolute(make_manuscript, tmp_path):
    root = make_manuscript(SITE_BOOK)
    result = build(root, tmp_path / "out", formats=("web",))
    site = result.outputs["web"].parent
    page = lhtml.parse(str(site / "a.html")).getroot()
    assert page.xpath("//link[@rel='canonical']/@href") == ["https://example.org/web-book/a.html"]
    assert "https://example.org/web-book/a.html" in page.xpath("//meta[@property='og:url']/@content")
    feed = etree.parse(str(site / "feed.atom"))
    assert feed.xpath("//a:entry/a:link/@href", namespaces=ATOM) == ["https://example.org/web-book/a.html"]
    assert feed.xpath("//a:entry/a:published/text()", namespaces=ATOM) == ["2026-03-04T00:00:00Z"]
    assert broken_links(site, "https://example.org/web-book/") == []


def test_an_unknown_or_bad_site_key_is_an_error_with_its_line(make_manuscript):
    good = "  url: https://example.org/web-book"
    for i, (wrong, message) in enumerate((("  ur: https://example.org/", "unknown key 'ur'"),
                                          ("  url: ftp://example.org/", "not an http:// or https:// address"))):
        config = SITE_BOOK["anthology.yml"].replace(good, wrong)
        root = make_manuscript({**SITE_BOOK, "anthology.yml": config}, name=f"ms-{i}")
        book, diags = inspect(root)
        line = config.splitlines().index(wrong) + 1
        assert book is None and [(d.line, message in d.message) for d in diags.errors] == [(line, True)]


def test_a_loss_on_a_page_keeps_the_previous_site(make_manuscript, tmp_path, monkeypatch):
    """The site is written as a temporary folder and checked before it replaces the last one."""
    root = make_manuscript(SITE_BOOK)
    out = tmp_path / "out"
    site = build(root, out, formats=("web",)).outputs["web"].parent
    before = (site / "a.html").read_bytes()
    (root / "a.md").write_text(SITE_BOOK["a.md"].replace("Its only paragraph.", "A changed paragraph."))
    from anthology.writers import web

    written = web.html5
    monkeypatch.setattr(web, "html5", lambda xhtml: written(xhtml.replace(b"A changed paragraph.", b"")))
    with pytest.raises(OutputError, match=r"(?s)web-book-web failed its check.*a.md:7: web-book-web lacks 3 words"):
        build(root, out, formats=("web",))
    assert (site / "a.html").read_bytes() == before
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == [".cache"]


class Site:
    """The site served on 127.0.0.1 by the standard library's static file server."""

    class Handler(SimpleHTTPRequestHandler):
        def log_message(self, format, *args):  # noqa: A002 (http.server's signature)
            """Requests are not logged."""

    def __init__(self, folder: Path):
        handler = partial(self.Handler, directory=str(folder))
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        return f"http://127.0.0.1:{self.server.server_address[1]}/"

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def audit(site: Path, profile: Path, names: list[str] | None = None) -> list[str]:
    """Load every page (or those named) in headless Chromium: console errors, images that did
    not load, horizontal scrolling at 390 px, and axe-core's violations in light mode at
    1280 px and in dark mode at 390 px."""
    problems = []
    with Site(site) as url, Browser(profile) as page:
        for name in names or pages(site):
            for width, dark in ((1280, False), (390, True)):
                page.viewport(width, dark=dark)
                page.errors.clear()
                page.open(url + name)
                where = f"{name} at {width} px{' (dark)' if dark else ''}"
                problems += [f"{where}: console: {e}" for e in page.errors]
                problems += [f"{where}: image not loaded: {src}" for src in page.evaluate(
                    "[...document.images].filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src)")]
                if page.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1"):
                    problems.append(f"{where}: scrolls sideways")
                problems += [f"{where}: {v}" for v in page.axe()]
        page.viewport(1280, dark=True)
        page.open(url + "index.html")
        colours = page.evaluate("getComputedStyle(document.documentElement).backgroundColor")
        page.viewport(1280, dark=False)
        assert colours != page.evaluate("getComputedStyle(document.documentElement).backgroundColor"), "dark mode"
    return problems


@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (scripts/setup-system.sh installs it)")
def test_headless_chromium_finds_no_error_and_axe_no_violation(sample, tmp_path):
    """The home page, the download page and an essay opening with epigraphs; every page in
    the slow case below."""
    result, site = sample
    essay = next(p for p in result.book.pieces if p.epigraphs and p.role == "body")
    assert audit(site, tmp_path / "profile", ["index.html", "download.html", f"{essay.id}.html"]) == []


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (scripts/setup-system.sh installs it)")
def test_headless_chromium_on_every_page_of_the_sample(sample, tmp_path):
    _, site = sample
    assert audit(site, tmp_path / "profile") == []


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (scripts/setup-system.sh installs it)")
def test_a_generated_40_piece_book(tmp_path):
    root = generate(tmp_path / "book", pieces=40, parts=4, seed=20, words=(300, 900))
    result = build(root, tmp_path / "out", formats=("epub", "web"))
    site = result.outputs["web"].parent
    assert len([p for p in site.glob("*.html")]) == 1 + 4 + 41 + 1
    assert broken_links(site) == []
    assert fidelity.check_web(result.book, site) == []
    assert audit(site, tmp_path / "profile") == []


def test_serve_shows_the_web_edition_and_its_edits(make_manuscript):
    import time

    from anthology.preview import Preview
    from test_serve import get

    root = make_manuscript(SITE_BOOK)
    with Preview(root, port=0) as preview:
        status, home = get(preview, "/web/")
        assert status == 200 and b'href="a.html"' in home and b"/version" in home
        status, page = get(preview, "/web/a.html")
        assert status == 200 and b"Its only paragraph." in page
        assert get(preview, "/web/styles/book.css")[0] == 200 and get(preview, "/web/cover.png")[0] == 200
        assert get(preview, "/web/../anthology.yml")[0] == 404 and get(preview, "/web/nothing.html")[0] == 404
        (root / "a.md").write_text(SITE_BOOK["a.md"].replace("Its only paragraph.", "An edited paragraph."))
        deadline = time.monotonic() + 10
        while preview.version < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert b"An edited paragraph." in get(preview, "/web/a.html")[1]


def test_a_rebuild_is_up_to_date_until_a_file_of_the_site_changes(make_manuscript, tmp_path):
    from click.testing import CliRunner

    from anthology.cli import main

    root = make_manuscript(SITE_BOOK)
    out = tmp_path / "out"

    def run():
        result = CliRunner().invoke(main, ["build", str(root), "--out", str(out), "--format", "web"])
        assert result.exit_code == 0, result.output
        return result.output

    assert not run().startswith("up to date")
    again = run()
    assert again.startswith("up to date:") and "web-book-web/index.html" in again and "a.html" not in again
    page = out / "web-book-web" / "a.html"
    page.write_text(page.read_text().replace("Its only paragraph.", "Touched."))
    assert not run().startswith("up to date")
    assert "Its only paragraph." in page.read_text()
