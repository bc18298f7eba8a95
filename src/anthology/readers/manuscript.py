"""Load a manuscript folder into the model, collecting every problem before giving up."""

from __future__ import annotations

import re
import uuid
from dataclasses import replace
from html import escape
from pathlib import Path
from typing import Callable

from lxml import html as lhtml

from ..config import BCP47, Config, FrontMatter, validate
from ..errors import Diagnostics, ManuscriptError
from ..fetcher import RefusedResource, Sandbox
from ..locate import CONFIG_NAME, manuscript_root
from ..labels import Labels, text_direction
from ..limits import MAX_TEXT_BYTES
from ..model import Anthology, BookMeta, Contributor, Part, Piece
from ..placeholder import MISSING_IMAGE
from ..quotations import check_quotations
from .body import (Attribution, BodyBuilder, add_xml_lang, SourceLines, inner_xhtml, plain_text, runs, slugify,
                   without_notes_or_links)
from .library import QUOTATIONS, SOURCES, Library, load_library
from .files import decode, oversize, read_text
from .markdown import OverLimit, front_matter_markdown, to_html
from .piececache import PieceCache
from .yamlsource import load_yaml

FRONT_MATTER_FENCE = re.compile(r"^---\s*$")
FRONT_MATTER_END = re.compile(r"^(---|\.\.\.)\s*$")


def vet_stylesheet(path: Path, root: Path, diags: Diagnostics) -> bool:
    """Whether a manuscript stylesheet may be used; report what of it the editions leave out
    (imports, URLs leading outside the manuscript) with its line."""
    sandbox = Sandbox([root])
    try:
        data = sandbox.read_bytes(path)
    except RefusedResource as exc:
        diags.warning(path, 0, f"stylesheet left out: {exc}")
        return False
    text = decode(data, path, diags)
    if text is None:
        return False
    for line, message in sandbox.stylesheet(path, text)[1]:
        diags.warning(path, line, message)
    return True


def split_front_matter(text: str, path: Path, diags: Diagnostics) -> tuple[str, str, int] | None:
    """Return (front matter, body, first body line); report a missing or unclosed block."""
    lines = text.split("\n")
    if not lines or not FRONT_MATTER_FENCE.match(lines[0]):
        diags.error(path, 1, "a piece must start with a YAML front matter block ('---', title: …, '---')")
        return None
    for i in range(1, len(lines)):
        if FRONT_MATTER_END.match(lines[i]):
            return "\n".join(lines[1:i]), "\n".join(lines[i + 1 :]), i + 2
    diags.error(path, 1, "the front matter block opened here is never closed with '---'")
    return None


def piece_id(path: Path, taken: set[str]) -> str:
    base = slugify(path.stem)
    if not base[0].isalpha():
        base = "p-" + base
    pid, n = base, 2
    while pid in taken:
        pid, n = f"{base}-{n}", n + 1
    taken.add(pid)
    return pid


GENERATED = {
    "index-of-quotations": "Index of Quotations",
    "works-cited": "Works Cited",
    "contributors": "Contributors",
    "image-credits": "Image Credits",
}


def generated_piece(kind: str, title: str | None, role: str, part_id: str | None, where: Path, taken: set[str],
                    labels: Labels) -> Piece:
    """Back matter made from the book itself; its content is rendered by the editions. Its
    title is the one `anthology.yml` gives, or the label in the book's language."""
    pid = piece_id(Path(kind), taken)
    title = title or labels.text(GENERATED[kind])
    return Piece(language=labels.language, id=pid, slug=pid, source_path=where, title=title, title_html=escape(title),
                 title_nav_html=escape(title), subtitle=None,
                 authors=(), date=None, series=None, source=None, role=role, part_id=part_id, epigraphs=(),
                 blocks=(), notes=(), quotations=(), headings=(), figures=(), words=0, generated=kind)


