"""Words as a fidelity check compares them, and an in-order match that tolerates what a page adds.

Text from the model and text extracted from a written file differ in ways that lose nothing:
ligatures (ﬁ), small capitals and case, presentation forms of Arabic, accents a PDF keeps as
separate marks, a word hyphenated at the end of a line, CJK text broken anywhere. Both sides
are brought to the same tokens: compatibility decomposition, combining marks dropped (this also
makes Indic vowel signs drawn before their consonant compare equal), case folded, runs of
letters and digits as words, each CJK character a word of its own.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

WORD = re.compile(r"[^\W\d_]+|\d+")  # letters and digits apart: a note call prints glued to its word
CJK = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
# A word broken at the end of a line: its hyphen (ASCII, U+2010, soft) and the line break go.
LINE_HYPHEN = re.compile(r"(?<=\w)[-\u2010\u00ad][ \t]*\n[ \t]*(?=\w)")  # not across a page (\f)
# Scripts whose words a PDF's text cannot give back in order: right-to-left words come out of
# the extraction in the order of their lines' runs, and Brahmic glyphs (reordered vowel signs,
# conjuncts, reph) each carry one text in a font's ToUnicode map, the text of their first use.
RTL = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]")
ARABIC = re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufefc]")
BRAHMIC = re.compile("[\u0900-\u0dff\u0f00-\u109f\u1780-\u17ff\u1900-\u1aaf\u1b00-\u1c4f\ua800-\ua8ff"
                     "\ua980-\uaadf\U00011000-\U000111ff]")
WINDOW = 4000  # tokens a page may put between two words of the text: notes, running heads, folios
NEAR = 60  # tokens within which a word is taken without asking whether the next ones follow
PAGE = 800  # tokens a page holds at most, its notes included
PAGE_TURN = PAGE  # tokens between the halves of a word hyphenated across a page: its notes, folio, head
BEHIND = 40  # tokens a PDF's text may put a word before its neighbours: a table's cells, a line's runs


class _Dropped(dict):
    """A translation table, filled as characters are met, that removes those carrying no word
    of their own: combining marks, format characters (soft hyphen, joiners, directional marks)
    and the Arabic tatweel."""

    def __missing__(self, code: int) -> int | None:
        kind = unicodedata.category(chr(code))
        self[code] = None if kind[0] == "M" or kind == "Cf" or code == 0x0640 else code
        return self[code]


DROPPED = _Dropped()


def normalise(text: str) -> str:
    return unicodedata.normalize("NFKD", text).translate(DROPPED).casefold()


def tokens(text: str) -> list[str]:
    """The words of extracted text, with words hyphenated across lines joined again."""
    text = LINE_HYPHEN.sub("", normalise(text))
    return WORD.findall(CJK.sub(r" \g<0> ", text))


@dataclass
class Words:
    """The words of a text in the model, each with the written word it came from (to name it)."""

    tokens: list[str]
    shown: list[str]

    @classmethod
    def of(cls, text: str) -> "Words":
        out, shown = [], []
        for chunk in CJK.sub(r" \g<0> ", text).split():
            found = WORD.findall(normalise(chunk))
            out += found
            shown += [chunk] * len(found)
        return cls(out, shown)

    def __add__(self, other: "Words") -> "Words":
        return Words(self.tokens + other.tokens, self.shown + other.shown)

    def __len__(self) -> int:
        return len(self.tokens)


def present(expected: list[str], found: list[str]) -> list[int]:
    """The indices of expected words found nowhere in `found`, alone or as two split halves."""
    have = set(found) | {a + b for a, b in zip(found, found[1:])}
    return [i for i, word in enumerate(expected) if word not in have]


def _joined(expected: list[str], i: int, found: list[str], j: int) -> tuple[int, int] | None:
    """Where a match at (i, j) ends when the two sides split a word differently (a hyphenated
    compound joined at a line end, CJK or Thai broken at one): a few tokens either side whose
    concatenations are equal. A word hyphenated at the foot of a page ends after the page's
    footnotes and the next one's folio and running head."""
    a, b, ii, jj = expected[i], found[j], i + 1, j + 1
    for _ in range(6):
        if a == b:
            return ii, jj
        if len(a) < len(b) and b.startswith(a) and ii < len(expected):
            a += expected[ii]
            ii += 1
        elif len(b) < len(a) and a.startswith(b) and jj < len(found):
            rest = a[len(b):]
            if not rest.startswith(found[jj]):
                later = next((k for k in range(jj + 1, min(len(found), jj + PAGE_TURN)) if found[k] == rest), None)
                return None if later is None else (ii, later + 1)
            b += found[jj]
            jj += 1
        else:
            return None
    return None


@dataclass
class Match:
    start: int  # where the first matched word is in the found tokens
    end: int  # just after the last
    missing: list[int]  # indices of expected tokens not found in order


def match(expected: list[str], found: list[str], start: int = 0, window: int = WINDOW) -> Match:
    """Find the expected tokens in order in `found` from `start`, each within `window` tokens of
    the last one found (what lies between is the page's: running heads, folios, notes). A word
    found further than a line away counts only if the next words follow it there. A word not
    found, nor just behind (text extraction may order a table's cells or a line's runs
    otherwise), is missing, and the search goes on from where it was."""
    i, j, first, missing = 0, start, None, []
    n = len(found)
    while i < len(expected):
        word, hit = expected[i], None
        for p in range(j, min(n, j + window)):
            t = found[p]
            if t == word:
                hit = (i + 1, p + 1)
            elif t[0] == word[0] and (t.startswith(word) or word.startswith(t)):
                hit = _joined(expected, i, found, p)
            if hit and (p - j < NEAR or _followed(expected, hit, found, j)) \
                    and (hit[1] - p < NEAR or _followed(expected, hit, found, p)):  # a word's halves a page apart
                break
            hit = None
        if hit is None:
            if word not in found[max(start, j - BEHIND):j]:
                missing.append(i)
            i += 1
            continue
        if first is None:
            first = hit[1] - 1
        i, j = hit
    return Match(start if first is None else first, j, missing)


def _followed(expected: list[str], at: tuple[int, int], found: list[str], since: int, count: int = 3) -> bool:
    """Whether the next words of the text come right after a match far from the last word found
    (at `since`); the last words of a text, with none after them, are taken no further than a
    page on."""
    i, j = at
    following = expected[i:i + count]
    if not following:
        return j - since < PAGE
    return all(w in found[j:j + NEAR] for w in following)


def anchor(expected: list[str], found: list[str], start: int, size: int = 10, rivals: int = 4) -> int | None:
    """Where a text starts in `found` from `start`: the first place its opening words (or, if
    some of those are lost, a later run of them) are found together, nothing of the page
    between them. What the text shares with a contents page or a running head is not enough.
    A run may also stand further on, quoted (an index of quotations prints an epigraph's
    opening after its piece's title), so once one run is found, the next `rivals` runs are
    looked for before it and the earliest place wins."""
    best, seen, tried = None, None, 0  # where the text starts; where the run that says so was found
    for offset in range(0, max(1, len(expected)), size):
        run = expected[offset:offset + size]
        if not run or (best is not None and tried >= rivals):
            break
        tried += best is not None
        p = start
        while True:
            try:
                p = found.index(run[0], p, len(found) if seen is None else seen)  # a rival: found before
            except ValueError:
                break
            if not match(run, found, p, window=3).missing:
                best, seen = max(start, p - 3 * offset), p
                break
            p += 1
    return best
