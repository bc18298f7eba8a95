"""The built-in theme: one Jinja2 environment and the stylesheets of each edition.

A manuscript may bring its own `templates/` (searched first, so a template of the same name
replaces the built-in one) and `styles/*.css` (added after the built-in layers). Its
templates are untrusted: every template renders in Jinja's immutable sandbox narrowed to plain
data (PlainDataSandbox: no path, file, module or class, no method but those of plain values);
a manuscript's templates are read through its sandbox (fetcher.py), and what a render that
used one produced passes the raw-HTML allowlist (clean_output).
"""

from __future__ import annotations

import html
import io
import os
import re
import traceback
import types
from pathlib import Path, PurePath
from urllib.parse import urlsplit

import nh3
from jinja2 import (BaseLoader, ChoiceLoader, FileSystemLoader, StrictUndefined, TemplateError, TemplateNotFound,
                    TemplateSyntaxError, select_autoescape)
from jinja2.exceptions import SecurityError
from jinja2.loaders import split_template_path
from jinja2.runtime import BlockReference, LoopContext, Macro
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import Cycler, Joiner, Namespace
from lxml import etree, html as lhtml
from markupsafe import Markup

from .assets import clean_css
from .errors import Diagnostics, ManuscriptError
from .fetcher import RefusedResource, Sandbox
from .readers.markdown import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, WEB_SCHEMES

XHTML_NS = "http://www.w3.org/1999/xhtml"
PACKAGE_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = PACKAGE_DIR / "templates"
STYLES_DIR = PACKAGE_DIR / "styles"

# Stylesheet layers of each edition, in cascade order.
LAYERS = {
    "epub": ["base.css", "epub.css"],
    "print": ["base.css", "print.css"],
    "screen": ["base.css", "print.css"],
    "web": ["base.css", "web.css"],
}
OWN_EDITION_SHEETS = ("epub.css", "print.css", "web.css")  # a manuscript's sheet of that name: that edition only


class TemplateRefused(TemplateError):
    """A manuscript template the sandbox will not read (not TemplateNotFound, so that the
    built-in template of the same name is not quietly used instead)."""

    def __init__(self, message: str, path: Path):
        super().__init__(message)
        self.path = path


class ManuscriptTemplates(BaseLoader):
    """A manuscript's `templates/` folder, read through the manuscript's sandbox: a template
    that is (or lies in a folder that is) a symlink leading out of the manuscript is refused,
    and each is read once, from the file opened."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.folder = self.root / "templates"
        self.sandbox = Sandbox([self.root])

    def get_source(self, environment, template):
        path = self.folder.joinpath(*split_template_path(template))
        if not os.path.lexists(path):
            raise TemplateNotFound(template)
        try:
            data = self.sandbox.read_bytes(path)
        except RefusedResource as exc:
            raise TemplateRefused(f"template refused: {exc}", path) from None
        try:
            source = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise TemplateRefused(f"template '{template}' is not valid UTF-8 (byte 0x{data[exc.start]:02x})", path) from None
        environment.untrusted = True  # from now on, what it renders is cleaned (see render)
        return source, str(path), lambda: True


class PlainDataSandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox, narrowed to plain data.

    A template reaches strings, numbers, the model's (frozen) records and their tuples, and
    markup; never a path, a file, a module or a class: an attribute that is one, or an item
    of one, is refused (`book.root`, `piece.source_path`, `book.stylesheets`), and so is any
    attribute of such an object. It may call only macros, Jinja's own helpers, methods of
    plain values (`str.startswith`, `dict.values`) and the functions the writers hand it
    (`trusted`): no other method of the model, of pydantic or of Python."""

    untrusted = False  # set once a manuscript template has been loaded

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.trusted: set = {_function(f) for f in self.globals.values() if callable(f)}

    def trust(self, **functions) -> None:
        """Make functions callable from templates, as globals."""
        self.globals.update(functions)
        self.trusted.update(_function(f) for f in functions.values() if callable(f))

    def is_safe_attribute(self, obj, attr: str, value) -> bool:
        if _hazardous(obj) or _hazardous(value):
            return False
        return super().is_safe_attribute(obj, attr, value)

    def is_safe_callable(self, obj) -> bool:
        if isinstance(obj, SAFE_CALLABLE_TYPES):
            return super().is_safe_callable(obj)
        owner = getattr(obj, "__self__", None)
        if owner is not None and type(owner) in SAFE_METHOD_OWNERS and not isinstance(obj, type):
            return super().is_safe_callable(obj)
        try:
            return _function(obj) in self.trusted and super().is_safe_callable(obj)
        except TypeError:  # unhashable
            return False

    def getitem(self, obj, argument):
        value = super().getitem(obj, argument)
        return self.unsafe_undefined(obj, str(argument)) if _hazardous(value) else value

    def getattr(self, obj, attribute):
        value = super().getattr(obj, attribute)
        return self.unsafe_undefined(obj, attribute) if _hazardous(value) else value

    def call(__self, __context, __obj, *args, **kwargs):  # noqa: N805 (Jinja's signature)
        value = super().call(__context, __obj, *args, **kwargs)
        if _hazardous(value):
            raise SecurityError(f"{__obj!r} returned {type(value).__name__}, which templates may not use")
        return value


