"""Pandoc-compatible Markdown to sanitised HTML with Python-Markdown.

Pandoc's fenced divs (`::: verse` … `:::`) become `md_in_html` blocks so their content is
still Markdown; verse keeps one line per line. Raw HTML passes an allowlist (nh3), so no
script, handler or frame reaches either edition, and what it keeps is valid XHTML: links
lead to the web or to a note, enumerated attributes hold values XHTML allows, and the only
ids are the notes' own (so raw HTML cannot duplicate or hijack one).
"""

from __future__ import annotations

import hashlib
import html
import re
from urllib.parse import quote, urlsplit

import markdown
import nh3
from lxml import html as lhtml

from ..config import BCP47
from ..typography import smarty_substitutions

FENCE_OPEN = re.compile(r"^:{3,}\s*(?:\{\s*\.([A-Za-z][\w-]*)([^}]*)\}|([A-Za-z][\w-]*))\s*:*\s*$")
FENCE_ATTR = re.compile(r"""([A-Za-z][\w-]*)=(?:"([^"]*)"|'([^']*)'|(\S+))""")
FENCE_CLOSE = re.compile(r"^:{3,}\s*$")

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
MAX_DEPTH = 32  # nesting WeasyPrint lays out safely; no book needs more


class MarkupTooDeep(ValueError):
    """Text nested so deeply (lists in lists, quotes in quotes) that it cannot be laid out."""


def normalise(text: str) -> str:
    """Remove what editors paste by accident: BOM, CR line ends, NUL and other C0 controls,
    and a lone space or tab ending a line (invisible, unlike Markdown's two-space break; and
    before a zero-width or combining character it crashes WeasyPrint's footnote layout)."""
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    text = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", "", text)
    return re.sub(r"(?<![ \t])[ \t]$", "", text, flags=re.M)


def expand_fenced_divs(text: str) -> str:
    """Turn `::: name` … `:::` into `<div class="name" markdown="1">` blocks, line for line."""
    out: list[str] = []
    stack: list[str] = []
    for line in text.split("\n"):
        opened = FENCE_OPEN.match(line)
        if opened:
            name = (opened.group(1) or opened.group(3)).lower()
            attrs = "".join(
                f' data-{key.lower()}="{html.escape(vals[0] or vals[1] or vals[2])}"'
                for key, *vals in FENCE_ATTR.findall(opened.group(2) or "")
            )
            stack.append(name)
            out.extend(["", f'<div class="{name}"{attrs} markdown="1">', ""])
            continue
        if FENCE_CLOSE.match(line) and stack:
            stack.pop()
            out.extend(["", "</div>", ""])
            continue
        if stack and stack[-1] == "verse":
            line = _verse_line(line)
        out.append(line)
    out.extend(["", "</div>", ""] * len(stack))
    return "\n".join(out)


def _verse_line(line: str) -> str:
    """One line of verse: keep its indent (as em spaces) and end it with a hard break."""
    if not line.strip():
        return ""
    indent = len(line) - len(line.lstrip(" "))
    return "\u2003" * (indent // 2) + line.strip() + "  "


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
    text = expand_fenced_divs(normalise(text))
    separator = "-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:12] + "-"
    md = markdown.Markdown(
        extensions=["footnotes", "tables", "attr_list", "md_in_html", "smarty", "sane_lists"],
        extension_configs={
            "smarty": {"substitutions": smarty_substitutions(language)},
            "footnotes": {"BACKLINK_TEXT": "&#8617;", "SEPARATOR": separator},
        },
        output_format="xhtml",
    )
    try:
        html = md.convert(text)
    except RecursionError:
        raise MarkupTooDeep("the text is nested too deeply for the Markdown parser") from None
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
            raise MarkupTooDeep(f"elements are nested more than {MAX_DEPTH} deep (lists in lists, quotes in quotes)")
        stack.extend((child, depth + 1) for child in el)


def inline_html(text: str, language: str) -> str:
    """Convert one line of Markdown (a title, an attribution) to inline HTML; text that
    Markdown reads as blocks (`# x`, `- x`, `> x`, several paragraphs) stays plain text."""
    converted = to_html(text, language).strip()
    inner = converted[3:-4]
    if converted.startswith("<p>") and converted.endswith("</p>") and "<p>" not in inner and "<p " not in inner:
        return inner
    return html.escape(normalise(text).strip(), quote=False)
