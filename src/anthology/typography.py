"""Typographic conventions by language: which quotation marks smart quotes become."""

from __future__ import annotations

NBSP = "&#160;"
NNBSP = "&#8239;"

# CLDR's quotation delimiters (main/<locale>/delimiters: quotationStart, quotationEnd,
# alternateQuotationStart, alternateQuotationEnd). Babel does not carry them, so the table is
# kept here, by language and by the regions and scripts that differ from it.
DELIMITERS: dict[str, str] = {
    "en": "“”‘’", "de": "„“‚‘", "de-ch": "«»‹›", "fr": "«»«»", "es": "«»“”", "it": "«»“”", "pt": "“”‘’",
    "pt-pt": "«»“”", "ru": "«»„“", "uk": "«»„“", "el": "«»“”", "ar": "”“’‘", "fa": "«»‹›", "ur": "”“’‘",
    "he": "””’’", "hi": "“”‘’", "zh": "“”‘’", "zh-hant": "「」『』", "zh-tw": "「」『』", "zh-hk": "「」『』",
    "ja": "「」『』", "ko": "“”‘’", "tr": "“”‘’", "pl": "„”«»", "cs": "„“‚‘", "nl": "‘’“”", "sv": "””’’",
    "fi": "””’’", "da": "“”‘’", "nb": "«»‘’", "hu": "„”»«",
}
APOSTROPHE = "’"


def delimiters(language: str) -> str:
    """The four marks for a BCP 47 tag: the tag's own, its language's, or English's."""
    tag = language.lower()
    parts = tag.split("-")
    for candidate in ("-".join(parts[:n]) for n in range(len(parts), 0, -1)):
        if candidate in DELIMITERS:
            return DELIMITERS[candidate]
    return DELIMITERS["en"]


def smarty_substitutions(language: str) -> dict[str, str]:
    """Python-Markdown smarty substitutions for a BCP 47 tag. Smarty uses the closing single
    mark for apostrophes as well, so it stays ’ in every language: the single marks follow the
    language where its alternate marks close with ’, or are German's ‚‘ (closed with ’ then, as
    German typesetting often does); French gets its no-break spaces."""
    start, end, alt_start, alt_end = delimiters(language)
    if language.lower().split("-")[0] == "fr":
        start, end = start + NBSP, NBSP + end
    subs = {"left-double-quote": start, "right-double-quote": end}
    if alt_end == APOSTROPHE or alt_start + alt_end == "‚‘":
        subs["left-single-quote"] = alt_start
    return subs


def quote_marks(language: str) -> tuple[str, str, str, str, str]:
    """The marks an editor should type, for the lint's advice and `check --fix`: the
    language's four delimiters, and what stands inside guillemets (French sets them off with
    no-break spaces, as smarty_substitutions does in the book)."""
    start, end, alt_start, alt_end = delimiters(language)
    return start, end, alt_start, alt_end, "\u00a0" if language.lower().split("-")[0] == "fr" else ""
