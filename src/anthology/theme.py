"""The built-in theme: one Jinja2 environment and the stylesheets of each edition.

A manuscript may bring its own `templates/` (searched first, so a template of the same name
replaces the built-in one) and `styles/*.css` (added after the built-in layers). Its
templates are untrusted: they render in Jinja's sandbox (no reaching Python internals from
`{{ … }}`) and load only regular files inside the manuscript's `templates/` folder.
"""

from __future__ import annotations

import traceback
from pathlib import Path

from jinja2 import (ChoiceLoader, FileSystemLoader, StrictUndefined, TemplateError, TemplateNotFound,
                    TemplateSyntaxError, select_autoescape)
from jinja2.loaders import split_template_path
from jinja2.sandbox import SandboxedEnvironment

from .errors import Diagnostics, ManuscriptError
from .fetcher import RefusedResource, Sandbox

PACKAGE_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = PACKAGE_DIR / "templates"
STYLES_DIR = PACKAGE_DIR / "styles"

# Stylesheet layers of each edition, in cascade order.
LAYERS = {
    "epub": ["base.css", "epub.css"],
    "print": ["base.css", "print.css"],
    "screen": ["base.css", "print.css"],
}


class ManuscriptTemplates(FileSystemLoader):
    """A manuscript's `templates/` folder: a template that is a symlink (or leads) outside it is
    not loaded."""

    def get_source(self, environment, template):
        folder = Path(self.searchpath[0])
        path = folder.joinpath(*split_template_path(template))
        if path.is_symlink() or path.exists():
            try:
                Sandbox([folder]).check(path)
            except RefusedResource as exc:
                raise TemplateNotFound(template, f"template refused: {exc}") from None
        return super().get_source(environment, template)


def environment(manuscript: Path | None = None) -> SandboxedEnvironment:
    loaders = []
    if manuscript is not None and (manuscript / "templates").is_dir():
        loaders.append(ManuscriptTemplates(manuscript / "templates"))
    loaders.append(FileSystemLoader(TEMPLATES_DIR))
    return SandboxedEnvironment(
        loader=ChoiceLoader(loaders),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=False,
        lstrip_blocks=False,
        keep_trailing_newline=True,
    )


def render(env: SandboxedEnvironment, name: str, **context) -> str:
    """Render a template; a broken, refused or unsafe (manuscript) template becomes a
    ManuscriptError naming its file and line instead of a traceback."""
    try:
        return env.get_template(name).render(**context)
    except TemplateError as exc:
        where, line = name, 0
        if isinstance(exc, TemplateSyntaxError):
            where, line = exc.filename or exc.name or name, exc.lineno
        else:
            for frame, lineno in traceback.walk_tb(exc.__traceback__):
                if frame.f_code.co_filename.endswith(".j2"):
                    where, line = frame.f_code.co_filename, lineno
        diags = Diagnostics()
        message = f"template '{exc.name}' not found or refused" if isinstance(exc, TemplateNotFound) else exc.message
        diags.error(where, line, f"template error: {message or exc.__class__.__name__}")
        raise ManuscriptError("a template could not be rendered", diags) from None


def stylesheets(edition: str, manuscript_styles: tuple[Path, ...] = ()) -> list[Path]:
    """The CSS files of an edition: built-in layers, then the manuscript's own.

    A manuscript's `epub.css` or `print.css` applies to that edition only (`print.css` to the
    screen PDF too); any other file, `base.css` included, to every edition.
    """
    layers = LAYERS[edition]
    own = [p for p in manuscript_styles if p.name not in ("epub.css", "print.css") or p.name in layers]
    return [STYLES_DIR / name for name in layers] + own
