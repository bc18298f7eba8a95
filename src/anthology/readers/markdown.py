"""Pandoc-compatible Markdown to sanitised HTML with Python-Markdown.

Pandoc's fenced divs (`::: verse` … `:::`, `::: {lang=fr}` … `:::`) become `md_in_html` blocks
so their content is still Markdown, in the body, in block quotes and in notes alike; verse
keeps one line per line. Pandoc's bracketed spans (`[νοῦς]{lang=grc}`, `[Capital]{.smallcaps}`)
become `<span>`s. Raw HTML passes an allowlist (nh3), so no
script, handler or frame reaches either edition, and what it keeps is valid XHTML: links
lead to the web or to a note, enumerated attributes hold values XHTML allows, and the only
ids are the notes' own (so raw HTML cannot duplicate or hijack one).
"""

from __future__ import annotations

import hashlib
import html
import re
import xml.etree.ElementTree as ElementTree
from urllib.parse import quote, urlsplit

import markdown
import nh3
from markdown.extensions import Extension
from markdown.extensions.attr_list import get_attrs_and_remainder
from markdown.inlinepatterns import IMAGE_LINK_RE, ImageInlineProcessor, LinkInlineProcessor
from lxml import html as lhtml

from ..config import BCP47
from ..limits import MAX_MARKDOWN_DEPTH, MAX_NOTE_CALLS, MAX_NOTES
from ..typography import smarty_substitutions

