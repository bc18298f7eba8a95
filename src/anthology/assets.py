"""What a resource must be before an edition may use it: images that are what they claim to
be, SVG without scripts or outside references, stylesheets that reach nothing outside.

The sandbox (fetcher.py) decides *where* a file may come from; this module decides whether
its *content* is safe. Both editions read every resource through the sandbox, which calls
these checks, so a refused image or rule is left out of the PDF and the EPUB alike.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import PurePath

import tinycss2
from lxml import etree
from PIL import Image

MAX_PIXELS = 60_000_000
RASTER_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".gif": "GIF", ".webp": "WEBP"}
IMAGE_SUFFIXES = set(RASTER_FORMATS) | {".svg"}
SVG_NS = "http://www.w3.org/2000/svg"
SVG_REFUSED_ELEMENTS = {"script", "foreignObject", "iframe", "embed", "object", "handler", "listener"}
CSS_URL_FUNCTIONS = {"url", "src", "image-set", "-webkit-image-set"}  # their strings are URLs
CSS_URL = re.compile(r"url\(\s*(['\"]?)(.*?)\1\s*\)", re.I | re.S)


class UnsafeContent(ValueError):
    """A resource whose content may not be used; the message says why, for the editor."""


def vet_image(data: bytes, name: str) -> None:
    """Refuse an image that is not a PNG, JPEG, GIF, WebP or SVG matching its extension,
    is corrupt, or has more than MAX_PIXELS pixels."""
    suffix = PurePath(name).suffix.lower()
    if suffix == ".svg":
        vet_svg(data)
        return
    expected = RASTER_FORMATS.get(suffix)
    if expected is None:
        raise UnsafeContent("is not an image a book can use: save it as PNG, JPEG, GIF, WebP or SVG")
    try:
        with Image.open(io.BytesIO(data)) as im:
            actual, (width, height) = im.format, im.size
            if actual == expected and width * height <= MAX_PIXELS:
                im.verify()
        if actual == expected and width * height <= MAX_PIXELS:
            with Image.open(io.BytesIO(data)) as im:
                im.load()  # verify() checks structure only; a truncated image fails here
    except Image.DecompressionBombError:
        raise UnsafeContent(f"is enormous: more than {MAX_PIXELS // 1_000_000} million pixels") from None
    except Image.UnidentifiedImageError:
        raise UnsafeContent(f"is not a {expected} image: it is damaged or not an image at all") from None
    except Exception as exc:  # Pillow's decoders raise many types for a damaged file
        raise UnsafeContent(f"is a damaged {expected} image ({exc})") from None
    if actual != expected:
        raise UnsafeContent(f"is a {actual} file, not the {expected} its extension says: convert it or rename it")
    if width * height > MAX_PIXELS:
        raise UnsafeContent(f"is enormous ({width} × {height} pixels, more than {MAX_PIXELS // 1_000_000} million)")


def vet_svg(data: bytes) -> None:
    """Refuse SVG with a DTD or entities, scripts, event handlers, embedded documents, or any
    reference that is not to a fragment of itself or a data: URL."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise UnsafeContent(f"is not well-formed SVG ({exc})") from None
    if root.getroottree().docinfo.internalDTD is not None or root.getroottree().docinfo.doctype:
        raise UnsafeContent("is SVG with a DOCTYPE (entities can pull in other files): remove it")
    if etree.QName(root).namespace != SVG_NS or etree.QName(root).localname != "svg":
        raise UnsafeContent("is not an SVG image (its root element is not <svg>)")
    for el in root.iter():
        if not isinstance(el.tag, str):
            if isinstance(el, etree._Entity):
                raise UnsafeContent(f"is SVG with an entity reference (&{el.name};)")
            continue
        name = etree.QName(el).localname
        if name in SVG_REFUSED_ELEMENTS:
            raise UnsafeContent(f"is SVG with a <{name}> element, which books may not run or embed")
        if name == "style" and not css_stays_local(el.text or ""):
            raise UnsafeContent("is SVG whose <style> imports or links to another file")
        for attr, value in el.attrib.items():
            local = etree.QName(attr).localname
            if local.lower().startswith("on"):
                raise UnsafeContent(f"is SVG with an event handler ({local} on <{name}>)")
            if local == "href" and not _local_reference(value):
                raise UnsafeContent(f"is SVG that refers to '{value[:80]}' (on <{name}>): only #fragments and data: URLs are allowed")
            if not css_stays_local(value):
                raise UnsafeContent(f"is SVG whose {local} attribute links to another file")


