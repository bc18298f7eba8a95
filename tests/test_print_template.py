"""A manuscript's own `templates/print.html.j2` makes the print edition as it makes the screen PDF."""

from __future__ import annotations

import pytest

from anthology.commands.build import build
from anthology.errors import ManuscriptError
from anthology.theme import TEMPLATES_DIR

from conftest import pdf_text_pages

CONFIG = """
title: A Templated Book
language: en
editors: [Ada Editor]
contents:
  - part: Essays
    pieces:
      - one.md
      - two.md
"""

PIECE = """---
title: {title}
author: Bea Author
---

""" + "\n\n".join(["A paragraph long enough to fill a page or two of the book, " * 12] * 6) + "\n"

BUILT_IN = (TEMPLATES_DIR / "print.html.j2").read_text()


@pytest.fixture
def templated(make_manuscript):
    own = BUILT_IN.replace('data-book-title="{{ book.meta.running_title }}"', 'data-book-title="Our Own Running Head"')
    own = own.replace("</head>", "<style>h1.piece-title::before { content: 'Essay: '; }</style>\n</head>")
    assert own != BUILT_IN
    return make_manuscript({"anthology.yml": CONFIG, "one.md": PIECE.format(title="One"),
                            "two.md": PIECE.format(title="Two"), "templates/print.html.j2": own})


def test_own_print_template_makes_the_print_edition_as_the_screen_pdf(templated, tmp_path):
    result = build(templated, tmp_path / "out", ("pdf", "screen"), jobs=1)
    for edition in ("pdf", "pdf:screen"):
        text = " ".join(" ".join(pdf_text_pages(result.outputs[edition])).split())
        assert "Our Own Running Head" in text, edition
        assert "Essay: One" in text and "Essay: Two" in text, edition


def test_own_print_template_without_a_piece_id_names_the_template(templated, tmp_path):
    template = templated / "templates" / "print.html.j2"
    template.write_text(template.read_text().replace("{{ piece_section(piece) }}", "<p>{{ piece.title }}</p>"))
    with pytest.raises(ManuscriptError) as caught:
        build(templated, tmp_path / "out", ("pdf",), jobs=1)
    [error] = caught.value.diagnostics.errors
    assert str(error.path).endswith("templates/print.html.j2") and "'one'" in error.message
