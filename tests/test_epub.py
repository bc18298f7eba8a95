"""The EPUB as readers and checkers see it: print page numbers that match the PDF word for
word, accessibility metadata, navigation, and validity at book scale."""

from __future__ import annotations

import re
import subprocess
import zipfile

import pytest
from lxml import etree

from anthology.commands.build import build
from anthology.generator import generate

from conftest import assert_ace_clean, assert_epub_valid

NS = {"opf": "http://www.idpf.org/2007/opf", "dc": "http://purl.org/dc/elements/1.1/",
      "x": "http://www.w3.org/1999/xhtml", "epub": "http://www.idpf.org/2007/ops"}
NCX = "http://www.daisy.org/z3986/2005/ncx/"


def words(text: str) -> list[str]:
    text = text.replace("\u2010\n", "").replace("\u00ad", "")
    return [w.lower() for w in re.findall(r"\w+", text)]


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    root = generate(tmp_path_factory.mktemp("gen") / "ms", pieces=10, parts=2, seed=11, words=(700, 2600))  # ~60 pages
    return build(root, tmp_path_factory.mktemp("out"), ("pdf", "epub"))


def read(epub, name):
    with zipfile.ZipFile(epub) as z:
        return etree.fromstring(z.read(name))


def documents(epub):
    with zipfile.ZipFile(epub) as z:
        return {n: etree.fromstring(z.read(n)) for n in z.namelist() if n.endswith(".xhtml")}


def test_page_list_has_one_entry_per_print_page_of_the_body(book):
    nav = read(book.outputs["epub"], "EPUB/nav.xhtml")
    labels = nav.xpath("//x:nav[@epub:type='page-list']//x:a/text()", namespaces=NS)
    arabic = [int(label) for label in labels if label.isdigit()]
    pdf_pages = len(subprocess.run(["pdftotext", str(book.outputs["pdf"]), "-"], capture_output=True,
                                   text=True, check=True).stdout.split("\f")) - 1
    first_body = pdf_pages - len(arabic)
    assert arabic == list(range(1, pdf_pages - first_body + 1))
    # every entry links to a marker that exists, in a document of the spine
    docs = documents(book.outputs["epub"])
    for href in nav.xpath("//x:nav[@epub:type='page-list']//x:a/@href", namespaces=NS):
        name, anchor = href.split("#")
        marker = docs[f"EPUB/{name}"].xpath(f"//*[@id='{anchor}']")
        assert marker and marker[0].get(f"{{{NS['epub']}}}type") == "pagebreak"
        assert marker[0].get("role") == "doc-pagebreak"


def misplaced_markers(result) -> tuple[int, list[str]]:
    """Check every page-list entry against the PDF: the words after its marker must be the first
    words of that print page's text (after its running head; a word hyphenated across the page
    break counts whole on the page before). Returns (entries checked, what did not match)."""
    docs = documents(result.outputs["epub"])
    nav = docs["EPUB/nav.xhtml"]
    entries = [(a.text, a.get("href")) for a in nav.xpath("//x:nav[@epub:type='page-list']//x:a", namespaces=NS)]
    text = subprocess.run(["pdftotext", str(result.outputs["pdf"]), "-"], capture_output=True, text=True,
                          check=True).stdout.split("\f")
    first_body = len(text) - 1 - sum(1 for label, _ in entries if label.isdigit())
    checked, wrong = 0, []
    for label, href in entries:
        name, anchor = href.split("#")
        marker = docs[f"EPUB/{name}"].xpath(f"//*[@id='{anchor}']")[0]
        inside = [a.tag for a in marker.iterancestors() if re.fullmatch(r"\{.*\}h[1-6]", a.tag)]
        if inside:
            wrong.append(f"p. {label}: marker inside {inside[0]}")
        if not label.isdigit():
            continue
        lines = [line for line in text[first_body + int(label) - 1].splitlines() if line.strip()]
        head = 2 if label in (line.strip() for line in lines[:2]) else 0  # running head and folio
        page_words = words("\n".join(lines[head:]))
        if len(page_words) < 8:  # a blank verso or a part title: nothing of its own to begin
            continue
        before = words(" ".join(marker.xpath("preceding::text()")[-5:]))[-1:]
        start = before[0][:-len(page_words[0])] if before and before[0].endswith(page_words[0]) else ""
        if start and re.search(rf"{re.escape(start)}\u2010$", text[first_body + int(label) - 2], re.M | re.I):
            page_words = page_words[1:]  # the end of a word hyphenated on the page before
        after = words(" ".join(marker.xpath("following::text()")[:40]))[:3]
        checked += 1
        # joined, so that letter-spaced small capitals ("P art 1") still compare
        if not "".join(page_words).startswith("".join(after)):
            wrong.append(f"p. {label}: {' '.join(after)} / {' '.join(page_words[:6])}")
    return checked, wrong