def load_piece(path: Path, root: Path, role: str, part_id: str | None, language: str,
               taken: set[str], diags: Diagnostics, library: Library | None = None) -> Piece | None:
    text = read_text(path, diags, root)
    if text is None:
        return None
    split = split_front_matter(text, path, diags)
    if split is None:
        return None
    fm_text, body_text, body_line = split
    doc = load_yaml(fm_text, path, diags, line_offset=1)
    if doc is None:
        return None
    fm = validate(FrontMatter, doc, diags)
    if fm is None:
        return None
    for key in (fm.model_extra or {}):
        diags.warning(path, doc.line((key,)), f"unknown front matter key '{key}' is ignored")
    pid = piece_id(path, taken)
    builder = BodyBuilder(pid, path, root, SourceLines(body_text, body_line), diags, library, language)
    # Series, title, subtitle and epigraphs are read with the body, in reading order, so their
    # notes are the piece's notes and their markup works as in the body.
    fields = [(name, value) for name, value in (("series", fm.series), ("title", fm.title), ("subtitle", fm.subtitle))
              if value and value.strip()]
    for epi in fm.epigraphs:
        if not isinstance(epi, str):
            fields += [(name, value) for name, value in (("epigraph", epi.text), ("author", epi.author), ("work", epi.work))
                       if value and value.strip()]
    front_text = front_matter_markdown(fields)
    try:
        tree = builder.parse(to_html(front_text + body_text, language))
    except OverLimit as exc:
        line = exc.line - front_text.count("\n")  # in the body, or (at most 0) in the front matter
        diags.error(path, body_line + line - 1 if line > 0 else doc.line(()), str(exc))
        return None
    taken_front = builder.take_front(tree, [name for name, _ in fields])
    front = {name: el for (name, _), el in zip(fields, taken_front) if name in ("series", "title", "subtitle")}
    shown = {name: inline_parts(el) for name, el in front.items()}
    epigraph_parts = iter(el for (name, _), el in zip(fields, taken_front) if name not in front)
    epigraph_blocks = []
    for i, epi in enumerate(fm.epigraphs):
        line = doc.line(("epigraphs", i))
        if isinstance(epi, str):
            bq = lhtml.fragment_fromstring("<blockquote></blockquote>")
            epigraph_blocks.append(builder.quotation(bq, "epigraph", line=line, key=epi))
            continue
        given = {name: next(epigraph_parts) for name in ("epigraph", "author", "work")
                 if getattr(epi, "text" if name == "epigraph" else name, None) and
                 getattr(epi, "text" if name == "epigraph" else name).strip()}
        bq = given["epigraph"].find("blockquote") if given.get("epigraph") is not None else None
        if bq is None:
            bq = lhtml.fragment_fromstring(f"<blockquote><p>{escape(epi.text)}</p></blockquote>")
        run = {}
        for name in ("author", "work"):
            paragraph = given[name].find("p") if given.get(name) is not None else None
            run[name] = runs(paragraph) if paragraph is not None else [getattr(epi, name)] if name in given else []
        attribution = Attribution.of(run["author"], run["work"]) if run["author"] or run["work"] else None
        epigraph_blocks.append(builder.quotation(bq, "epigraph", line=line, attribution=attribution))
    body = builder.build(tree)
    title = shown.get("title") or (escape(fm.title), escape(fm.title), fm.title)
    subtitle = shown.get("subtitle") or (escape(fm.subtitle or ""), escape(fm.subtitle or ""), fm.subtitle)
    series = shown.get("series") or (escape(fm.series or ""), escape(fm.series or ""), fm.series)
    return Piece(
        id=pid,
        slug=pid,
        source_path=path,
        title=title[2] or fm.title,
        title_html=title[0],
        title_nav_html=title[1],
        subtitle=subtitle[2],
        subtitle_html=subtitle[0],
        series_html=series[0],
        authors=fm.authors,
        date=fm.date,
        series=series[2],
        source=fm.source,
        role=role,
        part_id=part_id,
        epigraphs=tuple(epigraph_blocks + body.epigraphs),
        blocks=tuple(body.blocks),
        notes=tuple(body.notes),
        quotations=tuple(body.quotations),
        headings=tuple(body.headings),
        figures=tuple(body.figures),
        words=body.words,
        files=tuple(dict.fromkeys(body.files)),
        language=language,
    )


