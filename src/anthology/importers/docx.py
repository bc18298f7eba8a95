"""A Word document (DOCX) read with python-docx: styles say what each paragraph is.

Title and Heading styles give the title and headings, Quote and Intense Quote the block
quotes, Caption the figure captions; italic and bold runs become Markdown emphasis,
hyperlinks links, footnotes Markdown footnotes. Plain-text conventions (a "— Author, Work"
line, "/ Image: credit") are recognised in Normal paragraphs too. "Lines" in the report are
paragraph numbers.
"""

from __future__ import annotations

from pathlib import Path

import docx
from docx.table import Table
from docx.text.hyperlink import Hyperlink
from docx.text.paragraph import Paragraph as DocxParagraph
from lxml import etree

from . import conventions as cv
from .errors import ImportError_
from .draft import Draft, Figure, Findings, Heading, ImageSource, ListBlock, Paragraph, Quote
from .markdown import emphasis, escape, italicise

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NS = {
    "w": W,
    "a": "http://schemas.openxmlformats.org/drawingml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "wp": "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing",
}
QUOTE_STYLES = {"quote", "intense quote", "block text", "quotation"}
FOOTNOTES_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/footnotes"


def _on(rpr: etree._Element | None, tag: str) -> bool:
    if rpr is None:
        return False
    el = rpr.find(f"{{{W}}}{tag}")
    return el is not None and el.get(f"{{{W}}}val", "true") not in ("0", "false", "none")


def _styled(parts: list[tuple[str, bool, bool]]) -> str:
    """Join (Markdown text, italic, bold) runs, merging neighbours with the same formatting."""
    merged: list[list] = []
    for text, italic, bold in parts:
        if merged and merged[-1][1:] == [italic, bold]:
            merged[-1][0] += text
        else:
            merged.append([text, italic, bold])
    out = []
    for text, italic, bold in merged:
        if bold:
            text = emphasis(text, "**")
        if italic:
            text = emphasis(text, "*")
        out.append(text)
    return "".join(out)


def _plain_runs(p: etree._Element) -> str:
    """Footnote text from raw XML: runs with their italics and bold."""
    parts = []
    for r in p.iter(f"{{{W}}}r"):
        text = "".join(t.text or "" for t in r.iter(f"{{{W}}}t"))
        if text:
            rpr = r.find(f"{{{W}}}rPr")
            parts.append((escape(text), _on(rpr, "i"), _on(rpr, "b")))
    return _styled(parts).strip()


