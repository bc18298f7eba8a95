"""What is not text: the characters a manuscript's files and YAML values may not carry."""

from __future__ import annotations

import re

# Code points that are not text: C0 controls but tab and line ends (XML forbids them; YAML
# escapes such as "\x01" make them), Unicode's noncharacters (U+FDD0–U+FDEF and the last two of
# every plane: U+FFFE, U+FFFF, U+1FFFE …; XML forbids U+FFFE and U+FFFF, and no font has a glyph
# for any of them) and lone surrogates (YAML's "\ud800" escape; UTF-8 cannot encode them).
NOT_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufdd0-\ufdef"
                      + "".join(f"{chr(plane << 16 | 0xFFFE)}{chr(plane << 16 | 0xFFFF)}" for plane in range(17)) + "]")


def not_text(char: str) -> str:
    """Why a character NOT_TEXT matches cannot be in a book, for an error message."""
    code = ord(char)
    kind = ("a control character" if code < 0x20 else "half of a surrogate pair" if 0xD800 <= code <= 0xDFFF
            else "a Unicode noncharacter")
    return f"U+{code:04X} is {kind}, not text: remove it"


# A numeric character reference (&#1; &#xFFFF;): HTML makes &#0;, surrogates and code points
# past U+10FFFF U+FFFD, but gives the others as they are, controls and noncharacters included.
REFERENCE = re.compile(r"&#(?:[xX]([0-9a-fA-F]{1,8})|([0-9]{1,10}));")


def referenced_not_text(text: str):
    """(offset, character) of each character reference in `text` to what is not text."""
    for m in REFERENCE.finditer(text):
        code = int(m.group(1), 16) if m.group(1) else int(m.group(2))
        if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF and NOT_TEXT.match(chr(code)):
            yield m.start(), chr(code)