def inline_text(text: str, language: str) -> tuple[str, str, str]:
    """A part's or the book's title, subtitle or series line: (markup, markup for the
    contents, plain text). Emphasis, links and spans work; there is no piece for a note, and
    `<` is a character here, not a tag (anthology.yml is metadata as well as text)."""
    source = text.replace("<", "&lt;")
    try:
        html = to_html(front_matter_markdown([("text", source)]), language)
    except OverLimit:  # nested too deeply to be read as Markdown: its text, as written
        return escape(text), escape(text), text
    root = lhtml.fragment_fromstring(html, create_parent="div")
    add_xml_lang(root)
    return (inline_parts(root[0]) if len(root) else None) or (escape(text), escape(text), text)


def inline_parts(el) -> tuple[str, str, str] | None:
    """A front matter field's (markup, markup for the contents, plain text)."""
    if el is None:
        return None
    paragraph = el.find("p")
    if paragraph is None or len(el) != 1:  # not one paragraph of text: give its words only
        plain = plain_text(el)
        return escape(plain), escape(plain), plain
    return inner_xhtml(paragraph), inner_xhtml(without_notes_or_links(paragraph)), plain_text(paragraph)


def _content_path(root: Path, value: object, line: int, config_path: Path, diags: Diagnostics) -> Path | None:
    if not isinstance(value, str) or not value.strip():
        diags.error(config_path, line, "a contents entry must be a path to a Markdown file or {part: TITLE, pieces: [paths]}")
        return None
    path = (root / value).resolve()
    if root.resolve() not in path.parents:
        diags.error(config_path, line, f"'{value}' is outside the manuscript folder")
        return None
    if not path.is_file():
        diags.error(config_path, line, f"'{value}' does not exist")
        return None
    if oversize(path, diags):
        return None
    return path


def prefetch(root: Path, contents: list, role_at, language: str, library, library_bytes: bytes,
             piece_cache: PieceCache, pool) -> dict[str, tuple]:
    """The pieces not in the cache, converted in parallel, by cache key. Part ids are guessed
    here as `load` makes them; a piece whose key then differs is simply converted again."""
    if pool is None:
        return {}
    todo: dict[str, tuple] = {}
    parts: set[str] = set()
    for i, item in enumerate(contents):
        if isinstance(item, dict) and isinstance(item.get("part"), str) and isinstance(item.get("pieces"), list):
            part_id = "part-" + slugify(inline_text(item["part"].strip(), language)[2])
            while part_id in parts:
                part_id += "-2"
            parts.add(part_id)
            specs = [(v, "body", part_id) for v in item["pieces"]]
        elif isinstance(item, str):
            specs = [(item, role_at(i), None)]
        else:
            continue
        for value, role, part_id in specs:
            path = (root / value).resolve() if isinstance(value, str) and value.strip() else None
            if (path is None or root.resolve() not in path.parents or not path.is_file()
                    or path.stat().st_size > MAX_TEXT_BYTES):
                continue  # `load` reports it
            key = piece_cache.key(piece_cache.name(path), path.read_bytes(), role, part_id or "", language, library_bytes)
            if not piece_cache.has(key):
                todo[key] = (path, root, role, part_id, language, library)
    if len(todo) < 2:
        return {}
    return dict(zip(todo, pool.map(convert, todo.values(), chunksize=1)))


def _library_file(root: Path, name: str) -> bytes:
    """A library file's bytes as the sandbox reads them (nothing when missing or refused:
    load_library reports it)."""
    try:
        return Sandbox([root]).read_bytes(root / name) if (root / name).is_file() else b""
    except RefusedResource:
        return b""


def book_slug(title: str, limit: int = 48) -> str:
    """A short file name for the book: its main title (before any colon), cut at a word."""
    slug = slugify(title.split(":")[0])
    if len(slug) > limit:
        slug = slug[:limit].rsplit("-", 1)[0]
    return slug


def convert(args: tuple) -> tuple[Piece | None, list]:
    """Convert one piece on its own (in a worker process), as if no other piece took its id:
    `load` keeps the result when that holds, and converts the piece again when it does not."""
    path, root, role, part_id, language, library = args
    own = Diagnostics()
    try:
        piece = load_piece(path, root, role, part_id, language, set(), own, library)
    except OverLimit as exc:
        own.error(path, 0, str(exc))
        piece = None
    return piece, own.items


