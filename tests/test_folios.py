"""Folios of the chunked print edition: which margin boxes are folios, and the atlas that
lays each (kind of page, number) out once."""

from __future__ import annotations

import subprocess

from anthology import theme
from anthology.writers.print import folios
from anthology.writers.print.cache import Job
from anthology.writers.print.layout import lay_out

THEME = """
@page { @top-center { content: none; } }
@page :left { @top-left { content: counter(page); } @top-center { content: string(book-title); } }
@page :right { @top-right { content: counter(page, lower-roman); } }
@page :nth(1 of opening) { @top-right { content: none; } @bottom-center { content: "p. " counter(page); } }
@page chapter { @bottom-left { content: "of " counter(pages); } }
"""


def test_margin_boxes_showing_the_page_counter_are_folios():
    sheets = folios.split_sheets([THEME])
    no_folios = sheets.no_folios.splitlines()
    assert "@page :left { @top-left { content: none; } }" in no_folios
    assert "@page :right { @top-right { content: none; } }" in no_folios
    assert "@page :nth(1 of opening) { @bottom-center { content: none; } }" in no_folios
    assert "@page chapter { @bottom-left { content: none; } }" in no_folios
    # running heads stay in the chunks and are left out of the atlas
    assert "@page :left { @top-center { content: none; } }" in sheets.only_folios.splitlines()
    assert not any("top-center" in line for line in no_folios)
    assert sheets.uses_total  # counter(pages): every folio depends on the book's length


def page_texts(pdf: bytes) -> list[str]:
    out = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True).stdout
    return [" ".join(page.split()) for page in out.decode().split("\f")[:-1]]


def test_the_atlas_draws_each_number_on_its_side_and_kind_of_page():
    texts = [(url, path.read_text()) for url, path in
             ((p.as_uri(), p) for p in theme.stylesheets("print", ()))]
    only = folios.split_sheets([text for _, text in texts]).only_folios
    sheets = tuple(texts + [("about:folios", only)])
    stamps = [folios.Stamp("opening", True, 7, "right"), folios.Stamp("opening", False, 8, "left"),
              folios.Stamp("opening", False, 9, "right"), folios.Stamp("opening", False, 10, "left"),
              folios.Stamp("opening", True, 31, "right"), folios.Stamp("", False, 120, "left"),
              folios.Stamp("front-opening", True, 5, "right"), folios.Stamp("front-opening", False, 6, "left")]
    html, where = folios.atlas_html(stamps, "en")
    roots = (str(theme.STYLES_DIR),)
    layout = lay_out(Job("atlas", html, theme.STYLES_DIR.as_uri() + "/", sheets, roots, "x", output="pdf"))
    pages = page_texts(layout.data)
    expected = {7: "7", 8: "8", 9: "9", 10: "10", 31: "31", 120: "120"}
    for stamp in stamps:
        page = where[stamp.key]
        assert layout.kinds[page][0] == stamp.side
        assert layout.kinds[page][2] == stamp.name and layout.kinds[page][3] == stamp.first
        assert pages[page] == (expected.get(stamp.value) if stamp.name != "front-opening" else
                               {5: "v", 6: "vi"}[stamp.value]), (stamp, pages[page])
        assert layout.drawn[page]


def test_the_atlas_holds_every_number_of_the_common_kind_of_page():
    """Continuation pages of essays hold most folios: all their numbers are laid out, so that
    pages moved by an added page find theirs; openings are laid out as they come."""
    stamps = {folios.Stamp("opening", False, v, "right" if v % 2 else "left") for v in range(3, 40) if v % 10}
    stamps |= {folios.Stamp("opening", True, v, "right") for v in (1, 11, 21, 31)}
    done = folios.complete(stamps)
    continued = {s.value: s.side for s in done if not s.first}
    assert set(continued) == set(range(3, 48))
    assert all(side == ("right" if v % 2 else "left") for v, side in continued.items())
    assert {s.value for s in done if s.first} == {1, 11, 21, 31}
    assert folios.complete(set(list(stamps)[:5])) == set(list(stamps)[:5])  # too few to fill in
