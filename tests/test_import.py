"""`anthology import`: pasted text, saved pages and DOCX files become pieces that load as the sample does."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from lxml import html as lhtml
from PIL import Image

from anthology.importers import ImportError_, import_file
from anthology.importers.contents import add_to_contents
from anthology.readers.manuscript import load

from conftest import SAMPLE

SEED_NAME = "000_f6d4030719cb90e4.txt"


def find_seed() -> Path | None:
    """Look upward from this file for a `shared/seeds` folder holding the seed text."""
    for folder in Path(__file__).resolve().parents:
        candidate = folder / "shared" / "seeds" / SEED_NAME
        if candidate.is_file():
            return candidate
    return None


SEED = find_seed()
needs_seed = pytest.mark.skipif(SEED is None, reason="shared/seeds not found above the tests")

CONFIG = """\
# A test book. This comment must survive the import.
title: A Test Book
language: en
contents:
  - intro.md            # front matter
  - part: Essays        # the only part
    pieces:
      - essays/one.md   # the first essay
# trailing comment
"""

PIECE = "---\ntitle: {title}\n---\n\nA paragraph.\n"


@pytest.fixture
def manuscript(tmp_path):
    root = tmp_path / "ms"
    (root / "essays").mkdir(parents=True)
    (root / "anthology.yml").write_text(CONFIG, encoding="utf-8")
    (root / "intro.md").write_text(PIECE.format(title="Intro"), encoding="utf-8")
    (root / "essays" / "one.md").write_text(PIECE.format(title="One"), encoding="utf-8")
    return root


def piece_named(book, path: Path):
    return next(p for p in book.pieces if p.source_path.resolve() == path.resolve())


@needs_seed
def test_seed_imports_with_the_structure_of_the_sample(manuscript):
    result = import_file(SEED, manuscript)
    assert result.written == manuscript / "essays" / "from-chomsky-to-marx.md"
    assert result.contents_entry == "essays/from-chomsky-to-marx.md"
    book, diags = load(manuscript)
    assert not diags.errors and not diags.warnings, [d.format() for d in diags]
    ours = piece_named(book, result.written)
    sample_book, _ = load(SAMPLE)
    sample = sample_book.pieces[[p.source_path.name for p in sample_book.pieces].index("from-chomsky-to-marx.md")]

    assert ours.title == sample.title == "From Chomsky to Marx: Why I Joined the IMT"
    assert ours.series == sample.series
    assert ours.series.startswith("An ongoing series on membership in the IMT")

    def quotes(piece, kind):
        return [(q.author, q.work, q.text) for q in piece.quotations if q.kind == kind]

    assert quotes(ours, "epigraph") == quotes(sample, "epigraph")
    assert [(a, w) for a, w, _ in quotes(ours, "epigraph")] == [
        ("Leon Trotsky", "History of the Russian Revolution"), ("Alan Woods", "Marx versus Bakunin")]
    assert quotes(ours, "blockquote") == quotes(sample, "blockquote")
    assert [(a, w) for a, w, _ in quotes(ours, "blockquote")] == [("Alan Woods", "Marx versus Bakunin")]
    assert [(f.caption, f.credit) for f in ours.figures] == [(f.caption, f.credit) for f in sample.figures]
    assert [f.credit for f in ours.figures] == [
        "Image: Socialist Revolution", "Image: Σ, Wikimedia Commons", "Image: Socialist Revolution"]
    assert ours.figures[0].alt == "Revolutionary Philosophy of Marxism Book Cover"
    # every paragraph of the hand-converted sample is there, word for word
    ours_paragraphs = [b.text for b in ours.blocks if b.kind == "paragraph"]
    for text in (b.text for b in sample.blocks if b.kind == "paragraph"):
        assert text in ours_paragraphs
    # the call to action is set apart as the sample sets it
    assert result.written.read_text(encoding="utf-8").endswith(
        "\n\n::: callout\n**Are you a communist?**\nThen apply to join your party!\n:::\n")
    assert SAMPLE.joinpath("essays", "from-chomsky-to-marx.md").read_text(encoding="utf-8").endswith(
        "\n\n::: callout\n**Are you a communist?**\nThen apply to join your party!\n:::\n")

    # placeholder images exist inside the manuscript, so the piece builds
    for n, figure in enumerate(ours.figures, 1):
        assert figure.src == f"images/from-chomsky-to-marx-{n}.svg"
        assert (manuscript / figure.src).read_text().startswith("<svg")

    # the words are exact: no-break spaces and curly quotes survive
    written = result.written.read_text(encoding="utf-8")
    assert written.count("\u00a0") == SEED.read_text(encoding="utf-8").count("\u00a0") == 2
    assert "“libertarian”" in written and "workers’ state" in written
    front = yaml.safe_load(written.split("---\n")[1])
    assert front == {"title": ours.title, "series": ours.series}

    # the report names what was found, with source lines
    kinds = [(f.kind, f.line) for f in result.recognised]
    assert ("title", 1) in kinds and ("series line", 3) in kinds
    assert ("epigraph", 6) in kinds and ("epigraph", 9) in kinds and ("quotation", 31) in kinds
    assert [line for kind, line in kinds if kind == "caption"] == [17, 27, 41]
    assert [line for kind, line in kinds if kind == "pull quote"] == [17, 41]
    assert any(f.kind == "call to action" and f.line == 47 for f in result.recognised)
    # the seed names no author and no date: the report says so
    assert [(f.kind, f.detail) for f in result.unsure if f.kind in ("author", "date")] == [
        ("author", "no byline found: add 'author:' to the front matter"),
        ("date", "no date found: add 'date:' (YYYY-MM-DD) to the front matter if the piece has one")]
    report = result.report()
    assert "2 epigraphs, 1 quotation, 3 captions, 2 pull quotes" in report
    assert f"{SEED.name}:17: pull quote" in report


@needs_seed
def test_import_never_overwrites(manuscript, tmp_path):
    target = manuscript / "essays" / "from-chomsky-to-marx.md"
    target.write_text("precious", encoding="utf-8")
    (manuscript / "images").mkdir()
    real_image = manuscript / "images" / "from-chomsky-to-marx-2-1.svg"
    real_image.write_text("<svg>real</svg>", encoding="utf-8")
    first = import_file(SEED, manuscript)
    assert target.read_text(encoding="utf-8") == "precious"
    assert first.written.name == "from-chomsky-to-marx-2.md"
    assert real_image.read_text(encoding="utf-8") == "<svg>real</svg>"
    assert real_image not in first.images
    text = (manuscript / "anthology.yml").read_text(encoding="utf-8")
    assert text.count("essays/from-chomsky-to-marx-2.md") == 1 and "essays/from-chomsky-to-marx.md" not in text
    # without a manuscript the same layout is written in the working folder
    loose = import_file(SEED, None, workdir=tmp_path / "loose")
    assert loose.written == tmp_path / "loose" / "essays" / "from-chomsky-to-marx.md"
    assert loose.contents_entry is None


@needs_seed
def test_the_same_text_imported_again_is_refused_naming_the_piece(manuscript, tmp_path):
    first = import_file(SEED, manuscript)
    before = sorted(p.relative_to(manuscript) for p in manuscript.rglob("*"))
    config = (manuscript / "anthology.yml").read_bytes()
    with pytest.raises(ImportError_) as refused:
        import_file(SEED, manuscript)
    assert str(refused.value) == (f"{SEED}: this text is already in the manuscript as essays/from-chomsky-to-marx.md; "
                                  "nothing was written (delete or rename that piece to import it again)")
    assert sorted(p.relative_to(manuscript) for p in manuscript.rglob("*")) == before
    assert (manuscript / "anthology.yml").read_bytes() == config
    # the editor's fixes to the piece (quotes, a dash, a word) do not make it another text
    edited = first.written.read_text(encoding="utf-8").replace("“", '"').replace("—", "--").replace("fortunate", "lucky")
    first.written.write_text(edited, encoding="utf-8")
    with pytest.raises(ImportError_):
        import_file(SEED, manuscript)
    # through the command line: exit 2, the piece named, no traceback
    from click.testing import CliRunner
    from anthology.cli import main
    result = CliRunner().invoke(main, ["import", str(SEED), "--into", str(manuscript)])
    assert result.exit_code == 2 and "already in the manuscript as essays/from-chomsky-to-marx.md" in result.output
    assert "Traceback" not in result.output


def test_not_a_manuscript_is_refused(tmp_path):
    source = tmp_path / "essay.txt"
    source.write_text("Title\n\nText.\n", encoding="utf-8")
    with pytest.raises(ImportError_):
        import_file(source, tmp_path / "nowhere")
    with pytest.raises(ImportError_):
        import_file(tmp_path / "essay.pdf", None, workdir=tmp_path)


def test_contents_append_keeps_comments(manuscript):
    config = manuscript / "anthology.yml"
    add_to_contents(config, "essays/two.md")
    assert config.read_text(encoding="utf-8") == CONFIG.replace(
        "      - essays/one.md   # the first essay\n",
        "      - essays/one.md   # the first essay\n      - essays/two.md\n")
    assert add_to_contents(config, "essays/two.md") == "already listed"


@pytest.mark.parametrize("before, after", [
    ("title: T\nlanguage: en\ncontents:\n  - a.md  # one\n\n# end\n",
     "title: T\nlanguage: en\ncontents:\n  - a.md  # one\n  - essays/new.md\n\n# end\n"),
    ("title: T\ncontents: [a.md, b.md]  # flow\nlanguage: en\n",
     "title: T\ncontents: [a.md, b.md, essays/new.md]  # flow\nlanguage: en\n"),
    ("title: T\ncontents:\n- part: P\n  pieces: [a.md]\n- back.md\n",
     "title: T\ncontents:\n- part: P\n  pieces: [a.md, essays/new.md]\n- back.md\n"),
    ("title: T\ncontents:\n  - part: P\n    pieces:\n      - a.md\n  - back.md   # afterword\n",
     "title: T\ncontents:\n  - part: P\n    pieces:\n      - a.md\n      - essays/new.md\n  - back.md   # afterword\n"),
])
def test_contents_append_shapes(tmp_path, before, after):
    config = tmp_path / "anthology.yml"
    config.write_text(before, encoding="utf-8")
    add_to_contents(config, "essays/new.md")
    assert config.read_text(encoding="utf-8") == after


PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>The Long Road | Example Site</title>
<meta property="og:site_name" content="Example Site"><script>alert(1)</script><style>p {}</style></head>
<body><nav><a href="/">Home</a></nav>
<article>
<header><h1>The Long Road: Notes</h1><p class="byline">By Jane Doe</p></header>
<blockquote><p>To be radical is to grasp things by the root.</p><footer>— Karl Marx, <cite>A Contribution to the Critique</cite></footer></blockquote>
<p>First paragraph with <em>emphasis</em>, <strong>bold</strong>, a <a href="https://example.org/x">link</a> and 5 * 3&nbsp;[sic].</p>
<h2>A section</h2>
<figure><img src="rally.png" alt="A crowd at a rally"><figcaption>Workers rally in the square. <span class="credit">Photo: Jo Roe</span></figcaption></figure>
<p>As Alan Woods explains in <em>Marx versus Bakunin</em>:</p>
<blockquote><p>In reality, anarchist organizations always suffer.</p></blockquote>
<ul><li>One</li><li>Two <em>too</em></li></ul>
<form><input name="q"><button>Go</button></form>
</article>
<footer>Site footer</footer></body></html>
"""


