"""Nothing lost between the manuscript and the page: the words of every piece, as the model
holds them after typography, found in order in the files a build wrote.

The EPUB is read document by document (a piece's words in its XHTML, its notes linked both
ways, its epigraphs and attributed quotations marked as such); a PDF through its extracted
text (poppler's pdftotext), where running heads, folios and footnotes stand between the words
of the text and are passed over (tokens.match). A loss names the piece's file, the line of
the first missing words, and the words.
"""

from __future__ import annotations

import difflib
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pikepdf
from lxml import etree, html as lhtml

from ..errors import OutputError
from ..model import Anthology, Note, Piece
from .tokens import ARABIC, BRAHMIC, RTL, WINDOW, Match, Words, anchor, match, present, tokens

XHTML = "http://www.w3.org/1999/xhtml"
OPS = "http://www.idpf.org/2007/ops"
EPUB_TYPE = f"{{{OPS}}}type"
INLINE = {"a", "abbr", "b", "bdi", "bdo", "cite", "code", "em", "i", "mark", "q", "s", "small", "span", "strong",
          "sub", "sup", "u", "var", "time", "dfn", "kbd", "samp", "ruby", "rt", "rp", "wbr"}
SHOWN = 12  # missing words quoted in a message


@dataclass(frozen=True)
class Loss:
    """One difference, where an editor would look for it."""

    path: Path
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}" if self.line else f"{self.path}: {self.message}"


def _local(el) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def _classes(el) -> set[str]:
    return set((el.get("class") or "").split())


def _is_noteref(el) -> bool:
    return _local(el) == "a" and ("noteref" in _classes(el) or "noteref" in (el.get(EPUB_TYPE) or "").split())


def _is_note(el) -> bool:
    types = set((el.get(EPUB_TYPE) or "").split())
    return bool(types & {"footnote", "endnote", "footnotes", "endnotes"}) or bool(
        _classes(el) & {"footnote", "footnotes"})


def text_of(el, skip=lambda el: False) -> str:
    """The text of an element as a reader sees it: block elements apart, what `skip` says
    left out (its tail kept)."""
    out: list[str] = []

    def walk(node) -> None:
        block = _local(node) not in INLINE
        if block:
            out.append(" ")
        if node.text and isinstance(node.tag, str):
            out.append(node.text)
        for child in node:
            if isinstance(child.tag, str) and not skip(child):
                walk(child)
            if child.tail:
                out.append(child.tail)
        if block:
            out.append(" ")
    walk(el)
    return "".join(out)


def fragment(markup: str):
    """The model's XHTML markup of a block (or a title) as one element."""
    try:
        return etree.fromstring(f'<div xmlns="{XHTML}" xmlns:epub="{OPS}">{markup}</div>')
    except etree.XMLSyntaxError:
        return lhtml.fragment_fromstring(markup, create_parent="div")


def piece_words(piece: Piece) -> tuple[Words, list[tuple[Note, Words]]]:
    """What a piece prints, in order (title, subtitle, epigraphs, body), note calls left out;
    and each of its notes' words. The series line and byline, metadata a manuscript's own
    template may leave out, are not asked for."""
    parts = [piece.title_html, piece.subtitle_html] + [b.html for b in piece.epigraphs] + [b.html for b in piece.blocks]
    words = Words.of(text_of(fragment("\n".join(p for p in parts if p)), _is_noteref))
    return words, [(note, Words.of(text_of(fragment(note.html), _is_noteref))) for note in piece.notes]


def checked_pieces(book: Anthology) -> list[Piece]:
    """The pieces written from the manuscript (generated back matter is the book's own)."""
    return [p for p in book.pieces if not p.generated]


def source_line(piece: Piece, words: Words, missing: list[int]) -> int:
    """The line of the piece's file where the first missing words are written."""
    try:
        lines = piece.source_path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return 0
    first = missing[0]
    wanted = [words.tokens[i] for i in missing[:2] if i - first < 2]
    fallback = 0
    for number, line in enumerate(lines, 1):
        found = tokens(line)
        if wanted[0] in found:
            if all(w in found for w in wanted):
                return number
            fallback = fallback or number
    return fallback


def runs(indices: list[int]) -> list[list[int]]:
    out: list[list[int]] = []
    for i in indices:
        if out and i == out[-1][-1] + 1:
            out[-1].append(i)
        else:
            out.append([i])
    return out


