"""Every inline construct works wherever text goes (issue 16): note references in titles,
subtitles and attributions become real notes, Pandoc spans and fenced divs keep their language,
and notes keep their verse and quotations. One small manuscript reproduces each loss; it is
built once with the CLI, and both editions are read as a reader's software would."""

from __future__ import annotations

import re
import zipfile

import pytest
from click.testing import CliRunner
from lxml import etree

from anthology.cli import main

from conftest import HERE, assert_epub_valid, outline, pdf_text_pages, write_manuscript

NS = {"x": "http://www.w3.org/1999/xhtml", "epub": "http://www.idpf.org/2007/ops",
      "ncx": "http://www.daisy.org/z3986/2005/ncx/"}
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

MANUSCRIPT = {
    "anthology.yml": """
        title: "Inline *Everywhere*"
        subtitle: "On [λόγος]{lang=grc}"
        language: en
        editors: [Ada Editor]
        contents:
          - part: "The *Essays*"
            pieces:
              - manifesto.md
              - subtitle.md
              - huret.md
              - greek.md
              - verse-note.md
              - quote-note.md
              - epigraph.md
              - figure.md
        """,
    # a caption with markup and a note, a credit with a link; a table with a note and a span
    "figure.md": """
        ---
        title: Figure and Table
        author: Fay Author
        ---

        A paragraph before the figure.

        ![The *Caption* of [Ἀθῆναι]{lang=grc}[^c] / Image: [The Archive](https://example.org/)](figure.svg "A plain square")

        | Word | Gloss |
        |---|---|
        | [νοῦς]{lang=grc} | mind[^t] |

        ![A reference image / Photo: Its Maker][fig]

        [fig]: figure.svg "The same square"

        [^c]: The caption's note.
        [^t]: The table's note.
        """,
    "figure.svg": (HERE / "manuscripts" / "varied" / "figure.svg").read_bytes(),
    # a note in a chapter title (The Communist Manifesto)
    "manifesto.md": """
        ---
        title: "I. Bourgeois and Proletarians[^1]"
        author: Karl Marx
        ---

        The history of all hitherto existing society is the history of class struggles.

        PARAGRAPHS

        [^1]: By bourgeoisie is meant the class of modern Capitalists.
        """,
    # a note in a piece's subtitle, and markup in its series line
    "subtitle.md": """
        ---
        title: Subtitled
        subtitle: "A *subtitle* with its note[^s]"
        series: "The [Manifesto]{.smallcaps} series"
        author: Bea Author
        ---

        Plain words in the body.

        [^s]: The subtitle's own note.
        """,
    # a note in a block quote's attribution (Tolstoy, What Is Art?)
    "huret.md": """
        ---
        title: Huret
        author: Leo Tolstoy
        ---

        Words before the quotation.

        > The words of the quotation in a block.
        >
        > — Jules Huret[^2], *Enquête sur l’évolution littéraire*, p. 4

        A later paragraph with its own note.[^3]

        [^2]: Huret interviewed sixty-four writers.
        [^3]: The note after the quotation.
        """,
    # a span with lang in the body and in the title; a fenced div with lang
    "greek.md": """
        ---
        title: "On [Ἀνάγκη]{lang=grc}"
        author: Ralph Waldo Emerson
        ---

        Anaxagoras by [νοῦς]{lang=grc} thought, and [Capital]{.smallcaps} too.

        ::: {lang=fr}
        Un paragraphe en français.
        :::
        """,
    # verse in a note
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

            a second stanza
            :::
        """,
    # a note ending with a block quote
    "quote-note.md": """
        ---
        title: Quote in a Note
        author: Dee Author
        ---

        A paragraph that calls a quoting note.[^q]

        [^q]: The note quotes:

            > Quoted words ending the note.
        """,
    # an epigraph in the front matter with a note in its attribution
    "epigraph.md": """
        ---
        title: With an Epigraph
        author: Eve Author
        epigraphs:
          - {text: "Workers of the *world*, unite!", author: "Karl Marx[^e]", work: The Communist Manifesto}
        ---

        The body of the piece.

        [^e]: And Friedrich Engels.
        """,
}


# enough text for the chapter to run over several pages, so it has running heads
PARAGRAPHS = "\n\n        ".join(
    f"Paragraph {n} of the chapter goes on about freeman and slave, patrician and plebeian, lord and serf, "
    "guild-master and journeyman, in a word, oppressor and oppressed, standing in constant opposition "
    "to one another, carrying on an uninterrupted, now hidden, now open fight." for n in range(1, 25))


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    files = {**MANUSCRIPT, "manifesto.md": MANUSCRIPT["manifesto.md"].replace("PARAGRAPHS", PARAGRAPHS)}
    root = write_manuscript(tmp_path_factory.mktemp("inline") / "ms", files)
    out = tmp_path_factory.mktemp("out")
    result = CliRunner().invoke(main, ["build", str(root), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "left out" not in result.output  # no note is dropped as never called
    return out


@pytest.fixture(scope="module")
def epub(built):
    return next(built.glob("*.epub"))


def xml(epub, name):
    with zipfile.ZipFile(epub) as z:
        return etree.fromstring(z.read(f"EPUB/{name}"))


def notes_linked_both_ways(doc) -> list[str]:
    """The note texts of a document, each checked to be called and to link back to its call."""
    texts = []
    for note in doc.xpath("//x:aside[@epub:type='footnote']", namespaces=NS):
        calls = doc.xpath(f"//x:a[@epub:type='noteref'][@href='#{note.get('id')}']", namespaces=NS)
        assert len(calls) == 1, f"note {note.get('id')} has {len(calls)} calls"
        back = note.xpath(".//x:a[@role='doc-backlink']/@href", namespaces=NS)
        assert back == [f"#{calls[0].get('id')}"]
        texts.append(" ".join("".join(note.itertext()).split()))
    return texts


def test_no_literal_note_marker_or_braces_anywhere(epub):
    with zipfile.ZipFile(epub) as z:
        for name in z.namelist():
            if name.endswith((".xhtml", ".ncx", ".opf")):
                text = z.read(name).decode()
                assert "[^" not in text, name
                assert "]{" not in text, name


def test_note_in_a_title_is_a_real_note(epub):
    doc = xml(epub, "manifesto.xhtml")
    h1 = doc.xpath("//x:h1[@class='piece-title']", namespaces=NS)[0]
    ref = h1.xpath("x:a[@epub:type='noteref']", namespaces=NS)
    assert len(ref) == 1 and ref[0].text == "1"
    assert notes_linked_both_ways(doc) == ["1 By bourgeoisie is meant the class of modern Capitalists."]
    assert doc.xpath("string(//x:title)", namespaces=NS) == "I. Bourgeois and Proletarians"
    section = doc.xpath("//x:section[@id='manifesto']", namespaces=NS)[0]
    assert section.get("data-running-title") == "I. Bourgeois and Proletarians"


def test_contents_nav_and_ncx_show_titles_without_markers(epub):
    nav = xml(epub, "nav.xhtml")
    titles = [" ".join("".join(t.itertext()).split())
              for t in nav.xpath("//x:nav[@epub:type='toc']//x:span[@class='toc-title']", namespaces=NS)]
    assert "I. Bourgeois and Proletarians" in titles and "On Ἀνάγκη" in titles
    assert not nav.xpath("//x:nav[@epub:type='toc']//x:a//x:a", namespaces=NS)  # no link in a link
    greek = nav.xpath("//x:span[@class='toc-title']/x:span[@lang='grc']", namespaces=NS)
    assert greek and greek[0].get(XML_LANG) == "grc"
    ncx = xml(epub, "toc.ncx")
    labels = ncx.xpath("//ncx:navLabel/ncx:text/text()", namespaces=NS)
    assert "I. Bourgeois and Proletarians — Karl Marx" in labels  # read aloud with its author
    assert "On Ἀνάγκη — Ralph Waldo Emerson" in labels
    assert not [label for label in labels if "[" in label or "{" in label]


def test_note_in_a_subtitle_and_markup_in_the_series_line(epub):
    doc = xml(epub, "subtitle.xhtml")
    subtitle = doc.xpath("//x:p[@role='doc-subtitle']", namespaces=NS)[0]
    assert subtitle.xpath("x:em/text()", namespaces=NS) == ["subtitle"]
    assert len(subtitle.xpath("x:a[@epub:type='noteref']", namespaces=NS)) == 1
    assert notes_linked_both_ways(doc) == ["1 The subtitle’s own note."]
    series = doc.xpath("//x:p[@class='series-line']", namespaces=NS)[0]
    assert series.xpath("x:span[@class='smallcaps']/text()", namespaces=NS) == ["Manifesto"]


def test_note_in_an_attribution_is_kept(epub):
    doc = xml(epub, "huret.xhtml")
    footer = doc.xpath("//x:blockquote//x:footer", namespaces=NS)[0]
    assert footer.xpath("string(.//x:span[@class='author'])", namespaces=NS) == "Jules Huret1"
    assert footer.xpath(".//x:span[@class='author']/x:a[@epub:type='noteref']/@href", namespaces=NS) == ["#huret-fn1"]
    assert footer.xpath("string(.//x:cite)", namespaces=NS) == "Enquête sur l’évolution littéraire"
    assert notes_linked_both_ways(doc) == ["1 Huret interviewed sixty-four writers.", "2 The note after the quotation."]


def test_spans_and_fenced_divs_keep_their_language(epub):
    doc = xml(epub, "greek.xhtml")
    body = doc.xpath("//x:p[contains(., 'Anaxagoras')]", namespaces=NS)[0]
    span = body.xpath("x:span[@lang='grc']", namespaces=NS)[0]
    assert span.text == "νοῦς" and span.get(XML_LANG) == "grc"
    assert body.xpath("x:span[@class='smallcaps']/text()", namespaces=NS) == ["Capital"]
    title = doc.xpath("//x:h1/x:span[@lang='grc']", namespaces=NS)[0]
    assert title.text == "Ἀνάγκη" and title.get(XML_LANG) == "grc"
    div = doc.xpath("//x:div[@lang='fr']", namespaces=NS)[0]
    assert div.get(XML_LANG) == "fr" and "Un paragraphe en français." in "".join(div.itertext())
    assert ":::" not in "".join(doc.itertext())


def test_verse_in_a_note_keeps_its_lines(epub):
    doc = xml(epub, "verse-note.xhtml")
    notes_linked_both_ways(doc)
    stanzas = doc.xpath("//x:aside//x:div[@class='verse']/x:p", namespaces=NS)
    assert len(stanzas) == 2
    assert len(stanzas[0].xpath("x:br", namespaces=NS)) == 1  # two lines
    assert ":::" not in "".join(doc.itertext())


def test_block_quote_ending_a_note_leaves_no_empty_paragraph(epub):
    doc = xml(epub, "quote-note.xhtml")
    notes_linked_both_ways(doc)
    note = doc.xpath("//x:aside[@epub:type='footnote']", namespaces=NS)[0]
    assert note[-1].tag == f"{{{NS['x']}}}blockquote"
    assert not doc.xpath("//x:p[not(node())]", namespaces=NS)


def test_epigraph_attribution_from_front_matter_has_its_note(epub):
    doc = xml(epub, "epigraph.xhtml")
    epigraph = doc.xpath("//x:blockquote[@epub:type='epigraph']", namespaces=NS)[0]
    assert epigraph.xpath(".//x:p/x:em/text()", namespaces=NS) == ["world"]
    assert epigraph.xpath(".//x:span[@class='author']/x:a[@epub:type='noteref']", namespaces=NS)
    assert notes_linked_both_ways(doc) == ["1 And Friedrich Engels."]


def test_caption_credit_and_table_cell_keep_markup_and_notes(epub):
    doc = xml(epub, "figure.xhtml")
    figure = doc.xpath("//x:figure", namespaces=NS)[0]
    # the SVG's PNG fallback in a <picture> (for Kindle's conversion), with the same alt
    assert figure.xpath("x:picture/x:img/@alt", namespaces=NS) == ["A plain square"]
    caption = figure.xpath("x:figcaption", namespaces=NS)[0]
    assert caption.xpath("x:em/text()", namespaces=NS) == ["Caption"]
    assert caption.xpath("x:span[@lang='grc']/text()", namespaces=NS) == ["Ἀθῆναι"]
    assert caption.xpath("x:span[@class='credit']/x:a/@href", namespaces=NS) == ["https://example.org/"]
    assert caption.xpath("x:a[@epub:type='noteref']/@href", namespaces=NS) == ["#figure-fn1"]
    cell = doc.xpath("//x:td[x:a[@epub:type='noteref']]", namespaces=NS)
    assert cell and doc.xpath("//x:td/x:span[@lang='grc']/text()", namespaces=NS) == ["νοῦς"]
    assert notes_linked_both_ways(doc) == ["1 The caption’s note.", "2 The table’s note."]
    second = doc.xpath("//x:figure", namespaces=NS)[1]  # a reference image is a figure too
    assert second.xpath("x:picture/x:img/@alt", namespaces=NS) == ["The same square"]
    assert second.xpath("string(x:figcaption/x:span[@class='credit'])", namespaces=NS) == "Photo: Its Maker"


def test_book_and_part_titles_keep_their_markup(epub):
    title = xml(epub, "titlepage.xhtml")
    assert title.xpath("//x:h1[@class='book-title']/x:em/text()", namespaces=NS) == ["Everywhere"]
    assert title.xpath("//x:p[@class='book-subtitle']/x:span[@lang='grc']/text()", namespaces=NS) == ["λόγος"]
    part = xml(epub, "part-the-essays.xhtml")
    assert part.xpath("//x:h1/x:em/text()", namespaces=NS) == ["Essays"]
    ncx = xml(epub, "toc.ncx")
    assert ncx.xpath("//ncx:docTitle/ncx:text/text()", namespaces=NS) == ["Inline Everywhere"]
    assert "The Essays" in ncx.xpath("//ncx:navLabel/ncx:text/text()", namespaces=NS)


@pytest.mark.slow
def test_epub_passes_epubcheck(epub):
    assert_epub_valid(epub)


def test_print_pdf_has_the_notes_and_no_markers(built):
    pdf = next(p for p in built.glob("*.pdf") if not p.name.endswith("-screen.pdf"))
    text = "\n".join(pdf_text_pages(pdf))
    flat = " ".join(text.split())
    assert "[^" not in text and "]{" not in text and ":::" not in text
    for words in ("By bourgeoisie is meant the class of modern Capitalists.", "The subtitle’s own note.",
                  "Huret interviewed sixty-four writers.", "The note after the quotation.",
                  "Quoted words ending the note.", "And Friedrich Engels.", "νοῦς", "The caption’s note.",
                  "The table’s note."):
        assert words in flat, words
    # verse in a note keeps its lines: each line of verse is a line of the page
    lines = [line.strip() for line in text.splitlines()]
    assert "The first line of verse" in lines and "an indented second line" in lines
    titles = [title for _, title, _ in outline(pdf)]
    assert "I. Bourgeois and Proletarians" in titles and "On Ἀνάγκη" in titles
    contents = [line for line in text.splitlines() if "Proletarians" in line and ". ." in line]
    assert contents and not re.search(r"Proletarians\s*\d", contents[0])  # the contents line: no note number


def test_running_heads_show_the_title_without_its_note(built):
    pdf = next(p for p in built.glob("*.pdf") if not p.name.endswith("-screen.pdf"))
    pages = [page for page in pdf_text_pages(pdf) if re.search(r"Paragraph \d+ of", page)]
    assert len(pages) >= 3
    heads = [page.strip().splitlines()[0] for page in pages[1:]]
    right = [head for head in heads if "Proletarians" in head]
    assert right, heads  # the piece's title heads its recto pages
    for head in right:
        assert re.fullmatch(r"\s*I\. Bourgeois and Proletarians\s+\d+\s*", head), head
