"""Both editions, built as a user builds them, inspected as a printer and a reader would."""

from __future__ import annotations

import zipfile

import pytest
from lxml import etree
from pypdf import PdfReader

from anthology.commands.build import build

from conftest import MANUSCRIPTS, SAMPLE, outline, assert_ace_clean, assert_epub_valid, pdf_fonts, pdf_text_pages

NS = {"opf": "http://www.idpf.org/2007/opf", "dc": "http://purl.org/dc/elements/1.1/",
      "x": "http://www.w3.org/1999/xhtml", "epub": "http://www.idpf.org/2007/ops"}


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    return build(SAMPLE, tmp_path_factory.mktemp("sample"))


@pytest.fixture(scope="module")
def varied(tmp_path_factory):
    return build(MANUSCRIPTS / "varied", tmp_path_factory.mktemp("varied"))


def opf(path):
    with zipfile.ZipFile(path) as z:
        name = next(n for n in z.namelist() if n.endswith(".opf"))
        return etree.fromstring(z.read(name))


@pytest.mark.parametrize("which", ["sample", pytest.param("varied", marks=pytest.mark.slow)])
def test_epub_passes_epubcheck(which, request):
    assert_epub_valid(request.getfixturevalue(which).outputs["epub"])


@pytest.mark.parametrize("which", ["sample", pytest.param("varied", marks=pytest.mark.slow)])
def test_epub_passes_ace(which, request):
    """Ace by DAISY (axe-core in Chromium, and its EPUB checks) finds no violation at all."""
    report = assert_ace_clean(request.getfixturevalue(which).outputs["epub"])
    assert report["properties"]["hasPageBreaks"]


@pytest.mark.parametrize("which", ["sample", "varied"])
def test_no_attribution_is_a_landmark(which, request):
    """Ace by DAISY (axe) read every attributed quotation's <footer> as a second "contentinfo"
    landmark (landmark-no-duplicate-contentinfo, landmark-unique): a footer that is not scoped
    to an article, aside or nav of its own must say it is not one."""
    with zipfile.ZipFile(request.getfixturevalue(which).outputs["epub"]) as epub:
        for name in (n for n in epub.namelist() if n.endswith(".xhtml")):
            doc = etree.fromstring(epub.read(name))
            for footer in doc.iter("{http://www.w3.org/1999/xhtml}footer"):
                scoped = any(a.tag.split("}")[-1] in ("article", "aside", "nav") for a in footer.iterancestors())
                assert scoped or footer.get("role") == "none", (name, etree.tostring(footer)[:120])


def test_sample_outputs_are_named_by_slug(sample):
    assert sample.outputs["pdf"].name == "why-i-joined-the-imt.pdf"
    assert sample.outputs["epub"].name == "why-i-joined-the-imt.epub"


def test_pdf_fonts_all_embedded(sample, varied):
    for result in (sample, varied):
        fonts = pdf_fonts(result.outputs["pdf"])
        assert fonts and all(row[-5] == "yes" for row in fonts), fonts
        assert any("Garamond" in row[0] for row in fonts)


def test_pdf_holds_the_seed_words(sample):
    text = " ".join(pdf_text_pages(sample.outputs["pdf"]))
    text = " ".join(text.replace("\u2010\n", "").replace("-\n", "").split())
    for words in ("Leon Trotsky", "Marx versus Bakunin", "tyranny of the unelected", "apply to join"):
        assert words in text


def test_pdf_pieces_open_on_recto_pages_and_bookmarks_nest(sample, varied):
    marks = outline(sample.outputs["pdf"])
    assert [(lvl, title) for lvl, title, _ in marks] == [
        (1, "Contents"), (1, "Introduction"), (1, "Why I Joined"), (2, "From Chomsky to Marx: Why I Joined the IMT"),
        (1, "Index of Quotations"), (1, "Works Cited"), (1, "Image Credits")]
    marks = outline(varied.outputs["pdf"])
    titles = [(lvl, title) for lvl, title, _ in marks]
    assert (1, "Part the First: On Memory") in titles and (1, "Tables and Lists") in titles and (1, "Afterword") in titles
    assert (2, "A Poem in the Middle") in titles
    for result in (sample, varied):
        for level, title, page in outline(result.outputs["pdf"]):
            assert page % 2 == 1, f"{title} opens on page {page}, a verso"


