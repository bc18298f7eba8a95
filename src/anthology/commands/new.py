"""`anthology new` and `anthology add`: start a manuscript, and add a piece to one.

The skeleton is a book that builds and checks clean as it stands, so an editor starts from
something that works and changes it a line at a time; its anthology.yml explains every key.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from ..errors import AnthologyError
from ..importers import create_piece, listed_pieces, piece_slug
from ..importers.contents import ContentsError, add_to_contents
from ..importers.markdown import yaml_scalar
from ..readers.chars import NOT_TEXT, not_text
from ..readers.manuscript import CONFIG_NAME
from .schema import MODELINE, SCHEMA_NAME, schema

CONFIG = MODELINE + """\
# anthology.yml: the book's metadata and the order of its contents.
# A line starting with # is a comment. Unknown keys are errors, reported with their line,
# so a misspelt key cannot go unnoticed. Uncomment a key to use it.

title: A New Anthology              # required; the output files are named after it
# subtitle: Essays on Something     # printed under the title
language: en                        # required: a BCP 47 tag (en, en-GB, de, fr …): hyphenation and quotation marks
editors: [Your Name]                # the book's editors, on the title and copyright pages
# publisher: Example Press          # the title and copyright pages
# series: A Series Name             # printed above the title
# date: 2026-01-01                  # publication date; the copyright page prints its year
rights: © the contributors.         # the copyright page's rights line
# description: A sentence or two.  # for the back cover and the ebook stores
identifier: {identifier}  # this book's own, made at random by anthology new: keep it
# edition: First edition            # the copyright page's edition line
# isbn: {print: 978-…, ebook: 978-…}  # one ISBN per edition
# subjects: [Essays]                # subject keywords in the metadata of both editions

contents:                           # required: every piece, in reading order
  - introduction.md                 # front matter: pieces before the first part
  - part: Essays                    # a part: a title and its pieces in order
    pieces:
      - essays/first-essay.md
  # - afterword.md                  # back matter: pieces after the last part

# editions:                         # print editions (default: one 6x9in edition called print)
#   print:
#     trim: 6x9in                   # 5x8in, 5.5x8.5in, 6x9in, A5, royal … or WxH with a unit
#     profile: kdp                  # kdp, ingramspark, offset or none: bleed, marks, gutter, spine
#     paper: cream                  # white or cream: the spine's width per page
# epub:                            # options of the EPUB edition
#   cover: images/cover.jpg         # a cover image; left out, one is drawn from the title
#   embed_fonts: false              # embed the book typeface in the EPUB
# site:                            # the web edition (<slug>-web/)
#   url: https://example.org/book/  # where it is published: canonical links and feeds made absolute
# fonts:                            # faces before the built-in stack (EB Garamond, then Noto) in the PDFs
#   default: [EB Garamond 12]       # for the whole book
#   ar: [Noto Naskh Arabic]         # for text in a language (the book's, or a span's lang)
"""

INTRODUCTION = """\
---
title: Introduction
author: Your Name
---

This is the introduction: a piece before the first part, so it is set as front matter. Write
it in Markdown, as every piece is, below the front matter block that gives its title.

Add an essay with `anthology add "Its Title" --part Essays`, check the manuscript with
`anthology check`, preview it with `anthology serve`, and build it with `anthology build`.
"""

FIRST_ESSAY = """\
---
title: The First Essay
author: An Author
---

> Block quotes before the first paragraph become the essay’s epigraphs.
>
> — Someone Quotable, *A Book*

The first paragraph. *Emphasis*, footnotes[^1] and “curly quotes” work as they do in any
Markdown; `anthology check` points at straight quotes, double spaces and dashes typed as `--`.

## A Heading

> A quotation whose last line names its source is printed with its attribution.
>
> — An Author, *Another Book*, p. 12

[^1]: Notes are set at the foot of the page in print and as pop-up notes in the EPUB.
"""

SKELETON = {CONFIG_NAME: CONFIG, "introduction.md": INTRODUCTION, "essays/first-essay.md": FIRST_ESSAY,
            SCHEMA_NAME: None}  # the schema anthology.yml's first line points editors' YAML support at


def new(folder: Path) -> list[Path]:
    """Write the skeleton into `folder` (created if missing); refuse a folder with anything in it."""
    folder = Path(folder)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise AnthologyError(f"{folder}: not an empty folder; nothing was written (give a new or empty folder)")
    written = []
    for name, text in SKELETON.items():
        text = text if text is not None else json.dumps(schema(), ensure_ascii=False, indent=2) + "\n"
        if name == CONFIG_NAME:  # a UUID of its own, so that two books of one title stay two books
            text = text.replace("{identifier}", f"urn:uuid:{uuid.uuid4()}")
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def piece_text(title: str) -> str:
    return f"---\ntitle: {yaml_scalar(title)}\n# author: Name\n---\n\n"


def add(title: str, manuscript: Path, part: str | None = None) -> tuple[Path, str]:
    """Create `essays/<slug>.md` for `title` (the next free name, never an existing file) and
    list it in contents, in `part` when given; return the file and where it was listed."""
    root = Path(manuscript)
    if not (root / CONFIG_NAME).is_file():
        raise AnthologyError(f"{root}: not a manuscript (no {CONFIG_NAME}); nothing was written")
    if not title.strip():
        raise AnthologyError("a piece needs a title")
    for what, value in (("the title", title), ("--part", part or "")):
        bad = NOT_TEXT.search(value)
        if bad:
            raise AnthologyError(f"{what}: {not_text(bad.group())}; nothing was written")
    path = create_piece(root / "essays", piece_slug(title), piece_text(title.strip()), listed_pieces(root), root)
    try:
        where = add_to_contents(root / CONFIG_NAME, path.relative_to(root).as_posix(), part)
    except ContentsError as exc:
        path.unlink()
        raise AnthologyError(f"{root / CONFIG_NAME}: {exc} (no piece file was kept)") from exc
    return path, where
