"""The words the book generates (contents, notes, edited by, the back matter's titles …) in the
book's language: gettext catalogues read with Babel, overridable per manuscript in `anthology.yml`.

The message ids are the English labels; a catalogue per language lives in
`locale/<language>/LC_MESSAGES/anthology.po`. A manuscript's `labels:` mapping (English label →
its own wording) wins over the catalogue.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Mapping

from babel import Locale, UnknownLocaleError
from babel.lists import format_list
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from markupsafe import Markup, escape

LOCALE_DIR = Path(__file__).parent / "locale"

# The sentences of the EPUB's accessibility summary (writers/a11y.py).
SUMMARY = {
    "order": "Each piece is its own document, in reading order, with its title as its heading; the table of "
             "contents lists parts, pieces and their authors.",
    "pages": "Print page numbers from the print edition are marked in the text and listed for navigation.",
    "described": "Every image has a text description.",
    "undescribed": "Some images have no text description.",
    "no-images": "The text has no images besides the cover.",
    "math": "Formulas are MathML.",
    "still": "There are no sounds or animations.",
    "flash": "There are no sounds or animations, but an animated image may flash.",
    "conforms": "The publication meets EPUB Accessibility 1.1 at WCAG 2.2 level AA as checked when it was built.",
    "no-claim": "It does not claim conformance to EPUB Accessibility 1.1.",
}


# Every label the templates and writers use, so that a test can hold each catalogue to all of them.
MESSAGES = (
    "Contents", "Notes", "Back to the text", "Edited by %(names)s", "Published by %(publisher)s", "Copyright",
    "First published:", "Typeset with Anthology.", "Part %(number)s", "Landmarks", "Print page numbers", "Cover",
    "Title Page", "Cover: %(title)s", "Index of Quotations", "Works Cited", "Contributors", "Image Credits",
    "Work not named", "epigraph in %(title)s", "quoted in %(title)s", "Translated by %(names)s.", "Anonymous",
    "print", "screen", "ebook",
    *SUMMARY.values(),
    # the web edition's
    "Skip to the text", "Download", "Download the book", "Previous", "Next", "Previous and next", "Edition",
    "Format", "Size", "Pages", "Feeds", "the catalogue, for reading apps", "the pieces, to follow new ones",
    "Print edition", "Screen edition", "Ebook", "Ebook for %(name)s e-readers", "As sent to the printer, with bleed.",
    "For reading on screen.", "For e-readers and reading apps, with the print edition's page numbers.",
    "Back, spine and front, for the printer.",
)


def locale_name(language: str) -> str:
    """A BCP 47 tag as Babel and gettext spell it: pt-BR → pt_BR."""
    return language.replace("-", "_")


@lru_cache(maxsize=None)
def catalogue(language: str) -> Mapping[str, str]:
    """The translations for a language tag, the region's catalogue over the language's; empty
    (English) when the project has none."""
    names = [locale_name(language)]
    if "_" in names[0]:
        names.insert(0, names[0].split("_")[0])
    found: dict[str, str] = {}
    for name in names:
        path = LOCALE_DIR / name / "LC_MESSAGES" / "anthology.po"
        if path.is_file():
            with path.open("rb") as handle:
                found.update({m.id: m.string for m in read_po(handle) if m.id and m.string and not m.fuzzy})
    return found


def babel_locale(language: str) -> Locale:
    """Babel's locale for a tag; English when CLDR does not know it."""
    try:
        return Locale.parse(locale_name(language))
    except (UnknownLocaleError, ValueError):
        return Locale("en")


def text_direction(language: str) -> str:
    """"rtl" for Arabic, Hebrew, Persian, Urdu …, from CLDR; "ltr" otherwise."""
    return babel_locale(language).text_direction


def join_names(names: tuple[str, ...] | list[str], language: str = "en") -> str:
    """"A", "A and B", "A, B, and C": a list of people as the language writes it (CLDR)."""
    names = list(names)
    if len(names) <= 1:
        return "".join(names)
    return format_list(names, locale=babel_locale(language))


# The zero of CLDR's decimal numbering systems that a language may default to; Babel names the
# system (Locale.default_numbering_system) but writes Latin digits.
ZEROS = {"arab": 0x660, "arabext": 0x6F0, "deva": 0x966, "beng": 0x9E6, "mymr": 0x1040, "thai": 0xE50, "tibt": 0xF20}


# The CSS counter style (predefined in CSS Counter Styles 3) that writes each of those systems.
COUNTER_STYLES = {"arab": "arabic-indic", "arabext": "persian", "deva": "devanagari", "beng": "bengali",
                  "mymr": "myanmar", "thai": "thai", "tibt": "tibetan"}


def number(value: int, language: str) -> str:
    """A number in the language's default numbering system (Persian digits in fa, …)."""
    return digits(format_decimal(value, locale=babel_locale(language), group_separator=False), language)


def digits(text: str, language: str) -> str:
    """Text with its ASCII digits in the language's default numbering system: a page number
    printed as the folios print it."""
    zero = ZEROS.get(babel_locale(language).default_numbering_system)
    return text.translate({ord("0") + i: zero + i for i in range(10)}) if zero else text


def counter_style(language: str) -> str:
    """The CSS counter style of the language's numbering system ("decimal" for Latin digits)."""
    return COUNTER_STYLES.get(babel_locale(language).default_numbering_system, "decimal")


class Labels:
    """The labels of one book: `labels("Part %(number)s", number=2)`. In templates the result is
    markup: the label is escaped and each value is escaped unless it is markup already."""

    def __init__(self, language: str, overrides: Mapping[str, str] | None = None):
        self.language = language
        self.table = {**catalogue(language), **(overrides or {})}

    def __call__(self, message: str, **values) -> Markup:
        text = escape(self.table.get(message, message))
        return text % self._numbers(values) if values else text

    def text(self, message: str, **values) -> str:
        """The label as plain text (metadata, the cover, PDF outlines)."""
        text = self.table.get(message, message)
        return text % self._numbers(values) if values else text

    def _numbers(self, values: dict) -> dict:
        """Whole numbers written in the language's digits, as the folios are."""
        return {k: number(v, self.language) if isinstance(v, int) and not isinstance(v, bool) else v
                for k, v in values.items()}
