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


def xhtml_documents(path):
    with zipfile.ZipFile(path) as z:
        return {n: etree.fromstring(z.read(n)) for n in z.namelist() if n.endswith(".xhtml")}


def accessibility(path) -> dict[str, list[str]]:
    props: dict[str, list[str]] = {}
    for meta in opf(path).xpath("//opf:meta[@property]", namespaces=NS):
        props.setdefault(meta.get("property"), []).append(meta.text)
    return props


def test_nav_labels_separate_title_and_author(varied):
    """Reading systems read a nav link's text as one label: a dash keeps "Title" and "Author"
    apart ("Preface — Friedrich Engels"), the author in an element of its own; the NCX too."""
    nav = xhtml_documents(varied.outputs["epub"])["EPUB/nav.xhtml"]
    links = nav.xpath("//x:nav[@epub:type='toc']//x:a[x:span[@class='toc-author']]", namespaces=NS)
    assert len(links) >= 3
    for link in links:
        title, author = (link.xpath(f"string(x:span[@class='{c}'])", namespaces=NS) for c in ("toc-title", "toc-author"))
        assert title and author and "".join(link.itertext()) == f"{title} — {author}"
    with zipfile.ZipFile(varied.outputs["epub"]) as z:
        ncx = etree.fromstring(z.read("EPUB/toc.ncx"))
    labels = ncx.xpath("//n:navPoint/n:navLabel/n:text/text()", namespaces={"n": "http://www.daisy.org/z3986/2005/ncx/"})
    assert any(label.endswith(" — Li Wei") for label in labels)


