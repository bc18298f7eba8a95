"""The README's tutorial, run as it is written: every command of its shell blocks, in order."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO


def tutorial_script() -> str:
    """The shell blocks of the README's section "Ten minutes from `anthology new` to a printed proof"."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Ten minutes from `anthology new` to a printed proof", 1)[1].split("\n## ", 1)[0]
    return "\n".join(re.findall(r"```sh\n(.*?)```", section, re.S))


def test_the_tutorial_has_the_commands_it_promises():
    script = tutorial_script()
    commands = [line.split()[1] for line in script.splitlines() if line.startswith("anthology ")]
    assert commands == ["new", "import", "check", "check", "check", "check", "build", "stats", "build", "cover"]


@pytest.mark.slow
def test_the_tutorial_runs_from_new_to_a_printed_proof(tmp_path):
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}", "COLUMNS": "120"}
    run = subprocess.run(["bash", "-e", "-c", tutorial_script()], cwd=tmp_path, env=env, capture_output=True,
                         text=True, timeout=900)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Traceback" not in run.stdout + run.stderr
    book = tmp_path / "my-anthology"
    essay = (book / "essays" / "why-i-organise.md").read_text(encoding="utf-8")
    assert 'we kept “the meeting” going — for hours…[^1]' in essay and "[^1]: Every Thursday" in essay
    assert "essays/why-i-organise.md:7:38: warning: straight quote" in run.stdout
    assert "4 fixes in 1 file made, 0 errors, 0 warnings" in run.stdout
    for name in ("a-new-anthology.pdf", "a-new-anthology-screen.pdf", "a-new-anthology.epub",
                 "a-new-anthology-cover.pdf"):
        assert (book / "build" / name).stat().st_size > 1000, name
