"""What a resource must be before an edition may use it: images that are what they claim to
be, SVG without scripts or outside references, stylesheets that reach nothing outside.

The sandbox (fetcher.py) decides *where* a file may come from; this module decides whether
its *content* is safe. Both editions read every resource through the sandbox, which calls
these checks, so a refused image or rule is left out of the PDF and the EPUB alike.
"""

from __future__ import annotations

import base64
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
XLINK_NS = "http://www.w3.org/1999/xlink"
XML_NS = "http://www.w3.org/XML/1998/namespace"
SVG_REFUSED_ELEMENTS = {"script", "foreignObject", "iframe", "embed", "object", "handler", "listener"}
SVG_MAX_NODES = 50_000  # elements an SVG may have once every <use> is expanded
# The allowlist of SVG: static drawing, text, paint servers, filters and animation of
# presentation attributes. Anything else is left out of the sanitised image.
SVG_ANIMATIONS = {"animate", "animateColor", "animateMotion", "animateTransform", "set"}
SVG_ELEMENTS = {
    "svg", "g", "defs", "desc", "title", "symbol", "use", "image", "switch", "view", "style",
    "path", "rect", "circle", "ellipse", "line", "polyline", "polygon",
    "text", "tspan", "textPath", "linearGradient", "radialGradient", "stop", "pattern",
    "clipPath", "mask", "marker", "filter", "mpath",
    "feBlend", "feColorMatrix", "feComponentTransfer", "feComposite", "feConvolveMatrix",
    "feDiffuseLighting", "feDisplacementMap", "feDistantLight", "feDropShadow", "feFlood", "feFuncA",
    "feFuncB", "feFuncG", "feFuncR", "feGaussianBlur", "feImage", "feMerge", "feMergeNode",
    "feMorphology", "feOffset", "fePointLight", "feSpecularLighting", "feSpotLight", "feTile",
    "feTurbulence",
} | SVG_ANIMATIONS
SVG_HREF_ELEMENTS = {"use", "image", "textPath", "mpath", "feImage", "linearGradient", "radialGradient",
                     "pattern", "filter"}
SVG_ATTRIBUTES = {
    # core and accessibility
    "id", "class", "style", "lang", "tabindex", "role", "focusable", "requiredExtensions", "systemLanguage",
    # the root and viewports
    "version", "baseProfile", "viewBox", "preserveAspectRatio", "x", "y", "width", "height", "zoomAndPan",
    # geometry
    "x1", "y1", "x2", "y2", "cx", "cy", "r", "rx", "ry", "d", "points", "pathLength", "transform",
    "dx", "dy", "rotate", "textLength", "lengthAdjust", "startOffset", "method", "spacing", "side",
    # presentation
    "alignment-baseline", "baseline-shift", "clip", "clip-path", "clip-rule", "color", "color-interpolation",
    "color-interpolation-filters", "color-profile", "color-rendering", "cursor", "direction", "display",
    "dominant-baseline", "enable-background", "fill", "fill-opacity", "fill-rule", "filter", "flood-color",
    "flood-opacity", "font", "font-family", "font-size", "font-size-adjust", "font-stretch", "font-style",
    "font-variant", "font-weight", "glyph-orientation-horizontal", "glyph-orientation-vertical",
    "image-rendering", "isolation", "kerning", "letter-spacing", "lighting-color", "marker", "marker-end",
    "marker-mid", "marker-start", "mask", "mix-blend-mode", "opacity", "overflow", "paint-order",
    "pointer-events", "shape-rendering", "stop-color", "stop-opacity", "stroke", "stroke-dasharray",
    "stroke-dashoffset", "stroke-linecap", "stroke-linejoin", "stroke-miterlimit", "stroke-opacity",
    "stroke-width", "text-anchor", "text-decoration", "text-rendering", "transform-origin", "unicode-bidi",
    "vector-effect", "visibility", "word-spacing", "writing-mode",
    # paint servers, clipping, masking, markers
    "gradientUnits", "gradientTransform", "spreadMethod", "fx", "fy", "fr", "offset",
    "patternUnits", "patternContentUnits", "patternTransform", "clipPathUnits", "maskUnits",
    "maskContentUnits", "markerWidth", "markerHeight", "markerUnits", "refX", "refY", "orient",
    # filters
    "filterUnits", "primitiveUnits", "in", "in2", "result", "stdDeviation", "mode", "type", "values",
    "operator", "k1", "k2", "k3", "k4", "kernelMatrix", "order", "divisor", "bias", "targetX", "targetY",
    "edgeMode", "preserveAlpha", "kernelUnitLength", "surfaceScale", "diffuseConstant", "specularConstant",
    "specularExponent", "scale", "xChannelSelector", "yChannelSelector", "radius", "baseFrequency",
    "numOctaves", "seed", "stitchTiles", "azimuth", "elevation", "z", "pointsAtX", "pointsAtY", "pointsAtZ",
    "limitingConeAngle", "tableValues", "slope", "intercept", "amplitude", "exponent",
    # animation (of the attributes above only: see _safe_animation)
    "attributeName", "attributeType", "begin", "dur", "end", "min", "max", "restart", "repeatCount",
    "repeatDur", "calcMode", "keyTimes", "keySplines", "keyPoints", "from", "to", "by", "additive",
    "accumulate", "path",
}
RASTER_DATA_URL = re.compile(r"^data:image/(png|jpeg|gif|webp)(;[a-z0-9=._-]+)*;base64,[A-Za-z0-9+/=\s]*$", re.I)
CSS_LOADING_FUNCTIONS = {"image", "image-set", "-webkit-image-set", "cross-fade", "element", "src", "expression",
                         "paint", "env"}
