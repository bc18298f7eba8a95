"""Turn a piece's HTML into semantic XHTML blocks, and find its quotations, notes and figures.

This is where Markdown conventions become book structure: leading block quotes become
epigraphs, a closing "— Author, *Work*" line becomes an attribution, a lone image becomes a
figure with caption and credit, `* * *` a section break, footnotes EPUB notes.
"""

from __future__ import annotations

import copy
import html
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from urllib.parse import unquote, urlsplit

from lxml import etree, html as lhtml
import regex as uregex
from slugify import slugify as ascii_slug

from ..errors import Diagnostics
from ..fetcher import RefusedResource, Sandbox
from ..limits import MAX_TABLE_COLUMNS
from ..model import Block, Figure, Heading, Location, Note, Quotation
from ..placeholder import MISSING_IMAGE, placeholder
from ..quotations import unbalanced
from .library import Library
from .markdown import CREDIT, FRONT_CLASS, IMAGE_CLASS  # noqa: F401 (CREDIT: lint reads it here)

DASHES = ("—", "–", "―", "--")
KEY_REF = re.compile(r"^\[?@([\w.-]+)\]?(?:\s*,\s*(.+))?$")
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
EPUB_TYPE = "data-epub-type"  # written as epub:type when serialised (see to_xhtml)


@dataclass
class Body:
    blocks: list[Block] = field(default_factory=list)
    epigraphs: list[Block] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    quotations: list[Quotation] = field(default_factory=list)
    headings: list[Heading] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    words: int = 0
    files: list[str] = field(default_factory=list)  # the files it refers to, relative to the manuscript


def to_xhtml(el: etree._Element) -> str:
    """Serialise an element as XHTML, with its `epub:type` attributes spelt out."""
    out = etree.tostring(el, method="xml", encoding="unicode", with_tail=False)
    return out.replace(f' {EPUB_TYPE}="', ' epub:type="')


def text_of(el: etree._Element) -> str:
    return re.sub(r"\s+", " ", "".join(el.itertext())).strip()


def add_xml_lang(root: etree._Element) -> None:
    """Double every `lang` with the `xml:lang` XHTML wants."""
    for el in root.iter():
        if isinstance(el.tag, str) and el.get("lang") is not None:
            el.set(XML_LANG, el.get("lang"))


def is_noteref(el) -> bool:
    return isinstance(el, etree._Element) and el.tag == "a" and "noteref" in (el.get("class") or "").split()


def plain_text(nodes) -> str:
    """The words of an element, or of a run of text and elements, without note references:
    a title as contents, running heads and indexes give it."""
    out: list[str] = []

    def walk(el: etree._Element) -> None:
        if not is_noteref(el):
            out.append(el.text or "")
            for child in el:
                walk(child)
        out.append(el.tail or "")

    if isinstance(nodes, etree._Element):
        out.append(nodes.text or "")
        for child in nodes:
            walk(child)
    else:
        for node in nodes:
            if isinstance(node, str):
                out.append(node)
            else:
                walk(node)
                out.pop()  # a node in a run carries no tail: the next text is its own item
    return re.sub(r"\s+", " ", "".join(out)).strip()


def inner_xhtml(el: etree._Element) -> str:
    """What an element holds, as XHTML: its text and its children."""
    out = html.escape(el.text or "", quote=False)
    for child in el:
        if isinstance(child.tag, str):
            out += to_xhtml(child)
        out += html.escape(child.tail or "", quote=False)
    return out


def without_notes_or_links(el: etree._Element) -> etree._Element:
    """A copy of inline markup fit for a link in the contents: no note references, no links
    (a link in a link is invalid), no ids (the original keeps them)."""
    el = copy.deepcopy(el)
    for ref in [a for a in el.iter("a") if is_noteref(a)]:
        remove_keeping_tail(ref)
    for a in list(el.iter("a")):
        unwrap(a)
    for node in el.iter():
        if isinstance(node.tag, str):
            node.attrib.pop("id", None)
    return el