def _local_reference(url: str) -> bool:
    url = url.strip()
    return url.startswith("#") or url.lower().startswith("data:")


def css_stays_local(css: str) -> bool:
    """Whether CSS text (an SVG <style> or style attribute) refers only to itself."""
    if "@import" in css.lower():
        return False
    return all(_local_reference(m.group(2)) for m in CSS_URL.finditer(css))


def clean_css(text: str, allowed: Callable[[str], str | None]) -> tuple[str, list[tuple[int, str]]]:
    """Drop every `@import`, and every declaration (or rule) whose `url()` `allowed` refuses.

    `allowed(url)` returns None for a URL that may be read, or the reason it may not. Rules
    that refer to nothing refused are kept exactly as written. Returns the cleaned stylesheet
    and (line, message) for each thing dropped.
    """
    problems: list[tuple[int, str]] = []
    out = []
    for rule in tinycss2.parse_stylesheet(text, skip_comments=False, skip_whitespace=False):
        if rule.type == "at-rule" and rule.lower_at_keyword == "import":
            target = tinycss2.serialize(rule.prelude).strip()[:80]
            problems.append((rule.source_line, f"@import {target} is ignored: every styles/*.css file is "
                                               "already loaded, so no stylesheet needs to import another"))
            continue
        if rule.type == "error":  # a stray `}` or a bad string: CSS skips it, and so does the book
            problems.append((rule.source_line, f"CSS syntax error ({rule.message}) is ignored: "
                                               "fix or delete it at this line"))
            continue
        out.append(_clean(rule, allowed, problems))
    return "".join(out), problems


def _clean(node, allowed, problems) -> str:
    """Serialise a node, leaving out each declaration that refers to a refused URL."""
    if node.type == "error":  # tinycss2 cannot serialise its parse errors
        problems.append((node.source_line, f"CSS syntax error ({node.message}) is ignored"))
        return ""
    refused = [(url, line, reason) for url, line in _urls(_tokens(node)) if (reason := allowed(url)) is not None]
    if not refused:
        return node.serialize() + (";" if node.type == "declaration" else "")
    if node.type in ("qualified-rule", "at-rule") and node.content is not None and not _urls(node.prelude or []):
        inner = tinycss2.parse_blocks_contents(node.content, skip_comments=False, skip_whitespace=False)
        head = ("@" + node.at_keyword if node.type == "at-rule" else "") + tinycss2.serialize(node.prelude)
        return head + "{" + "".join(_clean(child, allowed, problems) for child in inner) + "}"
    url, line, reason = refused[0]
    what = f"'{node.name}'" if node.type == "declaration" else "a rule"
    problems.append((line, f"{what} is ignored: {reason}"))
    return ""


def _tokens(node) -> list:
    if node.type == "declaration":
        return node.value
    if node.type in ("qualified-rule", "at-rule"):
        return list(node.prelude or []) + list(node.content or [])
    return [node]


def _urls(tokens) -> list[tuple[str, int]]:
    """Every URL in a token list: `url(x)` tokens and the strings of CSS_URL_FUNCTIONS."""
    found = []
    for token in tokens:
        if token.type == "url":
            found.append((token.value, token.source_line))
        elif token.type == "function":
            if token.lower_name in CSS_URL_FUNCTIONS:
                found.extend((a.value, a.source_line) for a in token.arguments if a.type == "string")
            found.extend(_urls(token.arguments))
        elif token.type in ("() block", "[] block", "{} block"):
            found.extend(_urls(token.content))
    return found
