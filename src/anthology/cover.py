"""The book's cover: a full-wrap print cover (PDF/X) and the EPUB's front cover image (PNG).

Both draw the same front panel — series, title, subtitle, editors — in the same colours and
typeface, so the printed book and the ebook look like one book. Type sizes are fitted by
measuring the words with the real font (Pillow), so long titles shrink instead of overflowing.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import uuid
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from . import theme
from .atomic import atomic_path
from .colour import CMYK_PROFILE, CONDITION, CONDITION_INFO, REGISTRY
from .errors import OutputError
from .fetcher import Sandbox
from .labels import Labels
from .model import Anthology, BookMeta
from .printspec import PrintSpec
from .writers.base import build_time

MIN_SPINE_TEXT = 0.25 * 72  # points: narrower spines carry no text (printers' tolerance is ±1/16 in)
SPINE_SAFE = 0.0625 * 72  # points kept clear on each side of spine text (KDP)

# Colours as CMYK fractions: the PDF prints them as device-cmyk, the PNG shows their RGB equivalent.
COLOURS = {
    "background": (0.90, 0.45, 0.35, 0.55),  # deep blue-green, 225 % total ink
    "ink": (0.0, 0.03, 0.14, 0.0),  # warm paper white
    "soft": (0.0, 0.06, 0.22, 0.14),  # the same, quieter, for secondary lines
    "accent": (0.0, 0.28, 0.80, 0.06),  # gold rule
}

# Font candidates per style: the book's typeface (its 12 pt optical size, drawn for display), then DejaVu.
FONT_PATTERNS = {
    "regular": ("EB Garamond 12:style=Regular", "DejaVu Serif:style=Book"),
    "italic": ("EB Garamond 12:style=Italic", "DejaVu Serif:style=Italic"),
}
FONT_FALLBACKS = {
    "regular": ("/usr/share/fonts/opentype/ebgaramond/EBGaramond12-Regular.otf",
                "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"),
    "italic": ("/usr/share/fonts/opentype/ebgaramond/EBGaramond12-Italic.otf",
               "/usr/share/fonts/truetype/dejavu/DejaVuSerif-Italic.ttf"),
}


@dataclass(frozen=True)
class CoverGeometry:
    """The cover sheet in points: what a printer's cover template is checked against."""

    width_pt: float  # media width: back + spine + front + bleed on both sides
    height_pt: float  # media height: trim + bleed top and bottom
    spine_pt: float
    bleed_pt: float
    spine_text: bool

    @property
    def width_trim(self) -> float:
        return self.width_pt - 2 * self.bleed_pt

    @property
    def height_trim(self) -> float:
        return self.height_pt - 2 * self.bleed_pt

    @property
    def panel(self) -> float:
        """Width of the front (and back) panel: the book's trim width."""
        return (self.width_trim - self.spine_pt) / 2


def cover_geometry(spec: PrintSpec, pages: int) -> CoverGeometry:
    """The cover's size for a page count: two trims and a spine, with bleed all round."""
    trim_w, trim_h = spec.trim
    spine = spec.spine(pages)
    return CoverGeometry(width_pt=2 * trim_w + spine + 2 * spec.bleed, height_pt=trim_h + 2 * spec.bleed,
                         spine_pt=spine, bleed_pt=spec.bleed, spine_text=spine >= MIN_SPINE_TEXT)


# Fonts and measuring -----------------------------------------------------------------------


@lru_cache(maxsize=None)
def font_file(style: str = "regular") -> str | None:
    """The font file for a style, found through fontconfig so the PNG and the PDF use one typeface."""
    if shutil.which("fc-match"):
        for pattern in FONT_PATTERNS[style]:
            family = re.sub(r"\s*\d+$", "", pattern.split(":")[0]).lower()  # "eb garamond", "dejavu serif"
            out = subprocess.run(["fc-match", "-f", "%{family}\n%{file}", pattern],
                                 capture_output=True, text=True, check=False).stdout.splitlines()
            # fc-match always answers with something; accept it only if it is the family asked for.
            if len(out) == 2 and family in out[0].lower() and Path(out[1]).is_file():
                return out[1]
    return next((p for p in FONT_FALLBACKS[style] if Path(p).is_file()), None)