def unwrap(el: etree._Element) -> None:
    """Replace an element by what it holds."""
    parent = el.getparent()
    index = parent.index(el)
    items = runs(el) + ([el.tail] if el.tail else [])
    parent.remove(el)
    prev = parent[index - 1] if index > 0 else None
    for item in items:
        if isinstance(item, str):
            if prev is None:
                parent.text = (parent.text or "") + item
            else:
                prev.tail = (prev.tail or "") + item
        else:
            parent.insert(index, item)
            prev, index = item, index + 1


def runs(p: etree._Element) -> list:
    """A paragraph's content as a run of strings and elements (each element without its tail)."""
    items: list = [p.text] if p.text else []
    for child in list(p):
        tail, child.tail = child.tail, None
        p.remove(child)
        items.append(child)
        if tail:
            items.append(tail)
    p.text = None
    return items


def fill(container: etree._Element, items: list) -> etree._Element:
    """Append a run of strings and elements to an element."""
    for item in items:
        if isinstance(item, str):
            if len(container):
                container[-1].tail = (container[-1].tail or "") + item
            else:
                container.text = (container.text or "") + item
        else:
            container.append(item)
    return container


# The comma of an attribution line ("— Author, *Work*") in the scripts that write their own.
COMMAS = {"ar": "،", "fa": "،", "ur": "،", "ps": "،", "sd": "،", "ug": "،", "zh": "，", "ja": "、"}
ANY_COMMA = "," + "".join(set(COMMAS.values()))


def trim(items: list, chars: str = " \t\n" + ANY_COMMA) -> list:
    """A run without the spaces and commas at either end."""
    items = list(items)
    while items and isinstance(items[0], str) and not items[0].lstrip(chars):
        items.pop(0)
    while items and isinstance(items[-1], str) and not items[-1].rstrip(chars):
        items.pop()
    if items and isinstance(items[0], str):
        items[0] = items[0].lstrip(chars)
    if items and isinstance(items[-1], str):
        items[-1] = items[-1].rstrip(chars)
    return items


def split_run(items: list, separators: str = ANY_COMMA) -> tuple[list, list]:
    """A run cut at the first comma (of any script) outside its elements."""
    for i, item in enumerate(items):
        at = min((item.index(c) for c in separators if c in item), default=-1) if isinstance(item, str) else -1
        if at >= 0:
            before, after = item[:at], item[at + 1:]
            return items[:i] + ([before] if before else []), ([after] if after else []) + items[i + 1:]
    return items, []


@dataclass
class Attribution:
    """Who and what a quotation is from: plain text for indexes and checks, and the runs of
    marked-up text (with their note references) that the footer prints."""

    author: str | None = None
    work: str | None = None
    locator: str | None = None
    key: str | None = None
    paragraph: etree._Element | None = None  # the attribution paragraph it was read from
    author_run: list = field(default_factory=list)
    work_run: list = field(default_factory=list)
    locator_run: list = field(default_factory=list)

    @classmethod
    def of(cls, author_run: list, work_run: list, locator_run: list = (), **kw) -> "Attribution":
        author_run, work_run, locator_run = trim(author_run), trim(work_run), trim(list(locator_run))
        return cls(plain_text(author_run) or None, plain_text(work_run) or None, plain_text(locator_run) or None,
                   author_run=author_run, work_run=work_run, locator_run=locator_run, **kw)


def _span(cell: etree._Element) -> int:
    """The columns a table cell spans (its colspan, which the allowlist keeps to 1 … 10,000)."""
    span = cell.get("colspan", "1")
    return int(span) if span.isdigit() and int(span) > 0 else 1


