"""`anthology import` of a whole book: a Standard Ebooks source folder or an EPUB becomes a
manuscript that keeps the book's structure, notes, epigraphs, verse, languages and images.

`tests/books/se-mini` is cut down from the corpus's Mill and Wollstonecraft (CC0 markup): an
introduction by another writer, an epigraph page, a part, verse, Latin, Italian and Greek
passages, a block quote with `<cite>`, notes (one with a block quote in it), a figure, and the
boilerplate a build makes for itself.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml
from lxml import etree

from anthology.commands.build import build
from anthology.importers.book import import_book
from anthology.readers.manuscript import load

from conftest import HERE, assert_epub_valid
from sourcebook import compare, read_source

MINI = HERE / "books" / "se-mini"
OPF_NS = {"opf": "http://www.idpf.org/2007/opf", "dc": "http://purl.org/dc/elements/1.1/"}


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    return import_book(MINI, tmp_path_factory.mktemp("import") / "on-liberty")


@pytest.fixture(scope="module")
def book(imported):
    return load(imported.written)[0]


def test_metadata_goes_to_anthology_yml(imported):
    config = yaml.safe_load((imported.written / "anthology.yml").read_text(encoding="utf-8"))
    assert config["title"] == "On Liberty"
    assert config["subtitle"] == "Extracts for a Test"
    assert config["authors"] == [{"name": "John Stuart Mill", "file_as": "Mill, John Stuart"}]
    assert config["language"] == "en-GB"
    assert config["date"] == "2017-03-31"
    assert config["identifier"] == "https://standardebooks.org/ebooks/john-stuart-mill/on-liberty"
    assert config["description"].startswith("Mill’s famous essay")
    assert config["subjects"] == ["Liberty"]
    # the spine gives the pieces, the table of contents the part; boilerplate is left out
    assert config["contents"] == ["text/introduction.md",
                                  {"part": "Of Thought and Discussion", "pieces": ["text/chapter-1.md", "text/chapter-2.md"]}]
    assert set(imported.book.skipped) == {"text/titlepage.xhtml", "text/part-1.xhtml", "text/endnotes.xhtml",
                                          "text/colophon.xhtml"}


def test_pieces_keep_titles_epigraphs_verse_quotes_and_languages(book):
    intro, one, two = book.pieces
    assert (intro.title, intro.authors, intro.role) == ("Introduction", ("W. L. Courtney",), "front")
    assert one.title == "II: Of the Liberty of Thought and Discussion"
    assert (two.title, two.subtitle) == ("III: Of Individuality", "Of individuality, as one of the elements of well-being.")
    # the epigraph page opens the piece after it, attributed as its <cite> says
    assert len(one.epigraphs) == 1 and "Humboldt" in one.epigraphs[0].html and "epigraph" in one.epigraphs[0].html
    kinds = [b.kind for b in one.blocks]
    assert kinds.count("verse") == 1 and "epigraph" not in kinds
    verse = next(b for b in one.blocks if b.kind == "verse")
    assert verse.html.count("<br") == 3 and verse.html.count('class="stanza"') == 2
    assert "\u2003My author and disposer" in verse.html  # the indented line keeps its indent
    bacon = next(q for q in one.quotations if q.author and "Bacon" in q.author)
    assert bacon.work == "Of Atheism"
    html = "".join(b.html for b in one.blocks)
    for lang, text in (("la", "ad misericordiam"), ("it", "i maëstri di color che sanno"), ("grc", "νοῦς")):
        assert f'lang="{lang}"' in html and text in html
    assert "said *she* [once] with 3 &lt; 4 &amp; more" in html  # Markdown's characters stay text
    assert [h.text for h in one.headings] == ["Of Quotations"]
    assert "1823. In that year" in "".join(b.text for b in intro.blocks)  # not read as a list


def test_endnotes_become_footnotes_of_the_piece_that_calls_them(book):
    intro, one, two = book.pieces
    assert [len(p.notes) for p in book.pieces] == [1, 1, 1]
    assert "Autobiography" in intro.notes[0].html
    assert one.notes[0].html.count("<p") == 2  # both paragraphs of the note, its backlink left out
    assert "↩" not in one.notes[0].html
    assert "<blockquote" in two.notes[0].html and "Sandford and Merton" in two.notes[0].html


def test_images_are_copied_with_their_alternative_text(imported, book):
    figure = book.pieces[2].figures[0]
    assert figure.caption == "The sphere of liberty"
    assert figure.alt == "A square of grey ink on white paper."
    copied = imported.written / figure.src
    assert copied.read_bytes() == (MINI / "src/epub/images/diagram.png").read_bytes()


def test_an_epub_imports_as_its_source_folder_does(imported, tmp_path):
    epub = tmp_path / "mini.epub"
    root = MINI / "src" / "epub"
    with zipfile.ZipFile(epub, "w") as z:
        z.writestr("mimetype", "application/epub+zip", compress_type=zipfile.ZIP_STORED)
        z.writestr("META-INF/container.xml",
                   '<?xml version="1.0"?><container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">'
                   '<rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/>'
                   "</rootfiles></container>")
        for path in sorted(root.rglob("*")):
            if path.is_file():
                z.write(path, "OEBPS/" + path.relative_to(root).as_posix())
    again = import_book(epub, tmp_path / "from-epub")
    for piece in sorted((imported.written / "text").glob("*.md")):
        assert (again.written / "text" / piece.name).read_text() == piece.read_text()
    assert (again.written / "images/diagram.png").is_file()


@pytest.mark.slow
def test_the_imported_book_builds_with_nothing_lost(imported, tmp_path):
    result = build(imported.written, tmp_path / "out", ("pdf", "epub"))
    assert_epub_valid(result.outputs["epub"])
    source = read_source(MINI)
    report = compare(source, result.outputs["epub"], result.outputs["pdf"])
    assert report["epub_missing"] == "" and report["pdf_missing"] == ""
    assert report["epub_words"] == report["pdf_words"] == sum(map(len, source.paragraphs)) > 250
    assert report["epub_notes_missing"] == report["pdf_notes_missing"] == ""
    assert report["epub_notes"] == report["epub_noterefs"] == report["pdf_notes"] == len(source.notes) == 3
    assert report["epub_epigraphs"] == source.epigraphs == 1
    assert report["langs_lost"] == [] and len(source.passages) == 3
    assert report["markup_left"] == []
    # the book's author, as catalogues file him, in the EPUB's metadata and on its title page
    with zipfile.ZipFile(result.outputs["epub"]) as z:
        opf = etree.fromstring(z.read("EPUB/content.opf"))
        title_page = z.read("EPUB/titlepage.xhtml").decode()
    creator = opf.find(".//dc:creator", OPF_NS)
    refines = {m.get("property"): m.text for m in opf.iterfind(f".//opf:meta[@refines='#{creator.get('id')}']", OPF_NS)}
    assert creator.text == "John Stuart Mill"
    assert refines["file-as"] == "Mill, John Stuart" and refines["role"] == "aut"
    assert "John Stuart Mill" in title_page


def test_the_comparison_finds_a_word_left_out():
    """The check the corpus test relies on fails when one word of a paragraph is missing."""
    from sourcebook import follows, words
    text = words("One two three four. Running head 12 five six seven.")
    assert follows([words("one two three four"), words("five six seven")], text, gap=3) == (7, "")
    matched, problem = follows([words("one two three four"), words("five six eight")], text, gap=3)
    assert matched == 4 and "six" in problem and "eight" in problem


def run_import(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "anthology", "import", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd)


def test_malformed_xhtml_is_an_error_at_its_line_and_nothing_is_written(tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(MINI, broken)
    chapter = broken / "src/epub/text/chapter-2.xhtml"
    text = chapter.read_text(encoding="utf-8")
    chapter.write_text(text.replace("imitation.</p>", "imitation."), encoding="utf-8")
    run = run_import(broken, "--into", tmp_path / "out")
    assert run.returncode == 2
    assert "chapter-2.xhtml:" in run.stderr and "not well-formed" in run.stderr
    assert "Traceback" not in run.stderr + run.stdout
    assert not (tmp_path / "out").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_the_command_imports_a_book_and_says_what_it_found(tmp_path):
    run = run_import(MINI, "--into", tmp_path / "ms")
    assert run.returncode == 0, run.stderr
    assert "“On Liberty”: 3 pieces, 1 part, 3 notes, 1 epigraph, 1 image" in run.stdout
    assert "left out (the build makes its own): text/titlepage.xhtml" in run.stdout
    assert (tmp_path / "ms" / "anthology.yml").is_file()


def test_an_existing_manuscript_is_never_written_over(tmp_path):
    (tmp_path / "ms").mkdir()
    (tmp_path / "ms" / "notes.txt").write_text("mine")
    run = run_import(MINI, "--into", tmp_path / "ms")
    assert run.returncode == 2 and "not empty" in run.stderr
    assert [p.name for p in (tmp_path / "ms").iterdir()] == ["notes.txt"]


def test_an_epub_cannot_name_files_outside_itself(tmp_path):
    epub = tmp_path / "hostile.epub"
    with zipfile.ZipFile(epub, "w") as z:
        z.writestr("mimetype", "application/epub+zip")
        z.writestr("META-INF/container.xml",
                   '<container xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles>'
                   '<rootfile full-path="content.opf"/></rootfiles></container>')
        z.writestr("content.opf",
                   '<package xmlns="http://www.idpf.org/2007/opf" version="3.0"><metadata '
                   'xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>X</dc:title></metadata><manifest>'
                   '<item id="a" href="../../../../etc/hostname" media-type="application/xhtml+xml"/>'
                   '<item id="b" href="/etc/hostname" media-type="application/xhtml+xml"/></manifest>'
                   '<spine><itemref idref="a"/><itemref idref="b"/></spine></package>')
    run = run_import(epub, "--into", tmp_path / "ms")
    assert run.returncode == 2 and "no text found" in run.stderr
    assert not (tmp_path / "ms").exists()


@pytest.mark.parametrize("opening", ["::: verse", "> ::: verse"])
def test_a_note_that_opens_with_verse_keeps_its_lines(opening):
    """Wollstonecraft's note 25 is a poem: `[^25]: ::: verse` printed its fence as text and ran
    its lines together, in both editions."""
    from anthology.readers.markdown import to_html
    quote = ">" if opening.startswith(">") else ""
    lines = [f"{quote} “Such is the country-maiden’s fright,", f"{quote} When first a redcoat is in sight;", f"{quote} :::"]
    html = to_html("A call.[^25]\n\n[^25]: " + opening + "\n" + "\n".join("    " + line for line in lines) + "\n", "en")
    assert ":::" not in html
    assert re.search(r'<div class="verse">\s*<p>“Such is the country-maiden’s fright,<br\s*/?>\s*When first', html)


def test_an_epub_2_with_an_ncx_and_html_entities_imports(tmp_path):
    """EPUB 2: the table of contents is an NCX, file-as an attribute, and the text names HTML's
    entities through a DTD the importer never reads."""
    epub = tmp_path / "old.epub"
    chapter = ('<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.1//EN" '
               '"http://www.w3.org/TR/xhtml11/DTD/xhtml11.dtd">\n<html xmlns="http://www.w3.org/1999/xhtml"><head>'
               '<title>c</title></head><body><h1>Chapter the First</h1>\n<p>Caf&eacute;&nbsp;society &amp; its '
               '&ldquo;manners&rdquo;.</p></body></html>')
    with zipfile.ZipFile(epub, "w") as z:
        z.writestr("mimetype", "application/epub+zip")
        z.writestr("META-INF/container.xml",
                   '<container xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles>'
                   '<rootfile full-path="OPS/book.opf"/></rootfiles></container>')
        z.writestr("OPS/book.opf",
                   '<package xmlns="http://www.idpf.org/2007/opf" xmlns:opf="http://www.idpf.org/2007/opf" '
                   'version="2.0" unique-identifier="id"><metadata xmlns:dc="http://purl.org/dc/elements/1.1/">'
                   '<dc:title>Old Book</dc:title><dc:creator opf:file-as="Roe, Jane" opf:role="aut">Jane Roe'
                   '</dc:creator><dc:language>fr</dc:language><dc:identifier id="id">urn:isbn:9780000000002'
                   '</dc:identifier><dc:date>1899</dc:date></metadata><manifest>'
                   '<item id="ncx" href="toc.ncx" media-type="application/x-dtbncx+xml"/>'
                   '<item id="c1" href="text/c1.html" media-type="application/xhtml+xml"/></manifest>'
                   '<spine toc="ncx"><itemref idref="c1"/></spine></package>')
        z.writestr("OPS/toc.ncx",
                   '<ncx xmlns="http://www.daisy.org/z3986/2005/ncx/" version="2005-1"><navMap>'
                   '<navPoint id="n1"><navLabel><text>I. The First</text></navLabel><content src="text/c1.html"/>'
                   '</navPoint></navMap></ncx>')
        z.writestr("OPS/text/c1.html", chapter)
    result = import_book(epub, tmp_path / "ms")
    config = yaml.safe_load((result.written / "anthology.yml").read_text(encoding="utf-8"))
    assert config["authors"] == [{"name": "Jane Roe", "file_as": "Roe, Jane"}]
    assert (config["language"], config["date"], config["identifier"]) == ("fr", "1899", "urn:isbn:9780000000002")
    piece = (result.written / "text" / "c1.md").read_text(encoding="utf-8")
    assert 'title: I. The First' in piece or 'title: "I. The First"' in piece
    assert "Café\u00a0society & its “manners”." in piece
