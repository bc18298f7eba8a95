"""The bench's anchor for typography: the same generated book set by Typst, to measure beside ours.

pandoc (PyPI's pypandoc-binary) turns each piece's Markdown into Typst markup under a level-1
heading with its title; a preamble gives Typst the print edition's page (6 × 9 in, the theme's
margins), type (the 12-point cut at 11/14.5 pt, American hyphenation, justified) and each piece
opening on a recto; PyPI's `typst` compiles it. Bench-only: neither is a dependency of Anthology.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

PREAMBLE = """\
#set page(width: 6in, height: 9in, margin: (inside: 0.75in, outside: 0.625in, top: 0.75in, bottom: 0.85in),
          numbering: "1")
#set text(font: "EB Garamond 12", size: 11pt, lang: "en", region: "us", hyphenate: true,
          top-edge: 0.8em, bottom-edge: -0.2em)
#set par(justify: true, leading: 14.5pt - 11pt, spacing: 14.5pt - 11pt, first-line-indent: 1.2em)
#show heading.where(level: 1): it => { pagebreak(weak: true, to: "odd"); v(1.2in); text(20pt, weight: "regular", it.body); v(1.6em) }
#show heading: set text(weight: "regular")
#show quote: set text(size: 9.8pt)
#let horizontalrule = align(center, [\*#h(1em)\*#h(1em)\*])
"""
FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---\n", re.S)


def markdown_book(manuscript: Path) -> str:
    """The manuscript's pieces, in order, each under a level-1 heading with its title."""
    import yaml

    config = yaml.safe_load((manuscript / "anthology.yml").read_text(encoding="utf-8"))
    parts = []
    for entry in config.get("contents", []):
        names = entry.get("pieces", []) if isinstance(entry, dict) else [entry]
        for name in names:
            if not isinstance(name, str):
                continue
            text = (manuscript / name).read_text(encoding="utf-8")
            meta = FRONT_MATTER.match(text)
            title = yaml.safe_load(meta.group(1)).get("title", name) if meta else name
            body = text[meta.end():] if meta else text
            body = re.sub(r"^(#+) ", lambda m: "#" + m.group(1) + " ", body, flags=re.M)  # below the title
            parts.append(f"# {title}\n\n{body}")
    return "\n\n".join(parts)


def typeset(manuscript: Path, out: Path) -> tuple[Path, float, float]:
    """The Typst PDF of the manuscript, with the seconds pandoc and Typst took."""
    import pypandoc
    import typst

    started = time.perf_counter()
    markup = pypandoc.convert_text(markdown_book(manuscript), "typst", format="markdown")
    converted = time.perf_counter() - started
    source = out / "book.typ"
    source.write_text(PREAMBLE + "\n" + markup, encoding="utf-8")
    pdf = out / "typst.pdf"
    started = time.perf_counter()
    typst.compile(str(source), output=str(pdf))
    return pdf, converted, time.perf_counter() - started
