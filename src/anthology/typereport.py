"""The typography report of a built PDF: what a book designer checks on the pages themselves.

It reads the PDF, never the manuscript, so the same measure applies to any engine's book (the
bench sets Typst's beside WeasyPrint's). pdfminer.six gives every glyph with its font, size and
box; lines are grouped by it, and the rest is geometry:

- the body text is the size most glyphs are set in; the text block is where its lines stand (the
  running head above it and a folio alone on its line are left out);
- a line is hyphenated when it ends in a hyphen and its word goes on at the next line; the
  engine's own hyphens (U+2010 or a soft hyphen; a hyphen-minus for an engine that has no other)
  are the ones counted for breaks leaving fewer than three letters;
- a word space is the gap between two words of a justified body line, in ems of its size (the
  line's median, as justification widens all its spaces alike);
- pieces open where the PDF's bookmarks point; a page of text (four body lines at least) is short
  when two more lines would fit under its last and the piece goes on overleaf, and a spread is
  uneven when its two pages end more than half a line apart.
"""

from __future__ import annotations

import io
import re
import statistics
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pikepdf
from fontTools.cffLib import CFFFontSet
from fontTools.ttLib import TTFont
from pdfminer.converter import PDFPageAggregator
from pdfminer.layout import LAParams, LTChar, LTComponent, LTContainer, LTImage, LTTextLine
from pdfminer.pdffont import PDFFont
from pdfminer.pdfinterp import PDFPageInterpreter, PDFResourceManager
from pdfminer.pdfpage import PDFPage
from pdfminer.pdftypes import PDFStream, resolve1

HYPHENS = "\u2010\u00ad-"
ENGINE_HYPHENS = "\u2010\u00ad"
SPACES = " \u00a0"
FOLIO = re.compile(r"^(\d+|[ivxlcdm]+)$", re.I)
LEADER = re.compile(r"(\.\s*){4,}")
# Goals of issue 17 (per book unless said): the report's last column.
GOALS = {"hyphenated_pct": 6.0, "longest_run": 2, "short_breaks": 0, "recto_foot_hyphens": 0,
         "loose_per_100": 2.0, "short_pages": 0, "uneven_spreads": 0}


@dataclass
class Line:
    page: int  # 0-based
    text: str
    x0: float
    x1: float
    y0: float  # bottom of its glyph boxes (PDF space: up is larger)
    y1: float
    size: float  # the size most of its glyphs are set in
    face: str  # the font program most of those are drawn from
    spaces: list[float] = field(default_factory=list)  # word spaces, in ems

    @property
    def hyphen(self) -> str:
        return self.text[-1] if self.text and self.text[-1] in HYPHENS and len(self.text) > 1 \
            and self.text[-2].isalpha() else ""


@dataclass
class Page:
    lines: list[Line]
    images: list[tuple[float, float]]  # (bottom, top) of each picture


