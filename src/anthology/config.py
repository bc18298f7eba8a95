"""The schema of `anthology.yml` and of each piece's front matter.

Validation collects every problem at once, each with the line of the offending key, so a
misspelt key or a missing title is reported in the editor's terms, not as a traceback.
"""

from __future__ import annotations

import datetime as _dt
import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator

from . import printspec
from .labels import MESSAGES
from .errors import Diagnostics
from .readers.yamlsource import YamlDocument

BCP47 = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")


Text = Annotated[str, Field(min_length=1)]  # after stripping: a blank title or name is an error


def _family(value: str) -> str:
    """A font family as CSS quotes it: nothing that would end the string or the rule."""
    if not value or re.search(r'["\\{};<>\n]', value):
        raise ValueError(f"'{value}' is not a font family name (no quotes, braces, semicolons or backslashes)")
    return value


def _font_language(value: str) -> str:
    if value != "default" and not BCP47.match(value):
        raise ValueError(f"'{value}' is neither 'default' nor a BCP 47 language tag (such as ar, zh-Hant)")
    return value


FontFamily = Annotated[str, AfterValidator(_family)]
FontLanguage = Annotated[str, AfterValidator(_font_language)]

DATE_FORMS = "YYYY, YYYY-MM or YYYY-MM-DD (such as 2026, 2026-11 or 2026-11-25)"
DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


def check_date(value: Any) -> str | None:
    """A publication date as EPUB's dc:date takes it (W3CDTF without a time): a year, a month
    or a day that exists. Anything else (26/11/2025, next spring, 2026-02-30) is an error that
    says which forms are accepted."""
    if value is None:
        return None
    text = str(value).strip()
    m = DATE.fullmatch(text)
    if m:
        year, month, day = (int(g) if g else 1 for g in m.groups())
        try:
            _dt.date(year, month, day)
        except ValueError as exc:
            raise ValueError(f"'{text}' is not a date that exists ({exc}): write it as {DATE_FORMS}") from None
        return text
    raise ValueError(f"'{text}' is not a date in a form books and ebook stores read: write it as {DATE_FORMS}")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Author(Strict):
    """A writer of the whole book, with the sort form catalogues file them under."""

    name: Text
    file_as: str | None = Field(None, description="the name as sorted in a catalogue: Mill, John Stuart")


class Isbn(Strict):
    """ISBNs of the editions; each edition carries its own."""

    print: str | None = None
    ebook: str | None = None


class EpubOptions(Strict):
    """Options of the EPUB edition."""

    cover: str | None = Field(None, description="path of a cover image, relative to the manuscript")
    embed_fonts: bool = Field(False, description="embed the book typeface, subset to the glyphs used")


class SiteOptions(Strict):
    """Options of the web edition."""

    url: str | None = Field(None, description="the address the web edition is published at, such as "
                            "https://example.org/book/: canonical links and feeds are then absolute")

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", value):
            raise ValueError(f"'{value}' is not an http:// or https:// address without a query or fragment, "
                             "such as https://example.org/book/")
        return value if value.endswith("/") else value + "/"


class PrintEdition(Strict):
    """Options of a print edition; what is left out comes from the printer profile."""

    trim: str = Field("6x9in", description="a named size (5x8in, 5.5x8.5in, 6x9in, A5, royal …) or WxH with a unit")
    bleed: str | None = Field(None, description="bleed beyond the trim, such as 0.125in or 3mm")
    marks: bool | None = Field(None, description="crop marks (off for print on demand, on for offset)")
    profile: Literal["kdp", "ingramspark", "offset", "none"] = "none"
    paper: Literal["white", "cream"] = "white"
    pdf_standard: Literal["pdf/x-4", "pdf/x-1a", "none"] | None = None
    page_multiple: int | None = Field(None, ge=1, le=64, description="pad the page count to a multiple of this")

    @field_validator("trim")
    @classmethod
    def _trim(cls, value: str) -> str:
        printspec.trim_size(value)
        return value

    @field_validator("bleed")
    @classmethod
    def _bleed(cls, value: str | None) -> str | None:
        if value is not None:
            printspec.length(value)
        return value


