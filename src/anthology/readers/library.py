"""The quotation library: `quotations.yml`, `sources.yml` and `contributors.yml`.

A quotation used by several essays is kept once and referred to by key (`@key` in an
attribution line, or a bare key in a piece's `epigraphs`); works are described once in
`sources.yml`; contributors' short biographies live in `contributors.yml`. All three are
optional, and every problem in them is reported with its line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator

from ..config import validate
from ..errors import Diagnostics
from ..model import Contributor, Location, Source
from .files import read_text
from .yamlsource import YamlDocument, load_yaml

QUOTATIONS, SOURCES, CONTRIBUTORS = "quotations.yml", "sources.yml", "contributors.yml"


def _text(value: Any) -> Any:
    return str(value) if isinstance(value, (int, float)) else value


class Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="before")
    @classmethod
    def _scalars(cls, value: Any) -> Any:
        return _text(value)


class QuotationEntry(Entry):
    text: str
    author: str | None = None
    work: str | None = None  # a sources.yml key or a title
    page: str | None = None
    chapter: str | None = None
    year: str | None = None
    translator: str | None = None
    url: str | None = None


class SourceEntry(Entry):
    title: str
    author: str | None = None
    year: str | None = None
    publisher: str | None = None
    url: str | None = None
    translator: str | None = None


class ContributorEntry(Entry):
    bio: str | None = None
    sort_as: str | None = None


@dataclass(frozen=True)
class LibraryQuotation:
    """A quotation kept once in the library, with its work resolved to a title."""

    key: str
    text: str
    author: str | None
    work: str | None
    locator: str | None
    year: str | None
    translator: str | None
    url: str | None
    location: Location


@dataclass
class Library:
    quotations: dict[str, LibraryQuotation] = field(default_factory=dict)
    sources: dict[str, Source] = field(default_factory=dict)
    source_lines: dict[str, Location] = field(default_factory=dict)
    contributors: dict[str, Contributor] = field(default_factory=dict)


def _mapping(root: Path, name: str, diags: Diagnostics) -> YamlDocument | None:
    path = root / name
    if not path.is_file():
        return None
    text = read_text(path, diags, root)
    doc = load_yaml(text, path, diags) if text is not None else None
    if doc is None or doc.data is None:
        return None
    if not isinstance(doc.data, dict):
        diags.error(path, doc.line(()), f"{name} must map keys to entries")
        return None
    return doc


def _entries(doc: YamlDocument, model: type[BaseModel], diags: Diagnostics, shorthand: str | None = None):
    for key, value in doc.data.items():
        if shorthand and isinstance(value, str):
            value = {shorthand: value}
        sub = YamlDocument(value, doc.path, {k[1:]: v for k, v in doc.lines.items() if k[:1] == (key,)})
        entry = validate(model, sub, diags)
        if entry is not None:
            yield str(key), entry, Location(doc.path, doc.line((key,)))


def load_library(root: Path, diags: Diagnostics) -> Library:
    lib = Library()
    doc = _mapping(root, SOURCES, diags)
    if doc is not None:
        for key, e, where in _entries(doc, SourceEntry, diags):
            lib.sources[key] = Source(key, e.title, e.author, e.year, e.publisher, e.url, e.translator)
            lib.source_lines[key] = where
    doc = _mapping(root, QUOTATIONS, diags)
    if doc is not None:
        for key, e, where in _entries(doc, QuotationEntry, diags):
            source = lib.sources.get(e.work or "")
            work = source.title if source else e.work
            author = e.author or (source.author if source else None)
            locator = ", ".join(filter(None, [e.chapter and f"ch. {e.chapter}", e.page and f"p. {e.page}"])) or None
            lib.quotations[key] = LibraryQuotation(key, " ".join(e.text.split()), author, work, locator,
                                                   e.year or (source.year if source else None),
                                                   e.translator or (source.translator if source else None),
                                                   e.url or (source.url if source else None), where)
    doc = _mapping(root, CONTRIBUTORS, diags)
    if doc is not None:
        for name, e, _ in _entries(doc, ContributorEntry, diags, shorthand="bio"):
            lib.contributors[name] = Contributor(name, e.bio, e.sort_as)
    return lib
