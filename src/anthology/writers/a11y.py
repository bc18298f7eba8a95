"""EPUB Accessibility 1.1 metadata worked out from what the book's documents hold, so that a
book claims page navigation only when it has a page list, alternative text only when it has
images that carry it, and conformance only when what the build can check holds."""

from __future__ import annotations

from lxml import etree

from ..labels import SUMMARY

XHTML = "{http://www.w3.org/1999/xhtml}"
MATHML = "{http://www.w3.org/1998/Math/MathML}math"
CONFORMANCE = "EPUB Accessibility 1.1 - WCAG 2.2 Level AA"


def facts(documents: dict[str, bytes], cover: str) -> dict:
    """What the accessibility metadata depends on, read from the finished XHTML documents."""
    images, alts, levels_skip, math, gifs = 0, 0, False, False, False
    for name, content in documents.items():
        root = etree.fromstring(content)
        for img in root.iter(f"{XHTML}img"):
            if img.get("src", "").endswith(cover):
                continue
            images += 1
            alts += bool((img.get("alt") or "").strip()) or img.get("role") == "presentation" or img.get("alt") == ""
            gifs |= img.get("src", "").lower().endswith(".gif")
        level = 0
        for heading in root.iter(*(f"{XHTML}h{n}" for n in range(1, 7))):
            new = int(heading.tag[-1])
            levels_skip |= new > level + 1
            level = new
        math |= next(root.iter(MATHML), None) is not None
    return {"images": images, "described": alts, "headings_in_order": not levels_skip, "math": math,
            "gifs": gifs}


def metadata(found: dict, page_list: bool, index: bool, own_templates: bool,
             say=lambda text: text) -> list[tuple[str, str]]:
    """(property, value) pairs of the package's accessibility metadata; `say` translates the
    summary's sentences."""
    features = ["readingOrder", "structuralNavigation", "tableOfContents", "displayTransformability"]
    if page_list:
        features += ["pageNavigation", "printPageNumbers"]
    if found["images"] and found["described"] == found["images"]:
        features.append("alternativeText")
    if found["math"]:
        features.append("MathML")
    if index:
        features.append("index")
    modes = ["textual"] + (["visual"] if found["images"] else [])
    out = [("schema:accessMode", mode) for mode in modes]
    out.append(("schema:accessModeSufficient", "textual" if found["described"] == found["images"] else "textual,visual"))
    out += [("schema:accessibilityFeature", f) for f in features]
    if found["gifs"]:  # an animated GIF may flash; nothing else in the book moves or sounds
        out += [("schema:accessibilityHazard", h) for h in ("unknownFlashingHazard", "noMotionSimulationHazard",
                                                            "noSoundHazard")]
    else:
        out.append(("schema:accessibilityHazard", "none"))
    conforms = found["described"] == found["images"] and found["headings_in_order"] and not own_templates
    out.append(("schema:accessibilitySummary", summary(found, page_list, conforms, say)))
    if conforms:
        out.append(("dcterms:conformsTo", CONFORMANCE))
        out.append(("a11y:certifiedBy", "Anthology (automated checks at build time)"))
    return out


def summary(found: dict, page_list: bool, conforms: bool, say=lambda text: text) -> str:
    """The summary a reading system shows, written from the same facts as the features, in the
    book's language (`say` translates a sentence)."""
    keys = ["order"] + (["pages"] if page_list else [])
    if found["images"]:
        keys.append("described" if found["described"] == found["images"] else "undescribed")
    else:
        keys.append("no-images")
    keys += (["math"] if found["math"] else []) + ["flash" if found["gifs"] else "still"]
    keys.append("conforms" if conforms else "no-claim")
    return " ".join(say(SUMMARY[key]) for key in keys)
