"""A Markdown file that is a piece already, or nearly: its words and front matter kept as written.

With front matter it is imported as it stands, every key kept (the title is required, as the
loader requires it); without, its first `# Title` line becomes the title of a front matter
block written above the rest. Images it names are relative to where the file was: the report
lists them, to be copied into the manuscript.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from ..errors import Diagnostics
from ..readers.manuscript import split_front_matter
from .draft import Draft, Findings
from .markdown import front_matter

TITLE = re.compile(r"^#\s+(?P<title>\S.*?)\s*#*\s*$")
IMAGE = re.compile(r"!\[[^\]]*\]\((?P<src><[^>]*>|[^\s)]+)")


class PieceFileError(ValueError):
    """The file's front matter cannot be read: `line` and a message."""

    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line


def read_piece(text: str, path: Path) -> tuple[Draft, Findings]:
    """The Markdown file as a piece: Draft.source_text holds what will be written."""
    findings = Findings()
    draft = Draft()
    if text.startswith("---\n"):
        diags = Diagnostics()
        split = split_front_matter(text, path, diags)
        if split is None:
            raise PieceFileError(diags.items[0].line, diags.items[0].message)
        try:
            front = yaml.safe_load(split[0]) or {}
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            raise PieceFileError((mark.line + 2) if mark else 1, f"the front matter is not valid YAML: {exc}") from None
        if not isinstance(front, dict) or not str(front.get("title") or "").strip():
            raise PieceFileError(1, "the front matter has no 'title:'")
        draft.title = str(front["title"]).strip()
        author = front.get("author")
        draft.authors = [str(a) for a in (author if isinstance(author, list) else [author] if author else [])]
        draft.date = str(front["date"]) if front.get("date") else None
        findings.saw("front matter", 1, "kept as written: " + ", ".join(str(k) for k in front))
        draft.source_text = text if text.endswith("\n") else text + "\n"
        body_line = split[2]
    else:
        lines = text.split("\n")
        first = next((k for k, line in enumerate(lines) if line.strip()), None)
        title = TITLE.match(lines[first]) if first is not None else None
        if title:
            draft.title = title.group("title")
            findings.saw("title", first + 1, f"# heading: {draft.title}")
            del lines[first]
        body = "\n".join(lines).strip("\n")
        draft.source_text = front_matter(draft) + "\n\n" + body + "\n"
        body_line = 1
    for number, line in enumerate(draft.source_text.split("\n"), 1):
        for m in IMAGE.finditer(line):
            src = m.group("src").strip("<>")
            if not re.match(r"^[a-z][\w+.-]*:", src, re.I):
                findings.doubt("image", max(number, body_line) if not text.startswith("---\n") else number,
                               f"'{src}' is relative to {path.name}'s folder: copy it into the manuscript and "
                               "correct the path")
    return draft, findings
