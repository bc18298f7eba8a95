"""The Kobo edition: the EPUB with koboSpan markup on every sentence, still valid EPUB 3."""

from __future__ import annotations

import zipfile

import pytest
from lxml import etree

from anthology.commands.build import build

from conftest import SAMPLE, assert_ace_clean, assert_epub_valid

X = "{http://www.w3.org/1999/xhtml}"
PIECE = """---
title: One
author: Bea Author
---

A first sentence. A second one, with *emphasis*.[^1] And a third?

> Quoted words.
>
> — Karl Marx, *Capital*

- a list item

[^1]: A note. Two sentences.
"""


def texts(path):
    with zipfile.ZipFile(path) as z:
        return {n: etree.fromstring(z.read(n)) for n in z.namelist() if n.endswith(".xhtml")}


def check_spans(kepub, epub):
    """Every paragraph's text is inside koboSpan spans (ids unique per document), and the words
    are the EPUB's, unchanged."""
    spanned, plain = texts(kepub), texts(epub)
    assert spanned.keys() == plain.keys()
    paragraphs = 0
    for name, doc in spanned.items():
        ids = doc.xpath("//@id")
        assert len(ids) == len(set(ids)), name
        assert "".join(doc.itertext()).split() == "".join(plain[name].itertext()).split(), name
        if name.endswith("nav.xhtml") or name.endswith("cover.xhtml"):
            continue
        assert doc.find(f".//{X}div[@id='book-columns']/{X}div[@id='book-inner']") is not None, name
        for p in doc.iter(f"{X}p"):
            paragraphs += 1
            loose = [t for t in p.xpath(".//text()[normalize-space()]")
                     if t.getparent().get("class") != "koboSpan"]
            assert not loose, (name, etree.tostring(p)[:200])
            assert p.xpath(".//*[@class='koboSpan']"), name
    return paragraphs


def test_kepub_spans_every_paragraph(make_manuscript, tmp_path):
    root = make_manuscript({"anthology.yml": "title: A Small Book\nlanguage: en\nidentifier: urn:uuid:1b4e28ba-2fa1-41d2-883f-0016d3cca427\n"
                                             "contents: [one.md]\n", "one.md": PIECE})
    result = build(root, tmp_path / "out", ("epub", "kepub"))
    kepub = result.outputs["kepub"]
    assert kepub.name == "a-small-book.kepub.epub"
    assert check_spans(kepub, result.outputs["epub"]) >= 5
    one = texts(kepub)["EPUB/one.xhtml"]
    sentences = one.xpath("//x:div[@class='piece-body']/x:p[1]/x:span[@class='koboSpan']/text()", namespaces={"x": X[1:-1]})
    assert sentences[:2] == ["A first sentence.", "A second one, with "]
    assert_epub_valid(kepub)


@pytest.mark.slow
def test_sample_kepub_passes_epubcheck_and_ace(tmp_path):
    result = build(SAMPLE, tmp_path, ("epub", "kepub"))
    assert check_spans(result.outputs["kepub"], result.outputs["epub"]) > 20
    assert_epub_valid(result.outputs["kepub"])
    assert_ace_clean(result.outputs["kepub"])
