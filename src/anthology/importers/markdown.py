"""Write a draft as a piece in the manuscript format: YAML front matter, then Pandoc-style Markdown.

Text is escaped so it reads back exactly as it was written (no-break spaces and curly quotes
are kept as characters); only the conventions the loader knows are used for structure.
"""

from __future__ import annotations

import re

import yaml

from .draft import Break, Callout, Draft, Figure, Heading, ListBlock, Paragraph, PullQuote, Quote

_SPECIAL = re.compile(r"([\\`*_\[\]{}])")
_LINE_START = re.compile(r"^(\s*)(#|>|[-+](?=\s)|(\d+)[.)](?=\s)|:::|\|)")
_YAML_RESERVED = {"yes", "no", "true", "false", "null", "on", "off", "y", "n", "~"}


def escape(text: str) -> str:
    """Plain text as inline Markdown that renders back to the same characters."""
    text = _SPECIAL.sub(r"\\\1", text)
    text = re.sub(r"<(?=[A-Za-z/!?])", "&lt;", text)
    text = re.sub(r"&(?=#?\w+;)", "&amp;", text)
    return text


def escape_block_start(text: str) -> str:
    """Escape what would make a paragraph a heading, quote, list, fenced div or table."""
    def fix(m: re.Match) -> str:
        lead, mark = m.group(1), m.group(2)
        if m.group(3):
            return lead + m.group(3) + "\\" + mark[len(m.group(3)):]
        if mark == ":::":
            return lead + "&#58;::"
        return lead + "\\" + mark
    return "\n".join(_LINE_START.sub(fix, line, count=1) for line in text.split("\n"))


def emphasis(text: str, mark: str = "*") -> str:
    """Wrap inline Markdown in emphasis, keeping surrounding spaces outside the markers."""
    core = text.strip()
    if not core:
        return text
    lead = text[: len(text) - len(text.lstrip())]
    trail = text[len(text.rstrip()):]
    return f"{lead}{mark}{core}{mark}{trail}"


def italicise(text: str, work: str) -> str:
    """Set the last mention of a work's (escaped) title in a paragraph in italics, unless it is already."""
    at = text.rfind(work)
    if at < 0 or text[max(0, at - 1):at] in ("*", "_"):
        return text
    return text[:at] + emphasis(work) + text[at + len(work):]


def yaml_scalar(value: str) -> str:
    """A YAML value: plain when unambiguous, otherwise double-quoted (':' and quotes always are)."""
    plain = (
        value == value.strip() and value
        and not re.search(r"[:#\"'“”‘’\\\n\t{}\[\]&*!|>%@`]", value)
        and not value.startswith(("-", "?"))
        and value.lower() not in _YAML_RESERVED
    )
    if plain:
        try:
            if yaml.safe_load(value) == value:
                return value
        except yaml.YAMLError:
            pass
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t") + '"'


def front_matter(draft: Draft) -> str:
    return front_matter_block(draft.title, draft.subtitle, draft.authors, draft.date, draft.series, draft.source)


def front_matter_block(title: str, subtitle: str | None = None, authors: tuple[str, ...] | list[str] = (),
                       date: str | None = None, series: str | None = None, source: str | None = None) -> str:
    """A piece's YAML front matter, the keys it has in the order the manuscript format lists them."""
    lines = ["---", f"title: {yaml_scalar(title)}"]
    if subtitle:
        lines.append(f"subtitle: {yaml_scalar(subtitle)}")
    if len(authors) == 1:
        lines.append(f"author: {yaml_scalar(authors[0])}")
    elif authors:
        lines.append("author:")
        lines.extend(f"  - {yaml_scalar(a)}" for a in authors)
    for key, value in (("date", date), ("series", series), ("source", source)):
        if value:
            lines.append(f"{key}: {yaml_scalar(value)}")
    lines.append("---")
    return "\n".join(lines)


def _quoted(paragraphs: list[str]) -> list[str]:
    out: list[str] = []
    for i, para in enumerate(paragraphs):
        if i:
            out.append(">")
        out.extend("> " + line if line.strip() else ">" for line in escape_block_start(para).split("\n"))
    return out


def _fence_attr(name: str, value: str) -> str:
    quote = "'" if '"' in value else '"'
    return f"{name}={quote}{value}{quote}"


def quote_block(q: Quote) -> str:
    if q.given and (q.author or q.work):
        attrs = " ".join(_fence_attr(k, v) for k, v in (("author", q.author), ("work", q.work), ("locator", q.locator)) if v)
        return "\n".join([f"::: {{.quote {attrs}}}", *_quoted(q.paragraphs), ":::"])
    paragraphs = list(q.paragraphs)
    if q.author or q.work:
        parts = [escape(q.author)] if q.author else []
        if q.work:
            parts.append(emphasis(escape(q.work)))
        if q.locator:
            parts.append(escape(q.locator))
        paragraphs.append("— " + ", ".join(parts))
    return "\n".join(_quoted(paragraphs))


def figure_block(f: Figure, src: str) -> str:
    alt = f.caption + (" / " if f.caption and f.credit else "") + (f.credit or "")
    alt = alt.replace("\n", " ")
    title = ""
    if f.description:
        desc = f.description.replace("\n", " ")
        title = f' "{desc}"' if '"' not in desc else f" '{desc}'" if "'" not in desc else f' "{desc.replace(chr(34), "&quot;")}"'
    return f"![{alt}]({src}{title})"


def list_block(block: ListBlock) -> str:
    out = []
    for n, item in enumerate(block.items, 1):
        marker = f"{n}. " if block.ordered else "- "
        first, *rest = item.split("\n")
        out.append(marker + escape_block_start(first).lstrip())
        out.extend(("    " + line) if line.strip() else "" for line in rest)
    return "\n".join(out)


def render(draft: Draft, image_prefix: str = "../") -> str:
    """The whole piece file. Figure paths are written relative to the piece's folder."""
    if draft.source_text is not None:
        return draft.source_text
    chunks = [front_matter(draft)]
    for block in draft.blocks:
        if isinstance(block, Paragraph):
            chunks.append(escape_block_start(block.text))
        elif isinstance(block, Heading):
            chunks.append("#" * max(2, block.level) + " " + block.text.replace("\n", " "))
        elif isinstance(block, Quote):
            chunks.append(quote_block(block))
        elif isinstance(block, Figure):
            chunks.append(figure_block(block, image_prefix + block.src))
        elif isinstance(block, ListBlock):
            chunks.append(list_block(block))
        elif isinstance(block, PullQuote):
            chunks.append("::: pullquote\n" + escape_block_start(block.text) + "\n:::")
        elif isinstance(block, Break):
            chunks.append("* * *")
        elif isinstance(block, Callout):
            chunks.append("::: callout\n" + "\n".join(escape_block_start(line) for line in block.lines) + "\n:::")
    for label, text in draft.notes:
        first, *rest = text.split("\n")
        chunks.append(f"[^{label}]: {first}" + "".join("\n    " + line if line.strip() else "\n" for line in rest))
    return "\n\n".join(chunks) + "\n"
