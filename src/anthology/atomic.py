"""Outputs appear whole or not at all: written beside their target, then renamed over it."""

from __future__ import annotations

import contextlib
import glob
import os
import re
import tempfile
from pathlib import Path


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


def remove_stale_temps(target: Path) -> None:
    """Delete the temporary files of `target` left by builds that were killed."""
    pattern = re.compile(re.escape(f".{target.name}.") + r"(\d+)\.[^.]+\.tmp")
    for leftover in target.parent.glob(glob.escape(f".{target.name}.") + "*.tmp"):
        found = pattern.fullmatch(leftover.name)
        if found and not process_alive(int(found.group(1))):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by someone else
        return True
    return True