def describe(words: Words, missing: list[int]) -> str:
    """The missing words as written, run by run, with “…” where a run goes on."""
    parts, count = [], 0
    for run in runs(missing):
        shown: list[str] = []
        for i in run:
            if not shown or shown[-1] != words.shown[i]:
                shown.append(words.shown[i])
        if count + len(shown) > SHOWN:
            parts.append("…")
            break
        count += len(shown)
        parts.append("“" + " ".join(shown) + "”")
    return ", ".join(parts)


def refine(expected: list[str], found: list[str], missing: list[int]) -> list[int]:
    """The expected words a diff puts as deleted or replaced: where the greedy match noticed a
    loss, this names the words actually lost rather than those it skipped catching up."""
    matcher = difflib.SequenceMatcher(None, expected, found, autojunk=False)
    lost = [i for tag, i1, i2, _, _ in matcher.get_opcodes() if tag in ("delete", "replace") for i in range(i1, i2)]
    return lost or missing


def _loss(piece: Piece, words: Words, missing: list[int], edition: str, note: Note | None = None) -> Loss:
    title = piece.title if len(piece.title) < 60 else piece.title[:59] + "…"
    count = f"{len(missing)} word{'' if len(missing) == 1 else 's'}"
    where = f"of note {note.number} of “{title}”" if note else f"of “{title}”"
    return Loss(piece.source_path, source_line(piece, words, missing),
                f"{edition} lacks {count} {where}: {describe(words, missing)}")


# --- the EPUB -----------------------------------------------------------------------------------
def check_epub(book: Anthology, path: Path, label: str = "the EPUB") -> list[Loss]:
    """Each piece's words in its document, its notes linked both ways, its epigraphs and
    attributed quotations marked."""
    with zipfile.ZipFile(path) as z:
        docs = {name: etree.fromstring(z.read(name)) for name in z.namelist() if name.endswith(".xhtml")}
    return check_documents(book, docs, label, epub_epigraph)


def check_web(book: Anthology, folder: Path, label: str = "the web edition") -> list[Loss]:
    """The web edition as the EPUB: each piece's words on its page (read as browsers read
    HTML), its notes linked both ways, its epigraphs and attributed quotations marked."""
    docs = {path.name: lhtml.parse(str(path)).getroot() for path in sorted(Path(folder).glob("*.html"))}
    return check_documents(book, docs, label, web_epigraph)


def check_documents(book: Anthology, docs: dict, label: str, epigraph) -> list[Loss]:
    """The checks of an edition's documents, parsed (`docs`: root element by file name); an
    epigraph is marked as `epigraph(element)` says (EPUB: epub:type; the web: its ARIA role)."""
    ids: dict[str, etree._Element] = {}
    calls: dict[str, int] = {}
    for root in docs.values():
        for el in root.iter():
            if isinstance(el.tag, str):
                if el.get("id"):
                    ids.setdefault(el.get("id"), el)
                if _is_noteref(el):
                    target = el.get("href", "").partition("#")[2]
                    calls[target] = calls.get(target, 0) + 1
    losses: list[Loss] = []
    for piece in checked_pieces(book):
        words, notes = piece_words(piece)
        section = ids.get(piece.id)
        if section is None:
            losses.append(Loss(piece.source_path, 1, f"{label} lacks the piece “{piece.title}”"))
            continue
        root = section.getroottree().getroot()
        body = next((el for el in root if _local(el) == "body"), None)
        found = tokens(text_of(body if body is not None else root, lambda el: _is_noteref(el) or _is_note(el)))
        m = match(words.tokens, found, 0, window=len(found) + 1)
        if m.missing:
            losses.append(_loss(piece, words, refine(words.tokens, found, m.missing), label))
        for note, note_words in notes:
            aside = ids.get(note.id)
            line = source_line(piece, note_words, [0]) if note_words else 0
            if aside is None or not _is_note(aside):
                losses.append(Loss(piece.source_path, line, f"{label} lacks note {note.number} of “{piece.title}”"))
                continue
            if not calls.get(note.id):
                losses.append(Loss(piece.source_path, line,
                                   f"{label}: note {note.number} of “{piece.title}” has no reference pointing to it"))
            nm = match(note_words.tokens, tokens(text_of(aside, _is_noteref)), 0, window=10 ** 9)
            if nm.missing:
                losses.append(_loss(piece, note_words, nm.missing, label, note))
        losses += _marks(piece, ids, label, epigraph)
    for target in calls:
        if target not in ids:
            losses.append(Loss(book.config_path or book.root, 0, f"{label}: a note reference points to "
                                                                 f"#{target}, which is not there"))
    return losses