def derived_identifier(title: str, editors: list[str], language: str, date: str | None) -> str:
    """The identifier of a manuscript that gives none: stable from build to build, and differing
    between two books that share a title but not their editors, language or date (a title
    alone made two books called "Essays" one book in library apps). `check` asks for a UUID."""
    seed = "\n".join(["anthology", title, *editors, language, date or ""])
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, seed)}"


def load(root: Path, on_piece: Callable[[int, int, Path], None] | None = None,
         cache: Path | None = None, pool=None, draft: bool = False) -> tuple[Anthology, Diagnostics]:
    """Read and validate a manuscript; raise ManuscriptError carrying every error found.

    A `draft` book may lack image files: each is a warning, and its figure a placeholder.

    `on_piece(done, total, path)` is told of each piece as it is read, for a progress bar;
    with a `cache` folder, pieces whose inputs are unchanged are not converted again; with a
    `pool` of worker processes (a concurrent.futures executor), the others are converted in
    parallel first."""
    diags = Diagnostics()
    root = manuscript_root(Path(root))
    config_path = root / CONFIG_NAME
    if not root.is_dir():
        diags.error(root, 0, "manuscript folder not found")
        raise ManuscriptError("manuscript folder not found", diags)
    if not config_path.is_file():
        diags.error(config_path, 0, f"missing {CONFIG_NAME}: every manuscript needs one at its root")
        raise ManuscriptError("missing configuration", diags)
    text = read_text(config_path, diags, root)
    doc = load_yaml(text, config_path, diags) if text is not None else None
    if doc is None:
        raise ManuscriptError("invalid configuration", diags)
    config = validate(Config, doc, diags)
    # With an invalid configuration the pieces are still read, so every problem shows at once.
    raw = doc.data if isinstance(doc.data, dict) else {}
    contents = config.contents if config else raw.get("contents") if isinstance(raw.get("contents"), list) else []
    language = config.language if config else raw.get("language") if BCP47.match(str(raw.get("language", ""))) else "en"

    taken: set[str] = set()
    entries: list[Part | Piece] = []
    seen_paths: dict[Path, int] = {}
    total = sum(len(item["pieces"]) if isinstance(item, dict) and isinstance(item.get("pieces"), list) else 1
                for item in contents)
    done = 0
    part_positions = [i for i, item in enumerate(contents) if isinstance(item, dict) and "part" in item]
    first_part = part_positions[0] if part_positions else len(contents)
    last_part = part_positions[-1] if part_positions else -1

    def piece_at(value: object, keypath: tuple, role: str, part_id: str | None) -> Piece | None:
        line = doc.line(keypath)
        path = _content_path(root, value, line, config_path, diags)
        if path is None:
            return None
        if path in seen_paths:
            diags.error(config_path, line, f"'{value}' is listed twice in contents (first at line {seen_paths[path]})")
            return None
        seen_paths[path] = line
        nonlocal done
        key = piece_cache.key(piece_cache.name(path), path.read_bytes(), role, part_id or "", language, library_bytes)
        converted = prefetched.get(key)
        hit = piece_cache.get(key) if converted is None else None
        if converted is not None and (converted[0] is None or converted[0].id not in taken):
            piece, found = converted
            if piece is not None:
                taken.add(piece.id)
            diags.items.extend(found)
            if piece is not None and not any(d.level == "error" for d in found):
                keep.append((key, piece, found))
        elif hit is not None and hit[0].id not in taken:
            piece, found = hit
            taken.add(piece.id)
            diags.items.extend(found)
        else:
            own = Diagnostics()
            try:
                piece = load_piece(path, root, role, part_id, language, taken, own, library)
            except OverLimit as exc:
                own.error(path, 0, str(exc))
                piece = None
            diags.extend(own)
            if piece is not None and not own.errors:
                keep.append((key, piece, own.items))
        done += 1
        if on_piece is not None:
            on_piece(done, total, path)
        return piece

    def role_at(i: int) -> str:
        if not part_positions:
            return "body"
        return "front" if i < first_part else "back" if i > last_part else "body"

    library = load_library(root, diags)
    piece_cache = PieceCache(cache, root, diags.warning)
    keep: list[tuple] = []  # pieces to cache once the whole book has loaded: a refused one writes nothing
    library_bytes = b"".join(_library_file(root, name) for name in (QUOTATIONS, SOURCES))
    prefetched = prefetch(root, contents, role_at, language, library, library_bytes, piece_cache, pool)
    for i, item in enumerate(contents):
        if isinstance(item, dict) and "generate" in item:
            kind = item.get("generate")
            unknown = set(item) - {"generate", "title"}
            for key in sorted(unknown):
                diags.error(config_path, doc.line(("contents", i, key)), f"unknown key '{key}' in a generated piece")
            if kind not in GENERATED:
                diags.error(config_path, doc.line(("contents", i, "generate")),
                            f"cannot generate '{kind}': choose one of {', '.join(GENERATED)}")
                continue
            entries.append(generated_piece(kind, item.get("title"), role_at(i), None, config_path, taken,
                                           Labels(language, config.labels if config else None)))
        elif isinstance(item, dict):
            unknown = set(item) - {"part", "pieces"}
            for key in sorted(unknown):
                diags.error(config_path, doc.line(("contents", i, key)), f"unknown key '{key}' in a part")
            title = item.get("part")
            if not isinstance(title, str) or not title.strip():
                diags.error(config_path, doc.line(("contents", i)), "a part needs a title: {part: TITLE, pieces: [paths]}")
                continue
            pieces_spec = item.get("pieces")
            if not isinstance(pieces_spec, list) or not pieces_spec:
                diags.error(config_path, doc.line(("contents", i, "pieces")), f"part '{title}' needs a list of pieces")
                continue
            markup, nav, plain = inline_text(title.strip(), language)
            part_id = "part-" + slugify(plain)
            while part_id in taken:
                part_id += "-2"
            taken.add(part_id)
            pieces = [piece_at(v, ("contents", i, "pieces", j), "body", part_id) for j, v in enumerate(pieces_spec)]
            entries.append(Part(part_id, plain, tuple(p for p in pieces if p), title_html=markup, title_nav_html=nav))
        else:
            piece = piece_at(item, ("contents", i), role_at(i), None)
            if piece:
                entries.append(piece)

    if config is not None and not contents:
        diags.error(config_path, doc.line(("contents",)), "contents is empty: list at least one piece")
    if draft:
        diags.items = [replace(d, level="warning") if d.code == MISSING_IMAGE else d for d in diags.items]
    if diags.errors or config is None:
        raise ManuscriptError("the manuscript has errors", diags)

    slug = book_slug(config.title)
    identifier = config.identifier or derived_identifier(config.title, config.editors, config.language, config.date)
    title, subtitle, series = (inline_text(text, config.language) if text else ("", "", None)
                               for text in (config.title, config.subtitle, config.series))
    meta = BookMeta(
        title=title[2],
        title_html=title[0],
        subtitle_html=subtitle[0],
        series_html=series[0],
        language=config.language,
        slug=slug,
        identifier=identifier,
        subtitle=subtitle[2],
        series=series[2],
        editors=tuple(config.editors),
        authors=tuple((a, None) if isinstance(a, str) else (a.name, a.file_as) for a in config.authors),
        publisher=config.publisher,
        date=config.date,
        rights=config.rights,
        description=config.description,
        edition=config.edition,
        isbn_print=config.isbn.print,
        isbn_ebook=config.isbn.ebook,
        subjects=tuple(config.subjects),
        labels=dict(config.labels),
        direction=config.direction or text_direction(config.language),
    )
    styles_dir = root / "styles"
    stylesheets = tuple(p for p in sorted(styles_dir.glob("*.css")) if vet_stylesheet(p, root, diags)) if styles_dir.is_dir() else ()
    if diags.errors:
        raise ManuscriptError("the manuscript has errors", diags)
    people = tuple(library.contributors.get(name) or Contributor(name)
                   for name in dict.fromkeys(n for e in entries for p in (e.pieces if isinstance(e, Part) else [e])
                                             for n in p.authors))
    book = Anthology(meta=meta, root=root, entries=tuple(entries), stylesheets=stylesheets,
                     config_path=config_path, settings=config, sources=tuple(library.sources.values()),
                     people=people)
    check_quotations(book, library, diags)
    if diags.errors:
        raise ManuscriptError("the manuscript has errors", diags)
    for entry in keep:
        piece_cache.put(*entry)
    return book, diags

