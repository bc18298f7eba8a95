"""Notes as web pages write them, found before the page is cut down to its article.

Sites mark a note's call as `<sup><a href="#fn1">[1]</a></sup>`, `<a href="#fn-1">1</a>`, or
plain `<sup>[1]</sup>` / `<sup>1</sup>`, and its text as the element that link points to (an
`<li id="fn1">` with a "↩" back link) or as the items or numbered paragraphs of a "Notes"
section at the end. Main-text extraction drops both (a class named "footnote" reads as
clutter), so they are taken out first: each call becomes a token that survives extraction
and is written `[^n]`, and each note's element is returned for the reader to convert.
"""

from __future__ import annotations

import re

from lxml import etree

OPEN, CLOSE = "\ue000", "\ue001"  # private-use characters around a note's label: no page has them
TOKEN = re.compile(f"{OPEN}([^{CLOSE}]*){CLOSE}")
LABEL = re.compile(r"^\s*\[?\s*(\d{1,3}|[ivxlc]{1,6}|[*†‡§])\s*\]?\s*$", re.I)
NOTES_HEADING = re.compile(r"^\s*(?:end\s*|foot\s*)?notes?\s*(?:and\s+references)?\s*:?\s*$|^\s*references\s*$", re.I)
LEADING_LABEL = re.compile(r"^\s*(?:\[(\d{1,3})\]|(\d{1,3})[.)]\s|\((\d{1,3})\))\s*")
BACK_LINK = re.compile(r"^\s*(?:↩|↑|\^|⤴|back|return)\s*[︎️]?\s*$", re.I)
BLOCK = ("li", "p", "div", "aside", "section", "dd")


def _text(el: etree._Element) -> str:
    return "".join(el.itertext())


def _replace(el: etree._Element, text: str) -> None:
    """Put `text` where `el` was, keeping its tail."""
    parent = el.getparent()
    before = el.getprevious()
    joined = text + (el.tail or "")
    if before is not None:
        before.tail = (before.tail or "") + joined
    else:
        parent.text = (parent.text or "") + joined
    parent.remove(el)


def _note_block(target: etree._Element) -> etree._Element:
    """The element holding a note's text: the link's target, or the block around an anchor."""
    el = target
    while el.tag not in BLOCK and el.getparent() is not None and el.getparent().tag not in ("body", "html"):
        el = el.getparent()
    return el


def _strip_label_and_back_links(note: etree._Element, ref_ids: set[str]) -> None:
    """A note's text without its number and the "↩" links back to its call."""
    links = list(note.iter("a"))
    for k, a in enumerate(links):
        href = a.get("href") or ""
        numbered = k == 0 and href.startswith("#") and LABEL.match(_text(a))
        if href.lstrip("#") in ref_ids or BACK_LINK.match(_text(a)) or numbered:
            _replace(a, "")
    first = note.find(".//sup")
    if first is not None and LABEL.match(_text(first)) and not (note.text or "").strip():
        _replace(first, "")
    lead = LEADING_LABEL.match(note.text or "")
    if lead:
        note.text = note.text[lead.end():]


def _notes_section(doc: etree._Element) -> tuple[etree._Element | None, list[etree._Element]]:
    """The last heading that says "Notes" (or a list classed footnotes) and its note blocks."""
    headings = [h for h in doc.iter("h2", "h3", "h4", "h5", "h6", "p", "strong", "b")
                if NOTES_HEADING.match(_text(h)) and len(_text(h)) < 40]
    for heading in reversed(headings):
        anchor = heading if heading.tag not in ("strong", "b") else heading.getparent()
        items: list[etree._Element] = []
        sibling = anchor.getnext()
        while sibling is not None and (sibling.tag not in ("h1", "h2", "h3", "h4", "h5", "h6")):
            if sibling.tag in ("ol", "ul"):
                items.extend(li for li in sibling if li.tag == "li")
            elif sibling.tag == "p" and LEADING_LABEL.match(_text(sibling)):
                items.append(sibling)
            elif sibling.tag == "p" and sibling.find("sup") is not None and LABEL.match(_text(sibling.find("sup"))):
                items.append(sibling)
            else:
                break
            sibling = sibling.getnext()
        if items:
            return anchor, items
    for ol in doc.xpath("//ol[contains(@class, 'footnotes') or contains(@class, 'endnotes') or contains(@class, 'notes')]"):
        return None, [li for li in ol if li.tag == "li"]
    return None, []


