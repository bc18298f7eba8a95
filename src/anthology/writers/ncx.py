"""The NCX's page list: ebooklib writes only the navMap, and reading systems that read the NCX
(older Kobo and Adobe ones, calibre's conversions) need the print pages there too."""

from __future__ import annotations

from lxml import etree

NCX = "http://www.daisy.org/z3986/2005/ncx/"


def _n(tag: str) -> str:
    return f"{{{NCX}}}{tag}"


def add_page_list(content: bytes, pages: list[dict], spine: list[str], title: str) -> bytes:
    """Add `<pageList>` (labelled `title`, in the book's language) for `pages` ({label, href}
    in book order) and renumber every playOrder
    in reading order (each file's navPoints at its start, then its pages), as the NCX
    specification asks of a book with both."""
    if not pages:
        return content
    root = etree.fromstring(content)
    position = {name: i for i, name in enumerate(spine)}
    ordered: list[tuple[tuple[int, int], etree._Element]] = []
    page_list = etree.SubElement(root, _n("pageList"))
    label = etree.SubElement(etree.SubElement(page_list, _n("navLabel")), _n("text"))
    label.text = title
    for i, page in enumerate(pages):
        attributes = {"id": f"pagetarget-{i + 1}", "type": "normal" if page["label"].isdigit() else "front"}
        if page["label"].isdigit():
            attributes["value"] = str(int(page["label"]))  # ASCII, whatever digits the label shows
        target = etree.SubElement(page_list, _n("pageTarget"), attributes)
        etree.SubElement(etree.SubElement(target, _n("navLabel")), _n("text")).text = page["label"]
        etree.SubElement(target, _n("content"), {"src": page["href"]})
        ordered.append(((position.get(page["href"].partition("#")[0], len(spine)), i + 1), target))
    for point in root.iter(_n("navPoint")):  # each at the start of its file
        ordered.append(((position.get(point.find(_n("content")).get("src").partition("#")[0], len(spine)), 0), point))
    numbers: dict[str, int] = {}
    for _, element in sorted(ordered, key=lambda pair: pair[0]):
        src = element.find(_n("content")).get("src")
        numbers.setdefault(src, len(numbers) + 1)  # one target, one playOrder
        element.set("playOrder", str(numbers[src]))
    arabic = [int(p["label"]) for p in pages if p["label"].isdigit()]
    for meta in root.find(_n("head")).iter(_n("meta")):
        if meta.get("name") == "dtb:totalPageCount":
            meta.set("content", str(len(pages)))
        elif meta.get("name") == "dtb:maxPageNumber":
            meta.set("content", str(max(arabic, default=0)))
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")
