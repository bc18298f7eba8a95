"""Diagnostics and the errors that carry an exit status to the CLI.

Every problem found in a manuscript is a `Diagnostic` naming its file and line; the loader
collects them all before giving up, so an editor sees every mistake in one run.
"""

from __future__ import annotations

import errno
from dataclasses import dataclass, field
from enum import IntEnum
from pathlib import Path


class ExitCode(IntEnum):
    """Documented exit statuses of the `anthology` command."""

    OK = 0
    BAD_MANUSCRIPT = 2  # the manuscript has errors: nothing was written
    OUTPUT_FAILED = 3  # writing or checking an output failed
    MISSING_TOOL = 4  # a system dependency is missing


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One problem, located as `file:line:col`."""

    path: str
    line: int
    level: str  # "error" | "warning"
    message: str
    col: int = 0
    code: str = ""

    def format(self) -> str:
        """`file:line:col: level: message`, the path relative to the working folder when inside it."""
        path = self.path
        try:
            path = str(Path(self.path).resolve().relative_to(Path.cwd()))
        except ValueError:
            pass
        where = f"{path}:{self.line}" if self.line else path
        if self.col:
            where += f":{self.col}"
        return f"{where}: {self.level}: {self.message}"


@dataclass
class Diagnostics:
    """An ordered collection of diagnostics, shared by every stage of a build."""

    items: list[Diagnostic] = field(default_factory=list)

    def error(self, path: Path | str, line: int, message: str, col: int = 0, code: str = "") -> None:
        self.items.append(Diagnostic(str(path), line, "error", message, col, code))

    def warning(self, path: Path | str, line: int, message: str, col: int = 0, code: str = "") -> None:
        self.items.append(Diagnostic(str(path), line, "warning", message, col, code))

    def extend(self, other: "Diagnostics") -> None:
        self.items.extend(other.items)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.items if d.level == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.items if d.level == "warning"]

    def __bool__(self) -> bool:
        return bool(self.items)

    def __iter__(self):
        return iter(self.items)


class AnthologyError(Exception):
    """An error the CLI reports without a traceback, with its exit status."""

    exit_code = ExitCode.BAD_MANUSCRIPT
    written_nothing = True  # nothing was written: said after the diagnostics

    def __init__(self, message: str = "", diagnostics: Diagnostics | None = None):
        super().__init__(message)
        self.diagnostics = diagnostics or Diagnostics()


class ManuscriptError(AnthologyError):
    """The manuscript cannot be loaded; its diagnostics say why."""


class OutputError(AnthologyError):
    """An output could not be written or failed its own check."""

    exit_code = ExitCode.OUTPUT_FAILED


# What to do about the OS errors an output meets, by errno.
OS_ADVICE = {
    errno.ENOSPC: "the disk is full: free some space, or build into another folder with --out",
    errno.EDQUOT: "the disk quota is used up: free some space, or build into another folder with --out",
    errno.EROFS: "the folder is on a read-only file system: build into another folder with --out",
    errno.EACCES: "permission denied: make the folder writable, or build into another folder with --out",
    errno.EPERM: "the operation is not permitted: make the folder writable, or build into another folder with --out",
    errno.EISDIR: "a folder is in the way of a file: move it, or build into another folder with --out",
    errno.ENOTDIR: "a file is in the way of a folder: move it, or build into another folder with --out",
    errno.EIO: "the disk reported an input/output error: check it, or build into another folder with --out",
}


def os_error(exc: OSError) -> OutputError:
    """An OS error met while writing, as an OutputError (exit 3) naming the path and what to do."""
    path = exc.filename2 if exc.filename2 is not None else exc.filename
    reason = exc.strerror or str(exc)
    advice = OS_ADVICE.get(exc.errno, "check the folder and the disk, then build again")
    diags = Diagnostics()
    diags.error(str(path) if path is not None else "(output)", 0, f"{reason}; {advice}")
    error = OutputError("an output could not be written; the previous outputs are left as they were", diags)
    error.written_nothing = False
    return error