@dataclass
class TypographyReport:
    pdf: str
    pages: int
    body_face: str  # the full name of the font program the body text is drawn from
    body_size: float
    line_pitch: float
    chars_per_line: float  # the measure: characters of a full body line, on average
    lines: int  # body text lines
    hyphenated: int
    hyphen_runs: int  # runs of more than two hyphenated lines in a row
    longest_run: int
    page_end_hyphens: int
    recto_foot_hyphens: int  # a page turn: the reader turns the leaf in mid-word
    short_breaks: int  # fewer than three letters before or after the engine's hyphen
    last_line_hyphens: int  # a paragraph's last word broken: its last line is the word's tail alone
    loose_04: int  # body lines whose word spaces are wider than 0.4 em
    loose_05: int  # … than 0.5 em
    widest_space: float
    short_pages: list[int]  # 1-based page numbers
    uneven_spreads: list[tuple[int, int]]
    spreads: int  # spreads compared (both pages text, the piece going on)
    faces: dict[str, int]  # characters per font program (by the face of each line)
    examples: dict[str, list[str]]

    @property
    def hyphenated_pct(self) -> float:
        return 100 * self.hyphenated / self.lines if self.lines else 0.0

    @property
    def loose_per_100(self) -> float:
        return 100 * self.loose_05 / self.pages if self.pages else 0.0

    def as_dict(self) -> dict:
        data = asdict(self)
        data["hyphenated_pct"] = round(self.hyphenated_pct, 2)
        data["loose_per_100"] = round(self.loose_per_100, 2)
        return data

    def goals(self) -> list[tuple[str, str, str, bool]]:
        """(measure, value, goal, met) for each goal of the report."""
        rows = [("hyphenated lines", f"{self.hyphenated_pct:.1f} %", f"≤ {GOALS['hyphenated_pct']:g} %",
                 self.hyphenated_pct <= GOALS["hyphenated_pct"]),
                ("longest run of hyphenated lines", str(self.longest_run), f"≤ {GOALS['longest_run']}",
                 self.longest_run <= GOALS["longest_run"]),
                ("breaks leaving < 3 letters", str(self.short_breaks), "0", self.short_breaks == 0),
                ("hyphens at a recto's foot", str(self.recto_foot_hyphens), "0", self.recto_foot_hyphens == 0),
                ("lines with word spaces > 0.5 em per 100 pages", f"{self.loose_per_100:.1f}",
                 f"≤ {GOALS['loose_per_100']:g}", self.loose_per_100 <= GOALS["loose_per_100"]),
                ("short pages in mid-piece", str(len(self.short_pages)), "0", not self.short_pages),
                ("uneven spreads", f"{len(self.uneven_spreads)} of {self.spreads}", "0", not self.uneven_spreads)]
        return rows


def _glyphs(item: LTComponent, chars: list[LTChar], images: list) -> None:
    if isinstance(item, LTChar):
        chars.append(item)
    elif isinstance(item, LTImage):
        images.append(item)
    elif isinstance(item, LTContainer):
        for child in item:
            _glyphs(child, chars, images)


def _line(page: int, chars: list[LTChar]) -> Line | None:
    chars = sorted(chars, key=lambda c: c.x0)
    ink = [c for c in chars if c.get_text() not in SPACES and c.get_text().strip()]
    if not ink:
        return None
    size = Counter(round(c.size, 1) for c in ink).most_common(1)[0][0]
    face = Counter(c.face for c in ink if round(c.size, 1) == size).most_common(1)[0][0]
    text, spaces, previous, spaced = [], [], None, False
    for c in chars:
        if c.get_text() in SPACES:
            spaced = True
            continue
        if previous is not None:
            gap = (c.x0 - previous.x1) / size
            if spaced or gap > 0.2:  # an engine may draw no space glyph, only the gap
                spaces.append(gap)
                text.append(" ")
        text.append(c.get_text())
        previous, spaced = c, False
    text = "".join(text)
    main = [c for c in ink if round(c.size, 1) == size]
    return Line(page, text, min(c.x0 for c in ink), max(c.x1 for c in ink), min(c.y0 for c in main),
                max(c.y1 for c in main), size, face, spaces)


class _Glyphs(PDFPageAggregator):
    """pdfminer's page layout, each glyph knowing the full name of the font program it is drawn
    from: PDFs name fonts as they like (WeasyPrint gives both cuts of a family one name)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.faces: dict[int, str] = {}

    def render_char(self, matrix, font: PDFFont, *args) -> float:
        advance = super().render_char(matrix, font, *args)
        if id(font) not in self.faces:
            self.faces[id(font)] = _face(font)
        self.cur_item._objs[-1].face = self.faces[id(font)]
        return advance


def _face(font: PDFFont) -> str:
    descriptor = getattr(font, "descriptor", None) or {}
    for kind in ("FontFile3", "FontFile2", "FontFile"):
        stream = resolve1(descriptor.get(kind))
        if isinstance(stream, PDFStream):
            return _program_name(stream.get_data())
    return str(font.fontname)  # not embedded: its name is all there is


def read_pages(pdf: Path) -> list[Page]:
    """Every page's lines of text, top to bottom, and its pictures."""
    params = LAParams(char_margin=200, line_overlap=0.5, line_margin=0.01, boxes_flow=None)
    pages = []
    with open(pdf, "rb") as file:
        device = _Glyphs(PDFResourceManager(), laparams=params)
        interpreter = PDFPageInterpreter(device.rsrcmgr, device)
        for number, source in enumerate(PDFPage.get_pages(file)):
            interpreter.process_page(source)
            pages.append(_page(number, device.get_result()))
    return pages