@lru_cache(maxsize=64)
def load_font(style: str, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """A Pillow font at a pixel size; Pillow's own font only when no serif is installed."""
    path = font_file(style)
    return ImageFont.truetype(path, size) if path else ImageFont.load_default(size)


def text_width(text: str, size: float, style: str = "regular") -> float:
    """The advance width of a line at any size, measured once at 1000 units and scaled."""
    return load_font(style, 1000).getlength(text) * size / 1000


def wrap(text: str, size: float, width: float, style: str = "regular") -> list[str]:
    """Break text into lines at word boundaries, greedily, so each fits the width if it can."""
    lines: list[str] = []
    for word in text.split():
        if lines and text_width(f"{lines[-1]} {word}", size, style) <= width:
            lines[-1] += f" {word}"
        else:
            lines.append(word)
    return lines


def balance(text: str, size: float, width: float, style: str = "regular") -> list[str]:
    """Wrap into as few lines as the width allows, but with lines of even length, as a title is set."""
    lines = wrap(text, size, width, style)
    low, high = 0.0, width
    while high - low > 1:
        mid = (low + high) / 2
        if len(wrap(text, size, mid, style)) <= len(lines) and all(
                text_width(line, size, style) <= mid for line in wrap(text, size, mid, style)):
            high = mid
        else:
            low = mid
    return wrap(text, size, high, style)


def fit(text: str, width: float, largest: float, smallest: float, max_lines: int,
        style: str = "regular") -> tuple[float, list[str]]:
    """The largest size (in steps of 1) at which the text wraps into max_lines balanced lines of the width."""
    size = float(int(largest))
    while True:
        lines = wrap(text, size, width, style)
        fits_width = all(text_width(line, size, style) <= width for line in lines)
        if (fits_width and (len(lines) <= max_lines or size <= smallest)) or size <= 1:
            return size, balance(text, size, width, style) if fits_width else lines
        size -= 1


# The front panel, shared by the print cover and the EPUB image -----------------------------


@dataclass(frozen=True)
class TextBlock:
    """Lines set centred at one size; `top` is the top of the first line box."""

    name: str  # series, title, subtitle or editors: the class the PDF styles it with
    lines: tuple[str, ...]
    size: float
    leading: float  # line height as a multiple of the size, as CSS line-height
    style: str
    colour: str
    top: float

    @property
    def bottom(self) -> float:
        return self.top + len(self.lines) * self.size * self.leading


@dataclass(frozen=True)
class FrontLayout:
    """The front panel in the units of its width and height (points for the PDF, pixels for the PNG)."""

    width: float
    height: float
    margin: float
    blocks: tuple[TextBlock, ...]
    rule_y: float | None  # the gold rule under the series


def editors_text(meta: BookMeta) -> tuple[str, str]:
    """The cover's editors line and its lead-in ("Edited by "), set in italic, in the book's language."""
    label = Labels(meta.language, meta.labels).text("Edited by %(names)s")
    return label.replace("%(names)s", meta.editors_line), label.split("%(names)s")[0]


def front_layout(meta: BookMeta, width: float, height: float) -> FrontLayout:
    """Place series, rule, title, subtitle and editors; shrink the title until the stack clears the editors."""
    margin = width * 0.12
    measure = width - 2 * margin
    gap = width * 0.05
    top = height * 0.11
    blocks: list[TextBlock] = []
    rule_y = None
    if meta.series:
        size, lines = fit(meta.series, measure, width * 0.034, width * 0.026, 2, "italic")
        blocks.append(TextBlock("series", tuple(lines), size, 1.3, "italic", "soft", top))
        rule_y = blocks[-1].bottom + gap
        top = rule_y + gap
    editors = None
    if meta.editors:
        size, lines = fit(editors_text(meta)[0], measure, width * 0.042, width * 0.03, 3)
        editors = TextBlock("editors", tuple(lines), size, 1.3, "regular", "ink", height * 0.91 - len(lines) * size * 1.3)
    floor = editors.top - gap if editors else height * 0.91
    title_max, subtitle_max = width * 0.12, width * 0.052
    while True:
        size, lines = fit(meta.title, measure, title_max, width * 0.05, 4)
        title = TextBlock("title", tuple(lines), size, 1.12, "regular", "ink", top)
        stack = [title]
        if meta.subtitle:
            size, lines = fit(meta.subtitle, measure, subtitle_max, width * 0.035, 3, "italic")
            stack.append(TextBlock("subtitle", tuple(lines), size, 1.3, "italic", "soft", title.bottom + gap * 0.6))
        if stack[-1].bottom <= floor or title_max <= width * 0.03:
            break
        title_max, subtitle_max = title_max * 0.95, max(subtitle_max * 0.97, width * 0.03)
    blocks.extend(stack)
    if editors:
        blocks.append(editors)
    return FrontLayout(width, height, margin, tuple(blocks), rule_y)


# Print cover --------------------------------------------------------------------------------


def css_cmyk(name: str) -> str:
    c, m, y, k = COLOURS[name]
    return f"device-cmyk({c:g} {m:g} {y:g} {k:g})"


def spine_design(meta: BookMeta, g: CoverGeometry) -> dict:
    """The spine line: title and editors, else the title alone, as large as the spine allows."""
    length = g.height_trim - 2 * 36
    largest = min(16.0, (g.spine_pt - 2 * SPINE_SAFE) * 0.8)

    def needed(title: str, editors: str, size: float) -> float:
        extra = 1.6 * size + text_width(editors, 0.8 * size, "italic") if editors else 0
        return text_width(title, size) + extra

    choices = [(meta.title, meta.editors_line), (meta.title, ""), (meta.running_title, "")]
    for title, editors in choices:
        size = largest
        while size > 5 and needed(title, editors, size) > length:
            size -= 0.25
        if size >= min(9.0, largest):
            break  # readable: keep this choice; otherwise try a shorter line
    return {"length": length, "size": round(size, 2), "title": title, "editors": editors}


def description_size(meta: BookMeta, g: CoverGeometry, margin: float) -> float:
    """The back panel's type size: 14.5 pt, smaller when a long description would reach the publisher."""
    measure = g.panel - 2 * margin
    room = g.height_trim * (1 - 0.11 - 0.09) - 3 * 14.5
    size = 14.5
    while meta.description and size > 7 and len(wrap(meta.description, size, measure * 0.97)) * size * 1.45 > room:
        size -= 0.5
    return size


def cover_html(book: Anthology, g: CoverGeometry, variant: str | None) -> str:
    """The cover as one HTML page whose <style> carries the geometry and the colour profile."""
    meta = book.meta
    if variant and not CMYK_PROFILE.is_file():
        raise OutputError(f"a {variant.upper()} cover needs the CMYK profile {CMYK_PROFILE} "
                          "(reinstall Anthology)")
    front = front_layout(meta, g.panel, g.height_trim)
    return theme.render(
        theme.environment(book.root), "cover.html.j2",
        book=book, g=g, front=front, s=spine_design(meta, g), back_size=description_size(meta, g, front.margin),
        edited_by=editors_text(meta)[1].strip(),
        c={name: css_cmyk(name) for name in COLOURS},
        cmyk_profile=CMYK_PROFILE.as_uri() if variant else None,
        created=build_time().strftime("%Y-%m-%dT%H:%M:%SZ"),
    )


def _finisher(document_id: str):
    """Make the PDF exact and repeatable: BleedBox = MediaBox, and a stable XMP DocumentID;
    the OutputIntent names the registered printing condition (FOGRA39).

    WeasyPrint 70 caps the BleedBox 10 pt outside the trim and writes a random uuid4 as the
    PDF/X-4 DocumentID; XMP means that ID to be the same for every rendition of one document,
    so it is derived from the book's identifier instead. It names the OutputIntent after the
    profile's description, where a print shop's preflight looks for a registered condition.
    """
    import pydyf

    def finish(document, pdf) -> None:
        for intent in pdf.catalog.get("OutputIntents") or ():
            if isinstance(intent, dict) and intent.get("S") == "/GTS_PDFX":
                intent["OutputConditionIdentifier"] = pydyf.String(CONDITION)
                intent["OutputCondition"] = pydyf.String(CONDITION_INFO)
                intent["RegistryName"] = pydyf.String(REGISTRY)
                intent["Info"] = pydyf.String(CONDITION_INFO)
        for obj in pdf.objects:
            if isinstance(obj, dict) and obj.get("Type") == "/Page":
                obj["BleedBox"] = obj["MediaBox"]
            extra = getattr(obj, "extra", None)
            if isinstance(extra, dict) and extra.get("Type") == "/Metadata":
                obj.stream = [re.sub(rb"xmp\.did:[0-9a-fA-F-]{36}", f"xmp.did:{document_id}".encode(), chunk)
                              if isinstance(chunk, bytes) else chunk for chunk in obj.stream]

    return finish


def cover_pdf(book: Anthology, spec: PrintSpec, pages: int, target: Path) -> CoverGeometry:
    """Write the full-wrap print cover for a book of `pages` pages; return its geometry."""
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    from .layoutfetcher import SandboxFetcher

    g = cover_geometry(spec, pages)
    variant = None if spec.pdf_standard in ("", "none", None) else spec.pdf_standard
    fetcher = SandboxFetcher(Sandbox([book.root, CMYK_PROFILE.parent]))
    html = HTML(string=cover_html(book, g, variant), base_url=book.root.resolve().as_uri() + "/",
                url_fetcher=fetcher)
    document = html.render(font_config=FontConfiguration())
    if variant and not document.color_profiles:
        reasons = "; ".join(reason for _, reason in fetcher.refused) or "the profile was not read"
        raise OutputError(f"the cover has no output intent, so it is not {variant.upper()}: {reasons}")
    identifier = f"{book.meta.identifier}#cover"
    with atomic_path(Path(target)) as tmp:
        document.write_pdf(tmp, pdf_variant=variant, pdf_identifier=identifier.encode("utf-8"),
                           custom_metadata=True,
                           finisher=_finisher(str(uuid.uuid5(uuid.NAMESPACE_URL, identifier))))
        if variant == "pdf/x-1a":  # PDF 1.4: CFF fonts bare, not OpenType (pdfx.py); no transparency
            import pikepdf

            from . import pdfx

            with pikepdf.open(io.BytesIO(tmp.read_bytes())) as pdf:
                pdfx.bare_fonts(pdf)
                pdfx.convert(pdf, variant)
                pdf.save(tmp, deterministic_id=True, object_stream_mode=pikepdf.ObjectStreamMode.disable,
                         compress_streams=True, force_version="1.4")
    return g


# EPUB cover image ---------------------------------------------------------------------------


def rgb(name: str) -> tuple[int, int, int]:
    """A CMYK colour's plain RGB equivalent, for the screen."""
    c, m, y, k = COLOURS[name]
    return tuple(round(255 * (1 - v) * (1 - k)) for v in (c, m, y))  # type: ignore[return-value]


def front_cover_png(book: Anthology, width: int = 1600, height: int = 2560) -> bytes:
    """The EPUB's front cover: the print cover's front panel drawn as a PNG, byte-for-byte repeatable."""
    layout = front_layout(book.meta, width, height)
    image = Image.new("RGB", (width, height), rgb("background"))
    draw = ImageDraw.Draw(image)
    centre = width / 2
    if layout.rule_y is not None:
        y = round(layout.rule_y)
        draw.line([(centre - width * 0.09, y), (centre + width * 0.09, y)], fill=rgb("accent"),
                  width=max(1, round(width * 0.0025)))
    editors_lead = editors_text(book.meta)[1]
    for block in layout.blocks:
        font = load_font(block.style, round(block.size))
        ascent, descent = font.getmetrics()
        for i, line in enumerate(block.lines):
            # The baseline sits where CSS puts it: the glyph box centred in the line box.
            box = block.size * block.leading
            base = block.top + i * box + (box - ascent - descent) / 2 + ascent
            runs = [(line, block.style, block.colour)]
            lead = editors_lead if block.name == "editors" else ""
            if lead.strip() and i == 0 and line.startswith(lead.strip()):
                runs = [(lead, "italic", "soft"), (line[len(lead):], block.style, block.colour)]
            x = centre - sum(text_width(text, block.size, style) for text, style, _ in runs) / 2
            for text, style, colour in runs:
                draw.text((x, base), text, font=load_font(style, round(block.size)), fill=rgb(colour), anchor="ls")
                x += text_width(text, block.size, style)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False, compress_level=9)
    return out.getvalue()
