"""Add a piece to `anthology.yml` by editing its text, so comments and layout survive.

Loading and dumping the YAML would lose every comment and reorder keys; instead the new entry
is inserted as one line after the last piece of the last part (or after the last top-level
entry when the book has no parts), or of the part named, which is created after the last part
when missing; the result is parsed again to prove it says what it should.
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


def _contents(root: yaml.Node) -> tuple[yaml.Node | None, yaml.Node | None]:
    """(the `contents` key node, its value node), or (None, None) when there is no such key."""
    if isinstance(root, yaml.MappingNode):
        for key, value in root.value:
            if isinstance(key, yaml.ScalarNode) and key.value == "contents":
                return key, value
    return None, None


def _pieces(item: yaml.Node) -> yaml.Node | None:
    if isinstance(item, yaml.MappingNode):
        for k, v in item.value:
            if k.value == "pieces" and isinstance(v, yaml.SequenceNode):
                return v
    return None


def _part_title(item: yaml.Node) -> str | None:
    if isinstance(item, yaml.MappingNode):
        for k, v in item.value:
            if k.value == "part" and isinstance(v, yaml.ScalarNode):
                return v.value.strip()
    return None


def _target(contents: yaml.SequenceNode, part: str | None) -> yaml.SequenceNode | None:
    """The sequence to append to: the named part's pieces (None when there is no such part),
    else the last part's pieces, else contents itself."""
    if part is not None:
        return next((_pieces(item) for item in contents.value if _part_title(item) == part.strip()), None)
    for item in reversed(contents.value):
        if isinstance(item, yaml.MappingNode):
            pieces = _pieces(item)
            return pieces if pieces is not None and pieces.value else contents
    return contents


def _last_leaf(node: yaml.Node) -> yaml.Node:
    """The node that ends a block item: a block mapping or sequence ends only at the next
    token, after any comments that follow it, so look at its last value instead."""
    while isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) and not node.flow_style and node.value:
        node = node.value[-1][1] if isinstance(node, yaml.MappingNode) else node.value[-1]
    return node


def _append(lines: list[str], seq: yaml.SequenceNode, flow: str, block: list[str], after: yaml.Node | None = None) -> str:
    """Add an item to a sequence, as `flow` inside [...] or as the `block` lines (the first one
    after the dash) below `after` (default: its last item), indented like the items; return where."""
    if seq.flow_style or not seq.value:
        # contents: [a.md, b.md] — insert before the closing bracket
        end = seq.end_mark
        row, col = end.line, end.column - 1
        line = lines[row]
        if col < 0 or line[col] != "]":
            raise ContentsError(f"could not find the end of the list at line {row + 1}")
        sep = ", " if seq.value else ""
        lines[row] = line[:col].rstrip() + sep + flow + line[col:]
        return f"line {row + 1}"
    last = after or seq.value[-1]
    first_row = last.start_mark.line
    dash = re.match(r"^(\s*)-(\s+)", lines[first_row])
    if dash is None:
        # the item sits on the line after its dash
        dash = re.match(r"^(\s*)-(\s*)$", lines[first_row - 1])
        prefix = dash.group(1) + "- " if dash else " " * max(last.start_mark.column - 2, 0) + "- "
    else:
        prefix = dash.group(1) + "-" + dash.group(2)
    end = _last_leaf(last).end_mark
    end_row = end.line - (1 if end.column == 0 else 0)
    indent = " " * len(prefix)
    lines[end_row + 1:end_row + 1] = [prefix + block[0]] + [indent + more for more in block[1:]]
    return f"line {end_row + 2}"


def add_to_contents(config: Path, entry: str, part: str | None = None) -> str:
    """Insert `entry` into the contents of the anthology.yml at `config` (into `part` when
    given, creating it if needed); return where it went."""
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
    new_part = [f"part: {yaml_scalar(part)}", "pieces:", f"  - {value}"] if part is not None else None
    key, contents = _contents(root)
    try:
        if key is None:
            if lines and lines[-1] == "":
                lines.pop()
            lines += ["contents:"] + [f"  - {row}" if i == 0 else f"    {row}" for i, row in enumerate(new_part or [value])] + [""]
            where = "a new contents list"
        elif not isinstance(contents, yaml.SequenceNode):
            if not (isinstance(contents, yaml.ScalarNode) and contents.tag.endswith(":null")):
                raise ContentsError("contents is not a list")
            row = key.start_mark.line
            lines[row] = re.sub(r"(contents\s*:)\s*(~|null)?", r"\1", lines[row], count=1)
            lines[row + 1:row + 1] = [f"  - {r}" if i == 0 else f"    {r}" for i, r in enumerate(new_part or [value])]
            where = "contents"
        else:
            seq = _target(contents, part)
            if seq is not None:
                where = _append(lines, seq, value, [value])
            else:
                parts = [item for item in contents.value if isinstance(item, yaml.MappingNode)]
                flow = f"{{part: {yaml_scalar(part)}, pieces: [{value}]}}"
                where = _append(lines, contents, flow, new_part, parts[-1] if parts else None) + f", in a new part '{part}'"
    except ContentsError as exc:
        raise ContentsError(f"{exc}; add '{entry}' by hand") from exc
    new_text = "\n".join(lines)
    after = _contents_data(new_text)
    expected = _expected(before, entry, part)
    if after != expected:
        raise ContentsError(f"editing anthology.yml did not give the expected contents; add '{entry}' by hand")
    with atomic_path(config) as tmp:
        os.chmod(tmp, config.stat().st_mode & 0o777)
        tmp.write_bytes(("\ufeff" if raw.startswith(b"\xef\xbb\xbf") else "").encode() + new_text.replace("\n", newline).encode("utf-8"))
    return where


def _expected(before: list | None, entry: str, part: str | None = None) -> list:
    contents = [dict(v) if isinstance(v, dict) else v for v in (before or [])]
    if part is not None:
        named = next((v for v in contents if isinstance(v, dict) and str(v.get("part", "")).strip() == part.strip()), None)
        if named is not None:
            named["pieces"] = (named.get("pieces") or []) + [entry]
            return contents
        last = max((i for i, v in enumerate(contents) if isinstance(v, dict)), default=len(contents) - 1)
        return contents[:last + 1] + [{"part": part, "pieces": [entry]}] + contents[last + 1:]
    for item in reversed(contents):
        if isinstance(item, dict):
            if isinstance(item.get("pieces"), list) and item["pieces"]:
                item["pieces"] = item["pieces"] + [entry]
                return contents
            break
    return contents + [entry]