def _page(number: int, layout) -> Page:
    lines, images = [], []
    for item in layout:
        groups = [item] if isinstance(item, LTTextLine) else \
            [line for line in item if isinstance(line, LTTextLine)] if isinstance(item, LTContainer) else []
        for group in groups:
            chars: list[LTChar] = []
            _glyphs(group, chars, [])
            line = _line(number, chars)
            if line is not None:
                lines.append(line)
        if not groups:
            pictures: list = []
            _glyphs(item, [], pictures)
            images += [(p.y0, p.y1) for p in pictures if p.height > 5]
    lines.sort(key=lambda ln: (-round(ln.y0, 0), ln.x0))
    return Page(lines, images)


def _mode(values, default: float = 0.0) -> float:
    counted = Counter(values).most_common(1)
    return counted[0][0] if counted else default


def _program_name(data: bytes) -> str:
    try:
        return TTFont(io.BytesIO(data), lazy=True)["name"].getDebugName(4) or "?"
    except Exception:  # not an OpenType font: a bare CFF program, or a Type 1 one
        pass
    try:
        cff = CFFFontSet()
        cff.decompile(io.BytesIO(data), None)
        top = cff.topDictIndex[0]
        return getattr(top, "FullName", None) or cff.fontNames[0]
    except Exception:
        return "?"


def _openings(pdf: Path) -> set[int]:
    """The pages the bookmarks point to: where pieces, parts and the contents open."""
    found: set[int] = set()
    with pikepdf.open(pdf) as doc:
        index = {page.objgen: i for i, page in enumerate(doc.pages)}
        with doc.open_outline() as outline:
            todo = list(outline.root)
            while todo:
                item = todo.pop()
                todo.extend(item.children)
                dest = item.destination
                if dest is None and item.action is not None and item.action.get("/D") is not None:
                    dest = item.action.D
                if isinstance(dest, pikepdf.Array) and len(dest) and dest[0].objgen in index:
                    found.add(index[dest[0].objgen])
    return found


def _ends_paragraph(line: Line, flat: list[tuple[Line, bool]], pitch: float) -> bool:
    """Whether a short line is its paragraph's last: the next line is indented, further down
    than the next line would be, or on another page."""
    at = next(i for i, (ln, _) in enumerate(flat) if ln is line)
    if at + 1 == len(flat):
        return True
    following = flat[at + 1][0]
    return (following.page != line.page or following.x0 > line.x0 + 0.5 * line.size
            or line.y0 - following.y0 > 1.3 * pitch)


