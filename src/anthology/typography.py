"""Typographic conventions by language: which quotation marks smart quotes become."""

from __future__ import annotations

NBSP = "&#160;"
NNBSP = "&#8239;"

# Python-Markdown smarty substitutions for a primary language subtag. Smarty uses the closing
# single mark for apostrophes as well, so it stays ’ in every language: only the opening single
# mark and the double marks follow the language.
QUOTES: dict[str, dict[str, str]] = {
    "en": {"left-double-quote": "&ldquo;", "right-double-quote": "&rdquo;"},
    "de": {"left-double-quote": "&bdquo;", "right-double-quote": "&ldquo;", "left-single-quote": "&sbquo;"},
    "fr": {"left-double-quote": "&laquo;" + NBSP, "right-double-quote": NBSP + "&raquo;"},
    "es": {"left-double-quote": "&laquo;", "right-double-quote": "&raquo;"},
    "it": {"left-double-quote": "&laquo;", "right-double-quote": "&raquo;"},
    "ru": {"left-double-quote": "&laquo;", "right-double-quote": "&raquo;"},
}


def smarty_substitutions(language: str) -> dict[str, str]:
    """Smart-quote substitutions for a BCP 47 tag; English conventions when unknown."""
    primary = language.split("-")[0].lower()
    subs = dict(QUOTES.get(primary, QUOTES["en"]))
    if language.lower() in ("de-ch", "de-li"):
        subs.update({"left-double-quote": "&laquo;", "right-double-quote": "&raquo;"})
    return subs
