"""`anthology stats --typography`: the report measures PDFs whose figures are known by
construction: pages drawn word by word in Courier (every glyph 0.6 em wide), so each word space,
line end and page foot is where the test put it."""

from __future__ import annotations

import json

import pikepdf
import pytest
from click.testing import CliRunner
from weasyprint import HTML

from anthology.cli import main
from anthology.typereport import measure

SIZE, PITCH, LEFT, WIDTH, TOP = 10.0, 12.0, 40.0, 300.0, 250.0  # a full line: LEFT to LEFT + WIDTH
FULL = 12  # lines on a full page


def words(n: int, chars: int, last: str = "") -> list[str]:
    """n words of `chars` letters in all, the last one `last` if given."""
    letters = chars - len(last)
    count = n - 1 if last else n
    sizes = [letters // count + (i < letters % count) for i in range(count)]
    return ["".join("abcdefghij"[(i + k) % 10] for k in range(s)) for i, s in enumerate(sizes)] + ([last] if last else [])


def justified(ws: list[str]) -> tuple[list[str], float]:
    """A line of `ws` spread to the full width: its words and its word space in ems."""
    chars = sum(map(len, ws))
    return ws, (WIDTH - 0.6 * SIZE * chars) / (len(ws) - 1) / SIZE


def tight(last: str = "") -> tuple[list[str], float]:
    return justified(words(10, 45, last))  # 0.33 em


def short(n: int = 3) -> tuple[list[str], float]:
    return words(n, 12), 0.25  # a paragraph's last line, ragged


def build_pdf(path, pages: list[list[tuple[list[str], float]]], openings: set[int]) -> None:
    """Pages of lines, each line (words, space in ems[, indent]), drawn from the top of the text block, with
    a running head above it and a folio under it; bookmarks to the `openings` (0-based)."""
    pdf = pikepdf.new()
    font = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1,
                                                BaseFont=pikepdf.Name.Courier, Encoding=pikepdf.Name.WinAnsiEncoding))
    for number, lines in enumerate(pages):
        ops = [f"BT /F1 8 Tf 1 0 0 1 {LEFT} 280 Tm (RUNNING HEAD) Tj ET"]
        for row, (ws, space, *indent) in enumerate(lines):
            x, y = LEFT + sum(indent), TOP - row * PITCH
            for w in ws:
                ops.append(f"BT /F1 {SIZE} Tf 1 0 0 1 {x:.3f} {y} Tm ({w}) Tj ET")
                x += 0.6 * SIZE * len(w) + space * SIZE
        ops.append(f"BT /F1 8 Tf 1 0 0 1 {LEFT + WIDTH / 2} 40 Tm ({number + 1}) Tj ET")
        page = pikepdf.Dictionary(Type=pikepdf.Name.Page, MediaBox=[0, 0, 400, 300],
                                  Resources=pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font)),
                                  Contents=pdf.make_stream("\n".join(ops).encode()))
        pdf.pages.append(pikepdf.Page(page))
    with pdf.open_outline() as outline:
        for n in sorted(openings):
            outline.root.append(pikepdf.OutlineItem(f"Piece {n}", n))
    pdf.save(path)


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    """Seven pages: 1 opens a piece and has a run of three hyphenated lines, a short break and a
    paragraph's last word broken; 2 has two lines over 0.5 em and one of 0.47 em; 3 ends
    three lines short (and its spread with 2 is uneven); 4 and 5 end in a hyphen (5 is a recto:
    a page turn); 6 ends its piece short, 7 opens the next."""
    p1 = [tight("epsi-"), tight("kappa-"), tight("lambda-"), tight(), tight("vwxab-"), tight(),
          tight(), tight("sigma-"), (["tail."], 0.25), (words(9, 40), 0.3, 12.0), tight(), tight()]
    p1[5] = justified(["ab"] + words(9, 43))  # the end of "vwxab-ab": two letters after the break
    p2 = [justified(words(7, 44)), justified(words(7, 44)), justified(words(10, 43)), *[tight()] * 9]
    p3 = [tight()] * (FULL - 3)
    p4 = [tight()] * (FULL - 1) + [tight("omega-")]
    p5 = [tight()] * (FULL - 1) + [tight("theta-")]
    p6 = [tight()] * 4 + [short()]
    p7 = [tight()] * FULL
    path = tmp_path_factory.mktemp("typo") / "book.pdf"
    build_pdf(path, [p1, p2, p3, p4, p5, p6, p7], {0, 6})
    return path


