"""A missing image file is an error naming it from the manuscript; a --draft build shows a placeholder."""

from __future__ import annotations

import json
import zipfile

from click.testing import CliRunner

from anthology.cli import main
from anthology.placeholder import DATA_URL

FILES = {
    "anthology.yml": "title: Missing\nlanguage: en\nidentifier: urn:uuid:7d1f6c3e-0000-4000-8000-000000000003\ncontents: [essays/a.md]\n",
    "essays/a.md": "---\ntitle: A\n---\n\nText.\n\n![A caption / Image: Someone](../images/gone.jpg \"A view\")\n\nMore.\n",
}


def test_check_names_the_missing_file_from_the_manuscript_and_fails(make_manuscript):
    root = make_manuscript(FILES)
    result = CliRunner().invoke(main, ["check", str(root), "--format", "json"])
    assert result.exit_code == 2
    assert json.loads(result.stdout) == [{
        "path": "essays/a.md", "line": 7, "col": 0, "level": "error",
        "message": "image '../images/gone.jpg' not found: there is no images/gone.jpg in the manuscript"}]


def test_a_build_stops_at_a_missing_image_and_a_draft_shows_a_placeholder(make_manuscript, tmp_path):
    root = make_manuscript(FILES)
    out = tmp_path / "out"
    refused = CliRunner().invoke(main, ["build", str(root), "--out", str(out), "--format", "epub", "-q"])
    assert refused.exit_code == 2 and "essays/a.md:7: error: image '../images/gone.jpg' not found" in refused.output
    assert not (out / "missing.epub").exists()
    draft = CliRunner().invoke(main, ["build", str(root), "--out", str(out), "--format", "epub", "--draft"])
    assert draft.exit_code == 0, draft.output
    assert "essays/a.md:7: warning: image '../images/gone.jpg' not found" in draft.output
    with zipfile.ZipFile(out / "missing.epub") as epub:
        piece = next(epub.read(n).decode() for n in epub.namelist() if n.endswith("a.xhtml"))
        assert f'alt="A view" src="{DATA_URL}' in piece
        assert not [n for n in epub.namelist() if "gone" in n]
    # a release build of the same manuscript is not "up to date" with the draft
    again = CliRunner().invoke(main, ["build", str(root), "--out", str(out), "--format", "epub", "-q"])
    assert again.exit_code == 2
