"""Where the manuscript is: the folder named on the command line, or, like git and mkdocs, the
current folder or its nearest parent holding an `anthology.yml`; `./manuscript` otherwise."""

from __future__ import annotations

import os
from pathlib import Path

CONFIG_NAME = "anthology.yml"
FALLBACK = Path("manuscript")


def manuscript_root(given: Path | None) -> Path:
    """The manuscript's folder as an absolute path, found once here so that every later step
    (file URIs for WeasyPrint among them) sees the same root whatever the working folder."""
    if given is not None:
        return Path(os.path.abspath(given))
    here = Path.cwd()
    for folder in (here, *here.parents):
        if (folder / CONFIG_NAME).is_file():
            return folder
    return here / FALLBACK
