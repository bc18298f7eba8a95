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


# The characters an editor types, for the lint's advice and `check --fix`: double and single
# marks (open, close) and what stands inside guillemets (French sets them off with no-break
# spaces). The apostrophe is ’ in every language.
MARKS: dict[str, tuple[str, str, str, str, str]] = {
    "en": ("“", "”", "‘", "’", ""),
    "de": ("„", "“", "‚", "‘", ""),
    "fr": ("«", "»", "“", "”", "\u00a0"),
    "es": ("«", "»", "“", "”", ""),
    "it": ("«", "»", "“", "”", ""),
    "ru": ("«", "»", "„", "“", ""),
}


def quote_marks(language: str) -> tuple[str, str, str, str, str]:
    """(open double, close double, open single, close single, space inside) for a BCP 47 tag."""
    if language.lower() in ("de-ch", "de-li"):
        return ("«", "»", "‹", "›", "")
    return MARKS.get(language.split("-")[0].lower(), MARKS["en"])
