"""Semantic XHTML (EPUB content documents, Standard Ebooks source) to the manuscript's Markdown.

EPUB markup says what each block is, so nothing is guessed as `html.py` must for web pages:
`epub:type` marks epigraphs, verse, note references and the notes themselves; `xml:lang`
marks a passage in another language. Each becomes the manuscript convention the loader
reads back to the same structure: a leading block quote (an epigraph), `> — Author` (a
`<cite>`), `::: verse` (one line per line), `[^n]` notes, `[text]{lang=fr}` spans.
"""

from __future__ import annotations

import re
from typing import Callable

from lxml import etree

from .markdown import emphasis, escape, escape_block_start

XHTML = "http://www.w3.org/1999/xhtml"
EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
SPACE = re.compile(r"[ \t\n\r\f]+")  # XML white space: a no-break space is text
VERSE_TYPES = {"z3998:verse", "z3998:poem", "z3998:song", "z3998:hymn", "z3998:lyrics"}
DASH_LEAD = re.compile(r"^[\s\u2060]*(?:—|―|--)[\s\u2060]*")
NOTEREF_ROLES = {"doc-noteref"}
BACKLINK_ROLES = {"doc-backlink"}
DROPPED = {"script", "style", "head", "nav", "form", "iframe", "object", "embed", "audio", "video", "svg", "math"}


def local(el: etree._Element) -> str:
    """An element's name without its namespace ('' for comments and processing instructions)."""
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def types(el: etree._Element) -> set[str]:
    """The element's `epub:type` values and ARIA role, which say the same in two vocabularies."""
    return set((el.get(EPUB_TYPE) or "").split()) | set((el.get("role") or "").split())


def language(el: etree._Element) -> str | None:
    return el.get(XML_LANG) or el.get("lang")


def is_noteref(el: etree._Element) -> bool:
    return local(el) == "a" and bool(types(el) & ({"noteref"} | NOTEREF_ROLES))


def is_backlink(el: etree._Element) -> bool:
    return local(el) == "a" and bool(types(el) & ({"backlink"} | BACKLINK_ROLES))


def is_verse(el: etree._Element) -> bool:
    return bool(types(el) & VERSE_TYPES) or "verse" in (el.get("class") or "").split()


def plain_text(el: etree._Element) -> str:
    """The element's words as one line (metadata, titles, alternative text)."""
    return SPACE.sub(" ", "".join(el.itertext())).strip()


