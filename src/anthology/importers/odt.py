"""An OpenDocument text (LibreOffice's .odt) as the HTML the page reader understands.

odfpy reads the document; its paragraphs are written out one per line, by what their
styles mean: Title and Heading styles as headings, Subtitle as the series line or subtitle,
Quotations as block quotes, lists as lists, italic and bold spans as <em> and <strong>,
footnotes as linked calls with a notes list, pictures as data: images. The HTML reader then
does the rest, as for a saved page; a "line" in its report is a paragraph of the document.
"""

from __future__ import annotations

import base64
from html import escape
from pathlib import Path

from odf import opendocument

from . import conventions as cv

QUOTE_STYLES = {"quotations", "quote", "intense quote", "block quotation"}


class OdtHtml:
    def __init__(self, doc):
        self.doc = doc
        self.styles: dict[str, tuple[str | None, str | None, dict[str, str]]] = {}
        for container in (doc.styles, doc.automaticstyles):
            for style in container.childNodes:
                if style.qname[1] != "style":
                    continue
                props = {}
                for child in style.childNodes:
                    if child.qname[1] == "text-properties":
                        props = {k: child.getAttribute(k) for k in ("fontstyle", "fontweight") if child.getAttribute(k)}
                self.styles[style.getAttribute("name")] = (style.getAttribute("parentstylename"),
                                                           style.getAttribute("displayname"), props)
        self.notes: list[str] = []

    def kind(self, name: str | None) -> str:
        """The named style a paragraph's style comes from (Title, Heading 2, Quotations …), lower case."""
        seen = set()
        while name and name not in seen:
            seen.add(name)
            parent, display, _ = self.styles.get(name, (None, None, {}))
            label = (display or name).replace("_20_", " ").lower()
            if label in QUOTE_STYLES or label in ("title", "subtitle") or label.startswith("heading"):
                return label
            name = parent
        return ""

    def emphasis(self, name: str | None) -> tuple[bool, bool]:
        italic = bold = False
        seen = set()
        while name and name not in seen:
            seen.add(name)
            parent, display, props = self.styles.get(name, (None, None, {}))
            italic = italic or props.get("fontstyle") == "italic" or (display or "").lower() == "emphasis"
            bold = bold or props.get("fontweight") == "bold" or (display or "").lower() == "strong emphasis"
            name = parent
        return italic, bold

    def inline(self, node) -> str:
        out = []
        for child in node.childNodes:
            if child.nodeType == child.TEXT_NODE:
                out.append(escape(child.data))
                continue
            name = child.qname[1]
            if name == "s":
                out.append(" " * int(child.getAttribute("c") or 1))
            elif name == "tab":
                out.append(" ")
            elif name == "line-break":
                out.append("<br>")
            elif name == "span":
                italic, bold = self.emphasis(child.getAttribute("stylename"))
                inner = self.inline(child)
                inner = f"<em>{inner}</em>" if italic else inner
                out.append(f"<strong>{inner}</strong>" if bold else inner)
            elif name == "a":
                out.append(f'<a href="{escape(child.getAttribute("href") or "")}">{self.inline(child)}</a>')
            elif name == "note":
                body = next((c for c in child.childNodes if c.qname[1] == "note-body"), None)
                self.notes.append(" ".join(self.inline(p) for p in body.childNodes) if body is not None else "")
                n = len(self.notes)
                out.append(f'<sup><a href="#odt-note-{n}">{n}</a></sup>')
            elif name == "frame":
                out.append(self.picture(child))
            elif name not in ("bookmark", "bookmark-start", "bookmark-end", "soft-page-break"):
                out.append(self.inline(child))
        return "".join(out)

    def picture(self, frame) -> str:
        image = next((c for c in frame.childNodes if c.qname[1] == "image"), None)
        title = next((c for c in frame.childNodes if c.qname[1] in ("title", "desc")), None)
        href = image.getAttribute("href") if image is not None else None
        picture = self.doc.Pictures.get(href) if href else None
        if picture is None:
            return ""
        kind = (picture[2] or "image/png").split("/")[-1].replace("jpg", "jpeg")
        alt = escape("".join(t.data for t in title.childNodes if t.nodeType == t.TEXT_NODE)) if title else ""
        return f'<img src="data:image/{kind};base64,{base64.b64encode(picture[1]).decode()}" alt="{alt}">'

    def blocks(self) -> list[str]:
        out: list[str] = []
        quote: list[str] = []

        def close_quote():
            if quote:
                out.append("<blockquote>" + "".join(quote) + "</blockquote>")
                quote.clear()

        for node in self.doc.text.childNodes:
            name = node.qname[1] if node.nodeType == node.ELEMENT_NODE else ""
            if name not in ("p", "h", "list"):
                continue
            if name == "list":
                close_quote()
                items = [f"<li>{''.join(self.inline(p) for p in item.childNodes)}</li>" for item in node.childNodes
                         if item.nodeType == item.ELEMENT_NODE and item.qname[1] == "list-item"]
                out.append(f"<ul>{''.join(items)}</ul>")
                continue
            kind = self.kind(node.getAttribute("stylename"))
            text = self.inline(node)
            if kind in QUOTE_STYLES:
                quote.append(f"<p>{text}</p>")
                continue
            close_quote()
            plain = "".join(c.data for c in node.childNodes if c.nodeType == c.TEXT_NODE)
            if kind == "title" or (name == "h" and not any(b.startswith("<h1>") for b in out)):
                out.append(f"<h1>{text}</h1>")
            elif name == "h" or kind.startswith("heading"):
                level = node.getAttribute("outlinelevel") or kind.removeprefix("heading").strip() or "2"
                tag = f"h{min(6, max(2, int(level) + 1))}"  # the piece's title is the only <h1>
                out.append(f"<{tag}>{text}</{tag}>")
            elif kind == "subtitle":
                out.append(f'<p class="{"series" if cv.is_series_line(plain) else "subtitle"}">{text}</p>')
            elif text.strip():
                out.append(f"<p>{text}</p>")
        close_quote()
        if self.notes:
            out.append('<ol class="footnotes">' + "".join(f'<li id="odt-note-{n}">{text}</li>'
                                                           for n, text in enumerate(self.notes, 1)) + "</ol>")
        return out


class OdtError(ValueError):
    """The file is not an OpenDocument text odfpy can read."""


def odt_html(path: Path) -> bytes:
    """The document as an HTML page, one block per line (line N + 1 is paragraph N)."""
    try:
        document = opendocument.load(str(path))
    except Exception as exc:  # noqa: BLE001 (odfpy raises zip, XML and key errors for a damaged file)
        raise OdtError(f"not a readable OpenDocument text ({exc.__class__.__name__}: {exc})") from exc
    blocks = OdtHtml(document).blocks()
    return ("<!DOCTYPE html><html><head><meta charset='utf-8'></head><body><article>\n"
            + "\n".join(blocks) + "\n</article></body></html>\n").encode("utf-8")
