"""Issue 18's right-to-left books: the EPUB of an Arabic, Persian, Urdu or Hebrew book (or of
any book whose anthology.yml says `direction: rtl`) runs right to left in every document and
in its spine; a left-to-right book says nothing of direction."""

from __future__ import annotations

import zipfile

import pytest
from lxml import etree

from anthology.commands.build import build

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
    ("en", "", None), ("en", "direction: rtl\n", "rtl"), ("ar", "direction: ltr\n", None)])
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
