"""Pandoc-compatible Markdown to sanitised HTML with Python-Markdown.

Pandoc's fenced divs (`::: verse` … `:::`) become `md_in_html` blocks so their content is
still Markdown; verse keeps one line per line. Raw HTML passes an allowlist (nh3), so no
script, handler or frame reaches either edition.
"""

from __future__ import annotations

import html
import re

import markdown
import nh3

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
URL_SCHEMES = {"http", "https", "mailto"}


def normalise(text: str) -> str:
    """Remove what editors paste by accident: BOM, CR line ends, NUL and other C0 controls."""
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    return re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", "", text)


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


def to_html(text: str, language: str) -> str:
    """Convert a piece's Markdown body to sanitised HTML (not yet XHTML)."""
    md = markdown.Markdown(
        extensions=["footnotes", "tables", "attr_list", "md_in_html", "smarty", "sane_lists"],
        extension_configs={
            "smarty": {"substitutions": smarty_substitutions(language)},
            "footnotes": {"BACKLINK_TEXT": "&#8617;"},
        },
        output_format="xhtml",
    )
    html = md.convert(expand_fenced_divs(normalise(text)))
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel=None,
        filter_style_properties={"text-align"},
        strip_comments=True,
    )


def inline_html(text: str, language: str) -> str:
    """Convert one line of Markdown (a title, an attribution) to inline HTML."""
    html = to_html(text, language).strip()
    if html.startswith("<p>") and html.endswith("</p>") and html.count("<p>") == 1:
        html = html[3:-4]
    return html
