"""`anthology check`: load and resolve the manuscript without writing anything."""

from __future__ import annotations

from pathlib import Path

from ..errors import Diagnostics, ManuscriptError
from ..readers.manuscript import load


def check(manuscript: Path) -> Diagnostics:
    """Every diagnostic the loader knows, errors and warnings alike, in file order."""
    try:
        _, diags = load(Path(manuscript))
    except ManuscriptError as exc:
        diags = exc.diagnostics
    return diags