def test_html_import(manuscript, tmp_path):
    page = tmp_path / "saved" / "page.html"
    page.parent.mkdir()
    page.write_text(PAGE, encoding="utf-8")
    Image.new("RGB", (4, 4), "red").save(page.parent / "rally.png")
    result = import_file(page, manuscript)
    text = result.written.read_text(encoding="utf-8")
    assert "alert" not in text and "Home" not in text and "Site footer" not in text and "Go" not in text
    assert "*emphasis*" in text and "**bold**" in text and "[link](https://example.org/x)" in text
    assert "5 \\* 3\u00a0\\[sic\\]" in text
    assert "## A section" in text and "- Two *too*" in text
    book, diags = load(manuscript)
    assert not diags.errors, [d.format() for d in diags]
    piece = piece_named(book, result.written)
    assert piece.title == "The Long Road: Notes" and piece.authors == ("Jane Doe",)
    assert piece.source == "Example Site"
    [epigraph] = [q for q in piece.quotations if q.kind == "epigraph"]
    assert (epigraph.author, epigraph.work) == ("Karl Marx", "A Contribution to the Critique")
    [quote] = [q for q in piece.quotations if q.kind == "blockquote"]
    assert (quote.author, quote.work) == ("Alan Woods", "Marx versus Bakunin")
    [figure] = piece.figures
    assert (figure.caption, figure.credit, figure.alt) == ("Workers rally in the square.", "Photo: Jo Roe", "A crowd at a rally")
    assert (manuscript / figure.src).read_bytes().startswith(b"\x89PNG")
    assert any(f.kind == "dropped" and "<script>" in f.detail and "<nav>" in f.detail for f in result.recognised)