class Config(Strict):
    """`anthology.yml`: the book's metadata and the order of its contents."""

    title: Text
    language: str
    subtitle: str | None = None
    series: str | None = None
    editors: list[Text] = []
    authors: list[Text | Author] = Field([], description="the book's writers (an imported book): names, or {name, file_as}")
    publisher: str | None = None
    date: str | None = None
    rights: str | None = None
    description: str | None = None
    identifier: str | None = None
    edition: str | None = Field(None, description="edition line of the copyright page")
    isbn: Isbn = Isbn()
    subjects: list[str] = []
    contents: list[Any]
    editions: dict[str, PrintEdition] = {"print": PrintEdition()}
    epub: EpubOptions = EpubOptions()
    site: SiteOptions = Field(SiteOptions(), description="the web edition: site.url makes its links absolute")
    direction: Literal["ltr", "rtl"] | None = Field(None, description="the book's writing direction; by default "
                                                    "the language's (rtl for ar, fa, he, ur …)")
    labels: dict[str, Text] = Field({}, description="the book's own wording for generated labels, by their "
                                    "English text, such as {Contents: Table}")
    fonts: dict[FontLanguage, list[FontFamily]] = Field(
        {}, description="faces set before the built-in font stack in the PDFs: under 'default' for the whole "
                        "book, under a language tag (ar, ur, zh-Hant …) for text in that language")

    @field_validator("labels")
    @classmethod
    def _known_labels(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = [key for key in value if key not in MESSAGES]
        if unknown:
            raise ValueError(f"no generated label is called {', '.join(map(repr, unknown))}; "
                             f"the labels are: {', '.join(MESSAGES)}")
        return value

    @field_validator("language")
    @classmethod
    def _bcp47(cls, value: str) -> str:
        if not BCP47.match(value):
            raise ValueError(f"'{value}' is not a BCP 47 language tag (such as en, en-GB, de)")
        return value

    @field_validator("date", mode="before")
    @classmethod
    def _date(cls, value: Any) -> Any:
        return check_date(value)


class EpigraphSpec(Strict):
    text: Text
    author: str | None = None
    work: str | None = None


class FrontMatter(BaseModel):
    """A piece's YAML front matter. Unknown keys are reported as warnings by the loader."""

    model_config = ConfigDict(extra="allow", str_strip_whitespace=True)

    title: Text
    subtitle: str | None = None
    author: Text | list[Text] | None = None
    date: str | None = None
    series: str | None = None
    source: str | None = None
    epigraphs: list[EpigraphSpec | str] = []  # a string is a key of quotations.yml

    @field_validator("date", mode="before")
    @classmethod
    def _date(cls, value: Any) -> Any:
        return check_date(value)

    @property
    def authors(self) -> tuple[str, ...]:
        if self.author is None:
            return ()
        return (self.author,) if isinstance(self.author, str) else tuple(self.author)


def _message(error: dict[str, Any]) -> str:
    loc = [str(x) for x in error["loc"]]
    key = ".".join(loc)
    kind = error["type"]
    if kind == "extra_forbidden":
        return f"unknown key '{loc[-1]}'"
    if kind == "missing":
        return f"missing required key '{key}'"
    msg = error["msg"].removeprefix("Value error, ")
    return f"{key}: {msg}"


def validate(model: type[BaseModel], doc: YamlDocument, diags: Diagnostics) -> BaseModel | None:
    """Validate YAML data against a model; every failure becomes a diagnostic with its line."""
    data = doc.data
    if not isinstance(data, dict):
        diags.error(doc.path, doc.line(()), "expected a mapping of keys to values")
        return None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            loc = tuple(error["loc"])
            line = doc.line(loc[:-1] if error["type"] == "missing" else loc)
            diags.error(doc.path, line, _message(error))
        return None
