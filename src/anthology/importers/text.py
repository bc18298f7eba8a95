"""Plain text pasted from a web page: recover the title, series line, epigraphs, captions and quotations.

A web page copied as text loses its markup but keeps its shape: one line per paragraph, the
epigraph's author on the line after it, the image credit at the end of its caption. This
reader turns that shape back into structure and says, by line, what it took for what.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import conventions as cv
from .draft import Break, Callout, Draft, Figure, Findings, Heading, ListBlock, Paragraph, PullQuote, Quote
from .markdown import escape, italicise
from .webnotes import LEADING_LABEL, NOTES_HEADING

BREAK = re.compile(r"^\s*(?:\*\s*\*\s*\*|\*{3,}|-{3,}|_{3,}|⁂|#)\s*$")
BULLET = re.compile(r"^\s*(?:[•·▪◦‣]|[-*])\s+(?P<text>\S.*)$")
NUMBERED = re.compile(r"^\s*\d{1,3}[.)]\s+(?P<text>\S.*)$")
SUPERSCRIPTS = "⁰¹²³⁴⁵⁶⁷⁸⁹"
CALL = re.compile(r"(?<=\S)\\\[(\d{1,3})\\\]|(?<=[\w.,;:!?”’)])([⁰¹²³⁴⁵⁶⁷⁸⁹]+)")  # \[1\] once escaped, or ¹


@dataclass
class Unit:
    """One paragraph-sized piece of the source: usually one line, its block its blank-line group."""

    line: int
    text: str
    block: int
    first_in_block: bool
    last_in_block: bool


def units_of(text: str, findings: Findings) -> list[Unit]:
    lines = text.split("\n")
    blocks: list[list[tuple[int, str]]] = []
    current: list[tuple[int, str]] = []
    for n, line in enumerate(lines, 1):
        if line.strip():
            current.append((n, line.rstrip()))
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    longest = max((len(l) for b in blocks for _, l in b), default=0)
    wrapped = longest <= 100 and sum(len(b) > 2 for b in blocks) >= max(2, len(blocks) // 3)
    if wrapped:
        findings.doubt("layout", 1, "lines look hard-wrapped: lines of a blank-line group were joined into one paragraph")
    units: list[Unit] = []
    for b, block in enumerate(blocks):
        if wrapped:
            # keep a closing attribution or credit line apart from the paragraph it follows
            tail = [block[-1]] if len(block) > 1 and cv.attribution_line(block[-1][1]) else []
            body = block[: len(block) - len(tail)]
            parts = [(body[0][0], " ".join(l.strip() for _, l in body))] + tail
        else:
            parts = [(n, l.strip()) for n, l in block]
        for i, (n, l) in enumerate(parts):
            units.append(Unit(n, l, b, i == 0, i == len(parts) - 1))
    return units


def read_text(text: str) -> tuple[Draft, Findings]:
    """Recognise a pasted web article; every decision is recorded in the findings."""
    findings = Findings()
    draft = Draft()
    units, notes = notes_section(units_of(text, findings))
    if not units:
        findings.doubt("title", 1, "the file is empty")
        draft.title = "Untitled"
        return draft, findings
    i = 0
    draft.title = units[0].text
    findings.saw("title", units[0].line, draft.title)
    i = 1

    def attribution_after(k: int) -> str | None:
        return cv.attribution_line(units[k + 1].text) if k + 1 < len(units) else None

    # --- the head: byline, series line -------------------------------------------------------
    for _ in range(3):
        if i >= len(units):
            break
        u = units[i]
        head = cv.byline_and_date(u.text)
        if head and not (head[0] and draft.authors) and not (head[1] and draft.date):
            author, date = head
            if author:
                draft.authors = [author]
                findings.saw("author", u.line, author)
            if date:
                draft.date = date
                findings.saw("date", u.line, date)
            i += 1
        elif draft.series is None and cv.is_series_line(u.text) and not attribution_after(i):
            draft.series = u.text
            findings.saw("series line", u.line, u.text)
            i += 1
        elif (draft.series is None and len(u.text) <= 250 and not attribution_after(i)
              and i + 1 < len(units) and attribution_after(i + 1) and cv.split_credit(u.text) is None):
            draft.series = u.text
            findings.saw("series line", u.line, u.text)
            findings.doubt("series line", u.line, "a short paragraph between the title and the epigraphs was taken as the series line; it may be a subtitle")
            i += 1
        else:
            break

    # --- the body ---------------------------------------------------------------------------
    blocks = draft.blocks
    paragraph_lines: dict[int, str] = {}  # block index in draft → comparable text, for pull quotes
    pending_given: tuple[str | None, str | None, int] | None = None
    while i < len(units):
        u = units[i]
        rest = attribution_after(i)
        nxt = units[i + 1] if i + 1 < len(units) else None

        if BREAK.match(u.text):
            blocks.append(Break(u.line))
            i += 1
            continue

        # a caption, perhaps with the image's description on the line before it
        credit = cv.split_credit(u.text)
        if credit:
            caption, credit_text = credit
            blocks.append(Figure(escape(caption), escape(credit_text), None, line=u.line))
            findings.saw("caption", u.line, f"credit “{credit_text}”")
            i += 1
            continue
        if (nxt is not None and nxt.block == u.block and len(u.text) <= 150
                and not cv.has_final_punctuation(u.text) and cv.split_credit(nxt.text)):
            caption, credit_text = cv.split_credit(nxt.text)
            blocks.append(Figure(escape(caption), escape(credit_text), u.text, line=nxt.line))
            findings.saw("caption", nxt.line, f"credit “{credit_text}”, description “{u.text}” (line {u.line})")
            i += 2
            continue
        if (nxt is not None and nxt.block != u.block and u.first_in_block and u.last_in_block
                and len(u.text) <= 80 and not cv.has_final_punctuation(u.text) and cv.split_credit(nxt.text)):
            caption, credit_text = cv.split_credit(nxt.text)
            blocks.append(Figure(escape(caption), escape(credit_text), u.text, line=nxt.line))
            findings.saw("caption", nxt.line, f"credit “{credit_text}”, description “{u.text}” (line {u.line})")
            findings.doubt("image description", u.line, "a short line set apart before a caption was taken as the image's description, not as a heading")
            i += 2
            continue

        # a quotation closed by an attribution line: an epigraph while no paragraph came before
        if rest:
            author, work, locator = cv.split_attribution(rest)
            kind = "epigraph" if all(isinstance(b, Quote) for b in blocks) else "quotation"
            blocks.append(Quote([escape(u.text)], author, work, locator, line=u.line))
            findings.saw(kind, u.line, ", ".join(filter(None, [author, work, locator])) + f" (attribution at line {units[i + 1].line})")
            pending_given = None
            i += 2
            continue

        # the paragraph after "As Alan Woods explains in Marx versus Bakunin:"
        if pending_given is not None:
            author, work, at = pending_given
            pending_given = None
            blocks.append(Quote([escape(u.text)], author, work, given=True, line=u.line))
            findings.saw("quotation", u.line, ", ".join(filter(None, [author, work])) + f" (introduced at line {at})")
            i += 1
            continue

        # a list: bullet or numbered lines in one group
        bullet = BULLET.match(u.text) or NUMBERED.match(u.text)
        if bullet and not BREAK.match(u.text):
            ordered = bool(NUMBERED.match(u.text))
            items = []
            while i < len(units) and (NUMBERED if ordered else BULLET).match(units[i].text) and units[i].block == u.block:
                items.append(escape((NUMBERED if ordered else BULLET).match(units[i].text).group("text")))
                i += 1
            blocks.append(ListBlock(items, ordered, u.line))
            findings.saw("list", u.line, f"{len(items)} items")
            continue

        # a heading: a short line alone in its group, without final punctuation, before more text
        if (u.first_in_block and u.last_in_block and len(u.text) <= 80 and not cv.has_final_punctuation(u.text)
                and nxt is not None and u.text[:1].isupper() and blocks):
            blocks.append(Heading(2, escape(u.text), u.line))
            findings.saw("heading", u.line, u.text)
            findings.doubt("heading", u.line, "a short line without final punctuation was taken as a section heading")
            i += 1
            continue

        text = escape(u.text)
        introduced = cv.introduced_quotation(u.text)
        if introduced and nxt is not None and not attribution_after(i + 1) and not cv.split_credit(nxt.text):
            author, work, how = introduced
            if work:
                text = italicise(text, escape(work))
            if author:
                pending_given = (author, work, u.line)
                if how == "author":
                    findings.doubt("quotation", nxt.line, f"the paragraph after line {u.line} was taken as a quotation of {author}; no work is named")
            else:
                findings.doubt("quotation", u.line, "this sentence introduces a quotation but does not name who is quoted: the next paragraph was left as a paragraph")
        paragraph_lines[len(blocks)] = cv.comparable(u.text)
        blocks.append(Paragraph(text, u.line))
        i += 1

    _pull_quotes(draft, paragraph_lines, findings)
    _call_to_action(draft, units, findings)
    _notes(draft, notes, findings)
    return draft, findings


def _pull_quotes(draft: Draft, paragraphs: dict[int, str], findings: Findings) -> None:
    """Captions and stand-alone paragraphs that repeat the body's words are pull quotes."""
    lines = {k: b.line for k, b in enumerate(draft.blocks)}
    for k, block in enumerate(draft.blocks):
        if isinstance(block, Figure):
            caption = cv.comparable(block.caption)
            where = [lines[j] for j, text in paragraphs.items() if caption and len(caption) >= 30 and caption in text]
            if where:
                findings.saw("pull quote", block.line,
                             f"this caption repeats the paragraph at line {where[0]} (a pull quote set as the image's caption); kept as the caption")
        elif isinstance(block, Paragraph) and len(paragraphs.get(k, "")) >= 40:
            mine = paragraphs[k]
            where = [lines[j] for j, text in paragraphs.items() if j != k and mine in text and len(text) > len(mine)]
            if where:
                draft.blocks[k] = PullQuote(block.text, block.line)
                findings.saw("pull quote", block.line, f"repeats the paragraph at line {where[0]}: written as ::: pullquote")