def test_docx_import(manuscript, tmp_path):
    docx = pytest.importorskip("docx")
    document = docx.Document()
    document.add_paragraph("Against the Grain: Essays", style="Title")
    document.add_paragraph("An ongoing series on things.", style="Subtitle")
    document.add_paragraph("To be radical is to grasp things by the root.", style="Quote")
    document.add_paragraph("— Karl Marx, A Contribution to the Critique", style="Quote")
    p = document.add_paragraph("A first paragraph with ")
    p.add_run("italic words").italic = True
    p.add_run(" and ")
    p.add_run("bold").bold = True
    p.add_run(": 5 * 3 and a no-break\u00a0space, “quoted”.")
    document.add_heading("A heading", level=1)
    document.add_paragraph("As Rosa Luxemburg writes in Reform or Revolution:")
    document.add_paragraph("Quoted text here.", style="Intense Quote")
    document.add_paragraph("item one", style="List Bullet")
    document.add_paragraph("item two", style="List Bullet")
    document.add_paragraph("Closing.")
    source = tmp_path / "essay.docx"
    document.save(source)

    result = import_file(source, manuscript)
    text = result.written.read_text(encoding="utf-8")
    assert "A first paragraph with *italic words* and **bold**: 5 \\* 3 and a no-break\u00a0space, “quoted”." in text
    assert "As Rosa Luxemburg writes in *Reform or Revolution*:" in text
    book, diags = load(manuscript)
    assert not diags.errors, [d.format() for d in diags]
    piece = piece_named(book, result.written)
    assert piece.title == "Against the Grain: Essays" and piece.series == "An ongoing series on things."
    assert [(q.kind, q.author, q.work) for q in piece.quotations] == [
        ("epigraph", "Karl Marx", "A Contribution to the Critique"),
        ("blockquote", "Rosa Luxemburg", "Reform or Revolution"),
    ]
    assert [h.text for h in piece.headings] == ["A heading"]
    assert [b.kind for b in piece.blocks] == ["paragraph", "heading", "paragraph", "quotation", "list", "paragraph"]


