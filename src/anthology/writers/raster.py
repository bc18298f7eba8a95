"""PNG fallbacks of SVG figures for the EPUB: Kindle's conversion (and older reading systems)
show SVG figures blank or not at all, so every SVG figure also comes as a PNG, drawn by
CairoSVG from the sanitised SVG (assets.clean_svg: it refers to no other file)."""

from __future__ import annotations

FALLBACK_WIDTH = 1200  # px: sharp on a 300 ppi e-reader across a 4-inch column


class RenderError(ValueError):
    """An SVG that CairoSVG cannot draw: the figure keeps its SVG alone."""


def svg_png(svg: bytes, width: int = FALLBACK_WIDTH) -> bytes:
    import cairosvg

    try:
        return cairosvg.svg2png(bytestring=svg, output_width=width, unsafe=False)
    except Exception as exc:  # CairoSVG raises whatever its parser meets
        raise RenderError(f"its PNG fallback could not be drawn ({type(exc).__name__}: {exc})") from exc
