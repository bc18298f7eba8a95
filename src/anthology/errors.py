"""Diagnostics and the errors that carry an exit status to the CLI.

Every problem found in a manuscript is a `Diagnostic` naming its file and line; the loader
collects them all before giving up, so an editor sees every mistake in one run.
"""

from __future__ import annotations

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

    def __init__(self, message: str = "", diagnostics: Diagnostics | None = None):
        super().__init__(message)
        self.diagnostics = diagnostics or Diagnostics()


class ManuscriptError(AnthologyError):
    """The manuscript cannot be loaded; its diagnostics say why."""


class OutputError(AnthologyError):
    """An output could not be written or failed its own check."""

    exit_code = ExitCode.OUTPUT_FAILED
