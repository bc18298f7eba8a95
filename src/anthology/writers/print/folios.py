"""Folios of a chunked print edition, laid out once per number and kind of page.

A folio is the only thing on a page that depends on where its chunk lands in the book. So
chunk documents draw everything else in their margins (running heads included), and the
margin boxes that show the page counter are left out of them; those are laid out here, in
"atlas" documents whose pages carry nothing but folios, one page per (kind of page, number).
An atlas page is cached by what it shows, not by where it goes: when a page is added to an
essay, the essays after it reuse the folios laid out before, and only the few numbers and
kinds never drawn yet are laid out.

The kind of a page is what the theme's `@page` selectors can tell apart: its side, its page
name and whether it opens a group of that name (`:nth(1 of opening)`). Blank pages carry no
folio. Counters other than the page's own number (`counter(pages)`) make every folio depend
on the book's length, which the cache key then includes.
"""

from __future__ import annotations

from dataclasses import dataclass

import tinycss2

from ...cachestore import CacheDamaged
from .cache import Cache, ChunkLayout

MARGIN_BOXES = {"top-left-corner", "top-left", "top-center", "top-right", "top-right-corner",
                "bottom-left-corner", "bottom-left", "bottom-center", "bottom-right", "bottom-right-corner",
                "left-top", "left-middle", "left-bottom", "right-top", "right-middle", "right-bottom"}


@dataclass(frozen=True)
class FolioSheets:
    """Overrides of the theme's margin boxes: in chunk documents, folios left out; in atlas
    documents, everything but folios left out. Each override repeats the theme rule's own
    selector, later in the cascade, so more specific rules still win as they would."""

    no_folios: str
    only_folios: str
    uses_total: bool


def _shows_page_counter(declarations) -> tuple[bool, bool, bool]:
    """(sets content, shows counter(page), shows counter(pages)) of a margin box's declarations."""
    sets = page = pages = False
    for item in declarations:
        if item.type != "declaration" or item.lower_name != "content":
            continue
        sets = True
        for token in item.value:
            if token.type == "function" and token.lower_name in ("counter", "counters"):
                args = [t for t in token.arguments if t.type == "ident"]
                name = args[0].lower_value if args else ""
                page = page or name == "page"
                pages = pages or name == "pages"
    return sets, page, pages


def split_sheets(texts: list[str]) -> FolioSheets:
    """Find the margin boxes that show the page number in the print stylesheets."""
    no_folios, only_folios, uses_total = [], [], False
    for text in texts:
        for rule in tinycss2.parse_stylesheet(text, skip_comments=True, skip_whitespace=True):
            if rule.type != "at-rule" or rule.lower_at_keyword != "page" or rule.content is None:
                continue
            selector = tinycss2.serialize(rule.prelude).strip()
            for box in tinycss2.parse_blocks_contents(rule.content, skip_comments=True, skip_whitespace=True):
                if box.type != "at-rule" or box.lower_at_keyword not in MARGIN_BOXES or box.content is None:
                    continue
                sets, page, pages = _shows_page_counter(
                    tinycss2.parse_blocks_contents(box.content, skip_comments=True, skip_whitespace=True))
                if not sets:
                    continue
                override = f"@page {selector} {{ @{box.lower_at_keyword} {{ content: none; }} }}"
                (no_folios if page or pages else only_folios).append(override)
                uses_total = uses_total or pages
    return FolioSheets("\n".join(no_folios), "\n".join(only_folios), uses_total)


@dataclass(frozen=True, order=True)
class Stamp:
    """A folio to draw: the kind of page and its counter value."""

    name: str
    first: bool
    value: int
    side: str

    @property
    def key(self) -> str:
        return f"{self.side}|{self.name}|{int(self.first)}|{self.value}"


def complete(stamps: set[Stamp], least: int = 16, beyond: int = 8) -> set[Stamp]:
    """The stamps and, for each kind of page that continues a group on many pages, every number
    from its first to a few past its last: when pages move (a page added to an essay), their
    folios are then already in the atlas, and only the few pages that open a group are new."""
    runs: dict[str, list[Stamp]] = {}
    for stamp in stamps:
        if not stamp.first:
            runs.setdefault(stamp.name, []).append(stamp)
    out = set(stamps)
    for name, found in runs.items():
        if len(found) < least:
            continue
        ref = min(found)
        flip = {"left": "right", "right": "left"}
        for value in range(ref.value, max(s.value for s in found) + beyond + 1):
            out.add(Stamp(name, False, value, ref.side if (value - ref.value) % 2 == 0 else flip[ref.side]))
    return out


# The atlas document's own layout: each page a 1pt-high empty block; runs of pages in an
# element carrying the page name, so that the group indices match the book's.
RTL = ' dir="rtl"'
ATLAS_CSS = """
body.folio-atlas { margin: 0; }
.folio-atlas .run + .run, .folio-atlas .p + .p { break-before: page; }
.folio-atlas .p { height: 1pt; }
"""


