"""A text the manuscript already holds: found before an import writes anything.

An editor who imports the same essay twice (a second download, the DOCX after the web page)
should be told which piece has it, not find a `-2` copy later. Texts are compared as the words
a reader sees, so the fixes an editor made to the first import (quotes, dashes, a word or
two) do not hide the match.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path


def words(markdown: str) -> list[str]:
    """A piece's body as the words a reader sees, for comparing texts: no front matter, no
    Markdown marks or punctuation, no case (an editor's fixes to quotes and dashes keep the match)."""
    body = markdown.split("\n---\n", 1)[1] if markdown.startswith("---\n") and "\n---\n" in markdown else markdown
    body = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", body)  # links and images: their text
    return re.findall(r"\w+", body.casefold())


def already_imported(root: Path, markdown: str) -> Path | None:
    """The manuscript's piece that holds the same text (nine words in ten the same, in order)."""
    mine = words(markdown)
    if len(mine) < 20:
        return None
    for path in sorted(root.rglob("*.md")):
        if any(part.startswith(".") for part in path.relative_to(root).parts) or not path.is_file():
            continue
        try:
            theirs = words(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError):
            continue
        match = difflib.SequenceMatcher(None, mine, theirs, autojunk=False)
        if match.real_quick_ratio() >= 0.9 and match.quick_ratio() >= 0.9 and match.ratio() >= 0.9:
            return path
    return None