class Converter:
    """Turn the elements of one content document into Markdown blocks.

    `note_label(href)` names the note a reference points to (or None when it is not a note
    this book has); `image(src, alt)` records an image and returns the path the piece uses.
    """

    def __init__(self, note_label: Callable[[str], str | None], image: Callable[[str, str, str], str | None]):
        self.note_label = note_label
        self.image = image
        self.epigraphs: list[str] = []  # epigraphs met on the way, for the piece to open with
        self._emphasis = 0

    # --- inline -------------------------------------------------------------------------------
    def inline(self, el: etree._Element) -> str:
        """The element's content as one paragraph of inline Markdown (`<br/>` as a hard break)."""
        text = self._children(el)
        lines = [line.strip(" ") for line in text.split("\n")]
        return "  \n".join(line for line in lines if line).strip()

    def _children(self, el: etree._Element) -> str:
        out = [escape(SPACE.sub(" ", el.text or ""))]
        for child in el:
            if isinstance(child.tag, str):
                out.append(self._inline_element(child))
            out.append(escape(SPACE.sub(" ", child.tail or "")))
        return "".join(out)

    def _inline_element(self, el: etree._Element) -> str:
        tag = local(el)
        if tag in DROPPED or is_backlink(el) or "pagebreak" in types(el) or "doc-pagebreak" in types(el):
            return ""
        if tag == "br":
            return "\n"
        if is_noteref(el):
            label = self.note_label(el.get("href") or "")
            return f"[^{label}]" if label else ""
        if tag == "img":
            src = self.image(el.get("src") or "", el.get("alt") or "", "")
            return f"![]({src} \"{_title(el.get('alt') or '')}\")" if src else ""
        if tag in ("i", "em", "cite", "dfn", "var", "b", "strong"):
            mark = "**" if tag in ("b", "strong") else "*"
            self._emphasis += 1
            inner = self._children(el)
            self._emphasis -= 1
            if self._emphasis:  # emphasis in emphasis: Markdown's markers would pair wrongly
                html_tag = "strong" if mark == "**" else "em"
                inner = f"<{html_tag}>{inner}</{html_tag}>"
            elif inner.strip():
                inner = emphasis(inner, mark)
            return self._lang(el, inner)
        if tag in ("sup", "sub"):
            return f"<{tag}>{self._children(el)}</{tag}>"
        if tag == "q":
            return self._lang(el, f"“{self._children(el)}”")
        if tag == "a":
            inner = self._children(el)
            href = (el.get("href") or "").strip()
            if re.match(r"(?i)^(https?|mailto):", href) and inner.strip():
                return self._lang(el, f"[{inner}]({href.replace(' ', '%20').replace('(', '%28').replace(')', '%29')})")
            return self._lang(el, inner)
        return self._lang(el, self._children(el))

    def _lang(self, el: etree._Element, inner: str) -> str:
        """A passage in another language as a bracketed span, so it keeps `lang` in both editions."""
        lang = language(el)
        if not lang or not inner.strip() or "\n" in inner:
            return inner
        core = inner.strip()
        return inner[: len(inner) - len(inner.lstrip())] + f"[{core}]{{lang={lang}}}" + inner[len(inner.rstrip()):]

    # --- blocks -------------------------------------------------------------------------------
    def blocks(self, container: etree._Element, depth: int = 0) -> list[str]:
        """Markdown blocks for the children of `container`; `depth` counts the sections opened
        inside the piece, so their headings become `##`, `###` …"""
        out: list[str] = []
        loose = (container.text or "").strip()
        if loose:
            out.append(escape_block_start(escape(SPACE.sub(" ", loose))))
        for el in container:
            if not isinstance(el.tag, str):
                continue
            out.extend(self.block(el, depth))
            tail = (el.tail or "").strip()
            if tail:
                out.append(escape_block_start(escape(SPACE.sub(" ", tail))))
        return [b for b in out if b.strip()]

    def block(self, el: etree._Element, depth: int) -> list[str]:
        tag = local(el)
        kinds = types(el)
        if tag in DROPPED or kinds & {"footnote", "endnote", "rearnote", "doc-footnote", "doc-endnote", "pagebreak",
                                      "doc-pagebreak"} or (tag == "p" and "note-number" in (el.get("class") or "")):
            return []
        if kinds & {"footnotes", "endnotes", "rearnotes", "doc-endnotes"} and tag in ("section", "div", "aside", "ol"):
            return []
        if kinds & {"epigraph", "doc-epigraph"}:
            self.epigraphs.extend(self.quotation(q) for q in (el.findall(f"{{{XHTML}}}blockquote") or [el]))
            return []
        if tag == "p":
            text = self.inline(el)
            return [escape_block_start(text)] if text else []
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            text = self.inline(el).replace("  \n", " ")
            return [f"{'#' * min(6, max(2, int(tag[1]) - 1))} {text}"] if text else []
        if tag in ("header", "hgroup"):
            text = heading_text(el, self.inline)
            return [f"{'#' * min(6, depth + 1)} {text}"] if text and depth else []
        if tag == "blockquote":
            return [self.quotation(el)]
        if tag in ("section", "article", "div", "main", "body", "aside", "footer") and not is_verse(el):
            return self.blocks(el, depth + (tag == "section"))
        if is_verse(el):
            return [self.verse(el)]
        if tag == "hr":
            return ["* * *"]
        if tag in ("ul", "ol"):
            return [self.listing(el)]
        if tag == "figure":
            return self.figure(el)
        if tag == "img":
            return [self.picture(el, "")] if el.get("src") else []
        if tag == "pre":
            return ["\n".join("    " + line for line in "".join(el.itertext()).split("\n"))]
        if tag == "table":
            return [self.table(el)]
        if tag == "dl":
            return [escape_block_start(self.inline(item)) for item in el if local(item) in ("dt", "dd") and self.inline(item)]
        return self.blocks(el, depth)

    def quotation(self, el: etree._Element) -> str:
        """A block quote, its `<cite>` (or a footer's) written as the closing `— Author` line."""
        inner: list[str] = []
        cite = None
        for child in el:
            if not isinstance(child.tag, str):
                continue
            if local(child) in ("cite", "footer") and child is el[-1] or local(child) == "cite":
                cite = self.inline(child)
                continue
            inner.extend(self.block(child, 1))
        loose = (el.text or "").strip()
        if loose and not inner:
            inner.append(escape(SPACE.sub(" ", loose)))
        if is_verse(el):
            if not cite:  # verse set apart, not a quotation to attribute (nor, leading, an epigraph)
                return self.verse(el)
            inner = [self.verse(el)]
        if cite:
            inner.append("— " + DASH_LEAD.sub("", cite))
        return quote_lines(inner)

    def verse(self, el: etree._Element) -> str:
        """`::: verse` with one line per line and a blank line between stanzas; an indented
        line (`class="i1"` …) keeps its indent."""
        stanzas: list[list[str]] = []
        paragraphs = [p for p in el.iter(f"{{{XHTML}}}p")] or [el]
        for p in paragraphs:
            lines: list[str] = []
            for line_el in _verse_lines(p):
                text = self.inline(line_el) if isinstance(line_el, etree._Element) else line_el
                if not text:
                    continue
                indent = _indent(line_el) if isinstance(line_el, etree._Element) else 0
                lines.append("  " * indent + escape_block_start(text.replace("  \n", " ")))
            if lines:
                stanzas.append(lines)
        body = "\n\n".join("\n".join(s) for s in stanzas)
        return f"::: verse\n{body}\n:::"

    def listing(self, el: etree._Element) -> str:
        ordered = local(el) == "ol"
        out = []
        for n, li in enumerate((c for c in el if local(c) == "li"), 1):
            parts = self.blocks(li, 1) if any(local(c) in ("p", "blockquote", "ul", "ol") for c in li) else [self.inline(li)]
            marker = f"{n}. " if ordered else "- "
            text = "\n\n".join(parts).split("\n") if parts else [""]
            out.append(marker + text[0] + "".join("\n" + ("    " + line if line.strip() else "") for line in text[1:]))
        return "\n".join(out)

    def figure(self, el: etree._Element) -> list[str]:
        caption_el = el.find(f"{{{XHTML}}}figcaption")
        caption = ""
        if caption_el is not None:
            # a credit set apart in the caption (Anthology's own EPUB) is written "Caption / Credit"
            credits = [c for c in caption_el.iter() if "credit" in (c.get("class") or "").split()]
            credit = " ".join(self.inline(c) for c in credits)
            for c in credits:
                c.getparent().remove(c)  # its tail, if any, stays with the caption
            caption = self.inline(caption_el).replace("  \n", " ")
            caption = " / ".join(t for t in (caption, credit.replace("  \n", " ")) if t)
        images = [img for img in el.iter(f"{{{XHTML}}}img") if img.get("src")]
        out = [self.picture(img, caption if i == 0 else "") for i, img in enumerate(images)]
        if not images and caption:
            out.append(escape_block_start(caption))
        return [b for b in out if b]

    def picture(self, img: etree._Element, caption: str) -> str:
        alt = SPACE.sub(" ", img.get("alt") or "").strip()
        src = self.image(img.get("src") or "", alt, caption)
        if not src:
            return escape_block_start(caption) if caption else ""
        if not alt:
            return f"![{caption}]({src}){{.decorative}}" if not caption else f"![{caption}]({src})"
        return f"![{caption}]({src} \"{_title(alt)}\")"

    def table(self, el: etree._Element) -> str:
        rows = [[self.inline(c).replace("  \n", " ").replace("|", "\\|") for c in tr if local(c) in ("td", "th")]
                for tr in el.iter(f"{{{XHTML}}}tr")]
        rows = [r for r in rows if r]
        if not rows:
            return ""
        width = max(len(r) for r in rows)
        rows = [r + [""] * (width - len(r)) for r in rows]
        lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * width]
        lines += ["| " + " | ".join(r) + " |" for r in rows[1:]]
        return "\n".join(lines)

    def note(self, el: etree._Element) -> str:
        """A note's text (its backlink left out) as the blocks of a Markdown note definition."""
        blocks = self.blocks(el, 1) if any(local(c) in ("p", "blockquote", "div", "ol", "ul", "figure", "table")
                                           for c in el) else [escape_block_start(self.inline(el))]
        return "\n\n".join(b for b in blocks if b.strip())


