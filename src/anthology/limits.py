"""What a manuscript may ask of a build, stated once (and in README's Robustness section).

A manuscript is untrusted input: each limit turns what would otherwise exhaust time or
memory, or be cut silently from an edition, into an error naming the file and line, found
before the costly step it protects.
"""

from __future__ import annotations

MAX_TEXT_BYTES = 2 * 1024 * 1024  # a piece, anthology.yml or a library file: 2 MB (a long novel)
MAX_YAML_DEPTH = 32  # lists and mappings inside each other, in anthology.yml and front matter
MAX_MARKDOWN_DEPTH = 32  # block quotes and lists inside each other (also readers/markdown.MAX_DEPTH)
MAX_NOTES = 1000  # footnotes defined in one piece
MAX_NOTE_CALLS = 50  # notes called from one paragraph
MAX_TABLE_COLUMNS = 12  # columns of a table: more would not fit a page legibly
CHUNK_SECONDS = 600  # the layout of one piece (or the contents, a part title …) in the print edition


def megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.0f} MB" if size >= 1024 * 1024 else f"{size / 1024:.0f} KB"
