"""An HTML page saved from a browser: keep the article, drop the site around it.

The page's notes are taken out first (webnotes), and its title, byline, date and series line
read from the whole page and its metadata; then readability-lxml finds the main text, as a
reader view does, so the masthead, share buttons, related links, comments and footer are
left behind (the page's <article> or <main> is used instead when readability keeps much less
of it). The project's own recognition then reads that text: block quotes keep their
<cite>/<footer> attribution, figures their caption and credit, a closing call to action
becomes a `::: callout`, inline emphasis and links survive as Markdown; what was dropped is
counted. Every element keeps its line in the saved file, for the report.
"""

from __future__ import annotations

import base64
import copy
import re
from collections import Counter
from pathlib import Path
from urllib.parse import unquote, urlsplit

from lxml import etree, html as lhtml
from readability import Document

from ..config import check_date
from . import conventions as cv
from .draft import (Break, Callout, Draft, Figure, Findings, Heading, ImageSource, ListBlock, Paragraph, PullQuote,
                    Quote)
from .markdown import emphasis, escape
from .webnotes import TOKEN, extract_notes

DROP = ("script", "style", "noscript", "nav", "form", "iframe", "button", "svg", "template", "input",
        "select", "textarea", "object", "embed", "canvas", "dialog")
BLOCKS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "figure", "ul", "ol", "hr", "table",
          "pre", "div", "section", "article", "main", "header", "footer", "aside", "img", "dl"}