CSS_URL_FUNCTIONS = {"url", "src", "image-set", "-webkit-image-set"}  # their strings are URLs
CSS_URL = re.compile(r"url\(\s*(['\"]?)(.*?)\1\s*\)", re.I | re.S)


class UnsafeContent(ValueError):
    """A resource whose content may not be used; the message says why, for the editor."""


def vet_image(data: bytes, name: str) -> bytes | None:
    """Refuse an image that is not a PNG, JPEG, GIF, WebP or SVG matching its extension,
    is corrupt, or has more than MAX_PIXELS pixels. An SVG is returned sanitised (clean_svg);
    a raster image is used as it is (None)."""
    suffix = PurePath(name).suffix.lower()
    if suffix == ".svg":
        return clean_svg(data)
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


def clean_svg(data: bytes) -> bytes:
    """An SVG rebuilt from an allowlist of elements and attributes, then serialised anew.

    Refused outright (UnsafeContent, with the reason): a DTD or entities, a root that is not
    <svg>, scripts, event handlers, embedded documents, references to other files, and
    `<use>` that would expand to more than SVG_MAX_NODES elements (or refer to itself).
    Left out quietly: processing instructions (`<?xml-stylesheet?>`) and comments, elements
    and attributes not on the allowlist (an editor's own namespaces, metadata), animations
    of links or handlers, `data:` URLs other than raster images, and CSS (in `<style>` or a
    style attribute, read with tinycss2 so escapes are decoded) that imports or refers to
    anything but a fragment of the image itself."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                             remove_pis=False, remove_comments=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise UnsafeContent(f"is not well-formed SVG ({exc})") from None
    if root.getroottree().docinfo.internalDTD is not None or root.getroottree().docinfo.doctype:
        raise UnsafeContent("is SVG with a DOCTYPE (entities can pull in other files): remove it")
    if etree.QName(root).namespace != SVG_NS or etree.QName(root).localname != "svg":
        raise UnsafeContent("is not an SVG image (its root element is not <svg>)")
    for el in root.iter():
        if isinstance(el, etree._Entity):
            raise UnsafeContent(f"is SVG with an entity reference (&{el.name};)")
        if not isinstance(el.tag, str):
            continue
        name = etree.QName(el).localname
        if name in SVG_REFUSED_ELEMENTS:
            raise UnsafeContent(f"is SVG with a <{name}> element, which books may not run or embed")
        for attr, value in el.attrib.items():
            local = etree.QName(attr).localname
            if local.lower().startswith("on"):
                raise UnsafeContent(f"is SVG with an event handler ({local} on <{name}>)")
            if local == "href" and not _local_reference(value):
                raise UnsafeContent(f"is SVG that refers to '{value[:80]}' (on <{name}>): only #fragments and data: URLs are allowed")
            if local not in ("style", "href") and not _css_value_stays_local(value):
                raise UnsafeContent(f"is SVG whose {local} attribute links to another file")
    _sanitise(root)
    _check_expansion(root)
    etree.cleanup_namespaces(root, top_nsmap={None: SVG_NS}, keep_ns_prefixes=["xlink"])
    return etree.tostring(root, encoding="utf-8", xml_declaration=True)


def _sanitise(root: etree._Element) -> None:
    """Remove, in place, everything not on the allowlist (see clean_svg)."""
    for node in list(root.iter()):
        if node is root or node.getparent() is None and not isinstance(node.tag, str):
            continue
        parent = node.getparent()
        if parent is None:
            continue  # removed with an ancestor
        if not isinstance(node.tag, str):  # processing instructions and comments
            _remove(node)
            continue
        qname = etree.QName(node)
        if qname.namespace == SVG_NS and qname.localname == "a":
            _unwrap(node)  # a link in an image leads nowhere in a book; what it holds stays
            continue
        if qname.namespace != SVG_NS or qname.localname not in SVG_ELEMENTS:
            _remove(node)
            continue
        if qname.localname in SVG_ANIMATIONS and not _safe_animation(node):
            _remove(node)
            continue
        if qname.localname == "style":
            for child in list(node):
                node.remove(child)
            node.text = _clean_style_sheet(node.text or "")
            continue
    for el in root.iter(f"{{{SVG_NS}}}*"):
        for attr in list(el.attrib):
            if not _keep_attribute(el, attr):
                del el.attrib[attr]
        if "style" in el.attrib:
            cleaned = _clean_declarations(el.attrib["style"])
            if cleaned.strip():
                el.attrib["style"] = cleaned
            else:
                del el.attrib["style"]
    for img in list(root.iter(f"{{{SVG_NS}}}image")):
        if not any(etree.QName(a).localname == "href" for a in img.attrib):
            _remove(img)  # its data: URL was not an image a book can use
    # the root's own PIs and comments (before and after it) are not serialised with it
    for sibling in list(root.itersiblings(preceding=True)) + list(root.itersiblings()):
        if not isinstance(sibling.tag, str):
            _remove(sibling)


def _remove(node) -> None:
    """Remove a node, keeping the text that follows it."""
    parent = node.getparent()
    if parent is None:
        return
    if node.tail:
        previous = node.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + node.tail
        else:
            parent.text = (parent.text or "") + node.tail
    parent.remove(node)


def _unwrap(node) -> None:
    """Replace an element by its children, keeping its text and tail in place."""
    parent, previous = node.getparent(), node.getprevious()
    index, children = parent.index(node), list(node)

    def put_text(text: str) -> None:
        if previous is not None:
            previous.tail = (previous.tail or "") + text
        else:
            parent.text = (parent.text or "") + text

    put_text(node.text or "")
    if children:
        children[-1].tail = (children[-1].tail or "") + (node.tail or "")
    else:
        put_text(node.tail or "")
    parent.remove(node)
    for offset, child in enumerate(children):
        parent.insert(index + offset, child)


def _raster_data_url(value: str) -> bool:
    """Whether a data: URL holds a raster image a book can use (vetted like an image file)."""
    match = RASTER_DATA_URL.match(value)
    if not match:
        return False
    try:
        data = base64.b64decode(value.split(",", 1)[1], validate=False)
        vet_image(data, "embedded." + match.group(1).lower().replace("jpeg", "jpg"))
    except (UnsafeContent, ValueError):
        return False
    return True


def _keep_attribute(el: etree._Element, attr: str) -> bool:
    qname = etree.QName(attr)
    if qname.namespace == XML_NS:
        return qname.localname in ("lang", "space")
    if qname.localname == "href" and qname.namespace in (None, XLINK_NS):
        value = el.attrib[attr].strip()
        if value.startswith("#"):
            return etree.QName(el).localname in SVG_HREF_ELEMENTS
        return etree.QName(el).localname == "image" and _raster_data_url(value)
    if qname.namespace is not None:
        return False
    return qname.localname in SVG_ATTRIBUTES or qname.localname.startswith(("aria-", "data-"))


def _safe_animation(node: etree._Element) -> bool:
    """An animation of a presentation or geometry attribute, never of a link, a handler or
    a style (whose values would escape the checks on attributes)."""
    target = (node.get("attributeName") or "").strip()
    target = target.split(":")[-1]
    if node.get(f"{{{XLINK_NS}}}href") or node.get("href"):
        return False  # animations apply to their parent only
    if etree.QName(node).localname in ("animateMotion",):
        return not target
    if not target or target.lower().startswith("on") or target in ("href", "style") or target not in SVG_ATTRIBUTES:
        return False
    return all(_css_value_stays_local(node.get(k) or "") for k in ("values", "from", "to", "by"))


def _check_expansion(root: etree._Element) -> None:
    """Refuse `<use>` that refers to itself or expands to more than SVG_MAX_NODES elements
    (a few hundred bytes of nested `<use>` can ask for billions)."""
    ids = {el.get("id"): el for el in root.iter(f"{{{SVG_NS}}}*") if el.get("id")}
    sizes: dict[etree._Element, int] = {}
    active: set = set()

    def size(el) -> int:
        if el in sizes:
            return sizes[el]
        if el in active:
            raise UnsafeContent("is SVG whose <use> refers to itself")
        active.add(el)
        total = 1
        for child in el:
            if isinstance(child.tag, str):
                total += size(child)
        if etree.QName(el).localname == "use":
            ref = el.get(f"{{{XLINK_NS}}}href") or el.get("href") or ""
            target = ids.get(ref.strip()[1:]) if ref.strip().startswith("#") else None
            if target is not None:
                total += size(target)
        if total > SVG_MAX_NODES:
            raise UnsafeContent(f"is SVG whose <use> elements expand to more than {SVG_MAX_NODES:,} elements")
        active.discard(el)
        sizes[el] = total
        return total

    try:
        size(root)
    except RecursionError:
        raise UnsafeContent("is SVG nested too deeply") from None


def _css_value_stays_local(value: str) -> bool:
    """Whether an attribute value, read as CSS, refers to nothing but #fragments."""
    if "(" not in value and "\\" not in value:
        return True
    return all(_local_fragment(url) for url, _ in _urls(tinycss2.parse_component_value_list(value)))


