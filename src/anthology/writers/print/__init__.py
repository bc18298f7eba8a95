"""The print engine: a print edition laid out chunk by chunk in a pool of workers, cached, and
assembled into one PDF (edition.py orchestrates; see its docstring for the other modules)."""
