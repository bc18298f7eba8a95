"""Print geometry: trim sizes, bleed, gutters, spines and printer profiles.

Profiles set an edition's options together from each service's published specification:

- KDP (Amazon): bleed 0.125 in on the top, bottom and outside edges (page = trim + 0.125 in
  wide, + 0.25 in tall), no printer's marks, inside margin by page count (0.375 in for 24–150
  pages, 0.5 for 151–300, 0.625 for 301–500, 0.75 for 501–700, 0.875 for 701–828), outside
  margin at least 0.375 in with bleed, 24–828 pages, spine 0.002252 in a page on white paper,
  0.0025 on cream. Source: KDP Help, "Set Trim Size, Bleed, and Margins" and "Create a
  Paperback Cover" (kdp.amazon.com/help/topic/GVBQ3CMEQW3W8VZ9, G201953020).
- IngramSpark / Lightning Source: 1/8 in bleed on the three trim edges, never the binding
  side; no marks; an even page count; PDF/X-1a by default; spine from the paper's pages per
  inch (white 50 lb ≈ 444 PPI, cream 50 lb ≈ 400 PPI). Source: IngramSpark "File Creation
  Guide" (ingramspark.com/hubfs/downloads/file-creation-guide.pdf) — the service's cover
  template generator gives the exact spine for a final page count.
- Offset (typical sheet-fed book printer): 0.125 in bleed on every side, crop marks outside the
  bleed, signatures of 16 pages, spine from the paper's caliper (0.004 in a leaf, so 0.002 in
  a page, for a 50 lb offset stock unless told otherwise).

Figures are kept here, in one table, so that a change in a service's specification is a
one-line change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PT_PER = {"in": 72.0, "mm": 72 / 25.4, "cm": 72 / 2.54, "pt": 1.0, "pc": 12.0, "px": 0.75}

# Named trim sizes, width × height in points.
TRIM_SIZES: dict[str, tuple[float, float]] = {
    "5x8in": (5 * 72, 8 * 72),
    "5.25x8in": (5.25 * 72, 8 * 72),
    "5.5x8.5in": (5.5 * 72, 8.5 * 72),
    "6x9in": (6 * 72, 9 * 72),
    "6.14x9.21in": (6.14 * 72, 9.21 * 72),
    "7x10in": (7 * 72, 10 * 72),
    "8.5x11in": (8.5 * 72, 11 * 72),
    "a5": (148 * PT_PER["mm"], 210 * PT_PER["mm"]),
    "b5": (176 * PT_PER["mm"], 250 * PT_PER["mm"]),
    "royal": (156 * PT_PER["mm"], 234 * PT_PER["mm"]),
    "demy": (138 * PT_PER["mm"], 216 * PT_PER["mm"]),
    "b-format": (129 * PT_PER["mm"], 198 * PT_PER["mm"]),
}


@dataclass(frozen=True)
class Profile:
    """What a printing service asks for."""

    name: str
    bleed: float  # points
    bleed_binding_side: bool  # offset printers bleed all four sides; print on demand does not
    marks: bool
    page_multiple: int
    pdf_standard: str
    spine_per_page: dict[str, float]  # inches of spine per page, by paper
    gutter_by_pages: tuple[tuple[int, float], ...] = ()  # (up to N pages, minimum inside margin in inches)
    min_outside: float = 0.25  # inches
    min_pages: int = 1
    max_pages: int = 100_000


KDP_GUTTER = ((150, 0.375), (300, 0.5), (500, 0.625), (700, 0.75), (828, 0.875))

PROFILES: dict[str, Profile] = {
    "none": Profile("none", 0.125 * 72, False, False, 2, "pdf/x-4", {"white": 0.002252, "cream": 0.0025}),
    "kdp": Profile("kdp", 0.125 * 72, False, False, 2, "pdf/x-4", {"white": 0.002252, "cream": 0.0025},
                   KDP_GUTTER, min_outside=0.375, min_pages=24, max_pages=828),
    "ingramspark": Profile("ingramspark", 0.125 * 72, False, False, 2, "pdf/x-1a",
                           {"white": 1 / 444, "cream": 1 / 400}, KDP_GUTTER[:1] + ((100_000, 0.5),),
                           min_outside=0.5, min_pages=18),
    "offset": Profile("offset", 0.125 * 72, True, True, 16, "pdf/x-4", {"white": 0.002, "cream": 0.00225}),
}


PROFILE_NAMES = {"kdp": "KDP", "ingramspark": "IngramSpark", "offset": "the offset profile", "none": "the default profile"}


class SpecError(ValueError):
    """A print option that cannot be understood."""


def length(value: str | float | int) -> float:
    """A CSS-style length (`0.125in`, `3mm`, `9pt`) in points."""
    if isinstance(value, (int, float)):
        return float(value)
    m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*(in|mm|cm|pt|pc|px)\s*", str(value).lower())
    if not m:
        raise SpecError(f"'{value}' is not a length such as 0.125in or 3mm")
    return float(m.group(1)) * PT_PER[m.group(2)]


def trim_size(value: str) -> tuple[float, float]:
    """A named trim (`6x9in`, `A5`, `royal`) or an explicit `W x H unit` size, in points."""
    key = value.strip().lower().replace(" ", "")
    if key in TRIM_SIZES:
        return TRIM_SIZES[key]
    m = re.fullmatch(r"([0-9]*\.?[0-9]+)(in|mm|cm|pt)?x([0-9]*\.?[0-9]+)(in|mm|cm|pt)", key)
    if not m:
        names = ", ".join(sorted(TRIM_SIZES))
        raise SpecError(f"unknown trim size '{value}': use one of {names}, or WxH with a unit such as 6x9in or 150x230mm")
    unit_w = m.group(2) or m.group(4)
    return float(m.group(1)) * PT_PER[unit_w], float(m.group(3)) * PT_PER[m.group(4)]


@dataclass(frozen=True)
class PrintSpec:
    """The resolved geometry of one print edition."""

    name: str
    trim: tuple[float, float]  # points
    bleed: float  # points
    bleed_binding_side: bool
    marks: bool
    page_multiple: int
    pdf_standard: str  # "pdf/x-4", "pdf/x-1a" or "none"
    paper: str
    profile: Profile
    inside: float = 0.75 * 72  # the design's inside margin, points
    outside: float = 0.625 * 72

    @property
    def spine_per_page(self) -> float:
        return self.profile.spine_per_page.get(self.paper, self.profile.spine_per_page["white"])

    def spine(self, pages: int) -> float:
        """Spine width in points for a page count."""
        return pages * self.spine_per_page * 72

    def gutter(self, pages: int) -> float:
        """Inside margin in points: the design's, or more where the service requires it."""
        required = 0.0
        for limit, inches in self.profile.gutter_by_pages:
            if pages <= limit:
                required = inches * 72
                break
        else:
            if self.profile.gutter_by_pages:
                required = self.profile.gutter_by_pages[-1][1] * 72
        return max(self.inside, required)

    def padded(self, pages: int) -> int:
        """The page count the printer receives: raised to the profile's minimum (a short book
        gets blank pages at the end, as KDP asks for 24 pages at least), then rounded up to
        the edition's page multiple. Nothing is taken off a book over the maximum: preflight
        says so (see `limits`)."""
        pages = max(pages, self.profile.min_pages)
        return pages + (-pages) % self.page_multiple

    def over_limit(self, pages: int) -> str | None:
        """What to do about a page count the profile does not take; None when it does."""
        service = PROFILE_NAMES.get(self.profile.name, self.profile.name)
        if pages > self.profile.max_pages:
            return (f"{pages} pages: over {service}'s maximum of {self.profile.max_pages} pages for a paperback; "
                    f"split the book into volumes (one manuscript each), or set it on a larger trim or with "
                    f"smaller type in styles/print.css so that it takes fewer pages")
        if pages < self.profile.min_pages:
            return (f"{pages} pages: under {service}'s minimum of {self.profile.min_pages} pages; "
                    f"add {self.profile.min_pages - pages} blank pages at the end (an Anthology build pads "
                    f"a short book itself)")
        return None


def resolve(name: str, options) -> PrintSpec:
    """Combine an edition's options (`config.PrintEdition`) with its printer profile's defaults."""
    profile = PROFILES[options.profile]
    bleed = length(options.bleed) if options.bleed is not None else profile.bleed
    marks = options.marks if options.marks is not None else profile.marks
    standard = options.pdf_standard if options.pdf_standard else profile.pdf_standard
    multiple = options.page_multiple or profile.page_multiple
    outside = max(0.625 * 72, profile.min_outside * 72)
    return PrintSpec(name, trim_size(options.trim), bleed, profile.bleed_binding_side, marks, multiple,
                     standard, options.paper, profile, outside=outside)