ARTICLE = Path(__file__).parent / "pages" / "article.html"


def test_a_saved_article_page_imports_as_the_article_alone_with_its_notes(manuscript):
    """A page shaped as news sites save it (masthead, menu, share buttons, byline and date,
    linked and unlinked note calls, a Notes list with back links, related links, comments,
    newsletter box, footer, cookie banner) becomes a piece holding the article and nothing else."""
    result = import_file(ARTICLE, manuscript)
    text = result.written.read_text(encoding="utf-8")
    front, body = text.split("\n---\n", 1)
    assert yaml.safe_load(front.removeprefix("---\n")) == {
        "title": "From Chomsky to Marx: Why I Joined the IMT", "author": "Jane Doe", "date": "2024-05-01",
        "series": "An ongoing series on membership in the IMT, in which comrades explain what drove them to "
                  "reject the capitalist system and embrace revolutionary socialism.",
        "source": "Socialist Revolution, 2024"}
    for clutter in ("Skip to content", "Subscribe", "Tweet", "Share", "Email", "Home", "Read more", "What is anarchism",
                    "Posted in", "Tagged", "Previous:", "Related articles", "comments", "Great article", "Newsletter",
                    "All rights reserved", "Privacy", "cookies", "Search", "|", "↩", "Notes", "By Jane"):
        assert clutter not in body, clutter
    assert "Soviet Union.[^1] It is suggested" in body and "Friedrich Engels.[^2]" in body
    assert "my local chapter.[^3]" in body
    assert body.endswith("::: callout\n**Are you a communist?**\nThen apply to join your party!\n:::\n\n"
                         "[^1]: Alan Woods, *Marx versus Bakunin*, 2015.\n\n"
                         "[^2]: See [the Marxists Internet Archive](https://www.marxists.org/) for their correspondence.\n\n"
                         "[^3]: The chapter had some 300 members at the time.\n")
    book, diags = load(manuscript)
    assert not diags.errors, [d.format() for d in diags]
    piece = piece_named(book, result.written)
    assert [" ".join(lhtml.fromstring(n.html).text_content().split()) for n in piece.notes] == [
        "Alan Woods, Marx versus Bakunin, 2015.",
        "See the Marxists Internet Archive for their correspondence.",
        "The chapter had some 300 members at the time."]
    [epigraph] = [q for q in piece.quotations if q.kind == "epigraph"]
    assert (epigraph.author, epigraph.work) == ("Leon Trotsky", "History of the Russian Revolution")
    assert [h.text for h in piece.headings] == ["Organisation and authority"]
    assert [f.credit for f in piece.figures] == ["Image: Socialist Revolution"]
    report = result.report()
    assert "article.html:29: content: the main text, found by readability-lxml: <article>" in report
    assert "article.html:57: notes: 3 notes" in report and "article.html:34: author: byline: Jane Doe" in report


