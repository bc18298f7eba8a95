"""Checks every build runs on the files it wrote, before they replace the previous ones:
nothing of the manuscript lost on the way (fidelity.py) and no character set without a glyph
(glyphs.py). A failure is an OutputError (exit 3), so the previous outputs stay."""