def _call_to_action(draft: Draft, units: list[Unit], findings: Findings) -> None:
    """The site's closing lines ("Are you a communist? Then apply to join!") as `::: callout`,
    its first line in bold when there are more, as the sample sets it."""
    last = [u for u in units if u.block == units[-1].block] if units else []
    tail = draft.blocks[-len(last):] if last else []
    if (len(last) <= 3 and cv.looks_like_call_to_action([u.text for u in last])
            and len(tail) == len(last) and all(isinstance(b, Paragraph) for b in tail)):
        lines = [b.text for b in tail]
        if len(lines) > 1:
            lines[0] = f"**{lines[0]}**"
        draft.blocks[-len(last):] = [Callout(lines, last[0].line)]
        findings.saw("call to action", last[0].line, "the closing lines are the site's call to action: written as ::: callout")


def notes_section(units: list[Unit]) -> tuple[list[Unit], dict[str, tuple[int, str]]]:
    """The units before a closing "Notes" section, and its notes by label: (line, text)."""
    for k in range(len(units) - 1, -1, -1):
        if NOTES_HEADING.match(units[k].text):
            notes: dict[str, tuple[int, str]] = {}
            for u in units[k + 1:]:
                m = LEADING_LABEL.match(u.text)
                if not m:
                    return units, {}
                notes[next(g for g in m.groups() if g)] = (u.line, u.text[m.end():].strip())
            return (units[:k], notes) if notes else (units, {})
    return units, {}


def _notes(draft: Draft, notes: dict[str, tuple[int, str]], findings: Findings) -> None:
    """Calls written [1] or ¹ become [^1] where the Notes section has that note."""
    if not notes:
        return
    used: dict[str, str] = {}

    def call(m: re.Match) -> str:
        label = m.group(1) or "".join(str(SUPERSCRIPTS.index(c)) for c in m.group(2))
        if label not in notes:
            return m.group(0)
        used.setdefault(label, str(len(used) + 1))
        return f"[^{used[label]}]"

    for block in draft.blocks:
        if isinstance(block, Paragraph):
            block.text = CALL.sub(call, block.text)
        elif isinstance(block, Quote):
            block.paragraphs = [CALL.sub(call, p) for p in block.paragraphs]
    for label, new in sorted(used.items(), key=lambda item: int(item[1])):
        draft.notes.append((new, escape(notes[label][1])))
    unused = [label for label in notes if label not in used]
    findings.saw("notes", min(line for line, _ in notes.values()), f"{len(used)} note{'s' if len(used) != 1 else ''}, written as [^1] … footnotes")
    if unused:
        findings.doubt("notes", notes[unused[0]][0], f"{len(unused)} notes are never called in the text: left out")