def heading_text(el: etree._Element, inline: Callable[[etree._Element], str]) -> str:
    """A `<header>` or `<hgroup>`'s heading as one line: an ordinal and a title joined by ': '."""
    parts = []
    for child in el:
        if local(child) in ("h1", "h2", "h3", "h4", "h5", "h6", "p") and not types(child) & {"subtitle", "se:bridgehead"}:
            text = inline(child).replace("  \n", " ")
            if text:
                parts.append(text)
    return ": ".join(parts)


def quote_lines(blocks: list[str]) -> str:
    lines: list[str] = []
    for i, block in enumerate(blocks):
        if i:
            lines.append(">")
        lines.extend("> " + line if line.strip() else ">" for line in block.split("\n"))
    return "\n".join(lines)


def _title(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', "&quot;")


def _indent(el: etree._Element) -> int:
    m = re.search(r"\bi(\d)\b", el.get("class") or "")
    return int(m.group(1)) if m else 0


def _verse_lines(p: etree._Element) -> list[etree._Element | str]:
    """The lines of a stanza: Standard Ebooks writes each as a `<span>` before a `<br/>`;
    other books write text and `<br/>`s, read here as the text between them."""
    spans = [c for c in p if local(c) == "span"]
    if spans and not (p.text or "").strip() and all(local(c) in ("span", "br") for c in p) \
            and not any((c.tail or "").strip() for c in p):
        return spans
    # split on <br/>: rebuild each line as an element of its own
    lines: list[etree._Element | str] = []
    current = etree.Element(f"{{{XHTML}}}span")
    current.text = p.text
    for child in p:
        if local(child) == "br":
            lines.append(current)
            current = etree.Element(f"{{{XHTML}}}span")
            current.text = child.tail
            continue
        copy = etree.fromstring(etree.tostring(child, with_tail=True))
        current.append(copy)
    lines.append(current)
    return lines
