"""What a Standard Ebooks source says a faithful edition keeps, read straight from its XHTML
(not through the importer), and the comparisons of issue 16 against the files a build wrote.

Words are compared in order: the words of each source paragraph must follow one another in
the edition's text, with at most a few other words between them (note numbers in the EPUB;
a page break's running head, folio and footnotes in the PDF), and the paragraphs must come
in the source's order.
"""

from __future__ import annotations

import re
import subprocess
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

X = "http://www.w3.org/1999/xhtml"
EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
OPF = {"opf": "http://www.idpf.org/2007/opf"}
BOILERPLATE = {"titlepage", "halftitlepage", "imprint", "colophon", "copyright-page", "toc", "endnotes"}
WORD = re.compile(r"[^\W\d_]+|\d+")  # a note call set against its word ("they1") is two words


def words(text: str) -> list[str]:
    """Lower-case words, with ligatures unfolded and hyphens (and a hyphenated line end) joined,
    so that `fellow-creature`, `fellow‐\ncreature` and `fellowcreature` compare equal. A word
    hyphenated at the foot of a page, whose end follows the next page's running head, keeps
    its hyphen (`politic-`) for `follows` to join with its end."""
    text = unicodedata.normalize("NFKC", text).replace("\u00ad", "")
    text = re.sub(r"[-\u2010\u2011][ \t]*\n(?=[ \t]*[^\W\d_])", "", text)
    out: list[str] = []
    for line in text.lower().split("\n"):
        found = WORD.findall(re.sub(r"[-\u2010\u2011](?=\w)", "", line))
        if found and re.search(r"\w[-\u2010\u2011]\s*$", line):
            found[-1] += "-"
        out += found
    return out


def _types(el) -> set[str]:
    return set((el.get(EPUB_TYPE) or "").split())


@dataclass
class SourceBook:
    paragraphs: list[list[str]] = field(default_factory=list)  # body paragraphs' words, in reading order
    notes: list[list[str]] = field(default_factory=list)  # each endnote's words, in order
    epigraphs: int = 0
    passages: list[tuple[str, str]] = field(default_factory=list)  # (language, text) of xml:lang passages

    @property
    def word_count(self) -> int:
        return sum(map(len, self.paragraphs)) + sum(map(len, self.notes))


def _paragraphs(el):
    """The paragraphs and attributions (`<cite>` outside a paragraph) under `el`, in order."""
    return [p for p in el.iter(f"{{{X}}}p", f"{{{X}}}cite")
            if p.tag == f"{{{X}}}p" or not any(a.tag == f"{{{X}}}p" for a in p.iterancestors())]


def read_source(folder: Path) -> SourceBook:
    epub = folder / "src" / "epub"
    opf = etree.parse(str(epub / "content.opf"))
    hrefs = {i.get("id"): i.get("href") for i in opf.iterfind(".//opf:manifest/opf:item", OPF)}
    book = SourceBook()
    for ref in opf.iterfind(".//opf:spine/opf:itemref", OPF):
        doc = etree.parse(str(epub / hrefs[ref.get("idref")])).getroot()
        body = doc.find(f"{{{X}}}body")
        kinds = _types(body) | {t for s in body.iterfind(f"{{{X}}}section") for t in _types(s)}
        if "endnotes" in kinds:
            for li in body.iter(f"{{{X}}}li"):
                if li.get("id", "").startswith("note-"):
                    book.notes.append(words(" ".join(text_without_noterefs(p) for p in _paragraphs(li))))
        if kinds & BOILERPLATE:
            continue
        book.epigraphs += sum(1 for el in body.iter() if "epigraph" in _types(el))
        for p in _paragraphs(body):
            if any(a.tag in (f"{{{X}}}header", f"{{{X}}}hgroup") for a in p.iterancestors()):
                continue
            found = words(text_without_noterefs(p))
            if found:
                book.paragraphs.append(found)
        for el in body.iter():
            if isinstance(el.tag, str) and el.get(XML_LANG):
                book.passages.append((el.get(XML_LANG), " ".join(words("".join(el.itertext())))))
    return book


def text_without_noterefs(el) -> str:
    """An element's text without its note references' numbers, which an edition renumbers."""
    out = [el.text or ""]
    for child in el:
        if isinstance(child.tag, str) and "noteref" not in _types(child):
            out.append(text_without_noterefs(child))
        out.append(child.tail or "")
    return "".join(out)


def _next(word: str, text: list[str], pos: int, gap: int) -> int | None:
    """Where `word` ends in `text` after `pos`, at most `gap` words on: the nearest of the word
    itself and the word split by a page break (`politic-` … `al`); None when neither is there."""
    end = min(len(text), pos + 2 + gap)
    try:
        exact = text.index(word, pos + 1, end)
    except ValueError:
        exact = end
    for i in range(pos + 1, exact):
        head = text[i]
        if head.endswith("-") and len(head) > 1 and word.startswith(head[:-1]):
            rest = word[len(head) - 1:]
            if not rest:
                return i
            try:
                return text.index(rest, i + 1, i + 2 + gap)
            except ValueError:
                continue
    return exact if exact < end else None