def epub_epigraph(el) -> bool:
    return "epigraph" in (el.get(EPUB_TYPE) or "").split()


def web_epigraph(el) -> bool:
    return el.get("role") == "doc-epigraph"


def _marks(piece: Piece, ids: dict, label: str, epigraph=epub_epigraph) -> list[Loss]:
    """Every epigraph marked as one, every attributed quotation a block quote with its
    attribution apart."""
    out = []
    for q in piece.quotations:
        el = ids.get(q.anchor)
        if q.kind == "epigraph":
            ok = el is not None and epigraph(el)
        elif q.kind == "blockquote" and (q.author or q.work):
            ok = el is not None and _local(el) == "blockquote" and (
                "attributed" in _classes(el) or el.find(f".//{{{XHTML}}}footer") is not None)
        else:
            continue
        if not ok:
            out.append(Loss(q.location.path, q.location.line,
                            f"{label} does not mark the {'epigraph' if q.kind == 'epigraph' else 'attributed quotation'}"
                            f" “{q.opening}” as one"))
    return out


# --- a PDF --------------------------------------------------------------------------------------
def pdf_text(path: Path) -> str:
    """The text of a written PDF, page after page, as poppler extracts it."""
    try:
        done = subprocess.run(["pdftotext", "-q", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=False)
    except FileNotFoundError as exc:
        raise OutputError("pdftotext is not installed: the fidelity check reads the PDFs with it "
                          "(apt-get install poppler-utils)") from exc
    if done.returncode != 0:
        raise OutputError(f"{path.name}: pdftotext could not read the PDF (exit {done.returncode})")
    return done.stdout.decode("utf-8", errors="replace")


def compare(words: Words, found: list[str], start: int, window: int = WINDOW,
            nastaliq: bool = False) -> tuple[Match, list[int]]:
    """Where a text's words are in a PDF's and which of them are missing (indices into
    `words`). Words in a script a PDF cannot give back in order (tokens.RTL) are looked for
    anywhere near the rest; Brahmic words (tokens.BRAHMIC), and Arabic-script words in a PDF
    set in Nastaliq (whose cursive glyphs keep no usable text), are left to the EPUB's check
    and the glyph check."""
    ordered = [i for i, t in enumerate(words.tokens) if not RTL.search(t) and not BRAHMIC.search(t)]
    plain = [words.tokens[i] for i in ordered]
    begin = anchor(plain, found, start)
    m = match(plain, found, start if begin is None else begin, window)
    missing = [ordered[k] for k in m.missing]
    if missing:
        low = max(0, m.start - 50)
        missing = [ordered[k] for k in refine(plain, found[low:m.end + WINDOW // 4], m.missing)]
    rtl = [i for i, t in enumerate(words.tokens) if RTL.search(t) and not (nastaliq and ARABIC.search(t))]
    if rtl:
        near = found[max(0, m.start - 200):m.end + WINDOW] if len(m.missing) < len(plain) else found
        missing += [rtl[k] for k in present([words.tokens[i] for i in rtl], near)]
    return m, sorted(missing)


def check_pdf(book: Anthology, path: Path, label: str) -> list[Loss]:
    """Each piece's words in order in the PDF's text, from where its opening words stand;
    each of its notes' words after that."""
    found = tokens(pdf_text(path))
    with pikepdf.open(path) as pdf:
        nastaliq = any("Nastaliq" in str(obj.get("/FontName", "")) for obj in pdf.objects
                       if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/FontDescriptor")
    losses: list[Loss] = []
    cursor = 0
    for piece in checked_pieces(book):
        words, notes = piece_words(piece)
        m, missing = compare(words, found, cursor, nastaliq=nastaliq)
        if missing:
            losses.append(_loss(piece, words, missing, label))
        if m.end > m.start:  # the next piece is looked for from where this one starts: words
            cursor = m.start  # matched too far on cannot make it miss the next one's opening
        for note, note_words in notes:
            _, lost = compare(note_words, found, m.start, WINDOW + m.end - m.start, nastaliq)
            if lost:
                losses.append(_loss(piece, note_words, lost, label, note))
    return losses


def verdict(losses: list[Loss], output: str) -> None:
    """An OutputError listing the losses (exit 3): the file is not renamed into place."""
    if losses:
        raise OutputError(f"{output} failed its check against the manuscript (the previous file, if any, is kept):\n  "
                          + "\n  ".join(str(loss) for loss in losses))
