"""Quotations: the library, every consistency check at its line, and the generated back matter."""

from __future__ import annotations

import re
import zipfile

import pytest

from anthology.commands.build import build
from anthology.errors import ManuscriptError
from anthology.generator import generate
from anthology.quotations import quotation_index, work_key, works_cited
from anthology.readers.manuscript import load

from conftest import SAMPLE, pdf_text_pages

CONFIG = "title: T\nlanguage: {lang}\ncontents:\n  - a.md\n  - generate: index-of-quotations\n  - generate: works-cited\n"


def manuscript(make_manuscript, body: str, lang: str = "en", front: str = "title: A", **extra):
    files = {"anthology.yml": CONFIG.format(lang=lang), "a.md": f"---\n{front}\n---\n\n{body}"}
    files.update(extra)
    return make_manuscript(files)


def warnings_of(root):
    _, diags = load(root)
    return [(d.path.split("/")[-1], d.line, d.message) for d in diags.warnings]


LIBRARY = {
    "quotations.yml": """
        # kept once, used by key
        trotsky-instrument:
          text: A revolutionary organization is not the prototype of the future state.
          author: Leon Trotsky
          work: history
          page: 12
        """,
    "sources.yml": """
        history:
          title: History of the Russian Revolution
          author: Leon Trotsky
          year: 1930
          publisher: Victor Gollancz
        """,
}


def test_library_keys_in_front_matter_and_attribution_lines(make_manuscript):
    body = "Text.\n\n> — @trotsky-instrument\n\nMore.\n"
    root = manuscript(make_manuscript, body, front="title: A\nepigraphs: [trotsky-instrument]", **LIBRARY)
    book, diags = load(root)
    piece = book.pieces[0]
    epigraph, quote = piece.quotations
    assert (epigraph.kind, epigraph.key, epigraph.author, epigraph.work, epigraph.locator) == (
        "epigraph", "trotsky-instrument", "Leon Trotsky", "History of the Russian Revolution", "p. 12")
    assert quote.kind == "blockquote" and quote.text.startswith("A revolutionary organization")
    assert "<cite>History of the Russian Revolution</cite>, p. 12" in piece.blocks[1].html
    assert not diags.warnings


def test_unknown_key_is_an_error_with_its_line(make_manuscript):
    root = manuscript(make_manuscript, "Text.\n\n> — @nope\n", front="title: A\nepigraphs:\n  - missing-key", **LIBRARY)
    with pytest.raises(ManuscriptError) as info:
        load(root)
    found = [(d.line, d.message) for d in info.value.diagnostics.errors]
    assert (4, "no quotation 'missing-key' in quotations.yml") in found
    assert (9, "no quotation 'nope' in quotations.yml") in found


def test_misquotation_shows_the_difference(make_manuscript):
    body = "Text.\n\n> A revolutionary party is not the prototype of the future state.\n>\n> — @trotsky-instrument\n"
    [(name, line, message)] = warnings_of(manuscript(make_manuscript, body, **LIBRARY))
    assert (name, line) == ("a.md", 7)
    assert message.startswith("misquotation: the block quotation differs from 'trotsky-instrument' in quotations.yml (line 2)")
    assert "[-organization-] {+party+}" in message


def test_same_words_attributed_differently(make_manuscript):
    body = ("Text.\n\n> Workers of the world, unite!\n>\n> — Karl Marx, *The Communist Manifesto*\n\n"
            "More.\n\n> Workers of the world, unite!\n>\n> — Friedrich Engels, *The Communist Manifesto*\n")
    [(name, line, message)] = warnings_of(manuscript(make_manuscript, body))
    assert line == 13
    assert message.startswith("the same words are attributed to Friedrich Engels, 'The Communist Manifesto' here "
                              "and to Karl Marx, 'The Communist Manifesto' at ")
    assert message.endswith("a.md:7")


def test_one_work_named_two_ways(make_manuscript):
    body = ("Text.\n\n> One.\n>\n> — Alan Woods, *Marx versus Bakunin*\n\n"
            "More.\n\n> Two.\n>\n> — Alan Woods, *Marx vs. Bakunin*\n")
    root = manuscript(make_manuscript, body)
    [(name, line, message)] = warnings_of(root)
    assert line == 13 and message.startswith("'Marx vs. Bakunin' names the same work as 'Marx versus Bakunin' (")
    book, _ = load(root)
    [author] = quotation_index(book)
    assert len(author.works) == 1 and len(next(iter(author.works.values())).quotations) == 2
    assert work_key("The Marx vs Bakunin") == work_key("Marx versus Bakunin")