PASTED_WITH_NOTES = """A Pasted Essay

By Ann Writer · 12 March 2024

The first paragraph makes a claim.[1] It goes on.

The second paragraph cites another source.² And ends.

Notes

[1] Karl Marx, Capital, vol. 1.
2. Rosa Luxemburg, Reform or Revolution.
"""


def test_pasted_text_byline_date_and_notes(manuscript, tmp_path):
    source = tmp_path / "pasted.txt"
    source.write_text(PASTED_WITH_NOTES, encoding="utf-8")
    result = import_file(source, manuscript)
    assert result.written.read_text(encoding="utf-8") == (
        '---\ntitle: A Pasted Essay\nauthor: Ann Writer\ndate: "2024-03-12"\n---\n\n'
        "The first paragraph makes a claim.[^1] It goes on.\n\n"
        "The second paragraph cites another source.[^2] And ends.\n\n"
        "[^1]: Karl Marx, Capital, vol. 1.\n\n[^2]: Rosa Luxemburg, Reform or Revolution.\n")
    assert not [f for f in result.unsure if f.kind in ("author", "date")]
    book, diags = load(manuscript)
    assert not diags.errors and len(piece_named(book, result.written).notes) == 2


def test_a_docx_date_line_goes_to_the_front_matter_and_the_epigraph_stays_one(manuscript, tmp_path):
    docx = pytest.importorskip("docx")
    document = docx.Document()
    document.add_paragraph("Dated Essay", style="Title")
    document.add_paragraph("By Ann Writer")
    document.add_paragraph("May 1, 2024")
    document.add_paragraph("To be radical is to grasp things by the root.", style="Quote")
    document.add_paragraph("— Karl Marx, A Contribution to the Critique", style="Quote")
    document.add_paragraph("The text.")
    source = tmp_path / "dated.docx"
    document.save(source)
    result = import_file(source, manuscript)
    book, diags = load(manuscript)
    piece = piece_named(book, result.written)
    assert (piece.authors, piece.date) == (("Ann Writer",), "2024-05-01")
    assert [(q.kind, q.author) for q in piece.quotations] == [("epigraph", "Karl Marx")]
    assert "May 1, 2024" not in result.written.read_text(encoding="utf-8")


