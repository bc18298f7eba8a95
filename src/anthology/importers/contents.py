"""Add a piece to `anthology.yml` by editing its text, so comments and layout survive.

Loading and dumping the YAML would lose every comment and reorder keys; instead the new entry
is inserted as one line after the last piece of the last part (or after the last top-level
entry when the book has no parts), and the result is parsed again to prove it says what it should.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import yaml

from ..atomic import atomic_path
from .markdown import yaml_scalar


class ContentsError(Exception):
    """anthology.yml could not be edited safely; the message says why and what to add by hand."""


def _contents_data(text: str) -> list | None:
    data = yaml.safe_load(text) or {}
    if not isinstance(data, dict):
        raise ContentsError("anthology.yml is not a mapping")
    contents = data.get("contents")
    if contents is not None and not isinstance(contents, list):
        raise ContentsError("contents in anthology.yml is not a list")
    return contents


def _target(root: yaml.MappingNode) -> tuple[yaml.Node | None, yaml.Node | None]:
    """(contents key node, the sequence to append to): the last part's pieces, else contents."""
    for key, value in root.value:
        if isinstance(key, yaml.ScalarNode) and key.value == "contents":
            if isinstance(value, yaml.SequenceNode):
                for item in reversed(value.value):
                    if isinstance(item, yaml.MappingNode):
                        for k, v in item.value:
                            if k.value == "pieces" and isinstance(v, yaml.SequenceNode) and v.value:
                                return key, v
                        break
            return key, value
    return None, None


def add_to_contents(config: Path, entry: str) -> str:
    """Insert `entry` into the contents of the anthology.yml at `config`; return where it went."""
    raw = config.read_bytes()
    text = raw.decode("utf-8-sig")
    newline = "\r\n" if "\r\n" in text else "\n"
    text = text.replace("\r\n", "\n")
    try:
        before = _contents_data(text)
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        raise ContentsError(f"anthology.yml is not valid YAML ({exc}); add '{entry}' to contents by hand") from exc
    if before and any(entry == v or (isinstance(v, dict) and entry in (v.get("pieces") or [])) for v in before):
        return "already listed"
    lines = text.split("\n")
    value = yaml_scalar(entry)
    key, seq = _target(root) if isinstance(root, yaml.MappingNode) else (None, None)
    where: str
    if key is None:
        if lines and lines[-1] == "":
            lines.pop()
        lines += ["contents:", f"  - {value}", ""]
        where = "a new contents list"
    elif not isinstance(seq, yaml.SequenceNode):
        if not (isinstance(seq, yaml.ScalarNode) and seq.tag.endswith(":null")):
            raise ContentsError(f"contents is not a list; add '{entry}' by hand")
        row = key.start_mark.line
        lines[row] = re.sub(r"(contents\s*:)\s*(~|null)?", r"\1", lines[row], count=1)
        lines.insert(row + 1, f"  - {value}")
        where = "contents"
    elif seq.flow_style or not seq.value:
        # contents: [a.md, b.md] — insert before the closing bracket
        end = seq.end_mark
        row, col = end.line, end.column - 1
        line = lines[row]
        if col < 0 or line[col] != "]":
            raise ContentsError(f"could not find the end of the list at line {row + 1}; add '{entry}' by hand")
        sep = ", " if seq.value else ""
        lines[row] = line[:col].rstrip() + sep + value + line[col:]
        where = f"line {row + 1}"
    else:
        last = seq.value[-1]
        first_row = last.start_mark.line
        dash = re.match(r"^(\s*)-(\s+)", lines[first_row])
        if dash is None:
            # the item sits on the line after its dash
            dash = re.match(r"^(\s*)-(\s*)$", lines[first_row - 1])
            prefix = dash.group(1) + "- " if dash else " " * max(last.start_mark.column - 2, 0) + "- "
        else:
            prefix = dash.group(1) + "-" + dash.group(2)
        end_row = last.end_mark.line - (1 if last.end_mark.column == 0 else 0)
        lines.insert(end_row + 1, prefix + value)
        where = f"line {end_row + 2}"
    new_text = "\n".join(lines)
    after = _contents_data(new_text)
    expected = _expected(before, entry)
    if after != expected:
        raise ContentsError(f"editing anthology.yml did not give the expected contents; add '{entry}' by hand")
    with atomic_path(config) as tmp:
        os.chmod(tmp, config.stat().st_mode & 0o777)
        tmp.write_bytes(("\ufeff" if raw.startswith(b"\xef\xbb\xbf") else "").encode() + new_text.replace("\n", newline).encode("utf-8"))
    return where


def _expected(before: list | None, entry: str) -> list:
    contents = [dict(v) if isinstance(v, dict) else v for v in (before or [])]
    for item in reversed(contents):
        if isinstance(item, dict):
            if isinstance(item.get("pieces"), list) and item["pieces"]:
                item["pieces"] = item["pieces"] + [entry]
                return contents
            break
    return contents + [entry]