class DocxReader:
    def __init__(self, document, findings: Findings):
        self.doc = document
        self.findings = findings
        self.draft = Draft()
        self.quote_group: list[str] = []
        self.quote_line = 0
        self.list_items: list[str] = []
        self.list_ordered = False
        self.list_line = 0
        self.pending_given: tuple[str | None, str | None, int] | None = None
        self.has_title_style = any(p.style is not None and p.style.name == "Title" for p in document.paragraphs)

    # --- runs ---------------------------------------------------------------------------------
    def inline(self, p: DocxParagraph, n: int) -> tuple[str, list[Figure]]:
        parts: list[tuple[str, bool, bool]] = []
        figures: list[Figure] = []
        for item in p.iter_inner_content():
            if isinstance(item, Hyperlink):
                text = _styled([(escape(r.text), bool(r.italic), bool(r.bold)) for r in item.runs])
                url = item.address
                parts.append((f"[{text}]({url.replace(' ', '%20')})" if url and text.strip() else text, False, False))
                continue
            r = item._r
            for ref in r.findall(f"{{{W}}}footnoteReference"):
                parts.append((f"[^{ref.get(f'{{{W}}}id')}]", False, False))
            for blip in r.iter(f"{{{NS['a']}}}blip"):
                figures.append(self.picture(r, blip, n))
            style = (item.style.name if item.style is not None else "").lower()
            italic = bool(item.italic) or style in ("emphasis", "intense emphasis", "book title")
            bold = bool(item.bold) or style in ("strong", "intense emphasis")
            text = item.text
            if text:
                parts.append(("  \n".join(escape(t) for t in text.split("\n")).replace("\t", " "), italic, bold))
        return _styled(parts).strip(" "), figures

    def picture(self, r: etree._Element, blip: etree._Element, n: int) -> Figure:
        rid = blip.get(f"{{{NS['r']}}}embed")
        part = self.doc.part.related_parts.get(rid) if rid else None
        doc_pr = next(iter(r.iter(f"{{{NS['wp']}}}docPr")), None)
        description = (doc_pr.get("descr") or "").strip() or None if doc_pr is not None else None
        if part is None:
            return Figure("", None, description, ImageSource(None, "svg", "a linked image"), n)
        ext = str(part.partname).rsplit(".", 1)[-1].lower()
        return Figure("", None, description, ImageSource(part.blob, ext, str(part.partname)), n)

    # --- paragraphs ---------------------------------------------------------------------------
    def flush(self) -> None:
        if self.quote_group:
            paragraphs, author, work, locator = self.quote_group, None, None, None
            last = cv.attribution_line(paragraphs[-1].replace("\\", "").replace("*", "")) if len(paragraphs) > 1 else None
            if last:
                author, work, locator = cv.split_attribution(last)
                paragraphs = paragraphs[:-1]
            given = False
            if last is None and self.pending_given:
                author, work, _ = self.pending_given
                given = True
            kind = "epigraph" if all(isinstance(b, Quote) for b in self.draft.blocks) else "quotation"
            self.draft.blocks.append(Quote(paragraphs, author, work, locator, given=given, line=self.quote_line))
            self.findings.saw(kind, self.quote_line, "Quote style: " + (", ".join(filter(None, [author, work, locator])) or "no attribution"))
            self.quote_group = []
            self.pending_given = None
        if self.list_items:
            self.draft.blocks.append(ListBlock(self.list_items, self.list_ordered, self.list_line))
            self.findings.saw("list", self.list_line, f"{len(self.list_items)} items")
            self.list_items = []

    def read(self) -> Draft:
        items = list(self.doc.iter_inner_content())
        paragraphs = [(n, it) for n, it in enumerate(items, 1)]
        k = 0
        while k < len(paragraphs):
            n, item = paragraphs[k]
            k += 1
            if isinstance(item, Table):
                self.flush()
                self.findings.doubt("table", n, "tables are not converted: each row was kept as a paragraph")
                for row in item.rows:
                    cells = [c.text.strip() for c in row.cells if c.text.strip()]
                    if cells:
                        self.draft.blocks.append(Paragraph(escape(" — ".join(cells)), n))
                continue
            style = item.style.name if item.style is not None else "Normal"
            text, figures = self.inline(item, n)
            plain = item.text.strip()
            low = style.lower()
            if figures:
                self.flush()
                for f in figures:
                    self.draft.blocks.append(f)
                    self.findings.saw("image", n, f"{f.image.origin}" + (f", description “{f.description}”" if f.description else ""))
                if not plain:
                    continue
            if not plain:
                continue
            if low == "title" and not self.draft.title:
                self.draft.title = plain
                self.findings.saw("title", n, f"Title style: {plain}")
                continue
            if low.startswith("heading") and not self.draft.title and not self.has_title_style:
                self.draft.title = plain
                self.findings.saw("title", n, f"{style}: {plain}")
                self.findings.doubt("title", n, "no Title style: the first heading was taken as the title")
                continue
            if low == "subtitle":
                if cv.is_series_line(plain) and self.draft.series is None:
                    self.draft.series = plain
                    self.findings.saw("series line", n, plain)
                else:
                    self.draft.subtitle = plain
                    self.findings.saw("subtitle", n, plain)
                continue
            if not self.draft.blocks and self.draft.series is None and cv.is_series_line(plain):
                self.draft.series = plain
                self.findings.saw("series line", n, plain)
                continue
            head = cv.byline_and_date(plain) if not self.draft.blocks and not self.quote_group else None
            if head and not (head[0] and self.draft.authors) and not (head[1] and self.draft.date):
                # the byline and date lines before the text: front matter, so the epigraph stays first
                if head[0]:
                    self.draft.authors = [head[0]]
                    self.findings.saw("author", n, head[0])
                if head[1]:
                    self.draft.date = head[1]
                    self.findings.saw("date", n, head[1])
                continue
            if low in QUOTE_STYLES:
                if self.list_items:
                    self.flush()
                if not self.quote_group:
                    self.quote_line = n
                self.quote_group.append(text)
                if cv.attribution_line(plain):
                    self.flush()
                continue
            if low.startswith("list") or item._p.find(f"{{{W}}}pPr/{{{W}}}numPr") is not None:
                if self.quote_group:
                    self.flush()
                if not self.list_items:
                    self.list_line, self.list_ordered = n, "number" in low
                self.list_items.append(text)
                continue
            self.flush()
            if low.startswith("heading"):
                level = int("".join(c for c in style if c.isdigit()) or 1)
                self.draft.blocks.append(Heading(min(6, level + 1), text, n))
                self.findings.saw("heading", n, f"{style}: {plain}")
                continue
            if low == "caption" or cv.split_credit(plain):
                split = cv.split_credit(plain)
                caption, credit = (escape(split[0]), escape(split[1])) if split else (text, None)
                last = self.draft.blocks[-1] if self.draft.blocks else None
                if isinstance(last, Figure) and not last.caption and not last.credit:
                    last.caption, last.credit = caption, credit
                else:
                    self.draft.blocks.append(Figure(caption, credit, None, line=n))
                self.findings.saw("caption", n, f"{style}: " + (f"credit “{split[1]}”" if split else "no credit"))
                continue
            # a Normal paragraph followed by an attribution line: a quotation (an epigraph first)
            if k < len(paragraphs) and isinstance(paragraphs[k][1], DocxParagraph):
                after = cv.attribution_line(paragraphs[k][1].text.strip())
                if after:
                    author, work, locator = cv.split_attribution(after)
                    kind = "epigraph" if all(isinstance(b, Quote) for b in self.draft.blocks) else "quotation"
                    self.draft.blocks.append(Quote([text], author, work, locator, line=n))
                    self.findings.saw(kind, n, ", ".join(filter(None, [author, work, locator])))
                    k += 1
                    continue
            introduced = cv.introduced_quotation(plain)
            self.pending_given = (introduced[0], introduced[1], n) if introduced and introduced[0] else None
            if introduced and introduced[1]:
                text = italicise(text, escape(introduced[1]))
            self.draft.blocks.append(Paragraph(text, n))
        self.flush()
        return self.draft

    def footnotes(self) -> None:
        part = next((rel.target_part for rel in self.doc.part.rels.values()
                     if rel.reltype == FOOTNOTES_REL and not rel.is_external), None)
        if part is None:
            return
        root = etree.fromstring(part.blob)
        for note in root.findall(f"{{{W}}}footnote"):
            nid = note.get(f"{{{W}}}id")
            if note.get(f"{{{W}}}type") in ("separator", "continuationSeparator", "continuationNotice") or nid in ("-1", "0"):
                continue
            paras = [_plain_runs(p) for p in note.findall(f"{{{W}}}p")]
            text = "\n\n".join(p for p in paras if p)
            self.draft.notes.append((nid, text))
        if self.draft.notes:
            self.findings.saw("footnotes", 0, f"{len(self.draft.notes)} footnotes")


def read_docx(path: Path) -> tuple[Draft, Findings]:
    findings = Findings()
    try:
        document = docx.Document(str(path))
    except Exception as exc:  # python-docx raises several kinds for a damaged or non-DOCX file
        raise ImportError_(f"{path}: not a readable DOCX file ({exc})") from exc
    reader = DocxReader(document, findings)
    draft = reader.read()
    reader.footnotes()
    if not draft.title and document.core_properties.title:
        draft.title = document.core_properties.title.strip()
        findings.saw("title", 0, f"document properties: {draft.title}")
    if not draft.authors and (document.core_properties.author or "").strip():
        findings.doubt("author", 0, f"the document properties name “{document.core_properties.author.strip()}” as author "
                       "(often whoever saved the file): not used; add author: to the front matter if right")
    return draft, findings
