"""Issue 18's labels: every word the book generates comes from the book language's catalogue (or
the manuscript's own wording), and none of the English labels is left in another language's book."""

from __future__ import annotations

import re
import subprocess
import zipfile

import pytest
from babel.messages.pofile import read_po
from lxml import html as lhtml

from anthology.commands.build import build
from anthology.errors import ManuscriptError
from anthology.labels import LOCALE_DIR, MESSAGES, SUMMARY, Labels, join_names, number, text_direction
from anthology.readers.manuscript import load

LATIN = {"es", "fr", "de", "it", "pt", "tr"}
LANGUAGES = ["en", "es", "fr", "de", "it", "pt", "ru", "el", "ar", "ur", "hi", "zh", "tr", "fa"]

BOOK = """\
title: {title}
language: {language}
editors: [Ada Editor, Bo Editor, Cy Editor]
publisher: A Press
date: "2025"
edition: First edition
contents:
  - part: {part}
    pieces: [one.md]
  - generate: index-of-quotations
  - generate: works-cited
  - generate: contributors
"""
PIECE = """\
---
title: {title}
author: Bea Author
source: {title}
---

> {quote}
>
> — Cato, *De agri cultura*

{text}[^1]

> {quote}
>
> — *Old Proverbs*

[^1]: {note}
"""
TEXT = {
    "es": dict(title="Uno", part="Ensayos", quote="Una cita larga de otro libro.", text="Un párrafo.", note="Una nota."),
    "ar": dict(title="واحد", part="مقالات", quote="اقتباس طويل من كتاب آخر.", text="فقرة أولى.", note="حاشية."),
    "zh": dict(title="第一篇", part="文集", quote="引自另一本书的一段话。", text="第一段。", note="一条注释。"),
}
# English words of the labels: none may be in another language's book (ISBN and Anthology may)
ENGLISH = re.compile(r"\b(Contents|Notes|Back to the text|Edited by|Published by|Copyright|First published|"
                     r"Typeset with|Part \d|Landmarks|Print page numbers|Cover|Title Page|Index of Quotations|"
                     r"Works Cited|Contributors|Image Credits|Work not named|epigraph in|quoted in|Translated by|"
                     r"Anonymous|ebook|Skip to the text|Download|Previous|Next|Edition|Format|Size|Pages|Feeds|"
                     r"the catalogue|the pieces|Print edition|Screen edition|Ebook|As sent to the printer|"
                     r"For reading on screen|For e-readers|Back, spine)\b")


@pytest.mark.parametrize("language", LANGUAGES[1:])
def test_every_catalogue_translates_every_label_with_its_placeholders(language):
    with (LOCALE_DIR / language / "LC_MESSAGES" / "anthology.po").open("rb") as handle:
        catalogue = {m.id: m.string for m in read_po(handle) if m.id}
    assert set(catalogue) == set(MESSAGES)
    for message, text in catalogue.items():
        assert text, message
        if language not in LATIN:  # nothing left in English but names (of the program, of standards)
            names = r"%\(\w+\)s|Anthology|EPUB Accessibility|WCAG|MathML"
            assert not re.search(r"[A-Za-z]{3,}", re.sub(names, "", text)), (message, text)
        assert re.findall(r"%\(\w+\)s", text) == re.findall(r"%\(\w+\)s", message), (message, text)


def test_labels_in_the_language_its_region_and_the_manuscripts_own_words():
    assert Labels("fr")("Part %(number)s", number=2) == "Partie 2"
    assert Labels("pt-BR").text("Contents") == "Sumário"  # the region falls back to the language
    assert Labels("xx").text("Contents") == "Contents"  # a language with no catalogue: English
    assert Labels("de", {"Contents": "Übersicht"}).text("Contents") == "Übersicht"
    assert str(Labels("en")("quoted in %(title)s", title="<i>")) == "quoted in &lt;i&gt;"
    assert join_names(["A", "B", "C"], "en") == "A, B, and C"
    assert join_names(["A", "B"], "fr") == "A et B"
    assert number(1234, "fa") == "۱۲۳۴" and number(12, "en") == "12"
    assert [text_direction(t) for t in ("ar", "ur", "fa", "he", "en", "zh")] == ["rtl"] * 4 + ["ltr"] * 2


def test_an_unknown_label_is_an_error_at_its_line(make_manuscript):
    root = make_manuscript({"anthology.yml": BOOK.format(title="T", language="en", part="P")
                            + "labels:\n  Contents: Table\n  Contentz: Oops\n",
                            "one.md": PIECE.format(**TEXT["es"])})
    with pytest.raises(ManuscriptError) as caught:
        load(root)
    [error] = caught.value.diagnostics.errors
    assert error.line == 13 and "Contentz" in error.message and "Index of Quotations" in error.message


def test_a_manuscript_rewords_a_label_in_every_edition(make_manuscript, tmp_path):
    root = make_manuscript({"anthology.yml": BOOK.format(title="T", language="en", part="P")
                            + "labels:\n  Contents: Table\n  Works Cited: Books Quoted\n",
                            "one.md": PIECE.format(**TEXT["es"])})
    result = build(root, tmp_path / "out", ("screen", "epub"))
    pdf = subprocess.run(["pdftotext", str(result.outputs["pdf:screen"]), "-"], capture_output=True, text=True).stdout
    assert "Table" in pdf and "Books Quoted" in pdf and "Works Cited" not in pdf
    assert "Books Quoted" in epub_text(result.outputs["epub"]) and "Works Cited" not in epub_text(result.outputs["epub"])


def epub_text(path) -> str:
    with zipfile.ZipFile(path) as z:
        return "\n".join(z.read(n).decode() for n in z.namelist() if n.endswith((".xhtml", ".ncx", ".opf")))


@pytest.mark.parametrize("language", ["es", pytest.param("ar", marks=pytest.mark.slow),
                                      pytest.param("zh", marks=pytest.mark.slow)])
def test_no_english_label_in_another_languages_book(language, make_manuscript, tmp_path):
    text = TEXT[language]
    root = make_manuscript({"anthology.yml": BOOK.format(title=text["title"], language=language, part=text["part"]),
                            "one.md": PIECE.format(**text)})
    result = build(root, tmp_path / "out", ("pdf", "epub", "web"))
    pdf = subprocess.run(["pdftotext", str(result.outputs["pdf"]), "-"], capture_output=True, text=True).stdout
    pdf = re.sub("[\u202a-\u202e]", "", pdf)  # pdftotext's direction marks
    labels = Labels(language)
    epub = re.sub(r"<[^>]*>", " ", epub_text(result.outputs["epub"]))
    web = " ".join(lhtml.parse(str(page)).getroot().xpath("string(/html)")
                   for page in result.outputs["web"].parent.glob("*.html"))
    assert labels.text("Download") in web and labels.text("Print edition") in web
    for found in (pdf, epub, web):
        assert not ENGLISH.findall(found), ENGLISH.findall(found)
    # pdftotext gives Arabic's lam-alef ligature back in visual order: the labels are looked for
    # in the PDF's text where extraction keeps them whole
    for found in (pdf, epub) if language != "ar" else (epub,):
        for message in ("Contents", "Index of Quotations", "Works Cited", "Contributors"):
            assert labels.text(message) in found, message
        assert join_names(["Ada Editor", "Bo Editor", "Cy Editor"], language) in found
    assert labels.text(SUMMARY["order"]) in epub and SUMMARY["order"] not in epub  # the accessibility summary
