"""Anthology: turn a folder of essays into a print-ready PDF and an EPUB 3 from one model."""

__version__ = "0.1.0"