def test_missing_attribution_is_a_warning(make_manuscript):
    body = "> An epigraph with no source.\n\nText.\n\n> A quotation with no source.\n"
    found = warnings_of(manuscript(make_manuscript, body))
    assert ("a.md", 5, "epigraph has no attribution (end it with a line '— Author, *Work*')") in found
    assert ("a.md", 9, "block quotation has no attribution (end it with a line '— Author, *Work*')") in found


def test_unbalanced_quotation_marks(make_manuscript):
    body = "Fine “quoted” words.\n\nShe said “this and never closed it.\n\nStraight \"marks\" and \"one more.\n"
    found = warnings_of(manuscript(make_manuscript, body))
    assert ("a.md", 7, "unbalanced quotation marks: 1 opening “ but 0 closing ”") in found
    assert ("a.md", 9, "unbalanced quotation marks: 2 opening “ but 1 closing ”") in found
    assert len(found) == 2


@pytest.mark.parametrize("lang, expected", [
    ("en", "“outer ‘inner’ words” — and…"),
    ("de", "„outer ‚inner’ words“ — and…"),
    ("fr", "«\u00a0outer ‘inner’ words\u00a0» — and…"),
])
def test_typography_by_language(make_manuscript, lang, expected):
    book, _ = load(manuscript(make_manuscript, "\"outer 'inner' words\" --- and...\n", lang=lang))
    from lxml import html
    assert html.fromstring(book.pieces[0].blocks[0].html).text_content() == expected


def test_sample_index_and_works_cited_in_both_editions(tmp_path):
    from pypdf import PdfReader

    result = build(SAMPLE, tmp_path, ("pdf", "epub"))
    pages = [" ".join(p.split()) for p in pdf_text_pages(result.outputs["pdf"])]
    reader = PdfReader(str(result.outputs["pdf"]))
    marks = {item.title: reader.get_destination_page_number(item) for item in reader.outline if not isinstance(item, list)}
    body_start = marks["Why I Joined"]  # the part title page is page 1
    index = pages[marks["Index of Quotations"]]
    assert "Trotsky, Leon History of the Russian Revolution" in index
    assert index.count("Marx versus Bakunin") == 1  # one work, listed once with both places
    for opening in ("A revolutionary organization is not the prototype of",
                    "In reality, anarchist organizations (surely a contradiction in",
                    "The revolutionary party is a necessary tool for"):
        printed = next(i for i, p in enumerate(pages) if opening in p and i < marks["Index of Quotations"])
        entry = re.search(re.escape(opening) + r"…” (?:epigraph|quoted) in .*?IMT, (\d+)", index)
        assert entry and int(entry.group(1)) == printed - body_start + 1, opening
    cited = pages[marks["Works Cited"]]
    assert "Trotsky, Leon. History of the Russian Revolution." in cited
    assert "Woods, Alan. Marx versus Bakunin." in cited
    with zipfile.ZipFile(result.outputs["epub"]) as z:
        index_doc = z.read("EPUB/index-of-quotations.xhtml").decode()
        works = z.read("EPUB/works-cited.xhtml").decode()
    assert 'epub:type="index"' in index_doc and 'role="doc-index"' in index_doc
    assert index_doc.count("<cite>Marx versus Bakunin</cite>") == 1
    assert index_doc.count('href="from-chomsky-to-marx.xhtml#from-chomsky-to-marx-q') == 3
    assert 'role="doc-bibliography"' in works and "Trotsky, Leon" in works and "Woods, Alan" in works


def test_generated_anthology_index_lists_every_quotation(tmp_path):
    root = generate(tmp_path / "ms", pieces=12, parts=2, seed=3, words=(600, 1500))
    config = root / "anthology.yml"
    config.write_text(config.read_text() + "  - generate: index-of-quotations\n  - generate: works-cited\n")
    book, _ = load(root)
    attributed = [q for q in book.quotations if q.kind in ("epigraph", "blockquote")]
    assert len(attributed) > 20
    listed = [q.anchor for author in quotation_index(book) for work in author.works.values() for q, _ in work.quotations]
    assert sorted(listed) == sorted(q.anchor for q in attributed)
    assert {c.title for c in works_cited(book)} == {q.work for q in attributed}
