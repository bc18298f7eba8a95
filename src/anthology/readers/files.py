"""Reading a manuscript's text files: UTF-8 only, through the sandbox, within the size limit,
each error at its line. The manuscript and the library (contributors, sources) read theirs here."""

from __future__ import annotations

from pathlib import Path

from ..errors import Diagnostics
from ..fetcher import RefusedResource, Sandbox
from ..limits import MAX_TEXT_BYTES, megabytes
from .chars import NOT_TEXT, not_text, referenced_not_text
from .markdown import normalise


def oversize(path: Path, diags: Diagnostics) -> bool:
    """Whether a file is over MAX_TEXT_BYTES; if so, report it at the line where it passes the
    limit, having read no more than that."""
    try:
        if path.stat().st_size <= MAX_TEXT_BYTES:
            return False
        with path.open("rb") as fh:
            line = fh.read(MAX_TEXT_BYTES).count(b"\n") + 1
    except OSError:
        return False  # reading it reports why
    diags.error(path, line, f"the file is over {megabytes(MAX_TEXT_BYTES)} ({megabytes(path.stat().st_size)}), "
                            f"more than a manuscript file may hold: split it into several pieces")
    return True


def read_text(path: Path, diags: Diagnostics, root: Path) -> str | None:
    """Read a UTF-8 file of the manuscript at `root`, of at most MAX_TEXT_BYTES, through the
    sandbox (a symlink leading outside is refused before a byte of it is read, and the file
    is read once); a decoding error names the line it happened on."""
    sandbox = Sandbox([root])
    try:
        sandbox.check(path)
    except RefusedResource as exc:
        diags.error(path, 1, f"cannot read file: {exc}")
        return None
    if oversize(path, diags):
        return None
    try:
        data = sandbox.read_bytes(path)
    except RefusedResource as exc:
        diags.error(path, 1, f"cannot read file: {exc}")
        return None
    text = decode(data, path, diags)
    if text is None:
        return None
    # normalise removed controls: what is left is noncharacters, written or referenced (&#xFFFF;)
    found = dict.fromkeys((text.count("\n", 0, at) + 1, char) for at, char in
                          [(m.start(), m.group()) for m in NOT_TEXT.finditer(text)] + list(referenced_not_text(text)))
    for line, char in sorted(found):
        diags.error(path, line, not_text(char))
    return NOT_TEXT.sub("\ufffd", text) if found else text


def decode(data: bytes, path: Path, diags: Diagnostics) -> str | None:
    """A file's UTF-8 text, normalised; None, with an error at the offending line, if it is not UTF-8."""
    try:
        return normalise(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        diags.error(path, line, f"not valid UTF-8 (byte 0x{data[exc.start]:02x}); save the file as UTF-8")
        return None