def follows(paragraphs: list[list[str]], text: list[str], gap: int) -> tuple[int, str]:
    """Match the paragraphs' words in order in `text`: within a paragraph at most `gap` other
    words between two of its words, any number between paragraphs. Returns (words matched,
    '' or where the paragraph that could not be found stops matching)."""
    at = 0
    matched = 0
    for n, para in enumerate(paragraphs):
        best = (0, 0)  # (words of the paragraph matched, where in the text the attempt stopped)
        start = at
        while True:
            try:
                first = text.index(para[0], start)
            except ValueError:
                k, where = best
                seen = " ".join(text[max(0, where - 3): where + 12])
                return matched, (f"paragraph {n + 1}: “{' '.join(para[max(0, k - 8):k])}” is followed by "
                                 f"'{' '.join(para[k:k + 6])}' in the source, but by “{seen}” here" if k else
                                 f"paragraph {n + 1} ({' '.join(para[:12])} …) is not found")
            pos, k = first, 1
            while k < len(para):
                found = _next(para[k], text, pos, gap)
                if found is None:
                    break
                pos = found
                k += 1
            if k == len(para):
                matched += len(para)
                at = pos + 1
                break
            best = max(best, (k, pos))
            start = first + 1
    return matched, ""


def epub_text(path: Path) -> tuple[list[str], dict]:
    """The EPUB's words in spine order, and what it marks: notes, epigraphs, languages."""
    out: list[str] = []
    marks = {"notes": 0, "noterefs": 0, "epigraphs": 0, "langs": []}
    with zipfile.ZipFile(path) as z:
        opf_name = next(n for n in z.namelist() if n.endswith(".opf"))
        opf = etree.fromstring(z.read(opf_name))
        base = opf_name.rsplit("/", 1)[0] + "/" if "/" in opf_name else ""
        hrefs = {i.get("id"): i.get("href") for i in opf.iterfind(".//opf:manifest/opf:item", OPF)}
        for ref in opf.iterfind(".//opf:spine/opf:itemref", OPF):
            doc = etree.fromstring(z.read(base + hrefs[ref.get("idref")]))
            body = doc.find(f"{{{X}}}body")
            out += words(" ".join(body.itertext()))
            for el in body.iter():
                if not isinstance(el.tag, str):
                    continue
                kinds = _types(el)
                marks["notes"] += "footnote" in kinds or "endnote" in kinds
                marks["noterefs"] += "noteref" in kinds
                marks["epigraphs"] += "epigraph" in kinds
                if (el.get("lang") or el.get(XML_LANG)) and el.tag != f"{{{X}}}html":
                    marks["langs"].append((el.get(XML_LANG) or el.get("lang"), " ".join(words("".join(el.itertext())))))
    return out, marks


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


def pdf_notes(text: str, notes: list[list[str]]) -> int:
    """How many of the notes stand in the PDF as footnotes: a number, then the note's words."""
    starts = [words(m.group(1)) for m in re.finditer(r"(?m)^\d+\.\s+(.{0,120})", text)]
    heads = {tuple(s[:4]) for s in starts}
    return sum(1 for note in notes if tuple(note[:4]) in heads)


def compare(source: SourceBook, epub: Path, pdf: Path) -> dict:
    """Every figure issue 16 asks for, for one book and its two editions."""
    text, marks = epub_text(epub)
    report = {"paragraphs": len(source.paragraphs), "words": source.word_count}
    report["epub_words"], report["epub_missing"] = follows(source.paragraphs, text, gap=3)
    report["epub_note_words"], report["epub_notes_missing"] = follows(source.notes, text, gap=3)
    report["epub_notes"], report["epub_noterefs"] = marks["notes"], marks["noterefs"]
    report["epub_epigraphs"] = marks["epigraphs"]
    kept = {(lang, t) for lang, t in marks["langs"]}
    report["langs_lost"] = [(lang, t) for lang, t in source.passages if (lang, t) not in kept]
    printed = pdf_text(pdf)
    ptext = words(printed)
    report["pdf_words"], report["pdf_missing"] = follows(source.paragraphs, ptext, gap=1500)
    report["pdf_note_words"], report["pdf_notes_missing"] = follows(source.notes, ptext, gap=60)
    report["pdf_notes"] = pdf_notes(printed, source.notes)
    # Markdown printed as text: a fence, a note call or a span's braces that were not read
    epub_text_raw = " ".join(t for t in _raw_epub_text(epub))
    report["markup_left"] = sorted(set(MARKUP.findall(epub_text_raw)) | set(MARKUP.findall(printed)))
    return report


MARKUP = re.compile(r":::|\[\^|\]\{")


def _raw_epub_text(path: Path):
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.endswith(".xhtml"):
                yield " ".join(etree.fromstring(z.read(name)).itertext())
