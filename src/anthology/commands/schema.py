"""`anthology schema`: the JSON Schema of `anthology.yml`, from the typed config, so that an
editor's YAML support (yaml-language-server, in VS Code, Neovim, Helix …) completes keys and
flags mistakes as the editor types, with the same descriptions the loader's errors use."""

from __future__ import annotations

from ..config import Config
from ..readers.manuscript import GENERATED

SCHEMA_NAME = "anthology.schema.json"
MODELINE = f"# yaml-language-server: $schema={SCHEMA_NAME}\n"

PIECE = {"type": "string", "pattern": r"\.md$", "description": "a piece: a Markdown file, relative to the manuscript"}
CONTENTS_ITEM = {
    "anyOf": [
        PIECE,
        {"type": "object", "description": "a part: its title and its pieces in order",
         "properties": {"part": {"type": "string", "minLength": 1}, "pieces": {"type": "array", "items": PIECE}},
         "required": ["part", "pieces"], "additionalProperties": False},
        {"type": "object", "description": "back matter generated from the book",
         "properties": {"generate": {"enum": sorted(GENERATED)}, "title": {"type": "string"}},
         "required": ["generate"], "additionalProperties": False},
    ]
}


def schema() -> dict:
    """The schema of `anthology.yml` (JSON Schema 2020-12)."""
    result = {"$schema": "https://json-schema.org/draft/2020-12/schema",
              **Config.model_json_schema(), "title": "anthology.yml"}
    result["properties"]["contents"] = {"type": "array", "items": CONTENTS_ITEM, "minItems": 1,
                                        "description": "every piece, in reading order: front matter, parts, "
                                                       "back matter"}
    return result
