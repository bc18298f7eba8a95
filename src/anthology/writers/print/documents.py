"""A chunk's document cut from the whole book's, for a manuscript's own `print.html.j2`.

The built-in print edition renders each chunk with `print_chunk.html.j2`. A manuscript that
replaces `print.html.j2` changes the whole-book document (the screen PDF's, the single pass's),
and so the print edition too: that document is rendered once, and each chunk's document is
cut from it: its head and body as the template made them, the chunk's elements inside their
ancestors (the front, main or back matter), after an empty hidden element when something
came before them in the book, so that selectors such as `:first-child` match as in the whole
document.
"""

from __future__ import annotations

import copy

from lxml import etree

from .plan import ChunkSpec


class MissingChunk(ValueError):
    """The whole-book document has no element for a chunk: args (the id looked for,)."""


def elements(book: etree._Element, chunk: ChunkSpec) -> list[etree._Element]:
    """A chunk's elements in the whole-book document: the one with its id (the contents:
    `contents`); for the display pages, every element before the contents in its parent."""
    found = book.xpath("//*[@id=$id]", id="contents" if chunk.kind in ("contents", "display") else chunk.key)
    if not found:
        raise MissingChunk("contents" if chunk.kind == "display" else chunk.key)
    if chunk.kind != "display":
        return [found[0]]
    return [e for e in found[0].itersiblings(preceding=True) if isinstance(e.tag, str)][::-1]


def attributes(element: etree._Element) -> dict[str, str]:
    """An element's attributes to copy onto a new one: `xml:lang` as XML's, the namespace
    declarations the HTML parser keeps as attributes (`xmlns:epub`) left out."""
    out = {}
    for name, value in element.attrib.items():
        if name.startswith("xml:"):
            out["{http://www.w3.org/XML/1998/namespace}" + name[4:]] = value
        elif ":" not in name and name != "xmlns":
            out[name] = value
    return out


def cut(book: etree._Element, chunk: ChunkSpec) -> etree._Element:
    """The chunk's own document, cut from the whole book's (see the module)."""
    parts = elements(book, chunk)
    root = etree.Element(book.tag, attributes(book))
    head = book.find("head")
    if head is not None:
        root.append(copy.deepcopy(head))
    body = book.find("body")
    if not parts:
        root.append(etree.Element("body", attributes(body) if body is not None else {}))
        return root
    parent = root
    for ancestor in reversed(list(parts[0].iterancestors())[:-1]):  # from <body> down, without <html>
        shell = etree.SubElement(parent, ancestor.tag, attributes(ancestor))
        parent = shell
    if any(isinstance(e.tag, str) for e in parts[0].itersiblings(preceding=True)):
        etree.SubElement(parent, "div", {"hidden": ""})
    for part in parts:
        parent.append(copy.deepcopy(part))
        parent[-1].tail = None
    return root