def measure(pdf: Path) -> TypographyReport:
    """The typography report of `pdf` (see the module)."""
    pages = read_pages(pdf)
    glyphs = Counter()
    for page in pages:
        for line in page.lines:
            glyphs[line.size] += len(line.text)
    body = glyphs.most_common(1)[0][0] if glyphs else 0.0
    is_body = [[abs(ln.size - body) < 0.3 for ln in page.lines] for page in pages]
    bodies = [ln for page, flags in zip(pages, is_body) for ln, f in zip(page.lines, flags) if f]
    top = _mode(round(next(ln.y1 for ln, f in zip(p.lines, fl) if f)) for p, fl in zip(pages, is_body) if any(fl))
    right = {parity: _mode(round(ln.x1) for ln in bodies if ln.page % 2 == parity) for parity in (0, 1)}
    pitches = [round(a.y0 - b.y0, 1) for a, b in zip(bodies, bodies[1:]) if a.page == b.page and a.y0 > b.y0]
    pitch = _mode(pitches, body * 1.3)

    # The text block's lines: not the running head above it, nor a folio alone on its line.
    text: list[list[Line]] = []
    for page in pages:
        kept = [ln for ln in page.lines if ln.y0 <= top + 1 and not (FOLIO.match(ln.text.strip())
                                                                     and ln in (page.lines[0], page.lines[-1]))]
        text.append(kept)
    full = [[ln.x1 >= right[ln.page % 2] - 1 for ln in lines] for lines in text]

    # Hyphenation: each line with the one its last word goes on to.
    engine = ENGINE_HYPHENS if any(ln.hyphen in ENGINE_HYPHENS for lines in text for ln in lines if ln.hyphen) else HYPHENS
    flat = [(ln, f) for lines, fulls in zip(text, full) for ln, f in zip(lines, fulls)]
    examples: dict[str, list[str]] = {"short breaks": [], "recto foot": [], "loose": []}
    hyphenated = runs = longest = run = page_end = recto_foot = short = last_line = 0
    for i, (ln, _) in enumerate(flat):
        body_line = abs(ln.size - body) < 0.3
        after = next(((nxt, f) for nxt, f in flat[i + 1:] if abs(nxt.size - ln.size) < 0.3), (None, False))
        if not ln.hyphen:
            if run > 2:
                runs += 1
            run = 0
            continue
        nxt, nxt_full = after
        if body_line:
            hyphenated += 1
        continues = i > 0 and flat[i - 1][0].hyphen and flat[i - 1][0].page == ln.page
        run = run + 1 if continues else 1
        longest = max(longest, run)
        if body_line and ln is next((x for x in reversed(text[ln.page]) if abs(x.size - body) < 0.3), None):
            page_end += 1
            if ln.page % 2 == 0:
                recto_foot += 1
                examples["recto foot"].append(f"p. {ln.page + 1}: …{ln.text[-30:]}")
        if nxt is not None and not nxt_full and len(nxt.text.split()) == 1 and _ends_paragraph(nxt, flat, pitch):
            last_line += 1
        if ln.hyphen in engine:
            before = re.search(r"(\w*)\W?$", ln.text).group(1)
            tail = re.match(r"\w*", nxt.text).group(0) if nxt is not None else ""
            if len(before) < 3 or (nxt is not None and len(tail) < 3):
                short += 1
                examples["short breaks"].append(f"p. {ln.page + 1}: {before}{ln.hyphen}{tail}")
    if run > 2:
        runs += 1

    # Loose lines: justified body lines (not a paragraph's last, nor a line of leaders).
    loose4 = loose5 = 0
    widest = 0.0
    measure_chars = []
    for ln, f in flat:
        if abs(ln.size - body) >= 0.3 or not f or LEADER.search(ln.text):
            continue
        measure_chars.append(len(ln.text))
        if len(ln.spaces) < 2:
            continue
        space = statistics.median(ln.spaces)
        widest = max(widest, space)
        loose4 += space > 0.4
        if space > 0.5:
            loose5 += 1
            examples["loose"].append(f"p. {ln.page + 1}: {space:.2f} em: {ln.text[:40]}…")

    # Page ends: where the text and pictures of a page stop, against the foot of the text block.
    openings = _openings(pdf)
    ends: dict[int, float] = {}
    for number, (page, lines) in enumerate(zip(pages, text)):
        if sum(abs(ln.size - body) < 0.3 for ln in lines) >= 4:  # a page of text, not a title page
            ends[number] = min([ln.y0 for ln in lines] + [b for b, _ in page.images])
    content = sorted(n for n, lines in enumerate(text) if lines or pages[n].images)
    goes_on = {n for n, nxt in zip(content, content[1:]) if nxt not in openings}
    foot = min(ends.values()) if ends else 0.0
    if ends:
        foot = sorted(ends.values())[len(ends) // 20]  # a low percentile: one odd page does not set it
    short_pages = [n + 1 for n in sorted(ends) if n in goes_on and ends[n] - foot > 1.9 * pitch]  # room for two lines more
    uneven, spreads = [], 0
    for verso in sorted(ends):
        recto = verso + 1
        if verso % 2 == 1 and recto in ends and verso in goes_on and recto in goes_on:
            spreads += 1
            if abs(ends[verso] - ends[recto]) > 0.5 * pitch:
                uneven.append((verso + 1, recto + 1))

    faces = Counter()
    for lines in text:
        for ln in lines:
            faces[ln.face] += len(ln.text)
    return TypographyReport(
        str(pdf), len(pages), _mode((ln.face for ln in bodies), "?"), body, pitch,
        round(statistics.mean(measure_chars), 1) if measure_chars else 0.0, len(bodies), hyphenated, runs, longest,
        page_end, recto_foot, short, last_line, loose4, loose5, round(widest, 3), short_pages, uneven, spreads,
        dict(faces.most_common()), {k: v[:10] for k, v in examples.items()})
