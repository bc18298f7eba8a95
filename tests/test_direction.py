"""Issue 18's right-to-left books: the EPUB of an Arabic, Persian, Urdu or Hebrew book (or of
any book whose anthology.yml says `direction: rtl`) runs right to left in every document and
in its spine; a left-to-right book says nothing of direction. Its print edition and cover are
bound on the right."""

from __future__ import annotations

import re
import subprocess
import zipfile
from pathlib import Path

import pikepdf
import pytest
from lxml import etree

from anthology.commands.build import build
from anthology.commands.cover import cover as cover_command
from anthology.readers.manuscript import load
from anthology.writers.pdf import SinglePassPdf

from conftest import assert_epub_valid

CONFIG = "title: {title}\nlanguage: {language}\n{extra}contents: [one.md]\n"
PIECE = "---\ntitle: {title}\nauthor: Bea Author\n---\n\n{text} (Latin name: Ibn Rushd)[^1]\n\n[^1]: {text}\n"
TEXT = {"ar": ("كتاب", "فقرة أولى من النص."), "he": ("ספר", "פסקה ראשונה בטקסט."),
        "fa": ("کتاب", "نخستین بند متن."), "ur": ("کتاب", "متن کا پہلا پیراگراف۔"), "en": ("Book", "A paragraph.")}
OPF = "{http://www.idpf.org/2007/opf}"
XHTML = "{http://www.w3.org/1999/xhtml}"


def documents(epub):
    with zipfile.ZipFile(epub) as z:
        opf = etree.fromstring(z.read("EPUB/content.opf"))
        docs = {n: etree.fromstring(z.read(n)) for n in z.namelist() if n.endswith(".xhtml")}
    return opf, docs


@pytest.mark.parametrize("language, extra, expected", [
    ("ar", "", "rtl"), ("he", "", "rtl"), ("fa", "", "rtl"), ("ur", "", "rtl"),
    pytest.param("en", "", None, marks=pytest.mark.slow), ("en", "direction: rtl\n", "rtl"),
    pytest.param("ar", "direction: ltr\n", None, marks=pytest.mark.slow)])
def test_the_epub_runs_in_the_books_direction(language, extra, expected, make_manuscript, tmp_path):
    title, text = TEXT[language]
    root = make_manuscript({"anthology.yml": CONFIG.format(title=title, language=language, extra=extra),
                            "one.md": PIECE.format(title=title, text=text)})
    epub = build(root, tmp_path / "out", ("epub",)).outputs["epub"]
    opf, docs = documents(epub)
    assert opf.find(f"{OPF}spine").get("page-progression-direction") == expected
    for name, doc in docs.items():
        assert doc.get("dir") == expected, name
        assert doc.find(f"{XHTML}body").get("dir") == expected, name
    if language in ("ar", "en") and not extra:
        assert_epub_valid(epub)


@pytest.mark.parametrize("title, slug", [("第一篇文集", "di-yi-pian-wen-ji"), ("كتاب", "ktb"), ("Ελληνικά κείμενα", "ellenika-keimena")])
def test_file_names_and_ids_are_ascii_in_any_script(title, slug, make_manuscript, tmp_path):
    root = make_manuscript({"anthology.yml": CONFIG.format(title=title, language="en", extra=""),
                            "one.md": PIECE.format(title=title, text="Text.") + f"\n## {title}\n\nMore.\n"})
    epub = build(root, tmp_path / "out", ("epub",)).outputs["epub"]
    assert epub.name == f"{slug}.epub"
    _, docs = documents(epub)
    ids = [i for doc in docs.values() for i in doc.xpath("//@id")]
    assert f"one-{slug}" in ids and all(i.isascii() for i in ids)