def _local_fragment(url: str) -> bool:
    return url.strip().startswith("#")


def _declarations_safe(tokens) -> bool:
    """A declaration's value refers to nothing outside: url()s only to #fragments, and no
    function that loads or runs anything."""
    for token in tokens:
        if token.type == "url" and not _local_fragment(token.value):
            return False
        if token.type == "function":
            if token.lower_name in CSS_LOADING_FUNCTIONS:
                return False
            if token.lower_name == "url" and not all(a.type == "string" and _local_fragment(a.value)
                                                     for a in token.arguments if a.type not in ("whitespace", "comment")):
                return False
            if not _declarations_safe(token.arguments):
                return False
        elif token.type in ("() block", "[] block", "{} block") and not _declarations_safe(token.content):
            return False
    return True


def _clean_declarations(text: str) -> str:
    """A style attribute (or a rule's body) keeping only declarations that stay local."""
    kept = []
    for decl in tinycss2.parse_blocks_contents(text, skip_comments=True, skip_whitespace=True):
        if decl.type == "declaration" and _declarations_safe(decl.value):
            kept.append(f"{decl.name}:{tinycss2.serialize(decl.value)}{' !important' if decl.important else ''}")
    return ";".join(kept)


def _clean_style_sheet(text: str) -> str:
    """An SVG <style>: its rules with only local declarations; every at-rule but @media left
    out (@import, @font-face and @namespace load or reach outside)."""
    out = []
    for rule in tinycss2.parse_stylesheet(text, skip_comments=True, skip_whitespace=True):
        if rule.type == "qualified-rule":
            out.append(f"{tinycss2.serialize(rule.prelude).strip()}{{{_clean_declarations(tinycss2.serialize(rule.content))}}}")
        elif rule.type == "at-rule" and rule.lower_at_keyword == "media" and rule.content is not None:
            out.append(f"@media {tinycss2.serialize(rule.prelude).strip()}{{{_clean_style_sheet(tinycss2.serialize(rule.content))}}}")
    return "\n".join(out)


def _local_reference(url: str) -> bool:
    url = url.strip()
    return url.startswith("#") or url.lower().startswith("data:")


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