def test_pdf_page_count_matches_layout_and_blank_pages_are_blank(sample, varied):
    for result in (sample, varied):
        pages = pdf_text_pages(result.outputs["pdf"])
        assert len(pages) == result.pages == len(PdfReader(str(result.outputs["pdf"])).pages)
        openings = {page for _, _, page in outline(result.outputs["pdf"])}
        blanks = [i for i, text in enumerate(pages, 1) if not text.strip()]
        assert blanks, "recto openings need blank versos in these books"
        assert all(i % 2 == 0 for i in blanks), "only versos may be blank"
        assert not openings & set(blanks)


def test_pdf_folios_roman_then_arabic_and_no_running_head_on_openings(sample):
    pages = pdf_text_pages(sample.outputs["pdf"])
    marks = {title: page for _, title, page in outline(sample.outputs["pdf"])}
    intro = pages[marks["Introduction"] - 1]
    assert intro.strip().splitlines()[0].strip() == "Introduction"  # no running head above the title
    assert intro.strip().splitlines()[-1].strip() == "vii"  # drop folio, roman
    essay_page = marks["From Chomsky to Marx: Why I Joined the IMT"]
    assert pages[essay_page - 1].strip().splitlines()[-1].strip() == "3"
    verso = pages[essay_page].strip().splitlines()[0].split()
    assert verso[0] == str(4) and " ".join(verso[1:]) == "Why I Joined the IMT"  # folio and book title
    recto = pages[essay_page + 1].strip().splitlines()[0].split()
    assert recto[-1] == "5" and "From Chomsky to Marx" in " ".join(recto)


def test_pdf_footnotes_at_the_foot_with_matching_numbers(varied):
    pages = pdf_text_pages(varied.outputs["pdf"])
    page = next(p for p in pages if "The first note, with italics." in p)
    lines = [line.strip() for line in page.strip().splitlines()]
    notes = [line for line in lines if line.startswith(("1.", "2."))]
    assert notes == ["1. The first note, with italics.", "2. A note inside a quotation."]
    assert lines.index(notes[0]) > lines.index(next(line for line in lines if "Mandelstam" in line))


def test_pdf_metadata(sample):
    info = PdfReader(str(sample.outputs["pdf"])).metadata
    assert info.title == "Why I Joined the IMT"
    assert info.author == "The Editors"


def test_epub_metadata_navigation_and_notes(varied):
    path = varied.outputs["epub"]
    root = opf(path)
    assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == "en-GB"
    creators = root.xpath("//dc:creator", namespaces=NS)
    assert [c.text for c in creators] == ["Maria Ivanova", "José Álvarez"]
    for c in creators:
        role = root.xpath(f"//opf:meta[@refines='#{c.get('id')}'][@property='role']", namespaces=NS)
        assert role[0].text == "edt"
    contributors = [c.text for c in root.xpath("//dc:contributor", namespaces=NS)]
    assert {"Ольга Петрова", "Li Wei", "Bea Author"} <= set(contributors)
    assert root.xpath("//dc:identifier", namespaces=NS)[0].text == "urn:isbn:9780000000019"
    assert root.xpath("//opf:meta[@property='dcterms:modified']", namespaces=NS)
    with zipfile.ZipFile(path) as z:
        assert z.namelist()[0] == "mimetype" and z.getinfo("mimetype").compress_type == zipfile.ZIP_STORED
        nav = etree.fromstring(z.read("EPUB/nav.xhtml"))
        parts = nav.xpath("//x:nav[@epub:type='toc']/x:ol/x:li", namespaces=NS)
        assert [" ".join(li.xpath("string(x:a)", namespaces=NS).split()) for li in parts] == [
            "Preface", "Part the First: On Memory", "Tables and Lists", "Afterword"]
        authors = nav.xpath("//x:span[@class='toc-author']/text()", namespaces=NS)
        assert "Ольга Петрова" in authors
        memory = etree.fromstring(z.read("EPUB/memory.xhtml"))
        asides = memory.xpath("//x:aside[@epub:type='footnote']", namespaces=NS)
        refs = memory.xpath("//x:a[@epub:type='noteref']", namespaces=NS)
        assert len(asides) == len(refs) == 2
        assert all(r.get("href") == "#" + a.get("id") for r, a in zip(refs, asides))
        backlinks = memory.xpath("//x:aside//x:a[@role='doc-backlink']/@href", namespaces=NS)
        assert backlinks == ["#" + r.get("id") for r in refs]
        for name in z.namelist():
            if name.endswith(".xhtml"):
                doc = etree.fromstring(z.read(name))
                assert doc.get("lang") == "en-GB"


@pytest.mark.slow
def test_epub_is_reproducible(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    first = build(SAMPLE, tmp_path / "a", ("epub",)).outputs["epub"].read_bytes()
    second = build(SAMPLE, tmp_path / "b", ("epub",)).outputs["epub"].read_bytes()
    assert first == second