def test_title_page_is_centred_in_chromium(sample, tmp_path):
    """The computed text-align of every line of the title page, as headless Chromium lays the
    EPUB's document out with the EPUB's stylesheet: centred (p's justify must not win)."""
    import shutil
    import subprocess

    with zipfile.ZipFile(sample.outputs["epub"]) as z:
        z.extractall(tmp_path / "epub")
    page = tmp_path / "epub" / "EPUB" / "titlepage.xhtml"
    probe = ('<script>document.body.setAttribute("data-align", Array.from(document.querySelectorAll('
             '".titlepage > *")).map(e => getComputedStyle(e).textAlign).join(" "))</script></body>')
    page.write_text(page.read_text(encoding="utf-8").replace("</body>", probe), encoding="utf-8")
    dom = subprocess.run([shutil.which("chromium"), "--headless", "--no-sandbox", "--disable-gpu",
                          f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", page.as_uri()],
                         capture_output=True, text=True, timeout=120, check=True).stdout
    aligned = etree.fromstring(dom.encode(), etree.HTMLParser()).xpath("//body/@data-align")[0].split()
    assert len(aligned) >= 4 and set(aligned) == {"center"}, aligned


@pytest.mark.parametrize("which", ["sample", "varied"])
def test_no_empty_paragraphs(which, request):
    for name, doc in xhtml_documents(request.getfixturevalue(which).outputs["epub"]).items():
        for p in doc.iter("{http://www.w3.org/1999/xhtml}p"):
            assert "".join(p.itertext()).strip() or p.find(".//{http://www.w3.org/1999/xhtml}img") is not None, \
                (name, etree.tostring(p)[:200])


def test_accessibility_metadata_says_what_the_sample_holds(sample):
    props = accessibility(sample.outputs["epub"])
    assert props["schema:accessMode"] == ["textual", "visual"]  # it has figures, each described
    assert {"alternativeText", "printPageNumbers", "pageNavigation", "index"} <= set(props["schema:accessibilityFeature"])
    assert "MathML" not in props["schema:accessibilityFeature"]
    assert "Every image has a text description." in props["schema:accessibilitySummary"][0]
    assert props["dcterms:conformsTo"] == ["EPUB Accessibility 1.1 - WCAG 2.2 Level AA"]


def test_accessibility_metadata_of_a_book_without_images(make_manuscript, tmp_path):
    """A book without images claims no alternative text and no visual access mode; one without
    a page list (a reading system's own pages) claims neither print page numbers nor page
    navigation, and one with an undescribed image claims no conformance."""
    from anthology.writers import a11y

    root = make_manuscript({"anthology.yml": "title: T\nlanguage: en\nidentifier: urn:uuid:6f0c3e43-51b5-4f0c-8a4e-0d0e8d2f1c11\n"
                                             "contents: [a.md]\n", "a.md": "---\ntitle: A\n---\n\nText.\n"})
    props = accessibility(build(root, tmp_path / "out", ("epub",)).outputs["epub"])
    assert not set(props["schema:accessibilityFeature"]) & {"alternativeText", "index", "MathML"}
    assert props["schema:accessMode"] == ["textual"]
    page = b'<html xmlns="http://www.w3.org/1999/xhtml"><body><h1>A</h1><p><img src="x.png"/></p></body></html>'
    found = a11y.facts({"a": page}, "images/cover.png")
    assert (found["images"], found["described"]) == (1, 0)
    claims = dict(a11y.metadata(found, page_list=False, index=False, own_templates=False))
    features = [v for k, v in a11y.metadata(found, False, False, False) if k == "schema:accessibilityFeature"]
    assert not {"printPageNumbers", "pageNavigation", "alternativeText"} & set(features)
    assert "dcterms:conformsTo" not in claims and claims["schema:accessModeSufficient"] == "textual,visual"
    assert "does not claim conformance" in claims["schema:accessibilitySummary"]


def test_every_person_once_with_a_sort_form(make_manuscript, tmp_path):
    """An editor who also wrote a piece is one creator with both roles; every name has file-as."""
    root = make_manuscript({
        "anthology.yml": "title: T\nlanguage: en\neditors: [Ann Editor, The Editors]\ncontents: [intro.md, a.md, b.md]\n",
        "intro.md": "---\ntitle: Introduction\nauthor: The Editors\n---\n\nText.\n",
        "a.md": "---\ntitle: A\nauthor: Ann Editor\n---\n\nText.\n",
        "b.md": "---\ntitle: B\nauthor: Bea van Author\n---\n\nText.\n"})
    epub_path = build(root, tmp_path / "out", ("epub",)).outputs["epub"]
    package = opf(epub_path)
    people = package.xpath("//dc:creator|//dc:contributor", namespaces=NS)
    names = [p.text for p in people]
    assert sorted(names) == ["Ann Editor", "Bea van Author", "The Editors"]
    refines = {}
    for meta in package.xpath("//opf:meta[@refines]", namespaces=NS):
        refines.setdefault((meta.get("refines"), meta.get("property")), []).append(meta.text)
    by_name = {p.text: "#" + p.get("id") for p in people}
    assert refines[(by_name["Ann Editor"], "role")] == ["edt", "aut"]
    assert refines[(by_name["Ann Editor"], "file-as")] == ["Editor, Ann"]
    assert refines[(by_name["The Editors"], "role")] == ["edt"]
    assert refines[(by_name["The Editors"], "file-as")] == ["The Editors"]
    assert refines[(by_name["Bea van Author"], "file-as")] == ["Author, Bea van"]
    assert_epub_valid(epub_path)


def test_svg_figures_have_png_fallbacks_and_the_cover_is_large_enough(sample):
    """Kindle's conversion draws no SVG: each SVG figure is a <picture> whose <img> is a PNG
    drawn from it (same alt), the SVG its source; the cover is at least 1600 × 2560."""
    import io

    from PIL import Image

    x = "{http://www.w3.org/1999/xhtml}"
    docs = xhtml_documents(sample.outputs["epub"])
    pictures = [pic for doc in docs.values() for pic in doc.iter(f"{x}picture")]
    assert len(pictures) == 3
    with zipfile.ZipFile(sample.outputs["epub"]) as z:
        for picture in pictures:
            source, img = picture.find(f"{x}source"), picture.find(f"{x}img")
            assert source.get("type") == "image/svg+xml" and source.get("srcset").endswith(".svg")
            assert img.get("alt") and img.get("src") == source.get("srcset")[:-4] + ".fallback.png"
            png = Image.open(io.BytesIO(z.read("EPUB/" + img.get("src"))))
            svg = etree.fromstring(z.read("EPUB/" + source.get("srcset")))
            assert png.format == "PNG" and png.width == 1200
            assert abs(png.height / png.width - float(svg.get("height")) / float(svg.get("width"))) < 0.01
            # drawn, not blank: the SVG's fill colours are in the PNG
            assert len(png.convert("RGB").getcolors(1_000_000)) > 2
        cover = Image.open(io.BytesIO(z.read("EPUB/images/cover.png")))
    assert cover.width >= 1600 and cover.height >= 2560


def test_a_small_cover_is_a_warning(make_manuscript, tmp_path):
    import io

    from PIL import Image

    small = io.BytesIO()
    Image.new("RGB", (600, 900), "white").save(small, format="PNG")
    root = make_manuscript({"anthology.yml": "title: T\nlanguage: en\nidentifier: urn:uuid:6f0c3e43-51b5-4f0c-8a4e-0d0e8d2f1c12\n"
                                             "contents: [a.md]\nepub: {cover: cover.png}\n",
                            "a.md": "---\ntitle: A\n---\n\nText.\n", "cover.png": small.getvalue()})
    result = build(root, tmp_path / "out", ("epub",))
    assert [d.message for d in result.diagnostics.warnings if "epub.cover" in d.message] == [
        "epub.cover is 600 × 900 pixels: Kindle and the other stores ask for at least 1600 × 2560"]