# A fence may stand in a block quote (`> ::: verse`) or a note's indented text: the prefix
# before it is repeated on every line the fence becomes.
FENCE_PREFIX = re.compile(r"^((?:[ \t]*>)*[ \t]*)")
FENCE_OPEN = re.compile(r"^:{3,}\s*(?:\{([^}]*)\}|([A-Za-z][\w-]*))\s*:*\s*$")
FENCE_ATTR = re.compile(r"""([A-Za-z][\w-]*)=(?:"([^"]*)"|'([^']*)'|(\S+))""")
FENCE_CLASS = re.compile(r"(?:^|\s)\.([A-Za-z][\w-]*)")
FENCE_CLOSE = re.compile(r"^:{3,}\s*$")
DIRECT_ATTRIBUTES = ("lang", "dir")  # written on the div itself; other attributes become data-*

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "dd", "del", "div", "dl", "dt",
    "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd",
    "li", "mark", "ol", "p", "pre", "q", "s", "samp", "small", "span", "strong", "sub", "sup",
    "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul", "var", "wbr",
}
ALLOWED_ATTRIBUTES = {
    "*": {"id", "class", "lang", "dir", "title"},
    "div": {"data-author", "data-work", "data-locator", "data-key"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan", "style"},
    "th": {"colspan", "rowspan", "style", "scope"},
    "ol": {"start", "type"},
    "q": {"cite"},
    "blockquote": {"cite"},
}
WEB_SCHEMES = {"http", "https", "mailto"}
# Every scheme an image source may name passes nh3, so the body builder can report the
# image by its URL; it refuses them all. Links keep only WEB_SCHEMES (see keep_attribute).
URL_SCHEMES = WEB_SCHEMES | {"file", "data", "ftp", "ftps", "sftp", "javascript", "vbscript", "blob", "ws", "wss"}
URL_SAFE = ":/?#[]@!$&'()*+,;=%~-._"
ENUMERATED = {"dir": {"ltr", "rtl", "auto"}, "type": {"1", "a", "A", "i", "I"},
              "scope": {"row", "col", "rowgroup", "colgroup"}}
NUMERIC = {"start", "colspan", "rowspan", "width", "height"}
MAX_DEPTH = MAX_MARKDOWN_DEPTH  # nesting WeasyPrint lays out safely; no book needs more
VOID_TAGS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
BLOCK_PREFIX = re.compile(r"[ \t]*(?:(?:>|[-*+][ \t]|\d{1,9}[.)][ \t])[ \t]*)*")
INLINE_NESTING = re.compile(r"[\[\]()]|<(/?)([A-Za-z][\w-]*)[^<>]*?(/?)>")


class OverLimit(ValueError):
    """Text that asks more than a build gives (see limits.py); `line` is the 1-based line of
    the Markdown where it passes the limit (0: unknown)."""

    def __init__(self, message: str, line: int = 0):
        super().__init__(message)
        self.line = line


class MarkupTooDeep(OverLimit):
    """Text nested so deeply (lists in lists, quotes in quotes) that it cannot be laid out."""


NOTE_DEFINITION = re.compile(r"^ {0,3}\[\^[^\]\s]+\]:", re.M)
NOTE_CALL = re.compile(r"\[\^[^\]\s]+\](?!:)")


def check_notes(text: str) -> None:
    """Raise OverLimit at the line of the note past MAX_NOTES, or of a paragraph calling more
    than MAX_NOTE_CALLS notes (laid out at the foot of its pages, each such note costs the
    print layout the paragraph again)."""
    for count, found in enumerate(NOTE_DEFINITION.finditer(text), 1):
        if count > MAX_NOTES:
            raise OverLimit(f"more than {MAX_NOTES} notes in one piece: split the piece, or gather notes "
                            "into fewer", text.count("\n", 0, found.start()) + 1)
    line = 1
    for paragraph in re.split(r"(\n[ \t]*\n)", text):
        calls = NOTE_CALL.findall(paragraph)
        if len(calls) > MAX_NOTE_CALLS:
            raise OverLimit(f"a paragraph calls more than {MAX_NOTE_CALLS} notes: split the paragraph, or gather "
                            "notes into fewer", line)
        line += paragraph.count("\n")


def check_source_depth(text: str) -> None:
    """Raise MarkupTooDeep, at its line, for Markdown nested beyond MAX_DEPTH, before it is
    parsed: Python-Markdown takes minutes over a few kilobytes of nested brackets or tags.

    Counted on each line: block quote markers, list markers and indents (two columns a
    level) before the text, and `:::` divs open; within a paragraph: brackets, parentheses
    and raw HTML elements open. Cheap and a little generous: the parsed HTML is checked too.
    """
    fences = 0
    inline = 0
    for number, line in enumerate(text.split("\n"), 1):
        if FENCE_OPEN.match(line):
            fences += 1
        elif FENCE_CLOSE.match(line):
            fences = max(0, fences - 1)
        if not line.strip():
            inline = 0
            continue
        prefix = BLOCK_PREFIX.match(line).group(0)
        indent = len(prefix.expandtabs(4)) - len(prefix.lstrip(" \t").expandtabs(4))
        block = fences + prefix.count(">") + len(re.findall(r"[-*+][ \t]|\d[.)][ \t]", prefix)) + indent // 2
        deepest = block
        for token in INLINE_NESTING.finditer(line):
            closing = token.group(0) in "])" or token.group(1)
            if token.group(2) and (token.group(2).lower() in VOID_TAGS or token.group(3)):
                continue
            inline = max(0, inline - 1) if closing else inline + 1
            deepest = max(deepest, block + inline)
            if deepest > MAX_DEPTH:
                break
        if deepest > MAX_DEPTH:
            raise MarkupTooDeep(f"the text nests more than {MAX_DEPTH} levels deep here (quotes, lists, brackets "
                                f"or HTML elements inside each other): flatten the structure", number)


def normalise(text: str) -> str:
    """Remove what editors paste by accident: BOM, CR line ends, NUL and other C0 controls,
    and a lone space or tab ending a line (invisible, unlike Markdown's two-space break; and
    before a zero-width or combining character it crashes WeasyPrint's footnote layout)."""
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    text = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", "", text)
    return re.sub(r"(?<![ \t])[ \t]$", "", text, flags=re.M)


# A note whose text opens with a fence (`[^9]: ::: verse`, `[^9]: > ::: verse`): the fence is
# moved to a line of its own in the note's indented text, where it is read as any other.
NOTE_OPENS_WITH_FENCE = re.compile(r"^( {0,3}\[\^[^\]\s]+\]:)[ \t]+((?:>[ \t]*)*:{3,}.*)$", re.M)


def expand_fenced_divs(text: str) -> str:
    """Turn `::: name` … `:::` (or `::: {.name lang=fr}` … `:::`) into
    `<div class="name" markdown="1">` blocks, line for line, wherever the fence stands: at
    the margin, in a block quote or in a note's indented text (its first line included)."""
    text = NOTE_OPENS_WITH_FENCE.sub(lambda m: f"{m.group(1)}\n    {m.group(2)}", text)
    out: list[str] = []
    stack: list[tuple[str | None, str]] = []  # (class, prefix) of each open fence
    added = False  # whether the last line out is a blank line added here

    def tag(prefix: str, markup: str) -> None:
        """The div's tag between blank lines, never doubling one (two blank lines end a note)."""
        nonlocal added
        if out and out[-1].strip(" \t>"):
            out.append(prefix.rstrip())
        out.extend([prefix + markup, prefix.rstrip()])
        added = True

    for line in text.split("\n"):
        prefix = FENCE_PREFIX.match(line).group(1)
        rest = line[len(prefix):]
        opened = FENCE_OPEN.match(rest)
        if opened:
            name, attrs = _fence_attributes(opened.group(1), opened.group(2))
            stack.append((name, prefix))
            cls = f' class="{name}"' if name else ""
            tag(prefix, f'<div{cls}{attrs} markdown="1">')
            continue
        if FENCE_CLOSE.match(rest) and stack:
            stack.pop()
            tag(prefix, "</div>")
            continue
        if stack and stack[-1][0] == "verse":
            outer = stack[-1][1]
            line = outer + _verse_line(line[len(outer):]) if line.startswith(outer) else _verse_line(line)
        if added and not line.strip(" \t>") and line.rstrip() == out[-1]:
            continue
        added = False
        out.append(line)
    for _, prefix in reversed(stack):
        tag(prefix, "</div>")
    return "\n".join(out)


def _fence_attributes(braces: str | None, bare: str | None) -> tuple[str | None, str]:
    """The class of a fence and its other attributes: `lang` and `dir` as they are (so a
    passage keeps its language), the rest as `data-*` attributes."""
    if bare:
        return bare.lower(), ""
    classes = FENCE_CLASS.findall(braces or "")
    attrs = ""
    for key, *vals in FENCE_ATTR.findall(braces or ""):
        key = key.lower()
        name = key if key in DIRECT_ATTRIBUTES else f"data-{key}"
        attrs += f' {name}="{html.escape(vals[0] or vals[1] or vals[2])}"'
    return (classes[0].lower() if classes else None), attrs


def _verse_line(line: str) -> str:
    """One line of verse: keep its indent (as em spaces) and end it with a hard break."""
    if not line.strip():
        return line.rstrip()
    indent = len(line) - len(line.lstrip(" "))
    return "\u2003" * (indent // 2) + line.strip() + "  "


class BracketedSpan(LinkInlineProcessor):
    """Pandoc's bracketed span, `[text]{lang=el .smallcaps}`: a `<span>` with those attributes,
    its text still Markdown (emphasis, links and note references inside it work)."""

    def handleMatch(self, m, data):  # noqa: N802 (Python-Markdown's name)
        text, index, handled = self.getText(data, m.end(0))
        if not handled or not data.startswith("{", index):
            return None, None, None
        end = data.find("}", index)
        if end < 0:
            return None, None, None
        attrs, rest = get_attrs_and_remainder(data[index + 1:end])
        if rest.strip() or not attrs:
            return None, None, None
        span = ElementTree.Element("span")
        classes = []
        for key, value in attrs:
            if key == ".":
                classes.append(value)
            elif key != "#" and value is not None:
                span.set(key, value)
        if classes:
            span.set("class", " ".join(classes))
        span.text = text
        return span, m.start(0), end + 1


# "Caption / Image: Credit" in an image's alternative text
CREDIT = re.compile(r"\s*(?:/\s*)?((?:Image|Photo|Photograph|Illustration|Credit|Source)\s*:\s*.+)$", re.S)
IMAGE_CLASS = "md-image"


class CaptionedImage(ImageInlineProcessor):
    """An image whose alternative text is read as Markdown: `![Caption[^1] / Image: *Credit*](…)`
    gives `<span class="md-image"><img/><span class="md-caption">…</span><span class="md-credit">…</span></span>`,
    the caption and credit with their markup and note references, for the body builder to
    make a figure of (or, for an image in a line of text, an image with plain alt text)."""

    def handleMatch(self, m, data):  # noqa: N802
        img, start, end = super().handleMatch(m, data)
        if img is None:
            return img, start, end
        source = self.getText(data, m.end(0))[0]
        credit = CREDIT.search(source)
        caption = source[: credit.start()] if credit else source
        wrapper = ElementTree.Element("span", {"class": IMAGE_CLASS})
        img.set("alt", "")
        wrapper.append(img)
        for name, text in (("md-caption", caption.strip()), ("md-credit", credit.group(1).strip() if credit else "")):
            if text:
                ElementTree.SubElement(wrapper, "span", {"class": name}).text = text
        return wrapper, start, end


class InlineExtension(Extension):
    def extendMarkdown(self, md):  # noqa: N802
        # before note references (175), so that a note in a caption is read where it stands
        md.inlinePatterns.register(CaptionedImage(IMAGE_LINK_RE, md), "image_link", 176)
        # after note references (175), before reference links (170) and links (160), so the
        # span's own text is read for links, emphasis and the rest.
        md.inlinePatterns.register(BracketedSpan(r"(?<!!)\[(?!\^)", md), "bracketed_span", 172)


def attribute_filter(note_separator: str):
    """nh3's last word on each attribute it allowed.

    Python-Markdown's note ids are `fn<sep>label` and `fnref<n><sep>label`; `note_separator`
    is derived from the text itself, so raw HTML in that text cannot forge one.
    """
    note = re.compile(r"fn(?:ref\d*)?" + re.escape(note_separator))

    def keep_attribute(tag: str, attr: str, value: str) -> str | None:
        if attr == "id":
            return value if note.match(value) else None
        if attr in ("href", "cite"):
            if value.startswith("#"):
                return value if note.match(value[1:]) else None
            parts = urlsplit(value.strip())
            if parts.scheme.lower() not in WEB_SCHEMES or (parts.scheme.lower() != "mailto" and not parts.netloc):
                return None
            return quote(value.strip(), safe=URL_SAFE)
        if attr in ENUMERATED:
            return value if value in ENUMERATED[attr] else None
        if attr in NUMERIC:
            return value if re.fullmatch(r"[0-9]{1,5}", value) and 0 < int(value) <= 10_000 else None
        if attr == "lang":
            return value if value == "" or BCP47.match(value) else None
        return value

    return keep_attribute


def to_html(text: str, language: str) -> str:
    """Convert a piece's Markdown body to sanitised HTML (not yet XHTML, but with no entity
    XML lacks, so inline HTML can go into XHTML as it is).

    Raises MarkupTooDeep for text nested beyond MAX_DEPTH (or beyond what the Markdown
    parser's recursion survives)."""
    text = normalise(text)
    check_source_depth(text)
    check_notes(text)
    text = expand_fenced_divs(text)
    separator = "-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:12] + "-"
    md = markdown.Markdown(
        extensions=["footnotes", "tables", "attr_list", "md_in_html", "smarty", "sane_lists", InlineExtension()],
        extension_configs={
            "smarty": {"substitutions": smarty_substitutions(language)},
            "footnotes": {"BACKLINK_TEXT": "&#8617;", "SEPARATOR": separator},
        },
        output_format="xhtml",
    )
    try:
        html = md.convert(text)
    except RecursionError:
        raise MarkupTooDeep("the text is nested too deeply for the Markdown parser: flatten the structure") from None
    cleaned = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=attribute_filter(separator),
        url_schemes=URL_SCHEMES,
        link_rel=None,
        filter_style_properties={"text-align"},
        strip_comments=True,
    )
    check_depth(cleaned)
    return cleaned.replace("&nbsp;", "\u00a0")  # nh3 writes U+00A0 as an entity XML does not define


def check_depth(html: str) -> None:
    """Raise MarkupTooDeep if elements nest more than MAX_DEPTH deep."""
    if html.count("<") < MAX_DEPTH:
        return
    root = lhtml.fragment_fromstring(html, create_parent="div")
    stack = [(root, 0)]
    while stack:
        el, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise MarkupTooDeep(f"elements are nested more than {MAX_DEPTH} deep (lists in lists, quotes in "
                                "quotes): flatten the structure")
        stack.extend((child, depth + 1) for child in el)


def inline_html(text: str, language: str) -> str:
    """Convert one line of Markdown (a title, an attribution) to inline HTML; text that
    Markdown reads as blocks (`# x`, `- x`, `> x`, several paragraphs) stays plain text."""
    converted = to_html(text, language).strip()
    inner = converted[3:-4]
    if converted.startswith("<p>") and converted.endswith("</p>") and "<p>" not in inner and "<p " not in inner:
        return inner
    return html.escape(normalise(text).strip(), quote=False)


# --- front matter text, read with the body --------------------------------------------------
# A title, subtitle, series line or epigraph is Markdown read in one document with the body,
# ahead of it, so that its note references meet the body's notes and are numbered where they
# stand. Each field is a div of its own, in a known order, before anything the body can write.
FRONT_CLASS = "anthology-front"
BLOCK_START = re.compile(r"(?:[#>+*-](?=\s|$)|[#>]|\d+(?=\.(?:\s|$))|(?:[-*_]\s*){3,}$|\[[^\]]*\]:|:{3})")


BLOCK_TAG = re.compile(r"<(/?\s*(?:address|article|aside|blockquote|dd|details|div|dl|dt|fieldset|figcaption|figure|"
                       r"footer|form|h[1-6]|header|hr|li|main|nav|ol|p|pre|section|table|tbody|td|tfoot|th|thead|"
                       r"tr|ul)\b)", re.I)


def inline_source(text: str) -> str:
    """One paragraph of front matter as one line of Markdown that reads as inline text: a
    leading `#`, `>`, `- `, `1. ` or `[x]:` is escaped (a title "1. Introduction" is not a list)
    and so is a block's tag (`<div>`, `<p>`, `<table>`: a heading holds phrasing only, and a
    `</div>` would close the field's own div); inline tags such as `<i>` are kept."""
    line = re.sub(r"\s+", " ", normalise(text)).strip()
    line = BLOCK_TAG.sub(r"&lt;\1", line)
    start = BLOCK_START.match(line)
    if start:
        if line[0].isdigit():
            line = start.group(0) + "\\" + line[start.end():]
        elif line[0] == ":":
            line = "&#58;" + line[1:]
        else:
            line = "\\" + line
    return line


def front_matter_markdown(fields: list[tuple[str, str]]) -> str:
    """Markdown for front matter fields, `(name, text)` in reading order, to go before the
    body: an `epigraph` is a block quote of its paragraphs, any other field one paragraph."""
    out = []
    for name, text in fields:
        paragraphs = [inline_source(p) for p in re.split(r"\n[ \t]*\n", text) if p.strip()] or ["\u200b"]
        inner = "\n>\n".join("> " + p for p in paragraphs) if name == "epigraph" else " ".join(paragraphs)
        out.append(f'<div class="{FRONT_CLASS} {FRONT_CLASS}-{name}" markdown="1">\n\n{inner}\n\n</div>\n\n')
    return "".join(out)