def test_odt_import(manuscript, tmp_path):
    from odf.opendocument import OpenDocumentText
    from odf.style import Style, TextProperties
    from odf.text import H, Note, NoteBody, NoteCitation, P, Span

    doc = OpenDocumentText()
    title, quote = Style(name="Title", family="paragraph"), Style(name="Quotations", family="paragraph")
    italic = Style(name="T1", family="text")
    italic.addElement(TextProperties(fontstyle="italic"))
    doc.styles.addElement(title)
    doc.styles.addElement(quote)
    doc.automaticstyles.addElement(italic)
    doc.text.addElement(P(stylename=title, text="Against the Grain: Essays"))
    doc.text.addElement(P(text="By Ann Writer"))
    doc.text.addElement(P(text="12 March 2024"))
    doc.text.addElement(P(stylename=quote, text="To be radical is to grasp things by the root."))
    doc.text.addElement(P(stylename=quote, text="— Karl Marx, A Contribution to the Critique"))
    p = P(text="A first paragraph with ")
    p.addElement(Span(stylename=italic, text="italic words"))
    p.addText(" and a note.")
    note = Note(noteclass="footnote", id="ftn1")
    note.addElement(NoteCitation(text="1"))
    body = NoteBody()
    body.addElement(P(text="The note’s text."))
    note.addElement(body)
    p.addElement(note)
    p.addText(" More text.")
    doc.text.addElement(p)
    doc.text.addElement(H(outlinelevel=1, text="A heading"))
    doc.text.addElement(P(text="Closing."))
    source = tmp_path / "essay.odt"
    doc.save(str(source))

    result = import_file(source, manuscript)
    text = result.written.read_text(encoding="utf-8")
    assert text == ('---\ntitle: "Against the Grain: Essays"\nauthor: Ann Writer\ndate: "2024-03-12"\n---\n\n'
                    "> To be radical is to grasp things by the root.\n>\n> — Karl Marx, *A Contribution to the Critique*\n\n"
                    "A first paragraph with *italic words* and a note.[^1] More text.\n\n## A heading\n\nClosing.\n\n"
                    "[^1]: The note’s text.\n")
    book, diags = load(manuscript)
    assert not diags.errors, [d.format() for d in diags]
    piece = piece_named(book, result.written)
    assert [(q.kind, q.author, q.work) for q in piece.quotations] == [
        ("epigraph", "Karl Marx", "A Contribution to the Critique")]
    assert len(piece.notes) == 1


def test_a_damaged_odt_is_refused_without_a_traceback(manuscript, tmp_path):
    from click.testing import CliRunner
    from anthology.cli import main

    bad = tmp_path / "bad.odt"
    bad.write_bytes(b"PK\x03\x04 not a document")
    result = CliRunner().invoke(main, ["import", str(bad), "--into", str(manuscript)])
    assert result.exit_code == 2 and "bad.odt: not a readable OpenDocument text" in result.output
    assert "Traceback" not in result.output and not list((manuscript / "essays").glob("bad*"))


def test_markdown_import_keeps_the_front_matter_or_makes_one(manuscript, tmp_path):
    kept = tmp_path / "kept.md"
    kept.write_text("---\ntitle: Kept As Is\nauthor: Ann Writer\nsubtitle: With its subtitle\nkeywords: [x]\n---\n\n"
                    "Its text, *as written*.[^a]\n\n![A plate](plate.png)\n\n[^a]: Its note.\n", encoding="utf-8")
    result = import_file(kept, manuscript)
    assert result.written == manuscript / "essays" / "kept-as-is.md"
    assert result.written.read_bytes() == kept.read_bytes()
    assert any(f.kind == "image" and "'plate.png' is relative to kept.md's folder" in f.detail for f in result.unsure)
    bare = tmp_path / "bare.md"
    bare.write_text("# A Bare Essay\n\nIts only paragraph.\n", encoding="utf-8")
    result = import_file(bare, manuscript)
    assert result.written.read_text(encoding="utf-8") == "---\ntitle: A Bare Essay\n---\n\nIts only paragraph.\n"
    broken = tmp_path / "broken.md"
    broken.write_text("---\ntitle: [unclosed\n---\n\nText.\n", encoding="utf-8")
    with pytest.raises(ImportError_, match=r"broken.md:\d+: the front matter is not valid YAML"):
        import_file(broken, manuscript)