def extract_notes(doc: etree._Element) -> tuple[list[tuple[str, etree._Element]], int]:
    """Replace every note call in `doc` by a token and take the notes out of it.

    Returns the notes as (label, element), labels renumbered 1, 2 … in the order of their first
    call, and the line of the notes section (0 when there is none). A call whose note cannot be
    found is left as it was."""
    by_id = {el.get("id"): el for el in doc.iter() if isinstance(el.tag, str) and el.get("id")}
    by_id.update({el.get("name"): el for el in doc.iter("a") if el.get("name") and el.get("name") not in by_id})
    heading, listed = _notes_section(doc)
    by_number = {}
    for n, item in enumerate(listed, 1):
        lead = LEADING_LABEL.match(_text(item))
        sup = item.find("sup")
        label = next((g for g in lead.groups() if g), None) if lead else (
            LABEL.match(_text(sup)).group(1) if sup is not None and LABEL.match(_text(sup)) else str(n))
        by_number.setdefault(label, item)
    ref_ids: set[str] = set()
    linked: list[tuple[etree._Element, etree._Element]] = []
    for a in doc.xpath("//a[starts-with(@href, '#')]"):
        target = by_id.get(a.get("href")[1:])
        if target is None or not LABEL.match(_text(a)) or target in a.iterancestors():
            continue
        note = _note_block(target)
        if note.tag not in ("body", "html", "article", "main") and a not in note.iter():
            linked.append((a, note))
    # a note's own number linking back to its call is not a call
    blocks = [note for _, note in linked]
    calls: list[tuple[etree._Element, etree._Element]] = []
    for a, note in linked:
        if any(a in other.iter() for other in blocks):
            continue
        sup = a.getparent()
        call = sup if sup.tag == "sup" and not _text(sup).replace(_text(a), "").strip() else a
        calls.append((call, note))
        ref_ids.update(el.get("id") for el in (a, call) if el.get("id"))
    called = {id(note) for _, note in calls}
    for sup in doc.iter("sup"):
        match = LABEL.match(_text(sup))
        if (match and sup.find(".//a") is None and match.group(1) in by_number
                and id(by_number[match.group(1)]) not in called and not any(sup in n.iter() for n in listed)):
            calls.append((sup, by_number[match.group(1)]))
    position = {el: n for n, el in enumerate(doc.iter())}
    calls.sort(key=lambda pair: position[pair[0]])  # numbered in reading order, linked or not
    order: list[tuple[str, etree._Element]] = []
    labels: dict[int, str] = {}
    for call, note in calls:
        label = labels.get(id(note))
        if label is None:
            label = labels[id(note)] = str(len(labels) + 1)
            order.append((label, note))
        _replace(call, f"{OPEN}{label}{CLOSE}")
    line = heading.sourceline if heading is not None else (listed[0].sourceline if listed else 0)
    for _, note in order:
        _strip_label_and_back_links(note, ref_ids)
        if note.getparent() is not None:
            note.getparent().remove(note)
    # the section's heading goes with its notes, unless a note no call names is left in it
    if order and heading is not None and all(item.getparent() is None for item in listed):
        heading.getparent().remove(heading)
    for empty in doc.xpath("//ol[not(*)]|//ul[not(*)]"):
        if not _text(empty).strip():
            empty.getparent().remove(empty)
    return order, line or 0
