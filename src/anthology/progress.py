"""What a build tells the editor while it runs: nothing, a progress bar, or every stage.

A long book takes minutes to lay out; a bar naming the piece being read, then the stage under
way, shows it is working. `--verbose` prints each stage as a line instead, with WeasyPrint's
own steps and warnings (unknown CSS, unreadable fonts), which are otherwise silent.
"""

from __future__ import annotations

import logging
import re
import time
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

PER_PAGE = re.compile(r" - (Page \d+|Repagination #\d+)( \(up-to-date\))?")
WEASYPRINT = logging.getLogger("weasyprint")  # its steps come from the child "weasyprint.progress"


class Silent:
    """Reports nothing: `--quiet`, and callers that are not a terminal session."""

    def stage(self, message: str) -> None:
        pass

    def piece(self, done: int, total: int, path: Path) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        pass


class Bar(Silent):
    """A transient rich progress bar: the piece being read, then each stage with the time so far."""

    def __init__(self, console: Console):
        self.progress = Progress(TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(),
                                 TimeElapsedColumn(), console=console, transient=True)
        self.task = self.progress.add_task("starting", total=None)

    def stage(self, message: str) -> None:
        self.progress.update(self.task, description=message, total=None, refresh=True)

    def piece(self, done: int, total: int, path: Path) -> None:
        self.progress.update(self.task, description=f"reading {path.name}", total=total, completed=done, refresh=True)

    def __enter__(self):
        self.progress.start()
        return self

    def __exit__(self, *exc) -> None:
        self.progress.stop()


class Log(Silent, logging.Handler):
    """`--verbose`: one line per stage and per piece, with WeasyPrint's steps and warnings."""

    def __init__(self, console: Console):
        logging.Handler.__init__(self, logging.INFO)
        self.console = console
        self.started = time.perf_counter()
        self.level_before = logging.NOTSET
        self.last_step = ""

    def say(self, message: str, style: str = "dim") -> None:
        self.console.print(f"[{style}]{time.perf_counter() - self.started:6.1f} s  {message}[/{style}]",
                           soft_wrap=True, highlight=False)

    def stage(self, message: str) -> None:
        self.say(message)

    def piece(self, done: int, total: int, path: Path) -> None:
        self.say(f"read {path} ({done}/{total})")

    def emit(self, record: logging.LogRecord) -> None:
        message, warning = record.getMessage(), record.levelno >= logging.WARNING
        if not warning:
            message = PER_PAGE.sub("", message)  # a line per page and per pass would bury the stages
            if message == self.last_step:
                return
            self.last_step = message
        self.say(f"WeasyPrint {record.levelname.lower() if warning else 'step'}: {message}",
                 "yellow" if warning else "dim")

    def __enter__(self):
        self.level_before = WEASYPRINT.level
        WEASYPRINT.setLevel(logging.INFO)
        WEASYPRINT.addHandler(self)
        return self

    def __exit__(self, *exc) -> None:
        WEASYPRINT.removeHandler(self)
        WEASYPRINT.setLevel(self.level_before)