SPACE = re.compile(r"[ \t\n\r\f]+")  # HTML white space: a no-break space is text, not space
CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([\w-]+)""", re.I)
PULL = re.compile(r"\bpull-?quote\b", re.I)
LINE = "data-anthology-line"  # an element's line in the saved file, kept through extraction
CLUTTER = re.compile(r"share|social|related|newsletter|subscri|comment|\btags?\b|tags-links|cat-links|breadcrumb|"
                     r"post-nav|cookie|advert|\bads?\b|promo|sponsor|widget|author-bio|read-?more|skip-link", re.I)
CALL_TO_ACTION = re.compile(r"\b(?:cta|call-to-action|callout|join-us)\b", re.I)


def _decode(data: bytes) -> tuple[str, str]:
    m = CHARSET.search(data[:4096])
    encoding = m.group(1).decode("ascii") if m else "utf-8"
    try:
        return data.decode(encoding), encoding
    except (LookupError, UnicodeDecodeError):
        return data.decode("utf-8", errors="replace"), "utf-8 (with replacements)"


def _classes(el: etree._Element) -> str:
    return (el.get("class") or "") + " " + (el.get("id") or "")


def _line(el: etree._Element) -> int:
    return int(el.get(LINE) or el.sourceline or 0)


class HtmlReader:
    def __init__(self, path: Path, findings: Findings):
        self.path = path
        self.findings = findings
        self.draft = Draft()
        self.title_el: etree._Element | None = None
        self.dropped: Counter = Counter()
        self.pending_given: tuple[str | None, str | None, int] | None = None

    # --- inline -------------------------------------------------------------------------------
    def inline(self, el: etree._Element, top: bool = True) -> str:
        out = [escape(SPACE.sub(" ", el.text or ""))]
        for child in el:
            if isinstance(child.tag, str):
                out.append(self.inline_element(child))
            out.append(escape(SPACE.sub(" ", child.tail or "")))
        text = "".join(out)
        if top:
            text = "\n".join(line.strip(" ") for line in text.split("\n")).strip(" \n")
            text = text.replace("\n", "  \n")
            text = TOKEN.sub(lambda m: f"[^{m.group(1)}]", text)
        return text

    def inline_element(self, el: etree._Element) -> str:
        tag = el.tag
        if tag in DROP:
            return ""
        if tag == "br":
            return "\n"
        inner = self.inline(el, top=False)
        if tag in ("em", "i", "cite", "dfn", "var"):
            return emphasis(inner, "*")
        if tag in ("strong", "b"):
            return emphasis(inner, "**")
        if tag == "code":
            return "`" + "".join(el.itertext()) + "`"
        if tag in ("sup", "sub"):
            return f"<{tag}>{inner}</{tag}>"
        if tag == "q":
            return f"“{inner}”"
        if tag == "a":
            href = (el.get("href") or "").strip()
            if urlsplit(href).scheme in ("http", "https", "mailto") and inner.strip():
                href = href.replace(" ", "%20").replace("(", "%28").replace(")", "%29")
                return f"[{inner}]({href})"
            return inner
        if tag == "img":
            self.findings.doubt("image", _line(el), "an image inside a line of text was left out")
            return ""
        return inner

    # --- blocks -------------------------------------------------------------------------------
    def add(self, block) -> None:
        self.draft.blocks.append(block)

    def walk(self, container: etree._Element) -> None:
        children = [c for c in container if isinstance(c.tag, str)]
        loose = (container.text or "").strip()
        if loose and container.tag not in ("p",):
            self.paragraph_text(escape(SPACE.sub(" ", loose).strip()), _line(container))
        k = 0
        while k < len(children):
            el = children[k]
            nxt = children[k + 1] if k + 1 < len(children) else None
            k += self.element(el, nxt)
            tail = (el.tail or "").strip()
            if tail:
                self.paragraph_text(escape(SPACE.sub(" ", tail)), _line(el))

    def element(self, el: etree._Element, nxt: etree._Element | None) -> int:
        """Handle one block element; return how many siblings it used (2 when it took `nxt`)."""
        tag = el.tag
        if el is self.title_el or (tag == "h1" and " ".join("".join(el.itertext()).split()) == self.draft.title):
            return 1
        if tag in ("div", "aside", "section", "p", "span", "ul", "nav") and CLUTTER.search(_classes(el)):
            self.dropped[" ".join(CLUTTER.findall(_classes(el))[:1]).lower() or tag] += 1
            return 1
        if tag in ("div", "aside", "section") and CALL_TO_ACTION.search(_classes(el)):
            lines = [self.inline(p) for p in el.iter("p")] or [self.inline(el)]
            self.add(Callout([line for line in lines if line.strip()], _line(el)))
            self.findings.saw("call to action", _line(el), "the site's call to action: written as ::: callout")
            return 1
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            text = self.inline(el)
            if text:
                level = max(2, int(tag[1]))
                self.add(Heading(level, text.replace("  \n", " "), _line(el)))
                self.findings.saw("heading", _line(el), "".join(el.itertext()).strip())
            return 1
        if tag == "hr":
            self.add(Break(_line(el)))
            return 1
        if tag == "blockquote" or (tag in ("div", "aside", "p") and PULL.search(_classes(el))):
            self.blockquote(el)
            return 1
        if tag == "figure":
            self.figure(el)
            return 1
        if tag in ("ul", "ol"):
            items = [self.list_item(li) for li in el if li.tag == "li"]
            if items:
                self.add(ListBlock(items, tag == "ol", _line(el)))
                self.findings.saw("list", _line(el), f"{len(items)} items")
            return 1
        if tag == "img":
            self.image(el, None, None)
            return 1
        if tag == "table":
            self.findings.doubt("table", _line(el), "tables are not converted: each row was kept as a paragraph; rebuild it as a Markdown table")
            for tr in el.iter("tr"):
                cells = [self.inline(c) for c in tr if c.tag in ("td", "th")]
                if any(cells):
                    self.paragraph_text(" — ".join(c for c in cells if c), _line(tr))
            return 1
        if tag == "pre":
            self.findings.doubt("preformatted", _line(el), "preformatted text was kept as one paragraph with line breaks")
            text = "  \n".join(escape(l) for l in "".join(el.itertext()).strip("\n").split("\n"))
            self.paragraph_text(text, _line(el))
            return 1
        if tag == "p":
            imgs = el.findall(".//img")
            if imgs and not "".join(el.itertext()).strip():
                caption = nxt if nxt is not None and nxt.tag == "p" and cv.split_credit("".join(nxt.itertext())) else None
                self.image(imgs[0], caption, None)
                return 2 if caption is not None else 1
            text = "".join(el.itertext()).strip()
            if nxt is not None and nxt.tag == "p" and text and cv.attribution_line("".join(nxt.itertext()).strip()):
                author, work, locator = cv.split_attribution(cv.attribution_line("".join(nxt.itertext()).strip()))
                self.quote([self.inline(el)], author, work, locator, _line(el), given=False)
                return 2
            credit = cv.split_credit(text) if text else None
            if credit and len(text) < 400:
                caption, credit_text = credit
                self.add(Figure(escape(caption), escape(credit_text), None, line=_line(el)))
                self.findings.saw("caption", _line(el), f"credit “{credit_text}” (a caption without its image)")
                return 1
            self.paragraph(el)
            return 1
        if tag in ("header", "footer", "aside"):
            if tag == "aside":
                self.findings.doubt("aside", _line(el), "a sidebar (<aside>) was dropped: " + " ".join("".join(el.itertext()).split())[:60])
                return 1
            self.walk(el)
            return 1
        if tag == "dl":
            for child in el:
                if child.tag in ("dt", "dd"):
                    self.paragraph_text(self.inline(child), _line(child))
            return 1
        # div, section and anything else: their children are blocks, or their text a paragraph
        if any(isinstance(c.tag, str) and c.tag in BLOCKS for c in el):
            self.walk(el)
        else:
            self.paragraph(el)
        return 1

    def list_item(self, li: etree._Element) -> str:
        nested = [c for c in li if c.tag in ("ul", "ol")]
        for c in nested:
            li.remove(c)
        text = self.inline(li)
        for c in nested:
            for n, sub in enumerate((s for s in c if s.tag == "li"), 1):
                marker = f"{n}. " if c.tag == "ol" else "- "
                text += "\n" + marker + self.list_item(sub).replace("\n", "\n    ")
        return text

    def paragraph(self, el: etree._Element) -> None:
        self.paragraph_text(self.inline(el), _line(el), "".join(el.itertext()))

    def paragraph_text(self, text: str, line: int, plain: str | None = None) -> None:
        plain = (plain if plain is not None else text).strip()
        if not any(c.isalnum() for c in plain) and "[^" not in text:
            if plain:  # "|" or "·" left between a byline and a date once both are read
                self.dropped["separator"] += 1
            return
        self.pending_given = None
        introduced = cv.introduced_quotation(plain)
        if introduced:
            author, work, _ = introduced
            if author:
                self.pending_given = (author, work, line)
        head = cv.byline_and_date(plain) if not self.draft.blocks else None
        if head and not (head[0] and self.draft.authors) and not (head[1] and self.draft.date):
            if head[0]:
                self.draft.authors = [head[0]]
                self.findings.saw("author", line, f"byline: {head[0]}")
            if head[1]:
                self.draft.date = head[1]
                self.findings.saw("date", line, head[1])
            return
        if not self.draft.blocks and self.draft.series is None and cv.is_series_line(plain):
            self.draft.series = " ".join(plain.split())
            self.findings.saw("series line", line, self.draft.series)
            return
        self.add(Paragraph(text, line))

    def quote(self, paragraphs: list[str], author, work, locator, line: int, given: bool) -> None:
        kind = "epigraph" if all(isinstance(b, Quote) for b in self.draft.blocks) else "quotation"
        self.add(Quote(paragraphs, author, work, locator, given=given, line=line))
        self.findings.saw(kind, line, ", ".join(filter(None, [author, work, locator])) or "no attribution")

    def blockquote(self, el: etree._Element) -> None:
        line = _line(el)
        if PULL.search(_classes(el)):
            self.add(PullQuote(" ".join(self.inline(p) for p in (el.findall(".//p") or [el])), line))
            self.findings.saw("pull quote", line, "written as ::: pullquote")
            self.pending_given = None
            return
        author = work = locator = None
        attribution = None
        for child in reversed([c for c in el if isinstance(c.tag, str)]):
            if child.tag in ("footer", "cite") or (child.tag == "p" and cv.attribution_line("".join(child.itertext()))):
                attribution = child
            break
        if attribution is None:
            attribution = el.find(".//footer")
        if attribution is not None:
            author, work, locator = self.attribution(attribution)
            attribution.drop_tree()
        paras = [c for c in el if isinstance(c.tag, str) and c.tag == "p"]
        texts = [self.inline(p) for p in paras] if paras else [self.inline(el)]
        texts = [t for t in texts if t.strip()]
        given = False
        if attribution is None and self.pending_given is not None:
            author, work, at = self.pending_given
            given = True
            self.findings.saw("introduced by", at, f"the sentence at line {at} names {author}" + (f", {work}" if work else ""))
        self.pending_given = None
        if texts:
            self.quote(texts, author, work, locator, line, given)

    def attribution(self, el: etree._Element) -> tuple[str | None, str | None, str | None]:
        """Read '— Author, <cite>Work</cite>' (or '<cite>Author</cite>, Work')."""
        cite = el if el.tag == "cite" else el.find(".//cite")
        text = " ".join("".join(el.itertext()).split())
        text = re.sub(r"^\s*(?:—|–|―|--|-)\s*", "", text)
        if cite is not None and cite is not el:
            work = " ".join("".join(cite.itertext()).split())
            before = text.split(work)[0].strip().rstrip(",").strip() if work in text else ""
            after = text.split(work, 1)[1].strip().lstrip(",").strip() if work in text else ""
            if before:
                return before, work, after or None
        return cv.split_attribution(text)

    def figure(self, el: etree._Element) -> None:
        caption_el = el.find(".//figcaption")
        inner_quote = el.find(".//blockquote")
        if inner_quote is not None:
            if caption_el is not None:
                caption_el.getparent().remove(caption_el)
                inner_quote.append(caption_el)
                caption_el.tag = "footer"
            self.blockquote(inner_quote)
            return
        img = el.find(".//img")
        if img is None:
            self.findings.doubt("figure", _line(el), "a figure without an image was kept as paragraphs")
            self.walk(el)
            return
        self.image(img, caption_el, el)

    def image(self, img: etree._Element, caption_el: etree._Element | None, figure: etree._Element | None) -> None:
        line = _line(img)
        description = " ".join((img.get("alt") or "").split()) or None
        caption, credit = "", None
        if caption_el is not None:
            credit_el = caption_el.xpath(".//*[contains(concat(' ', normalize-space(@class), ' '), ' credit ') or self::small or self::cite]")
            if credit_el:
                c = credit_el[0]
                credit = " ".join("".join(c.itertext()).split()).lstrip("/ ").strip() or None
                c.drop_tree()
            caption = self.inline(caption_el).replace("  \n", " ")
            if credit is None:
                split = cv.split_credit("".join(caption_el.itertext()))
                if split:
                    caption, credit = escape(" ".join(split[0].split())), split[1]
            elif not cv.split_credit(credit) and not re.match(r"(?i)(image|photo|photograph|illustration|credit|source)s?\s*:", credit):
                self.findings.doubt("caption", line, f"credit “{credit}” was written as “Credit: {credit}” so the book sets it apart")
                credit = f"Credit: {credit}"
            caption = caption.rstrip(" /")
        if not caption and description and figure is None and caption_el is None:
            caption = escape(description)
        source = self.image_source(img)
        self.add(Figure(caption, escape(credit) if credit else None, description, source, line))
        self.findings.saw("caption", line, (f"credit “{credit}”" if credit else "no credit") + (f", description “{description}”" if description else ""))

    def image_source(self, img: etree._Element) -> ImageSource:
        src = (img.get("src") or img.get("data-src") or "").strip()
        if src.startswith("data:image/") and ";base64," in src:
            head, data = src.split(",", 1)
            ext = head[len("data:image/"):].split(";")[0].replace("svg+xml", "svg")
            try:
                return ImageSource(base64.b64decode(data), ext, "an inline data: image")
            except ValueError:
                return ImageSource(None, "svg", "an inline image that could not be decoded")
        parts = urlsplit(src)
        if src and not parts.scheme and not parts.netloc:
            local = (self.path.parent / unquote(parts.path)).resolve()
            if local.is_file() and local.suffix.lower().lstrip(".") in ("jpg", "jpeg", "png", "gif", "svg", "webp"):
                return ImageSource(local.read_bytes(), local.suffix.lstrip(".").lower(), str(local))
        return ImageSource(None, "svg", src or None)

    # --- the page -----------------------------------------------------------------------------
    def head(self, doc: etree._Element, content: etree._Element) -> None:
        def meta(*names: str) -> str | None:
            for name in names:
                found = doc.xpath(f"//meta[@name='{name}' or @property='{name}']/@content")
                if found and found[0].strip():
                    return " ".join(found[0].split())
            return None

        h1 = content.find(".//h1") if content.find(".//h1") is not None else doc.find(".//h1")
        if h1 is not None and "".join(h1.itertext()).strip():
            self.title_el = h1
            self.draft.title = " ".join("".join(h1.itertext()).split())
            self.findings.saw("title", _line(h1), f"<h1>: {self.draft.title}")
        else:
            title = doc.find(".//title")
            text = " ".join("".join(title.itertext()).split()) if title is not None else ""
            site = meta("og:site_name")
            if site and text.endswith(site):
                text = re.sub(r"\s*[|–—:-]\s*$", "", text[: -len(site)]).strip()
            if text:
                self.draft.title = text
                self.findings.saw("title", _line(title), f"<title>: {text}")
                self.findings.doubt("title", _line(title), "no <h1>: the page's <title> was used; check it carries no site name")
        author = meta("author", "article:author", "dc.creator", "DC.creator")
        byline = content.xpath(".//*[@rel='author' or @itemprop='author' or contains(concat(' ', normalize-space(@class), ' '), ' byline ') or contains(concat(' ', normalize-space(@class), ' '), ' author ')]")
        if byline:
            text = re.sub(r"^\s*By\s+", "", " ".join("".join(byline[0].itertext()).split()), flags=re.I)
            if text and len(text) < 80:
                author = text
                self.findings.saw("author", _line(byline[0]), f"byline: {text}")
            byline[0].drop_tree()
        elif author:
            self.findings.saw("author", 0, f"<meta name=author>: {author}")
        if author and not author.startswith("http"):
            self.draft.authors = [author]
        for el in content.xpath(".//*[contains(@class, 'series') or contains(@class, 'kicker')]"):
            text = " ".join("".join(el.itertext()).split())
            if text and len(text) < 300:
                self.draft.series = text
                self.findings.saw("series line", _line(el), text)
                el.drop_tree()
                break
        for el in content.xpath(".//*[contains(@class, 'subtitle') or contains(@class, 'dek') or contains(@class, 'standfirst')]"):
            text = " ".join("".join(el.itertext()).split())
            if text and len(text) < 300:
                self.draft.subtitle = text
                self.findings.saw("subtitle", _line(el), text)
                el.drop_tree()
                break
        published = meta("article:published_time", "date", "dc.date")
        time = content.find(".//time[@datetime]")
        if published is None and time is not None:
            published = time.get("datetime")
        if published and re.match(r"\d{4}-\d{2}-\d{2}", published):
            try:
                self.draft.date = check_date(published[:10])
                self.findings.saw("date", _line(time) if time is not None else 0, self.draft.date)
            except ValueError:  # 2025-02-30: left out, as a date the book would refuse
                self.findings.doubt("date", _line(time) if time is not None else 0,
                                    f"'{published}' is not a date that exists: left out")
        if time is not None and time.xpath("ancestor::header"):
            time.drop_tree()
        site = meta("og:site_name")
        if site:
            self.draft.source = site + (f", {self.draft.date[:4]}" if self.draft.date else "")
            self.findings.saw("source", 0, f"og:site_name: {self.draft.source}")


def main_text(doc: etree._Element, semantic: etree._Element | None, findings: Findings) -> etree._Element:
    """The element(s) holding the article, as readability-lxml's reader view finds them.

    Readability is asked where the main text is, and that part of the page itself is read:
    its own cleaning drops short lists and headings an essay keeps. The page's <article> or
    <main> is used instead when readability's choice holds less than half of its text."""
    try:
        summary = Document(lhtml.tostring(doc, encoding="unicode")).summary(html_partial=True)
        chosen = [el for el in lhtml.fragment_fromstring(summary, create_parent="div").iter() if el.get(LINE)]
    except Exception:  # noqa: BLE001 (readability gives up on some pages: the page's own markup is read)
        chosen = []
    by_place = {(el.tag, el.get(LINE)): el for el in doc.iter() if isinstance(el.tag, str) and el.get(LINE)}
    tops = []
    for el in chosen:  # the outermost chosen elements, as they stand in the page
        original = by_place.get((el.tag, el.get(LINE)))
        if original is not None and not any(top in original.iterancestors() for top in tops):
            tops.append(original)
    extracted = lhtml.Element("div")
    extracted.extend(copy.deepcopy(top) for top in tops)

    def size(el: etree._Element | None) -> int:
        return len(" ".join("".join(el.itertext()).split())) if el is not None else 0

    if tops and size(extracted) >= 0.5 * size(semantic):
        findings.saw("content", _line(tops[0]), f"the main text, found by readability-lxml: <{tops[0].tag}>"
                     + (f" and {len(tops) - 1} more" if len(tops) > 1 else ""))
        return extracted
    if semantic is not None:
        findings.saw("content", _line(semantic), f"<{semantic.tag}>")
        return semantic
    findings.doubt("content", 0, "no main text found: the whole <body> was read; delete what is not the essay")
    return doc.find("body") if doc.find("body") is not None else doc