SAFE_CALLABLE_TYPES = (Macro, BlockReference, LoopContext, Joiner)
SAFE_METHOD_OWNERS = {str, Markup, int, float, bool, tuple, list, dict, set, frozenset, Cycler, LoopContext,
                      Namespace}
HAZARDS = (PurePath, io.IOBase, os.DirEntry, types.ModuleType, type, types.FrameType, types.CodeType,
           types.GeneratorType, types.TracebackType)


def _function(f):
    return getattr(f, "__func__", f)


def _hazardous(value) -> bool:
    """A path, a file, a module, a class or the like, or a container holding one."""
    if isinstance(value, HAZARDS):
        return True
    if isinstance(value, (tuple, list, set, frozenset)):
        return any(isinstance(v, HAZARDS) for v in value)
    if isinstance(value, dict):
        return any(isinstance(v, HAZARDS) for v in value.values())
    return False


def environment(manuscript: Path | None = None) -> PlainDataSandbox:
    loaders = []
    if manuscript is not None and os.path.lexists(Path(manuscript) / "templates"):
        loaders.append(ManuscriptTemplates(Path(manuscript)))
    loaders.append(FileSystemLoader(TEMPLATES_DIR))
    return PlainDataSandbox(
        loader=ChoiceLoader(loaders),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=False,
        lstrip_blocks=False,
        keep_trailing_newline=True,
    )


def render(env: PlainDataSandbox, name: str, **context) -> str:
    """Render a template; a broken, refused or unsafe (manuscript) template becomes a
    ManuscriptError naming its file and line instead of a traceback."""
    try:
        text = env.get_template(name).render(**context)
        if not env.untrusted:
            return text
        try:
            return clean_output(text)
        except (etree.ParserError, ValueError) as exc:  # lxml found nothing it could read
            diags = Diagnostics()
            diags.error(name, 0, f"template error: what the templates wrote cannot be read as HTML ({exc})")
            raise ManuscriptError("a template could not be rendered", diags) from None
    except TemplateError as exc:
        where, line = name, 0
        if isinstance(exc, TemplateRefused):
            where, line = exc.path, 1
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


# What a manuscript's templates may write: the raw-HTML allowlist of the Markdown reader,
# with the structure the built-in templates use (sections, navigation, ARIA roles, epub:type).
TEMPLATE_TAGS = ALLOWED_TAGS | {"section", "header", "footer", "nav", "aside", "article", "main", "hgroup",
                                "address", "time", "bdi", "bdo"}
TEMPLATE_ATTRIBUTES = {tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()}
TEMPLATE_ATTRIBUTES["*"] |= {"role", "hidden", "epub:type", "xml:lang", "style"}
TEMPLATE_ATTRIBUTES["img"] |= {"role"}
TEMPLATE_ATTRIBUTES["a"] |= {"role"}
TEMPLATE_STYLE_PROPERTIES = {
    "top", "right", "bottom", "left", "width", "height", "min-width", "min-height", "max-width", "max-height",
    "margin", "margin-top", "margin-right", "margin-bottom", "margin-left", "padding", "padding-top",
    "padding-right", "padding-bottom", "padding-left", "font-size", "font-style", "font-weight",
    "font-variant", "line-height", "letter-spacing", "word-spacing", "text-align", "text-indent",
    "text-transform", "color", "display", "position", "float", "clear", "vertical-align", "white-space",
}
HEAD_ELEMENTS = {"title": (), "meta": ("charset", "name", "content"), "link": ("rel", "href", "type"),
                 "style": ("type",)}