def test_markers_sit_before_the_first_word_of_each_print_page(book):
    checked, wrong = misplaced_markers(book)
    assert checked > 40  # of the ~60-page book
    assert not wrong


@pytest.mark.slow
def test_every_page_exact_in_a_book_with_notes_on_most_pages(tmp_path):
    """A 200-page book in which most paragraphs call a note, some of them long: every page-list
    entry is the first word of its print page, and no marker is inside a heading."""
    root = generate(tmp_path / "ms", pieces=14, parts=2, seed=19, words=(2000, 5000), notes=0.6, note_sentences=(1, 9))
    result = build(root, tmp_path / "out", ("pdf", "epub"))
    text = subprocess.run(["pdftotext", str(result.outputs["pdf"]), "-"], capture_output=True, text=True,
                          check=True).stdout.split("\f")
    with_notes = sum(1 for page in text if re.search(r"^\d+\. [A-Z]", page, re.M))
    assert len(text) > 200 and with_notes > len(text) / 2
    checked, wrong = misplaced_markers(result)
    assert checked > 180
    assert not wrong
    ncx = read(result.outputs["epub"], "EPUB/toc.ncx")
    targets = ncx.xpath("//n:pageList/n:pageTarget", namespaces={"n": NCX})
    nav = read(result.outputs["epub"], "EPUB/nav.xhtml")
    assert [t.findtext(f"{{{NCX}}}navLabel/{{{NCX}}}text") for t in targets] == \
        nav.xpath("//x:nav[@epub:type='page-list']//x:a/text()", namespaces=NS)
    assert_epub_valid(result.outputs["epub"])


def test_ncx_has_the_page_list_in_reading_order(book):
    ncx = read(book.outputs["epub"], "EPUB/toc.ncx")
    n = {"n": NCX}
    nav = read(book.outputs["epub"], "EPUB/nav.xhtml")
    targets = ncx.xpath("//n:pageList/n:pageTarget", namespaces=n)
    assert [(t.findtext("n:navLabel/n:text", namespaces=n), t.find("n:content", namespaces=n).get("src"))
            for t in targets] == [(a.text, a.get("href")) for a in nav.xpath("//x:nav[@epub:type='page-list']//x:a",
                                                                            namespaces=NS)]
    assert {t.get("type") for t in targets} == {"front", "normal"}
    orders = [int(t.get("playOrder")) for t in targets]
    assert orders == sorted(orders) and len(set(orders)) == len(orders)
    # every navPoint comes before the pages of its own document
    for point in ncx.xpath("//n:navPoint", namespaces=n):
        src = point.find("n:content", namespaces=n).get("src")
        pages = [int(t.get("playOrder")) for t in targets if t.find("n:content", namespaces=n).get("src").startswith(src + "#")]
        assert all(int(point.get("playOrder")) < order for order in pages)
    total = ncx.xpath("//n:meta[@name='dtb:totalPageCount']/@content", namespaces=n)
    assert total == [str(len(targets))]


