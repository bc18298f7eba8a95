"""The built-in theme: one Jinja2 environment and the stylesheets of each edition.

A manuscript may bring its own `templates/` (searched first, so a template of the same name
replaces the built-in one) and `styles/*.css` (added after the built-in layers).
"""

from __future__ import annotations

from pathlib import Path

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, select_autoescape

PACKAGE_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = PACKAGE_DIR / "templates"
STYLES_DIR = PACKAGE_DIR / "styles"

# Stylesheet layers of each edition, in cascade order.
LAYERS = {
    "epub": ["base.css", "epub.css"],
    "print": ["base.css", "print.css"],
    "screen": ["base.css", "print.css"],
}


def environment(manuscript: Path | None = None) -> Environment:
    loaders = []
    if manuscript is not None and (manuscript / "templates").is_dir():
        loaders.append(FileSystemLoader(manuscript / "templates"))
    loaders.append(FileSystemLoader(TEMPLATES_DIR))
    return Environment(
        loader=ChoiceLoader(loaders),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=False,
        lstrip_blocks=False,
        keep_trailing_newline=True,
    )


def stylesheets(edition: str, manuscript_styles: tuple[Path, ...] = ()) -> list[Path]:
    """The CSS files of an edition: built-in layers, then the manuscript's own.

    A manuscript's `epub.css` or `print.css` applies to that edition only (`print.css` to the
    screen PDF too); any other file, `base.css` included, to every edition.
    """
    layers = LAYERS[edition]
    own = [p for p in manuscript_styles if p.name not in ("epub.css", "print.css") or p.name in layers]
    return [STYLES_DIR / name for name in layers] + own