ROOT_ATTRIBUTES = {"xmlns", "xmlns:epub", "lang", "xml:lang", "dir", "class"}


def clean_output(text: str) -> str:
    """What a render that used a manuscript's own template produced, through the same nh3
    allowlist as raw HTML in the Markdown (plus the book's structural elements): no script,
    handler, frame, form or `javascript:` link reaches an edition or the preview. A whole
    document keeps its head's title, meta, stylesheet links and styles (without imports or
    URLs to other places), and comes back as XHTML when it was XHTML."""
    if not re.search(r"<html[\s>]", text, re.I):
        return _clean_body(text)  # a fragment, such as an EPUB document's content
    xhtml = text.lstrip().startswith("<?xml")
    doc = lhtml.document_fromstring(re.sub(r"^\s*<\?xml[^>]*\?>", "", text) or "<html></html>")
    head, body = doc.find("head"), doc.find("body")
    for el in (doc, body):
        if el is not None:
            for attr in list(el.attrib):
                if attr not in ROOT_ATTRIBUTES and not attr.startswith("data-"):
                    del el.attrib[attr]
    if head is not None:
        for el in list(head):
            allowed = HEAD_ELEMENTS.get(el.tag if isinstance(el.tag, str) else "")
            if allowed is None or (el.tag == "link" and "stylesheet" not in (el.get("rel") or "").split()):
                head.remove(el)
                continue
            for attr in list(el.attrib):
                if attr not in allowed or (attr in ("href",) and _leads_away(el.get(attr))):
                    del el.attrib[attr]
            for child in list(el):
                el.remove(child)
            if el.tag == "meta" and el.get("charset") is None and el.get("name") is None:
                head.remove(el)  # what is left of an http-equiv (a refresh, a cookie)
            elif el.tag == "style":
                el.text = clean_css(el.text or "", lambda url: "refused" if _leads_away(url) else None)[0]
    if body is not None:
        inner = html.escape(body.text or "", quote=False) + "".join(lhtml.tostring(c, encoding="unicode") for c in body)
        for child in list(body):
            body.remove(child)
        body.text = None
        fragments = lhtml.fragments_fromstring(_clean_body(inner)) if inner.strip() else []
        if fragments and isinstance(fragments[0], str):
            body.text = fragments.pop(0)
        for fragment in fragments:
            body.append(fragment)
    if xhtml:
        if doc.get("xmlns") is None:
            doc.set("xmlns", XHTML_NS)
        return ('<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html>\n'
                + etree.tostring(doc, method="xml", encoding="unicode") + "\n")
    return lhtml.tostring(doc, encoding="unicode", doctype="<!DOCTYPE html>")


def _clean_body(markup: str) -> str:
    return nh3.clean(markup, tags=TEMPLATE_TAGS, attributes=TEMPLATE_ATTRIBUTES,
                     generic_attribute_prefixes={"data-", "aria-"}, url_schemes=WEB_SCHEMES, link_rel=None,
                     filter_style_properties=TEMPLATE_STYLE_PROPERTIES, strip_comments=True
                     ).replace("&nbsp;", "\u00a0")


def _leads_away(url: str | None) -> bool:
    """A URL with a scheme other than file: or data: (read through the sandbox anyway)."""
    scheme = urlsplit((url or "").strip()).scheme.lower()
    return scheme not in ("", "file", "data")


def stylesheets(edition: str, manuscript_styles: tuple[Path, ...] = ()) -> list[Path]:
    """The CSS files of an edition: built-in layers, then the manuscript's own.

    A manuscript's `epub.css`, `print.css` or `web.css` applies to that edition only
    (`print.css` to the screen PDF too); any other file, `base.css` included, to every edition.
    """
    layers = LAYERS[edition]
    own = [p for p in manuscript_styles if p.name not in OWN_EDITION_SHEETS or p.name in layers]
    return [STYLES_DIR / name for name in layers] + own