def atlas_html(stamps: list[Stamp], lang: str, direction: str = "ltr") -> tuple[str, dict[str, int]]:
    """An atlas document for stamps, and the page of the document each stamp is on.
    A right-to-left document opens on a left-hand page, as the book does.

    Stamps that open a group get a run of their own; stamps that continue one share a run
    with the next numbers, after one page that opens the group. Spacer pages put every page
    on its side; `counter-reset` rules set the number wherever the sequence jumps."""
    runs: list[tuple[str, list[Stamp | None]]] = []
    for stamp in sorted(stamps):
        if stamp.first:
            runs.append((stamp.name, [stamp]))
            continue
        last = runs[-1] if runs else None
        previous = last[1][-1] if last and last[1] else None
        if (last and last[0] == stamp.name and previous is not None and not previous.first
                and previous.value + 1 == stamp.value and (previous.side == "right") != (stamp.side == "right")):
            last[1].append(stamp)
        else:
            runs.append((stamp.name, [None, stamp]))  # None: the page that opens the group
    body, rules, pages = [], [], {}
    opening, flip = ("left" if direction == "rtl" else "right"), {"left": "right", "right": "left"}
    index = 0
    # never :first, like every page of the book but the half title
    body.append('<div class="run"><div class="p"></div></div>')
    index += 1
    for name, run in runs:
        first = next(s for s in run if s is not None)
        lead = run.index(first)  # pages before the first stamp
        side = opening if (index + lead) % 2 == 0 else flip[opening]
        if side != first.side:
            body.append('<div class="run"><div class="p"></div></div>')
            index += 1
        style = f' style="page: {name}"' if name else ""
        body.append(f'<div class="run"{style}>' + '<div class="p"></div>' * len(run) + "</div>")
        for offset, stamp in enumerate(run):
            if stamp is None:
                continue
            pages[stamp.key] = index + offset
            if offset == lead:
                rules.append(f"@page :nth({index + offset + 1}) {{ counter-reset: page {stamp.value}; }}")
        index += len(run)
    html = (f'<!DOCTYPE html><html lang="{lang}"{RTL if direction == "rtl" else ""}><head><meta charset="utf-8"/><title>folios</title>'
            f'<style>{ATLAS_CSS}\n' + "\n".join(rules) + '</style></head><body class="print folio-atlas">'
            + "".join(body) + "</body></html>")
    return html, pages


class Atlas:
    """Where every folio laid out so far is: [atlas digest, page, whether the theme draws a
    folio on that kind of page]. One index per set of stylesheets, under the cache. The
    folios of an atlas document no longer in the cache (or damaged) are laid out again, all
    of them, so that the document made again is the one that was lost."""

    def __init__(self, cache: Cache, key: str):
        self.cache = cache
        self.key = key
        self.docs: dict[str, ChunkLayout] = {}  # atlas documents laid out in this build
        self.pending: dict[str, dict[str, int]] = {}  # job key: where its stamps are
        index = cache.get_json(f"folios-{key}")
        if not isinstance(index, dict):
            index = {}
        index = {k: v for k, v in index.items() if isinstance(v, list) and len(v) == 3 and isinstance(v[0], str)
                 and isinstance(v[1], int) and isinstance(v[2], bool)}
        kept = {d for d in {v[0] for v in index.values()} if cache.get(d, data=False) is not None}
        self.index: dict[str, list] = {k: v for k, v in index.items() if v[0] in kept}
        self.lost: dict[str, list[Stamp]] = {}  # the stamps of each document lost, to lay out again as it was
        for key, (digest, _, _) in index.items():
            if digest not in kept:
                side, name, first, value = key.split("|")
                self.lost.setdefault(digest, []).append(Stamp(name, first == "1", int(value), side))

    def where(self, key: str) -> tuple[str, int] | None:
        """The atlas document and page of a folio; None if that kind of page has none."""
        entry = self.index.get(key)
        return (entry[0], entry[1]) if entry is not None and entry[2] else None

    def missing(self, stamps: set[Stamp]) -> list[Stamp]:
        return sorted(s for s in stamps if s.key not in self.index)

    def add(self, digest: str, pages: dict[str, int], layout: ChunkLayout) -> None:
        self.docs[digest] = layout
        for key, page in pages.items():
            self.index[key] = [digest, page, bool(layout.drawn[page])]

    def document(self, digest: str) -> ChunkLayout:
        """An atlas document's layout (its data read from the cache when wanted)."""
        layout = self.docs.get(digest) or self.cache.get(digest, data=False)
        if layout is None:
            raise CacheDamaged("a folio atlas in the cache was damaged or removed during the build: build again")
        return layout

    def save(self) -> None:
        self.cache.put_json(f"folios-{self.key}", self.index)
