"""`anthology serve`: the live preview, until interrupted."""

from __future__ import annotations

import threading
from pathlib import Path

from ..preview import Preview


def serve(manuscript: Path, host: str, port: int, on_start, on_build) -> None:
    """Serve the preview of `manuscript` on host:port until Ctrl-C; `on_start(url)` once it
    listens, `on_build(diagnostics, seconds)` after every rebuild."""
    with Preview(Path(manuscript), host, port, on_build=on_build) as preview:
        on_start(preview.url)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