# A word as a reader counts it: letters with their combining marks (a Devanagari or Arabic word
# is one word, not one per vowel sign), joined by an apostrophe or a hyphen; in Chinese and
# Japanese, which write no spaces, each character, as their word counts (字数) do.
WORD = uregex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}]"
                      r"|[\p{L}\p{M}\p{N}]+(?:['’\-][\p{L}\p{M}\p{N}]+|(?<=\p{N})[.,]\p{N}+)*")


def count_words(text: str) -> int:
    return sum(1 for _ in WORD.finditer(text))


def slugify(text: str) -> str:
    """An ASCII slug for ids and file names whatever the script, transliterated (第一篇 → di-yi-pian,
    واحد → whd): file names every file system, zip tool and web server takes."""
    return ascii_slug(text) or "section"


def remove_keeping_tail(el: etree._Element) -> None:
    parent, prev = el.getparent(), el.getprevious()
    if prev is not None:
        prev.tail = (prev.tail or "") + (el.tail or "")
    else:
        parent.text = (parent.text or "") + (el.tail or "")
    parent.remove(el)


def is_attribution(p: etree._Element) -> bool:
    return p.tag == "p" and (p.text or "").lstrip().startswith(DASHES)


def split_quotations(bq: etree._Element) -> list[etree._Element]:
    """Split a block quote after every attribution paragraph that is not its last child."""
    groups: list[list[etree._Element]] = [[]]
    children = [c for c in bq if isinstance(c.tag, str)]
    for i, child in enumerate(children):
        groups[-1].append(child)
        if is_attribution(child) and i < len(children) - 1:
            groups.append([])
    if len(groups) == 1:
        return [bq]
    out = []
    for group in groups:
        new = etree.Element("blockquote")
        new.extend(group)
        out.append(new)
    return out


class SourceLines:
    """Finds the line of a passage in the Markdown source, for diagnostics.

    Blocks are looked up in reading order, so the search starts after the last match: the
    second of two identical quotations gets its own line.
    """

    def __init__(self, text: str, first_line: int):
        self.lines = text.split("\n")
        self.first_line = first_line
        self.cursor = 0

    def find(self, snippet: str, prefix: str = "") -> int:
        words = re.findall(r"\w+", snippet)[:6]
        if not words:
            return self.first_line + self.cursor
        pattern = re.compile(r"\W+".join(re.escape(w) for w in words[:3]))
        order = list(range(self.cursor, len(self.lines))) + list(range(0, self.cursor))
        for i in order:
            line = self.lines[i]
            if line.lstrip().startswith(prefix) and pattern.search(line):
                self.cursor = i
                return self.first_line + i
        return self.first_line + self.cursor

    def find_image(self, src: str, alt: str) -> int:
        """The line of an image: where its source is written, as Markdown `(src` or an HTML
        attribute value, else where its alternative text is."""
        forms = [f"({src}", f'"{src}"', f"'{src}'"] if src else []
        for i, line in enumerate(self.lines):
            if any(form in line for form in forms):
                return self.first_line + i
        return self.find(alt or src, "!")