def read_html(data: bytes, path: Path) -> tuple[Draft, Findings]:
    """Recognise a saved web page; every decision is recorded in the findings by source line."""
    findings = Findings()
    text, encoding = _decode(data)
    if "replacements" in encoding:
        findings.doubt("encoding", 0, "the page is not valid in its declared encoding: some characters were replaced")
    doc = lhtml.document_fromstring(text)
    for comment in doc.xpath("//comment()"):
        comment.getparent().remove(comment) if comment.getparent() is not None else None
    for el in doc.iter():
        if isinstance(el.tag, str):
            el.set(LINE, str(el.sourceline or 0))
    notes, notes_line = extract_notes(doc)
    reader = HtmlReader(path, findings)
    dropped = reader.dropped
    for el in list(doc.iter(*DROP)):
        if el.getparent() is not None:
            dropped[el.tag] += 1
            el.drop_tree()
    semantic = next((found[0] for found in (doc.xpath("//article"), doc.xpath("//main"), doc.xpath("//*[@role='main']"))
                     if found), None)
    body = doc.find("body") if doc.find("body") is not None else doc
    reader.head(doc, semantic if semantic is not None else body)
    content = main_text(doc, semantic, findings)
    # the article's own header and footer: keep the title out, drop sharing and tag lists
    for el in list(content.iter("footer", "header")):
        if el.tag == "footer" and not el.xpath("ancestor::blockquote|ancestor::figure") and el.getparent() is not None:
            dropped["footer"] += 1
            el.drop_tree()
    reader.walk(content)
    for label, note in notes:
        paragraphs = [reader.inline(p) for p in note.iter("p")] or [reader.inline(note)]
        reader.draft.notes.append((label, "\n\n".join(p for p in paragraphs if p.strip())))
    if notes:
        findings.saw("notes", notes_line, f"{len(notes)} note{'s' if len(notes) != 1 else ''}, written as [^1] … footnotes")
    if dropped:
        findings.saw("dropped", 0, ", ".join(f"{n} <{tag}>" if tag in DROP or tag == "footer" else f"{n} {tag}"
                                             for tag, n in sorted(dropped.items())))
    return reader.draft, findings
