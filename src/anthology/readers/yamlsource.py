"""Safe YAML reading that remembers the line of every key.

Aliases are refused outright (an alias bomb can exhaust memory long before a size limit
would notice) and so are custom tags; every error names its file and line.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..errors import Diagnostics
from ..limits import MAX_YAML_DEPTH
from .chars import NOT_TEXT, not_text

KeyPath = tuple[Any, ...]


@dataclass
class YamlDocument:
    """Parsed YAML data plus the line (1-based) where each key path starts."""

    data: Any
    path: Path
    lines: dict[KeyPath, int] = field(default_factory=dict)
    line_offset: int = 0

    def line(self, keypath: KeyPath) -> int:
        """The line of the nearest key path that was recorded (the document start if none)."""
        keypath = tuple(keypath)
        while keypath:
            if keypath in self.lines:
                return self.lines[keypath]
            keypath = keypath[:-1]
        return self.lines.get((), 1)


# PyYAML's wording of the usual mistakes, with what to do in plain words.
HINTS = {
    "mapping values are not allowed here": " — a value that holds a colon followed by a space must be quoted: "
                                           "title: \"Marx: A Life\"",
    "found character '\\t' that cannot start any token": " — indent with spaces, not tabs",
    "found undefined alias": " — a value starting with * must be quoted",
    "expected alphabetic or numeric character, but found ' '": " — a value starting with * or & must be quoted",
    "found character '`' that cannot start any token": " — a value starting with ` must be quoted",
    "found character '@' that cannot start any token": " — a value starting with @ must be quoted",
}


def _plain(value: Any) -> Any:
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value.isoformat()
    return value


def _walk(node: yaml.Node, keypath: KeyPath, lines: dict[KeyPath, int], offset: int, bad: list) -> Any:
    lines.setdefault(keypath, node.start_mark.line + 1 + offset)
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node.start_mark)
            key = _text(key, key_node, offset, bad)
            lines[keypath + (key,)] = key_node.start_mark.line + 1 + offset
            out[key] = _walk(value_node, keypath + (key,), lines, offset, bad)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_walk(child, keypath + (i,), lines, offset, bad) for i, child in enumerate(node.value)]
    try:
        value = _plain(yaml.SafeLoader("").construct_object(node))
    except ValueError:
        # A scalar that looks like a timestamp but is none (2026-02-30): its text, which the
        # schema then judges with its line (a date key reports the forms it accepts).
        value = node.value
    return _text(value, node, offset, bad) if isinstance(value, str) else value


def _text(value: str, node: yaml.Node, offset: int, bad: list) -> str:
    """A string with what is not text (a control character or noncharacter written as an
    escape, "a\\x01b") noted in `bad` with its line, and replaced so reading can go on."""
    if not NOT_TEXT.search(value):
        return value
    line = node.start_mark.line + 1 + offset
    for char in dict.fromkeys(NOT_TEXT.findall(value)):
        bad.append((line, not_text(char)))
    return NOT_TEXT.sub("\ufffd", value)


_OPEN = (yaml.FlowSequenceStartToken, yaml.FlowMappingStartToken, yaml.BlockSequenceStartToken,
         yaml.BlockMappingStartToken)
_CLOSE = (yaml.FlowSequenceEndToken, yaml.FlowMappingEndToken, yaml.BlockEndToken)


def too_deep(text: str) -> yaml.Mark | None:
    """Where lists and mappings first nest more than MAX_YAML_DEPTH deep, or None: found by
    the scanner alone, which stops there (the parser takes minutes over a deep document
    before failing, and the scanner's own work grows with the depth it has reached)."""
    depth = 0
    try:
        for token in yaml.scan(text, Loader=yaml.SafeLoader):
            if isinstance(token, _OPEN):
                depth += 1
                if depth > MAX_YAML_DEPTH:
                    return token.start_mark
            elif isinstance(token, _CLOSE):
                depth -= 1
    except yaml.YAMLError:
        return None  # the parser reports it, with its line
    return None


def load_yaml(text: str, path: Path, diags: Diagnostics, line_offset: int = 0) -> YamlDocument | None:
    """Parse one YAML document; on failure add a diagnostic and return None."""
    deep = too_deep(text)
    if deep is not None:
        diags.error(path, deep.line + 1 + line_offset,
                    f"invalid YAML: lists or mappings are nested more than {MAX_YAML_DEPTH} deep here")
        return None
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.AliasEvent):
                line = event.start_mark.line + 1 + line_offset
                diags.error(path, line, "YAML aliases (*name) are not allowed in a manuscript")
                return None
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except RecursionError:
        diags.error(path, line_offset + 1, "invalid YAML: lists or mappings are nested too deeply")
        return None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 + line_offset if mark else line_offset + 1
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        context = getattr(exc, "context", None)
        message = f"invalid YAML: {problem}" + (f" ({context})" if context else "") + HINTS.get(problem, "")
        diags.error(path, line, message)
        return None
    if node is None:
        return YamlDocument(None, path, {(): line_offset + 1}, line_offset)
    lines: dict[KeyPath, int] = {}
    bad: list[tuple[int, str]] = []
    try:
        data = _walk(node, (), lines, line_offset, bad)
    except RecursionError:
        diags.error(path, line_offset + 1, "invalid YAML: lists or mappings are nested too deeply")
        return None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 + line_offset if mark else line_offset + 1
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        diags.error(path, line, f"invalid YAML: {problem}")
        return None
    for line, message in bad:
        diags.error(path, line, message)
    return YamlDocument(data, path, lines, line_offset)
