"""The print editions' font stacks: the book face, then a face for each script it lacks.

EB Garamond sets Latin, Greek and Cyrillic; its text cut (12 pt) comes first, since the
8-point italic maps Greek to empty glyphs. After it come Noto faces, from Debian's
fonts-noto-core and fonts-noto-cjk (scripts/setup-system.sh), so that no character falls to
whatever fontconfig finds: a language gets its own face first (Naskh for Arabic and Persian,
Nastaliq for Urdu, Devanagari, Hebrew; CJK by region, after the book face, which keeps the
Latin), and every text the whole fallback list,
so a passage without a `lang` still finds a face with its glyphs. `fonts:` in anthology.yml
puts a manuscript's faces before these, for the whole book (`default`) or for a language.

print.css holds the built-in rules as `rules()` writes them (a test keeps the two the same);
the manuscript's own ones are added after the theme, with the edition's geometry.
"""

from __future__ import annotations

import shutil
import subprocess

from .errors import Diagnostics
from .fetcher import RefusedResource, Sandbox
from .model import Anthology

BOOK = ("EB Garamond 12", "EB Garamond")
FALLBACK = ("Noto Serif", "Noto Naskh Arabic", "Noto Serif Devanagari", "Noto Serif Hebrew", "Noto Serif CJK SC",
            "DejaVu Serif")
# A language's own faces, before the book's stack; a more specific tag after its language, as
# the later rule wins.
LANGUAGES: dict[str, tuple[str, ...]] = {
    "ar": ("Noto Naskh Arabic",),
    "fa": ("Noto Naskh Arabic",),
    "ur": ("Noto Nastaliq Urdu", "Noto Naskh Arabic"),
    "hi": ("Noto Serif Devanagari",),
    "mr": ("Noto Serif Devanagari",),
    "ne": ("Noto Serif Devanagari",),
    "sa": ("Noto Serif Devanagari",),
    "he": ("Noto Serif Hebrew",),
    "yi": ("Noto Serif Hebrew",),
    "zh": ("Noto Serif CJK SC",),
    "zh-Hant": ("Noto Serif CJK TC",),
    "zh-TW": ("Noto Serif CJK TC",),
    "zh-HK": ("Noto Serif CJK HK",),
    "ja": ("Noto Serif CJK JP",),
    "ko": ("Noto Serif CJK KR",),
}


def family_list(families: tuple[str, ...] | list[str]) -> str:
    return ", ".join(f'"{name}"' for name in families) + ", serif"


def stack(language: str | None = None, own: dict[str, list[str]] | None = None) -> tuple[str, ...]:
    """The faces a text in `language` is set in, first to last. A CJK face comes after the book
    face: it has Latin letters too, but no true small capitals, and the book's Latin (names,
    small-capital labels) stays in the book face."""
    own = own or {}
    known = [*LANGUAGES, *(t for t in own if t != "default" and t not in LANGUAGES)]
    tags = [t for t in known if language and (language == t or language.startswith(t + "-"))]
    mine = [f for t in tags[-1:] for f in own.get(t, [])]
    built_in = [f for t in tags[-1:] for f in LANGUAGES.get(t, ())]
    if any("CJK" in f for f in built_in):
        faces = [*mine, *own.get("default", []), *BOOK, *built_in, *FALLBACK]
    else:
        faces = [*mine, *built_in, *own.get("default", []), *BOOK, *FALLBACK]
    return tuple(dict.fromkeys(faces))


def rules(own: dict[str, list[str]] | None = None) -> str:
    """The CSS that sets the stacks: the built-in ones, or those a manuscript's `fonts:` makes."""
    own = own or {}
    default = family_list(stack(None, own))
    lines = [f"@page {{ font-family: {default}; }}", f"html {{ font-family: {default}; }}"]
    tags = list(LANGUAGES) + [t for t in own if t != "default" and t not in LANGUAGES]
    lines += [f":lang({tag}) {{ font-family: {family_list(stack(tag, own))}; }}" for tag in tags]
    return "\n".join(lines)


def not_installed(families: list[str]) -> list[str]:
    """The families fontconfig does not know."""
    if not shutil.which("fc-list"):
        return list(families)
    out = subprocess.run(["fc-list", ":", "family"], capture_output=True, text=True, check=False).stdout
    known = {name.strip().casefold() for line in out.splitlines() for name in line.split(",")}
    return [f for f in families if f.casefold() not in known]


def check(book: Anthology, diags: Diagnostics) -> None:
    """Warn of a face `fonts:` names that is neither installed nor declared by the manuscript's
    stylesheets (an @font-face naming it): the stack goes on without it."""
    own = book.settings.fonts if book.settings is not None else {}
    families = sorted({f for faces in own.values() for f in faces})
    if not families:
        return
    sandbox, sheets = Sandbox([book.root]), []
    for path in book.stylesheets:
        try:
            sheets.append(sandbox.read_bytes(path).decode("utf-8", errors="replace"))
        except RefusedResource:
            continue
    for family in not_installed(families):
        if not any(family in text for text in sheets):
            diags.warning(book.config_path, 0, f"fonts: '{family}' is neither installed nor declared by an "
                                               "@font-face in styles/; the PDFs are set without it")