class BodyBuilder:
    """Builds one piece's `Body`; ids are prefixed with the piece id so they stay unique book-wide."""

    def __init__(self, piece_id: str, path: Path, root: Path, source: SourceLines, diags: Diagnostics,
                 library: Library | None = None, language: str = "en"):
        self.library = library or Library()
        self.language = language
        self.pid = piece_id
        self.path = path
        self.root = root
        self.source = source
        self.diags = diags
        self.body = Body()
        self.counter = 0

    def next_id(self, kind: str) -> str:
        self.counter += 1
        return f"{self.pid}-{kind}{self.counter}"

    # --- quotations -------------------------------------------------------------------------
    def attribution(self, bq: etree._Element) -> Attribution | None:
        """Read a closing "— Author, *Work*, locator" (or "— @key, locator") paragraph, keeping
        its markup and note references for the footer."""
        paras = [c for c in bq if c.tag == "p"]
        if not paras or not is_attribution(paras[-1]) or bq[-1] is not paras[-1]:
            return None
        last = paras[-1]
        head = (last.text or "").lstrip()
        dash = next(d for d in DASHES if head.startswith(d))
        whole = plain_text(last)[len(dash):].strip()
        ref = KEY_REF.match(whole)
        if len(paras) < 2 and not ref:
            return None
        last.text = head[len(dash):].lstrip()
        items = runs(last)
        if ref:
            return Attribution.of([], [], split_run(items)[1], key=ref.group(1), paragraph=last)
        cite = next((i for i, c in enumerate(items) if not isinstance(c, str) and c.tag in ("em", "cite", "i")), None)
        if cite is not None:
            return Attribution.of(items[:cite], runs(items[cite]), items[cite + 1:], paragraph=last)
        author, work = split_run(items)
        return Attribution.of(author, work, paragraph=last)

    def footer(self, bq: etree._Element, attribution: Attribution) -> None:
        """The printed attribution: "— Author, *Work*, locator", with its notes."""
        # role="none": a <footer> outside an article, aside, nav or section of its own is read as
        # the page's "contentinfo" landmark (Ace: landmark-no-duplicate-contentinfo), and an
        # attribution is not one.
        footer = etree.SubElement(bq, "footer", {"role": "none"})
        span = etree.SubElement(footer, "span", {"class": "attribution"})
        span.text = "— "
        parts = []
        if attribution.author_run:
            parts.append(fill(etree.Element("span", {"class": "author"}), attribution.author_run))
        if attribution.work_run:
            parts.append(fill(etree.Element("cite"), attribution.work_run))
        if attribution.locator_run and parts:
            parts.append(attribution.locator_run)
        comma = COMMAS.get(self.language.split("-")[0].lower(), ",")
        comma += "" if comma in "，、" else " "
        for i, part in enumerate(parts):
            if i:
                fill(span, [comma])
            fill(span, part if isinstance(part, list) else [part])

    def quotation(self, bq: etree._Element, kind: str, line: int = 0, given: etree._Element | None = None,
                  key: str | None = None, attribution: Attribution | None = None) -> Block:
        """A block quote as a quotation; `given` is a `::: {.quote author=… work=…}` wrapper
        whose attribution the text already states, so it is recorded but not printed again;
        `attribution` is one read elsewhere (an epigraph's front matter). An attribution
        `— @key` (or a `key`) takes author, work and, when the quote is left empty, its words
        from the quotation library."""
        if attribution is None:
            attribution = self.attribution(bq)
        printed = attribution is not None
        attribution = attribution or Attribution()
        author, work, locator = attribution.author, attribution.work, attribution.locator
        key = key or attribution.key
        if given is not None and not printed:
            author, work, locator = given.get("data-author"), given.get("data-work"), given.get("data-locator")
            key = given.get("data-key")
        anchor = self.next_id("q")
        if attribution.paragraph is not None:
            bq.remove(attribution.paragraph)
        text = " ".join(plain_text(p) for p in bq)
        line = line or self.source.find(text or (key or ""), ">")
        extra = {}
        if key is not None:
            entry = self.library.quotations.get(key)
            if entry is None:
                self.diags.error(self.path, line, f"no quotation '{key}' in quotations.yml")
                author = work = None
            else:
                author, work = entry.author, entry.work
                locator = locator or entry.locator
                extra = {"year": entry.year, "translator": entry.translator, "url": entry.url}
                if not text:
                    p = etree.SubElement(bq, "p")
                    p.text = entry.text
                    text = entry.text
                if printed:  # the library names who and what; the line gives the place
                    attribution.author_run = [author] if author else []
                    attribution.work_run = [work] if work else []
                    attribution.locator_run = [locator] if locator else []
        if printed:
            self.footer(bq, attribution)
        self.check_marks(text, line)
        bq.set("id", anchor)
        classes = ["quotation"] + (["attributed"] if author or work else [])
        if kind == "epigraph":
            classes.append("epigraph")
            bq.set(EPUB_TYPE, "epigraph")
            bq.set("role", "doc-epigraph")
        bq.set("class", " ".join(classes))
        self.body.quotations.append(
            Quotation(kind, text, author, work, Location(self.path, line), self.pid, anchor, locator, key, **extra)
        )
        return Block("epigraph" if kind == "epigraph" else "quotation", to_xhtml(bq), text)
    def check_marks(self, text: str, line: int) -> None:
        problem = unbalanced(text, self.language)
        if problem:
            self.diags.warning(self.path, line, f"unbalanced quotation marks: {problem}")

    # --- figures ----------------------------------------------------------------------------
    def figure(self, p: etree._Element, wrapper: etree._Element) -> Block:
        """An image alone in its paragraph: a figure whose caption and credit keep their
        markup and notes (see markdown.CaptionedImage)."""
        img = wrapper.find("img")
        cap_el, credit_el = wrapper.find("span[@class='md-caption']"), wrapper.find("span[@class='md-credit']")
        caption = plain_text(cap_el) if cap_el is not None else ""
        credit = (plain_text(credit_el) or None) if credit_el is not None else None
        for extra in (wrapper.get("class") or "").split():
            if extra != IMAGE_CLASS:
                img.set("class", " ".join(filter(None, [img.get("class"), extra])))
        alt = caption + (" / " + credit if credit else "")
        description = img.get("title") or caption
        img.attrib.pop("title", None)
        anchor = self.next_id("fig")
        line = self.source.find(alt or img.get("src", ""), "!")
        src = img.get("src", "")
        fig = etree.Element("figure", {"id": anchor, "class": "figure"})
        img.tail = None
        img.set("alt", description or "")
        fig.append(img)
        if caption or credit:
            cap = etree.SubElement(fig, "figcaption")
            if cap_el is not None:
                fill(cap, runs(cap_el) + ([" "] if credit else []))
            if credit:
                fill(etree.SubElement(cap, "span", {"class": "credit"}), runs(credit_el))
        self.body.figures.append(Figure(src, description, caption, credit, anchor, Location(self.path, line)))
        if credit:
            self.body.quotations.append(
                Quotation("caption", caption, None, None, Location(self.path, line), self.pid, anchor, None)
            )
        return Block("figure", to_xhtml(fig), caption)

    def asset(self, src: str, line: int) -> str:
        """Resolve an image path against the piece's folder to a manuscript-relative path.

        What the sandbox would refuse (other schemes, paths leaving the manuscript, files that
        are not images) is reported here, at its line, and the image is left out of the
        editions. A file that is missing is an error naming it from the manuscript's root;
        its figure keeps a placeholder, which a `build --draft` shows."""
        parts = urlsplit(src)
        if parts.scheme or parts.netloc or src.startswith("/"):
            self.diags.warning(self.path, line, f"image '{src}' is left out: it is not in the manuscript: copy it into the manuscript folder and use a relative path")
            return ""
        target = (self.path.parent / unquote(parts.path))
        relative = os.path.relpath(os.path.abspath(target), os.path.abspath(self.root))
        self.body.files.append(relative)
        try:
            real = Sandbox([self.root]).image(target)
        except RefusedResource as exc:
            if not os.path.lexists(target) and not relative.startswith(".."):
                name = Path(relative).as_posix()
                self.diags.error(self.path, line, f"image '{src}' not found: there is no {name} in the manuscript",
                                 code=MISSING_IMAGE)
                return placeholder(name)
            self.diags.warning(self.path, line, f"image left out: {exc}")
            return ""
        return real.relative_to(Path(os.path.realpath(self.root))).as_posix()

    # --- footnotes --------------------------------------------------------------------------
    def footnotes(self, root: etree._Element) -> None:
        """Renumber Python-Markdown's footnotes as EPUB notes with ids unique in the book."""
        container = root.find(".//div[@class='footnote']")
        if container is None:
            return
        container.getparent().remove(container)
        find_calls = etree.XPath(".//sup[a[contains(@class, 'footnote-ref')]]")
        notes = {li.get("id"): li for li in container.xpath("./ol/li")}  # not the list items inside one
        calls = find_calls(root)  # calls in the text come first: they own the back links
        called = {sup[0].get("href", "").lstrip("#") for sup in calls}
        pending = [notes[n] for n in called if n in notes]
        while pending:  # then the calls inside notes that are themselves called
            for sup in find_calls(pending.pop()):
                target = sup[0].get("href", "").lstrip("#")
                calls.append(sup)
                if target not in called and target in notes:
                    called.add(target)
                    pending.append(notes[target])
        items = []
        for li in notes.values():
            if li.get("id") in called:
                items.append(li)
            else:
                label = li.get("id", "").split("-", 2)[-1]  # Python-Markdown's id: fn-<separator>-<label>
                self.diags.warning(self.path, self.source.find(label, f"[^{label}]"),
                                   f"note [^{label}] is left out: the text never calls it")
        numbers = {li.get("id", ""): number for number, li in enumerate(items, 1)}
        seen: set[str] = set()
        for sup in calls:
            a = sup[0]
            number = numbers.get(a.get("href", "").lstrip("#"))
            if number is None:
                continue
            ref = etree.Element("a", {
                "class": "noteref", EPUB_TYPE: "noteref", "role": "doc-noteref",
                "href": f"#{self.pid}-fn{number}",
            })
            ref_id = f"{self.pid}-fnref{number}"
            if ref_id in seen:
                ref_id = self.next_id(f"fnref{number}-")
            seen.add(ref_id)
            ref.set("id", ref_id)
            ref.text = str(number)
            ref.tail = sup.tail
            sup.getparent().replace(sup, ref)
        for number, li in enumerate(items, 1):
            for back in li.xpath(".//a[contains(@class, 'footnote-backref')]"):
                parent = back.getparent()
                prev = back.getprevious()
                if prev is not None:
                    prev.tail = (prev.tail or "").rstrip("\xa0 ") + (back.tail or "")
                else:
                    parent.text = (parent.text or "").rstrip("\xa0 ") + (back.tail or "")
                parent.remove(back)
                if parent.tag == "p" and not len(parent) and not (parent.text or "").strip():
                    parent.getparent().remove(parent)  # the back link's own paragraph, after a quote or a list
            inner = "".join(to_xhtml(child) + html.escape(child.tail or "", quote=False)
                            for child in li if child.tag is not etree.Comment)
            self.body.notes.append(Note(number, f"{self.pid}-fn{number}", f"{self.pid}-fnref{number}", inner.strip()))

    # --- the whole body ---------------------------------------------------------------------
    def parse(self, markup: str) -> etree._Element:
        """The piece's HTML as a tree, its notes numbered and taken out of it, every `lang`
        doubled by the `xml:lang` XHTML wants, and no empty paragraph (Markdown leaves one
        where a fence closes in a block quote)."""
        root = lhtml.fragment_fromstring(markup or "<p></p>", create_parent="div")
        add_xml_lang(root)
        for p in list(root.iter("p")):
            if p is not root and not len(p) and not (p.text or "").strip() and p.getparent() is not root:
                remove_keeping_tail(p)
        for img in list(root.iter("img")):  # `![…][ref]` or raw HTML: caption and credit from the alt text
            parent = img.getparent()
            if not (parent.tag == "span" and IMAGE_CLASS in (parent.get("class") or "").split()):
                self._wrap_image(img)
        for wrapper in [el for el in root.iter("span") if IMAGE_CLASS in (el.get("class") or "").split()]:
            if not self._is_figure(root, wrapper):
                self._plain_image(wrapper)
        self.footnotes(root)
        return root

    @staticmethod
    def _is_figure(root: etree._Element, wrapper: etree._Element) -> bool:
        """An image alone in a paragraph of the body is a figure, with its caption and credit."""
        p = wrapper.getparent()
        return (p is not None and p.tag == "p" and p.getparent() is root and len(p) == 1
                and not (p.text or "").strip() and not (wrapper.tail or "").strip())

    @staticmethod
    def _wrap_image(img: etree._Element) -> None:
        """An image Markdown's own image processors made (a reference image, raw HTML), put in
        the wrapper markdown.CaptionedImage gives the others."""
        alt = img.get("alt", "")
        credit = CREDIT.search(alt)
        wrapper = etree.Element("span", {"class": IMAGE_CLASS})
        wrapper.tail, img.tail = img.tail, None
        img.getparent().replace(img, wrapper)
        wrapper.append(img)
        for name, text in (("md-caption", (alt[: credit.start()] if credit else alt).strip()),
                           ("md-credit", credit.group(1).strip() if credit else "")):
            if text:
                etree.SubElement(wrapper, "span", {"class": name}).text = text
        img.set("alt", "")

    @staticmethod
    def _plain_image(wrapper: etree._Element) -> None:
        """An image in a line of text: its caption and credit become its alternative text."""
        img = wrapper.find("img")
        texts = [plain_text(el) for el in wrapper.findall("span")]
        img.set("alt", " / ".join(t for t in texts if t))
        for extra in (wrapper.get("class") or "").split():
            if extra != IMAGE_CLASS:
                img.set("class", " ".join(filter(None, [img.get("class"), extra])))
        img.tail = wrapper.tail
        wrapper.getparent().replace(wrapper, img)

    @staticmethod
    def take_front(root: etree._Element, names: list[str]) -> list[etree._Element | None]:
        """The front matter fields (see markdown.front_matter_markdown) from the start of the
        tree, in the order they were written; None for one that is not where it should be."""
        out = []
        for name in names:
            first = root[0] if len(root) else None
            if first is not None and f"{FRONT_CLASS}-{name}" in (first.get("class") or "").split():
                root.remove(first)
                out.append(first)
            else:
                out.append(None)
        return out

    def build(self, markup: str | etree._Element) -> Body:
        root = self.parse(markup) if isinstance(markup, str) else markup
        self._shift_headings(root)
        self._mark_lead_ins(root)
        self._name_text_blocks(root)
        for img in list(root.iter("img")):
            src = self.asset(img.get("src", ""), self.source.find_image(img.get("src", ""), img.get("alt", "")))
            if src:
                img.set("src", src)
            else:
                parent = img.getparent()
                wrapped = parent.tag == "span" and IMAGE_CLASS in (parent.get("class") or "").split()
                remove_keeping_tail(parent if wrapped else img)  # a figure left out goes with its caption
        leading = True
        for el in list(root):
            if not isinstance(el.tag, str):
                continue
            for block in self.blocks(el, leading):
                if block.kind == "epigraph":
                    self.body.epigraphs.append(block)
                else:
                    leading = False
                    self.body.blocks.append(block)
        self.body.words = sum(count_words(b.text) for b in self.body.blocks)
        return self.body

    def _name_text_blocks(self, root: etree._Element) -> None:
        """Give every block of text an id shared by both editions, so that print page breaks
        can be placed in the EPUB at the same word."""
        for n, el in enumerate(root.iter("p", "li", "dt", "dd", "td", "th", "figcaption", "pre"), 1):
            if not el.get("id"):
                el.set("id", f"{self.pid}-t{n}")

    @staticmethod
    def _mark_lead_ins(root: etree._Element) -> None:
        """A paragraph ending in a colon introduces what follows: keep it on the same page."""
        for p in root.findall("p"):
            nxt = p.getnext()
            if nxt is not None and nxt.tag in ("blockquote", "div", "ul", "ol", "table") and text_of(p).endswith(":"):
                p.set("class", "lead-in")

    def _shift_headings(self, root: etree._Element) -> None:
        """The piece title is the only h1: body headings start at h2. None skips a level either
        (`###` straight under the title becomes h2): a screen reader's outline would announce a
        section that is not there (Ace by DAISY's heading-order)."""
        headings = root.xpath(".//h1|.//h2|.//h3|.//h4|.//h5|.//h6")
        shift = 1 if root.find(".//h1") is not None else 0
        level = 1
        for h in headings:
            level = min(int(h.tag[1]) + shift, 6, level + 1)
            h.tag = f"h{level}"

    def blocks(self, el: etree._Element, leading: bool) -> list[Block]:
        """Python-Markdown merges block quotes separated only by a blank line; an attribution
        line closes a quotation, so split there first."""
        if el.tag == "blockquote":
            return [self.quotation(bq, "epigraph" if leading else "blockquote") for bq in split_quotations(el)]
        block = self.block(el, leading)
        return [block] if block else []

    def block(self, el: etree._Element, leading: bool) -> Block | None:
        tag = el.tag
        text = text_of(el)
        if tag == "p":
            if len(el) == 1 and IMAGE_CLASS in (el[0].get("class") or "").split() and el[0].find("img") is not None \
                    and not (el.text or "").strip() and not (el[0].tail or "").strip():
                return self.figure(el, el[0])
            if not text and len(el) == 0:
                return None
            self.check_marks(text, self.source.find(text))
            return Block("paragraph", to_xhtml(el), text)
        if tag in ("h2", "h3", "h4", "h5", "h6"):
            hid = f"{self.pid}-{slugify(text)}"
            if any(h.id == hid for h in self.body.headings):
                hid = self.next_id("h")
            el.set("id", hid)
            self.body.headings.append(Heading(int(tag[1]), hid, text))
            return Block("heading", to_xhtml(el), text)
        if tag == "hr":
            el.set("class", "break")
            return Block("break", to_xhtml(el), "")
        if tag == "div":
            kind = (el.get("class") or "").split()[0] if el.get("class") else "div"
            if kind == "pullquote":
                anchor = self.next_id("pq")
                aside = etree.Element("aside", {
                    "id": anchor, "class": "pullquote", EPUB_TYPE: "pullquote",
                    "role": "doc-pullquote", "aria-hidden": "true",
                })
                aside.extend(list(el))
                aside.text = el.text
                self.body.quotations.append(
                    Quotation("pullquote", text, None, None, Location(self.path, self.source.find(text)), self.pid, anchor)
                )
                return Block("pullquote", to_xhtml(aside), "")
            if kind == "quote" and el.find("blockquote") is not None:
                return self.quotation(el.find("blockquote"), "epigraph" if leading else "blockquote", given=el)
            if kind == "verse":
                el.set("class", "verse")
                for p in el.findall("p"):
                    p.set("class", "stanza")
                return Block("verse", to_xhtml(el), text)
            return Block(kind, to_xhtml(el), text)
        if tag in ("ul", "ol", "dl"):
            return Block("list", to_xhtml(el), text)
        if tag == "table":
            columns = max((sum(_span(cell) for cell in row.iterchildren("td", "th")) for row in el.iter("tr")), default=0)
            if columns > MAX_TABLE_COLUMNS:
                first = next(el.iter("tr"), None)
                line = self.source.find(text_of(first) if first is not None else text, "|")
                self.diags.error(self.path, line, f"a table of {columns} columns: more than the {MAX_TABLE_COLUMNS} "
                                                  "a page can show; split it into several tables, or turn it so "
                                                  "that its rows are its columns")
                return None
            return Block("table", to_xhtml(el), text)
        return Block("other", to_xhtml(el), text)