def test_opf_accessibility_metadata_and_page_source(book):
    opf = read(book.outputs["epub"], "EPUB/content.opf")
    props = {}
    for meta in opf.xpath("//opf:meta[@property]", namespaces=NS):
        props.setdefault(meta.get("property"), []).append(meta.text)
    # no image in the text (the cover aside): textual only, and no claim of alternative text
    assert props["schema:accessMode"] == ["textual"]
    assert props["schema:accessModeSufficient"] == ["textual"]
    assert set(props["schema:accessibilityFeature"]) == {"structuralNavigation", "tableOfContents", "readingOrder",
                                                          "displayTransformability", "pageNavigation", "printPageNumbers"}
    assert props["schema:accessibilityHazard"] == ["none"]
    assert "Print page numbers" in props["schema:accessibilitySummary"][0]
    assert "pull quote" not in props["schema:accessibilitySummary"][0]
    assert props["dcterms:conformsTo"] == ["EPUB Accessibility 1.1 - WCAG 2.2 Level AA"]
    assert props["a11y:certifiedBy"]
    assert props["pageBreakSource"] == opf.xpath("//dc:source/text()", namespaces=NS)
    assert props["belongs-to-collection"] == ["A generated series"]
    cover = opf.xpath("//opf:item[@properties='cover-image']", namespaces=NS)
    assert cover and cover[0].get("media-type") == "image/png"


def test_landmarks_and_semantics(book):
    docs = documents(book.outputs["epub"])
    nav = docs["EPUB/nav.xhtml"]
    landmarks = nav.xpath("//x:nav[@epub:type='landmarks']//x:a/@epub:type", namespaces=NS)
    assert landmarks == ["cover", "titlepage", "copyright-page", "toc", "bodymatter"]
    for name, doc in docs.items():
        assert doc.get("{http://www.w3.org/XML/1998/namespace}lang") == "en", name
    essay = next(d for n, d in docs.items() if "essay-0001" in n)
    assert essay.xpath("//x:section[@epub:type='chapter'][@role='doc-chapter']", namespaces=NS)
    assert essay.xpath("//x:blockquote[@epub:type='epigraph'][@role='doc-epigraph']", namespaces=NS) or \
        essay.xpath("//x:blockquote", namespaces=NS)
    parts = [d for n, d in docs.items() if "/part-" in n]
    assert parts and all(d.xpath("//x:section[@epub:type='part'][@role='doc-part']", namespaces=NS) for d in parts)


@pytest.mark.slow
def test_generated_book_passes_epubcheck(book):
    assert_epub_valid(book.outputs["epub"])


@pytest.mark.slow
def test_generated_book_passes_ace(book):
    assert_ace_clean(book.outputs["epub"])


@pytest.mark.slow
def test_hundred_piece_anthology_passes_epubcheck(tmp_path):
    root = generate(tmp_path / "ms", pieces=100, parts=5, seed=5, words=(120, 400))
    result = build(root, tmp_path / "out", ("epub",))
    assert_epub_valid(result.outputs["epub"])
    with zipfile.ZipFile(result.outputs["epub"]) as z:
        assert sum(1 for n in z.namelist() if "essay-" in n) == 100


@pytest.mark.slow
def test_embedded_fonts_are_subset_to_the_glyphs_used(make_manuscript, tmp_path):
    from fontTools.ttLib import TTFont

    from anthology.fonts import font_files

    root = make_manuscript({
        "anthology.yml": "title: Fonts\nlanguage: en\ncontents: [a.md]\nepub:\n  embed_fonts: true\n",
        "a.md": "---\ntitle: Few Glyphs\n---\n\nabc *italic* **bold**\n",
    })
    epub_path = build(root, tmp_path / "out", ("epub",)).outputs["epub"]
    assert_epub_valid(epub_path)
    with zipfile.ZipFile(epub_path) as z:
        fonts = sorted(n for n in z.namelist() if n.startswith("EPUB/fonts/"))
        assert [n.rsplit("-", 1)[1] for n in fonts] == ["Bold.otf", "Italic.otf", "Regular.otf"]
        css = z.read("EPUB/styles/book.css").decode()
        regular = z.read(next(n for n in fonts if n.endswith("Regular.otf")))
    assert css.count("@font-face") == 3 and 'font-family: "EB Garamond 12", serif' in css
    full = font_files()["Regular"]
    assert len(regular) < full.stat().st_size / 3
    import io
    cmap = TTFont(io.BytesIO(regular))["cmap"].getBestCmap()
    assert ord("a") in cmap and ord("Q") not in cmap