def words_at(pdf: Path, page: int) -> list[tuple[float, float, str]]:
    """(x, y, word) of a page's words, as poppler places them."""
    out = subprocess.run(["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(pdf), "-"],
                         capture_output=True, text=True, check=True).stdout
    return [(float(x), float(y), w) for x, y, w in re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)"[^>]*>([^<]*)</word>', out)]


ARABIC_BOOK = {
    "anthology.yml": "title: مختارات\nlanguage: ar\nidentifier: urn:uuid:5f0c7a52-1b7e-4c1e-9d7b-0a7f3e2d9c11\n"
                     "editors: [ليلى حسن]\ndescription: مجموعة من المقالات.\ncontents: [one.md]\n",
    "one.md": "---\ntitle: اللغة والذاكرة\nauthor: أحمد منصور\n---\n\n"
              + "\n\n".join("كانت المدينة تستيقظ ببطء على صوت الباعة في الأسواق القديمة. " * 8 for _ in range(12))
              + "[^1]\n\n[^1]: حاشية قصيرة.\n",
}


def test_a_right_to_left_book_is_bound_on_the_right(make_manuscript, tmp_path):
    """An Arabic book's print edition opens on a left-hand page: its rectos are left pages, bound on
    their right, their bleed and folio on the left, the piece's running head on them; a viewer is
    told to show spreads right to left; preflight knows it; the chunked layout is the single pass's;
    the cover's front panel is left of the spine."""
    root = make_manuscript(ARABIC_BOOK)
    out = tmp_path / "out"
    pdf = build(root, out, ("pdf",), jobs=1).outputs["pdf"]
    with pikepdf.open(pdf) as doc:
        assert doc.Root.ViewerPreferences.Direction == pikepdf.Name.R2L
        boxes = [(p.trimbox, p.obj.BleedBox) for p in doc.pages]
        width = float(doc.pages[0].trimbox[2])
    for number, (trim, bleed) in enumerate(boxes, 1):
        outer_left = float(bleed[0]) < float(trim[0])  # bleed beyond the trim on the left
        assert outer_left == (number % 2 == 1), number  # rectos (odd) are left pages: outer edge left
    assert texts(pdf) == single_pass_texts(root, tmp_path / "single")
    body = next(n for n in range(1, len(boxes) + 1) if n % 2 == 1 and "والذاكرة" in
                {w for _, y, w in words_at(pdf, n) if y < 60} | {w[::-1] for _, y, w in words_at(pdf, n) if y < 60})
    folio = [(x, w) for x, y, w in words_at(pdf, body) if y < 60 and w.isdigit()]
    assert folio and folio[0][0] < width / 2, folio  # a recto's folio on its outer, left, edge
    target, geometry, _ = cover_command(root, out)
    title = [x for x, _, w in words_at(target, 1) if w in ("مختارات", "تاراتخم")]
    assert title and max(title) < geometry.panel, (title, geometry.panel)  # front panel left of the spine


def texts(pdf: Path) -> list[str]:
    out = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return [" ".join(page.split()) for page in out.split("\f")]


def single_pass_texts(root: Path, out: Path) -> list[str]:
    """The page texts of the manuscript laid out in one WeasyPrint pass, as the chunked layout must match."""
    book, diags = load(root)
    single = SinglePassPdf(book, diags)
    single.layout()
    return texts(single.write(out))


PERSIAN_BOOK = {
    "anthology.yml": "title: گزیده\nlanguage: fa\nidentifier: urn:uuid:6a1c7a52-1b7e-4c1e-9d7b-0a7f3e2d9c12\n"
                     "editors: [مریم احمدی]\ncontents:\n  - part: بخش یکم\n    pieces: [one.md]\n",
    "one.md": "---\ntitle: زبان و حافظه\nauthor: علی رضایی\n---\n\n"
              + "\n\n".join("شهر آرام آرام با صدای فروشندگان در بازارهای کهن بیدار می‌شد. " * 10 for _ in range(10))
              + "[^1]\n\n[^1]: یادداشتی کوتاه.\n",
}


def test_page_and_note_numbers_are_in_the_books_digits(make_manuscript, tmp_path):
    """CLDR gives Persian its own digits: the folios, note numbers and the part's number print in
    them, in the chunked layout as in a single pass (the theme's @counter-style reaches the
    chunks); the EPUB's page list shows them and keeps ASCII ids and NCX values."""
    root = make_manuscript(PERSIAN_BOOK)
    result = build(root, tmp_path / "out", ("pdf", "epub"), jobs=1)
    pages = texts(result.outputs["pdf"])
    assert pages == single_pass_texts(root, tmp_path / "single")
    numbers = re.findall(r"[0-9\u06f0-\u06f9]+", " ".join(pages))
    assert numbers and all(re.fullmatch("[\u06f0-\u06f9]+", n) for n in numbers), numbers
    with zipfile.ZipFile(result.outputs["epub"]) as z:
        nav = z.read("EPUB/nav.xhtml").decode()
        ncx = z.read("EPUB/toc.ncx").decode()
    listed = re.findall(r'<a href="[^"#]+#(page-[^"]+)">([^<]+)</a>', nav)
    assert listed and all(i.isascii() and re.fullmatch("[\u06f0-\u06f9]+", label) for i, label in listed)
    assert re.findall(r'value="(\d+)"', ncx) == [str(n) for n in range(1, len(listed) + 1)]
