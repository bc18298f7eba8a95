"""The fidelity and missing-glyph checks every build runs on what it wrote (issue 16), and the
font stack that gives every script a face (issue 18).

One small manuscript reproduces each known loss (a note in a title and in an attribution,
Greek in italic, verse in a note, spans with a language); it builds once with the CLI, and
must come out with nothing lost. Then losses are planted: words and notes taken out of the
written EPUB, a word taken out of the PDF by a monkeypatched writer, a face without the
glyphs the text needs; each is found, named with its file and line, exit 3, and the previous
outputs stay as they were.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree

from anthology import fontstack
from anthology.checks import fidelity, glyphs
from anthology.checks.tokens import Words, anchor, match, present, tokens
from anthology.cli import main
from anthology.errors import ManuscriptError
from anthology.readers.manuscript import load
from anthology.writers import pdf as pdf_writer
from anthology.writers.print import jobs as print_jobs

from conftest import HERE, REPO, write_manuscript

MANUSCRIPT = {
    "anthology.yml": """
        title: Nothing Lost
        language: en
        editors: [Ada Editor]
        contents:
          - part: Losses
            pieces:
              - emerson.md
              - manifesto.md
              - huret.md
              - verse-note.md
        """,
    # Greek in italic printed blank: the 8-point italic cut has empty Greek glyphs
    "emerson.md": """
        ---
        title: History
        author: Ralph Waldo Emerson
        ---

        The idea is older than the word.

        *The Greek philosopher Anaxagoras by (νοῦς) thought* the world was ordered,
        and [λόγος]{lang=grc} is set in roman, [Capital]{.smallcaps} in small capitals.
        """,
    "manifesto.md": """
        ---
        title: "I. Bourgeois and Proletarians[^1]"
        author: Karl Marx
        ---

        The history of all hitherto existing society is the history of class struggles.

        [^1]: By bourgeoisie is meant the class of modern Capitalists.
        """,
    "huret.md": """
        ---
        title: Huret
        author: Leo Tolstoy
        epigraphs:
          - {text: "Art is a human activity.", author: Leo Tolstoy, work: "What Is Art?"}
        ---

        Words before the quotation.

        > The words of the quotation in a block.
        >
        > — Jules Huret[^2], *Enquête sur l’évolution littéraire*, p. 4

        A later paragraph with its own note.[^3]

        [^2]: Huret interviewed sixty-four writers.
        [^3]: The note after the quotation.
        """,
    "verse-note.md": """
        ---
        title: Verse in a Note
        author: Cee Author
        ---

        A paragraph that calls a note with verse.[^v]

        [^v]: The note introduces a poem:

            ::: verse
            The first line of verse
              an indented second line
            :::
        """,
}
# The 8-point italic cut, as a manuscript's own face: its Greek glyphs are empty
EIGHT_POINT_ITALIC = Path("/usr/share/fonts/opentype/ebgaramond/EBGaramond08-Italic.otf")
PLANTED_CSS = '@font-face { font-family: "Planted"; src: url(fonts/EBGaramond08-Italic.otf); }\n' \
              'em { font-family: "Planted"; }\n'


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


def build(root: Path, out: Path, *args: str):
    return CliRunner().invoke(main, ["build", str(root), "--out", str(out), *args])


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = write_manuscript(tmp_path_factory.mktemp("fidelity") / "ms", MANUSCRIPT)
    out = tmp_path_factory.mktemp("out")
    result = build(root, out, "--verbose")
    assert result.exit_code == 0, result.output
    return root, out, result.output


def outputs(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}


# --- the words ----------------------------------------------------------------------------------
def test_tokens_join_what_a_page_breaks():
    """Ligatures, small capitals, accents kept apart and words hyphenated at a line's end compare
    as the words they are; each CJK character is a word."""
    assert tokens("ﬁnal revolu-\ntionary re\u2010\nvolt ΝΟῦΣ Cafe\u0301") == ["final", "revolutionary", "revolt",
                                                                             "νουσ", "cafe"]
    assert tokens("全世界无产者") == list("全世界无产者")


def test_match_passes_over_the_page_and_names_a_lost_word():
    text = Words.of("The history of all hitherto existing society is the history of class struggles.")
    page = tokens("The history of all hitherto 12 Running Head existing society is the well history of class struggles.")
    assert match(text.tokens, page).missing == []
    lost = tokens("The history of all hitherto society is the history of class struggles.")
    m = match(text.tokens, lost)
    assert [text.shown[i] for i in fidelity.refine(text.tokens, lost, m.missing)] == ["existing"]


def test_a_compound_split_at_a_line_end_still_matches():
    assert match(Words.of("a well-known word").tokens, tokens("a well-\nknown word")).missing == []
    # hyphenated across a page: the page's footnotes, then the next one's folio and running head
    page_turn = tokens("the cer-\n" + "1. A long footnote, " * 60 + "\f12 The Running Head\ntainty of it")
    assert match(Words.of("the certainty of it").tokens, page_turn).missing == []
    assert match(Words.of("这条道路").tokens, ["这条", "道路"]).missing == []
    assert present(["اغيره", "كتب"], ["اغي", "ره"]) == [1]


def test_a_text_starts_where_its_piece_is_not_where_an_index_quotes_it():
    """An index of quotations prints an epigraph's opening after its piece's title and page; the
    piece itself has its byline between title and epigraph, so its first run of words is found
    only in the index: the piece's start is still its page, not the index's."""
    text = Words.of("Winter Newspaper Through has may has should way because and this he more harvest "
                    "but about world may should on when it city.").tokens
    page = tokens("Contents Winter Newspaper 3 Winter Newspaper Eun-ji Park Through has may has should way "
                  "because and this he more harvest but about world may should on when it city. "
                  "Index of Quotations quoted in Winter Newspaper 4 Through has may has should way because and")
    assert anchor(text, page, 0) <= page.index("eun")


def test_to_unicode_reads_bfchar_and_bfrange():
    cmap = (b"2 beginbfchar <0003> <0020> <0010> <03BD> endbfchar\n"
            b"2 beginbfrange <0020> <0022> <0061> <0030> <0031> [<0066006C> <D835DC00>] endbfrange")
    assert glyphs.to_unicode(cmap) == {3: " ", 16: "ν", 32: "a", 33: "b", 34: "c", 48: "fl", 49: "\U0001d400"}


# --- the sample of losses builds with nothing lost ---------------------------------------------
def test_each_known_loss_now_builds_with_nothing_lost(built):
    root, out, log = built
    for name in ("nothing-lost.pdf", "nothing-lost-screen.pdf", "nothing-lost.epub"):
        assert f"checking {name} against the manuscript" in log
    book, _ = load(root)
    for path in out.glob("*.pdf"):
        assert glyphs.missing_in_pdf(path) == []
        assert fidelity.check_pdf(book, path, path.name) == []
        text = pdf_text(path)
        assert "Anaxagoras by (νοῦς) thought" in text and "λόγος" in text
        assert "[^" not in text
    assert fidelity.check_epub(book, out / "nothing-lost.epub") == []


def test_the_italic_greek_is_set_in_a_face_with_its_glyphs(built):
    _, out, _ = built
    fonts = subprocess.run(["pdffonts", str(out / "nothing-lost.pdf")], capture_output=True, text=True).stdout
    assert "EBGaramond08-Italic" not in fonts and "Italic" in fonts


# --- losses in the EPUB -------------------------------------------------------------------------
def tampered(epub: Path, tmp_path: Path, name: str, change) -> Path:
    """A copy of the EPUB with one document changed by `change(root)`."""
    target = tmp_path / epub.name
    with zipfile.ZipFile(epub) as src, zipfile.ZipFile(target, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename.endswith(name):
                root = etree.fromstring(data)
                change(root)
                data = etree.tostring(root, xml_declaration=True, encoding="utf-8")
            dst.writestr(item, data)
    return target


X = {"x": "http://www.w3.org/1999/xhtml", "epub": "http://www.idpf.org/2007/ops"}


def test_a_word_lost_from_the_epub_names_its_piece_line_and_word(built, tmp_path):
    root, out, _ = built

    def drop(doc):
        for p in doc.xpath("//x:p[contains(., 'hitherto')]", namespaces=X):
            p.text = p.text.replace(" hitherto", "")
    path = tampered(out / "nothing-lost.epub", tmp_path, "manifesto.xhtml", drop)
    losses = fidelity.check_epub(load(root)[0], path)
    assert [str(loss).split(root.name + "/")[-1] for loss in losses] == [
        "manifesto.md:6: the EPUB lacks 1 word of “I. Bourgeois and Proletarians”: “hitherto”"]


def test_a_note_without_its_reference_and_an_unmarked_epigraph_are_found(built, tmp_path):
    root, out, _ = built

    def unlink(doc):
        for ref in doc.xpath("//x:a[@epub:type='noteref']", namespaces=X):
            ref.getparent().remove(ref)
        for quote in doc.xpath("//x:blockquote[@epub:type='epigraph']", namespaces=X):
            del quote.attrib["{http://www.idpf.org/2007/ops}type"]
    path = tampered(out / "nothing-lost.epub", tmp_path, "huret.xhtml", unlink)
    messages = [loss.message for loss in fidelity.check_epub(load(root)[0], path)]
    assert any("note 1 of “Huret” has no reference pointing to it" in m for m in messages)
    assert any("note 2 of “Huret” has no reference pointing to it" in m for m in messages)
    assert any("does not mark the epigraph “Art is a human activity.” as one" in m for m in messages)


def test_a_note_lost_from_the_epub_is_found(built, tmp_path):
    root, out, _ = built

    def drop(doc):
        for aside in doc.xpath("//x:aside", namespaces=X):
            aside.getparent().remove(aside)
    path = tampered(out / "nothing-lost.epub", tmp_path, "verse-note.xhtml", drop)
    losses = fidelity.check_epub(load(root)[0], path)
    assert any("the EPUB lacks note 1 of “Verse in a Note”" in loss.message for loss in losses)
    assert any("#verse-note-fn1, which is not there" in loss.message for loss in losses)


def test_an_embedded_epub_face_without_the_glyphs_is_found(tmp_path):
    epub = tmp_path / "book.epub"
    with zipfile.ZipFile(epub, "w") as z:
        z.writestr("EPUB/fonts/Italic.otf", EIGHT_POINT_ITALIC.read_bytes())
        z.writestr("EPUB/one.xhtml", '<html xmlns="http://www.w3.org/1999/xhtml"><body><p>Anaxagoras by (νοῦς) '
                                     "thought</p></body></html>")
    assert {(m.char, m.font) for m in glyphs.missing_in_epub(epub)} == {
        (c, "Italic.otf") for c in "νοῦς"}


# --- planted losses in a build ------------------------------------------------------------------
def test_a_word_lost_from_the_pdf_fails_the_build_and_keeps_the_previous_pdf(built, tmp_path, monkeypatch):
    """A writer that drops a word (monkeypatched): exit 3, the piece's line and the word named,
    the previous PDF left as it was."""
    root, out, _ = built
    previous = tmp_path / "out"
    previous.mkdir()
    for path in out.glob("nothing-lost*"):
        if path.is_file():  # the editions' files; the web edition's folder is not at stake
            shutil.copy(path, previous)
    before = outputs(previous)
    real = pdf_writer.inline_footnotes

    def lossy(doc):
        real(doc)
        for node in doc.iter():
            if node.text and "Anaxagoras" in node.text:
                node.text = node.text.replace("Anaxagoras ", "")
    monkeypatch.setattr(pdf_writer, "inline_footnotes", lossy)  # the screen edition's documents
    monkeypatch.setattr(print_jobs, "inline_footnotes", lossy)  # the print edition's chunks
    result = build(root, previous, "--format", "pdf")
    assert result.exit_code == 3, result.output
    assert re.search(r"emerson\.md:8: nothing-lost\.pdf lacks 1 word of “History”: “Anaxagoras”", result.output)
    assert outputs(previous) == before


@pytest.mark.parametrize("edition", ["pdf", pytest.param("screen", marks=pytest.mark.slow)])
def test_a_face_without_the_glyphs_fails_the_build(built, tmp_path, edition):
    """The known loss, planted again: italic set in the 8-point cut, whose Greek is empty."""
    root, out, _ = built
    planted = tmp_path / "ms"
    shutil.copytree(root, planted)
    (planted / "styles" / "fonts").mkdir(parents=True)
    shutil.copy(EIGHT_POINT_ITALIC, planted / "styles" / "fonts")
    (planted / "styles" / "print.css").write_text(PLANTED_CSS)
    target = tmp_path / "out"
    target.mkdir()
    (target / f"nothing-lost{'' if edition == 'pdf' else '-screen'}.pdf").write_bytes(b"the previous file")
    before = outputs(target)
    result = build(planted, target, "--format", edition)
    assert result.exit_code == 3, result.output
    assert "emerson.md:8:" in result.output
    assert "sets ‘ν’ (U+03BD GREEK SMALL LETTER NU) in EBGaramond08-Italic, which has no glyph for it" in result.output
    assert "fonts tried: EBGaramond08-Italic, then EB Garamond 12, EB Garamond, Noto Serif" in result.output
    assert "Traceback" not in result.output
    assert outputs(target) == before


# --- the font stack -----------------------------------------------------------------------------
def test_print_css_holds_the_built_in_stacks():
    assert fontstack.rules() in (REPO / "styles" / "print.css").read_text()


def test_a_language_gets_its_own_face_first():
    assert fontstack.stack("ur")[:2] == ("Noto Nastaliq Urdu", "Noto Naskh Arabic")
    assert fontstack.stack("zh-TW")[:3] == ("EB Garamond 12", "EB Garamond", "Noto Serif CJK TC")
    assert fontstack.stack("el")[0] == "EB Garamond 12"
    assert not fontstack.not_installed([f for faces in fontstack.LANGUAGES.values() for f in faces]
                                       + list(fontstack.BOOK + fontstack.FALLBACK))


def test_fonts_key_names_faces_before_the_stack(make_manuscript):
    root = make_manuscript({
        "anthology.yml": """
            title: Own Faces
            language: en
            fonts:
              default: [DejaVu Serif]
              ar: [Amiri Quran]
            contents: [one.md]
            """,
        "one.md": "---\ntitle: One\n---\n\nWords.\n"})
    book, diags = load(root)
    assert not diags.errors
    css = pdf_writer.ScreenPdfWriter(book).edition_css()
    assert 'html { font-family: "DejaVu Serif", "EB Garamond 12"' in css
    assert ':lang(ar) { font-family: "Amiri Quran", "Noto Naskh Arabic", "DejaVu Serif", "EB Garamond 12"' in css
    fontstack.check(book, diags)
    assert [d.message for d in diags.warnings] == [
        "fonts: 'Amiri Quran' is neither installed nor declared by an @font-face in styles/; the PDFs are set without it"]


def test_fonts_key_refuses_what_is_not_a_language_or_a_family(make_manuscript):
    root = make_manuscript({
        "anthology.yml": 'title: T\nlanguage: en\nfonts:\n  klingon language: [X]\n  fr: ["A\\"; } body { color: red"]\n'
                         "contents: [one.md]\n",
        "one.md": "---\ntitle: One\n---\n\nWords.\n"})
    with pytest.raises(ManuscriptError) as error:
        load(root)
    messages = [d.format() for d in error.value.diagnostics.errors]
    assert any("anthology.yml:4:" in m and "'klingon language' is neither 'default' nor a BCP 47" in m for m in messages)
    assert any("anthology.yml:5:" in m and "fonts.fr.0" in m for m in messages)


# --- a manuscript per script --------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("language", ["ar", "ur", "hi", "zh", "el"])
def test_every_script_builds_with_a_glyph_for_every_character(language, tmp_path):
    root = HERE / "manuscripts" / "scripts" / language
    out = tmp_path / "out"
    result = build(root, out)
    assert result.exit_code == 0, result.output
    book, _ = load(root)
    for path in out.glob("*.pdf"):
        assert glyphs.missing_in_pdf(path) == []
        fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True).stdout
        face = {"ar": "NotoNaskhArabic", "ur": "NotoNastaliqUrdu", "hi": "NotoSerifDevanagari",
                "zh": "NotoSerifCJK", "el": "EBGaramond"}[language]
        assert face in fonts.replace("-", "")
    source = (root / next(p.source_path.name for p in book.pieces)).read_text(encoding="utf-8")
    body = source.split("---", 2)[2]
    epub = next(out.glob("*.epub"))
    with zipfile.ZipFile(epub) as z:
        text = " ".join(z.read(n).decode() for n in z.namelist() if n.endswith(".xhtml"))
    for word in re.findall(r"\w+", body.split("[^1]:")[0])[:12]:
        assert word in text
