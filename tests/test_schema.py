"""`anthology schema`: an outside validator (jsonschema) accepts real manuscripts' anthology.yml
against it and rejects the mistakes the loader rejects."""

from __future__ import annotations

import json
import subprocess
import sys

import jsonschema
import pytest
import yaml

from conftest import SAMPLE


def as_json(text: str):
    """YAML as an editor's YAML support sees it against a JSON Schema: a date is a string."""
    return json.loads(json.dumps(yaml.safe_load(text), default=str))


def schema() -> dict:
    proc = subprocess.run([sys.executable, "-m", "anthology", "schema"], capture_output=True, text=True, check=True)
    return json.loads(proc.stdout)


def test_the_sample_and_a_new_manuscript_validate(tmp_path):
    checker = jsonschema.Draft202012Validator(schema())
    checker.check_schema(checker.schema)
    assert list(checker.iter_errors(as_json((SAMPLE / "anthology.yml").read_text()))) == []
    subprocess.run([sys.executable, "-m", "anthology", "new", str(tmp_path / "book")], check=True,
                   capture_output=True)
    config = (tmp_path / "book" / "anthology.yml").read_text()
    assert config.startswith("# yaml-language-server: $schema=anthology.schema.json\n")
    assert json.loads((tmp_path / "book" / "anthology.schema.json").read_text()) == checker.schema
    assert list(checker.iter_errors(as_json(config))) == []


@pytest.mark.parametrize("mistake", [
    {"subtitel": "a misspelt key"},
    {"language": None},
    {"contents": [{"part": "Essays", "pieces": ["a.md"], "extra": 1}]},
    {"contents": [{"generate": "index-of-everything"}]},
    {"editions": {"print": {"profile": "lulu"}}},
])
def test_mistakes_the_loader_refuses_are_flagged(mistake):
    config = {"title": "T", "language": "en", "contents": ["a.md"], **mistake}
    config = {k: v for k, v in config.items() if v is not None}
    assert list(jsonschema.Draft202012Validator(schema()).iter_errors(config))
