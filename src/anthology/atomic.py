"""Outputs appear whole or not at all: written beside their target, then renamed over it."""

from __future__ import annotations

import contextlib
import fcntl
import glob
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Callable


@contextlib.contextmanager
def atomic_path(target: Path):
    """Yield a temporary path in the target's folder; rename it over the target on success.

    A build killed midway leaves at most a `.name.<pid>.*.tmp` file, never a truncated
    output, and the previous output stays usable until the new one is complete. The next
    build removes such leftovers once the process that wrote them is gone.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(target)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.{os.getpid()}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # as an ordinary new file, not mkstemp's owner-only mode
    try:
        yield Path(tmp)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except OSError as exc:
        if exc.filename in (None, tmp) and exc.filename2 is None:  # a write that failed: name the output
            exc.filename = str(target)
        raise
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


@contextlib.contextmanager
def atomic_dir(target: Path):
    """Yield a temporary folder beside `target`; on success, put it in the target's place.

    A folder cannot be renamed over a full one, so the previous folder is first renamed aside
    (a `.name.<pid>.old.tmp` that the next build removes if this one is killed just then), the
    new one renamed into place, and the old one removed: readers see one whole site or the other.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(target)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.{os.getpid()}.", suffix=".tmp", dir=target.parent))
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o777 & ~umask)  # as an ordinary new folder, not mkdtemp's owner-only mode
    try:
        yield tmp
        old = target.parent / f".{target.name}.{os.getpid()}.old.tmp"
        _remove(old)
        if target.is_dir() and not target.is_symlink():
            os.rename(target, old)
        os.replace(tmp, target)
        _remove(old)
    except OSError as exc:
        if exc.filename is None or str(exc.filename).startswith(str(tmp)):
            exc.filename = str(target)
        raise
    finally:
        _remove(tmp)


def _remove(path: Path) -> None:
    """Remove a leftover file or folder, if it is there."""
    with contextlib.suppress(FileNotFoundError):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()


def remove_stale_temps(target: Path) -> None:
    """Delete the temporary files (or folders) of `target` left by builds that were killed."""
    pattern = re.compile(re.escape(f".{target.name}.") + r"(\d+)\.[^.]+\.tmp")
    for leftover in target.parent.glob(glob.escape(f".{target.name}.") + "*.tmp"):
        found = pattern.fullmatch(leftover.name)
        if found and not process_alive(int(found.group(1))):
            _remove(leftover)


TEMP = re.compile(r"\..+\.(\d+)\.[^.]+\.tmp")  # as atomic_path names them


def sweep_temps(out_dir: Path) -> list[Path]:
    """Delete every temporary file that builds killed midway left in `out_dir` and in its
    cache (`.cache/`, every folder in it): those of processes that are gone. The paths removed."""
    out_dir = Path(out_dir)
    found = list(out_dir.glob(".*.tmp"))
    if (out_dir / ".cache").is_dir():
        found += (out_dir / ".cache").rglob(".*.tmp")
    removed = []
    for leftover in found:
        match = TEMP.fullmatch(leftover.name)
        if match and int(match.group(1)) != os.getpid() and not process_alive(int(match.group(1))):
            _remove(leftover)
            removed.append(leftover)
    return removed


LOCK = ".cache/lock"
_held: dict[str, int] = {}  # output folders this process holds, and how many times


@contextlib.contextmanager
def output_lock(out_dir: Path, waiting: Callable[[Path], None] | None = None):
    """Hold the output folder for one build at a time (an flock on `OUT/.cache/lock`, let
    go when the build ends, however it ends): a second build into the same folder waits
    for the first, after `waiting(lock path)` is called, so the two never mix their
    outputs. Once it holds the folder, a build removes what killed builds left there.
    Held again by the same process, it does not wait for itself."""
    path = Path(out_dir) / LOCK
    path.parent.mkdir(parents=True, exist_ok=True)
    key = os.path.realpath(path)
    if key in _held:
        _held[key] += 1
        try:
            yield
        finally:
            _held[key] -= 1
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if waiting is not None:
                waiting(path)
            fcntl.flock(fd, fcntl.LOCK_EX)
        _held[key] = 1
        try:
            sweep_temps(out_dir)
            yield
        finally:
            del _held[key]
    finally:
        os.close(fd)  # lets the lock go


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by someone else
        return True
    return True