def test_hyphenation_figures(book):
    report = measure(book)
    assert report.pages == 7 and report.body_size == SIZE and report.line_pitch == PITCH
    assert report.lines == 12 * 5 + 9 + 5 and report.hyphenated == 7
    assert report.hyphen_runs == 1 and report.longest_run == 3
    assert report.page_end_hyphens == 2 and report.recto_foot_hyphens == 1
    assert report.examples["recto foot"] == ["p. 5: …" + " ".join(tight("theta-")[0])[-30:]]
    assert report.short_breaks == 1 and report.examples["short breaks"] == ["p. 1: vwxab-ab"]
    assert report.last_line_hyphens == 1


def test_loose_lines_short_pages_and_spreads(book):
    report = measure(book)
    assert report.loose_05 == 2 and report.loose_04 == 3
    assert report.widest_space == pytest.approx(0.6, abs=0.01)
    assert report.loose_per_100 == pytest.approx(200 / 7)
    assert report.chars_per_line == pytest.approx(45 + 9, abs=1)  # mostly tight lines: 45 letters, 9 spaces
    assert report.short_pages == [3]  # page 6 is short too, but its piece ends there
    assert report.spreads == 2 and report.uneven_spreads == [(2, 3)]  # 4–5 are level; 6–7 end a piece
    goals = {label: met for label, _, _, met in report.goals()}
    assert not goals["uneven spreads"] and not goals["longest run of hyphenated lines"]


def test_an_even_book_meets_every_goal(tmp_path):
    path = tmp_path / "even.pdf"
    build_pdf(path, [[tight()] * FULL] * 4 + [[tight()] * 3 + [short()]], {0})
    report = measure(path)
    assert report.hyphenated == 0 and report.spreads == 1  # 2–3; 4–5 ends the piece
    assert all(met for *_, met in report.goals())


def test_body_face_is_the_embedded_program(tmp_path):
    """A PDF names its fonts as it likes; the report reads the program embedded for the body."""
    path = tmp_path / "garamond.pdf"
    text = "<p>" + "Sound and sense together, as a reader hears them. " * 30 + "</p>"
    HTML(string=f"<style>p {{ font-family: 'EB Garamond 12'; font-size: 11pt }} "
                f"h1 {{ font-family: 'DejaVu Serif'; font-size: 8pt; font-weight: normal }}</style>{text}<h1>Title</h1>{text}").write_pdf(path)
    report = measure(path)
    assert report.body_face == "EB Garamond 12 Regular" and report.body_size == 11
    assert report.faces["EB Garamond 12 Regular"] > 2000 and report.faces["DejaVu Serif"] == 5


def test_cli_prints_the_report_and_refuses_what_is_not_a_pdf(book, tmp_path):
    result = CliRunner().invoke(main, ["stats", "--typography", str(book), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["uneven_spreads"] == [[2, 3]]
    table = CliRunner().invoke(main, ["stats", "--typography", str(book)])
    assert "longest run of hyphenated lines" in table.stdout and "not met" in table.stdout
    bad = tmp_path / "notes.pdf"
    bad.write_text("not a PDF\n")
    refused = CliRunner().invoke(main, ["stats", "--typography", str(bad)])
    assert refused.exit_code == 2 and "notes.pdf" in refused.output and "Traceback" not in refused.output
