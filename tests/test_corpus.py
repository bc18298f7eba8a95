"""Real books (issue 16): the three Standard Ebooks sources in ../shared/corpus are imported and
built, and each edition is compared with the source itself: every word of every paragraph in
order, every endnote, every epigraph, every passage in another language; EPUBCheck clean.
And an EPUB the project wrote imports back to the same words and notes.

Whole books: marked slow (make test-all); test_import_book.py runs the same checks on a
cut-down book in make test.
"""

from __future__ import annotations

import re
import time
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from anthology.commands.build import build
from anthology.importers.book import import_book

from conftest import MANUSCRIPTS, REPO, SAMPLE, ace, ace_violations, epubcheck
from sourcebook import compare, read_source, words

CORPUS = REPO.parent / "shared" / "corpus"
BOOKS = ["g-k-chesterton_heretics", "john-stuart-mill_on-liberty",
         "mary-wollstonecraft_a-vindication-of-the-rights-of-woman"]
X = "{http://www.w3.org/1999/xhtml}"

pytestmark = pytest.mark.slow


@pytest.mark.skipif(not CORPUS.is_dir(), reason="the corpus of real books is not on this machine")
@pytest.mark.parametrize("name", BOOKS)
def test_corpus_book_keeps_every_word_note_epigraph_and_language(name, tmp_path):
    source = read_source(CORPUS / name)
    imported = import_book(CORPUS / name, tmp_path / name)
    started = time.monotonic()
    result = build(imported.written, tmp_path / "out", ("pdf", "epub"))
    seconds = time.monotonic() - started
    problems = epubcheck(result.outputs["epub"])
    violations = ace_violations(ace(result.outputs["epub"]))
    report = compare(source, result.outputs["epub"], result.outputs["pdf"])
    print(f"\n{name}: {len(imported.book.pieces)} pieces, {imported.book.notes} notes, "
          f"{report['words']:,} words compared ({report['paragraphs']} paragraphs), "
          f"EPUBCheck {len(problems)} problems, Ace {len(violations)} violations, built in {seconds:.0f} s")
    assert not problems, problems
    assert not violations, violations
    assert report["epub_missing"] == "", report["epub_missing"]
    assert report["pdf_missing"] == "", report["pdf_missing"]
    assert report["epub_words"] == report["pdf_words"] == sum(map(len, source.paragraphs))
    assert report["epub_notes_missing"] == report["pdf_notes_missing"] == ""
    assert report["epub_notes"] == report["epub_noterefs"] == report["pdf_notes"] == len(source.notes)
    assert report["epub_epigraphs"] >= source.epigraphs
    assert report["langs_lost"] == []
    assert report["markup_left"] == []


def _pieces(epub: Path) -> list[tuple[list[str], list[list[str]]]]:
    """Each written piece's words (epigraphs and body) and its notes' words, in reading order;
    generated back matter left out."""
    out = []
    with zipfile.ZipFile(epub) as z:
        for name in sorted(z.namelist()):
            if not name.endswith(".xhtml"):
                continue
            root = etree.fromstring(z.read(name))
            for section in root.iter(f"{X}section"):
                classes = (section.get("class") or "").split()
                if "piece" not in classes or "generated" in classes:
                    continue
                body = [t for div in section.iter(f"{X}div") if set((div.get("class") or "").split()) & {"epigraphs", "piece-body"}
                        for t in div.itertext()]
                notes = [words(" ".join(a.itertext())) for a in section.iter(f"{X}aside")
                         if "footnote" in (a.get("class") or "")]
                out.append((words(" ".join(body)), [re.sub(r"^\d+ ", "", " ".join(n)).split() for n in notes]))
    return out


@pytest.mark.parametrize("manuscript, notes", [(SAMPLE, 0), (MANUSCRIPTS / "varied", 3)], ids=["sample", "varied"])
def test_an_epub_the_project_wrote_imports_to_the_same_words_and_notes(manuscript, notes, tmp_path):
    first = build(manuscript, tmp_path / "first", ("pdf", "epub")).outputs["epub"]
    imported = import_book(first, tmp_path / "again")
    second = build(imported.written, tmp_path / "second", ("pdf", "epub")).outputs["epub"]
    before, after = _pieces(first), _pieces(second)
    assert len(before) == len(after) >= 2
    assert after == before
    assert sum(len(n) for _, n in before) == notes
