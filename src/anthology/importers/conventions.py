"""How web articles and documents mark structure in prose, shared by every importer.

Attribution lines ("— Author, Work"), image credits ("… / Image: Credit"), series lines,
sentences that introduce a quotation ("As Alan Woods explains in Marx versus Bakunin:") and
closing calls to action are recognised the same way whatever the source format.
"""

from __future__ import annotations

import re

DASH = r"(?:—|–|―|--|-)"
ATTRIBUTION = re.compile(rf"^\s*{DASH}\s*(?P<rest>\S.*)$")
LOCATOR = re.compile(r",\s*((?:p|pp|ch|chap|chapter|vol|part|section|§)\.?\s*[\dIVXLCivxlc].*)$", re.I)
CREDIT = re.compile(
    r"^(?P<caption>.*?)(?:\s*/\s*|\s+|^)(?P<credit>(?:Image|Images|Photo|Photograph|Photos|Illustration|Credit|Source)\s*:\s*\S.{0,120})$",
    re.S,
)
SERIES = re.compile(r"^(?:An?\s+(?:\w+\s+){0,3}series\b|(?:This\s+is\s+)?Part\s+\w+\s+of\b|The\s+(?:\w+\s+){0,3}series\b)", re.I)
BYLINE = re.compile(r"^By\s+(?P<name>[A-Z][\w.'’-]*(?:\s+(?:[A-Z][\w.'’-]*|de|van|von|da|di|la|le|al|bin)){0,4})\s*$")
FINAL_PUNCTUATION = ".,;:!?…\"”’)]*"

_NAME = r"[A-Z][\w.'’-]*(?:\s+(?:[A-Z][\w.'’-]*|de|van|von|da|di|la|le|al|bin)){0,4}"
_VERB = (r"(?:explains|explained|writes|wrote|puts\s+it|put\s+it|says|said|argues|argued|notes|noted|"
         r"observes|observed|states|stated|remarks|remarked|points\s+out|pointed\s+out|insists|insisted|"
         r"warns|warned|reminds\s+us|reminded\s+us|summarises|summarizes|summed\s+it\s+up|sums\s+it\s+up|"
         r"tells\s+us|told\s+us|asks|asked|describes|described|recalls|recalled|concludes|concluded)")
INTRODUCTION = [
    # As Alan Woods explains in Marx versus Bakunin:
    re.compile(rf"^(?:As\s+)?(?P<author>{_NAME})\s+{_VERB}(?:\s+it)?\s+in\s+(?:(?:his|her|their|the)\s+(?:\w+\s+){{0,3}}?)?(?P<work>[A-Z“\"‘'].*?)\s*(?:,\s*(?:that|this|how)?\s*)?:\s*$"),
    # In Marx versus Bakunin, Alan Woods explains:
    re.compile(rf"^In\s+(?P<work>[A-Z“\"‘'].*?),\s+(?P<author>{_NAME})\s+{_VERB}(?:\s+(?:that|this|how|it))?\s*:\s*$"),
    # As Trotsky put it:
    re.compile(rf"^(?:As\s+)?(?P<author>{_NAME})\s+{_VERB}(?:\s+(?:that|this|how|it))?\s*:\s*$"),
]
PRONOUNS = {"He", "She", "They", "It", "We", "I", "You", "This", "That", "One", "Someone", "Everyone"}
CALL_TO_ACTION = re.compile(
    r"\b(?:join|apply|subscribe|donate|sign\s+up|get\s+involved|support\s+us|become\s+a\s+member|contact\s+us|"
    r"read\s+more|share\s+this|follow\s+us)\b", re.I)


MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
          "november", "december"]
_MONTH = r"(?P<month>" + "|".join(m[:3] + r"(?:" + m[3:] + r"|\.)?" for m in MONTHS) + r")"
DATE_FORMS = [
    re.compile(rf"^{_MONTH}\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<year>\d{{4}})$", re.I),  # May 1, 2024
    re.compile(rf"^(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+{_MONTH},?\s+(?P<year>\d{{4}})$", re.I),  # 1 May 2024
    re.compile(r"^(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})(?:[T ][\d:.+Z-]*)?$"),  # 2024-05-01
]
DATE_LEAD = re.compile(r"^(?:(?:published|posted|updated|dated)(?:\s+on)?\s*:?\s*)", re.I)
HEAD_SEPARATOR = re.compile(r"\s+[|·•—–]\s+|\s*\|\s*")


def date_line(text: str) -> str | None:
    """'May 1, 2024', '1 May 2024', 'Published on 2024-05-01' → '2024-05-01'; None otherwise
    (a day that does not exist included)."""
    import datetime

    text = DATE_LEAD.sub("", " ".join(text.split()).rstrip("."))
    for form in DATE_FORMS:
        m = form.match(text)
        if m:
            month = m.group("month")
            month = int(month) if month.isdigit() else next(k for k, name in enumerate(MONTHS, 1)
                                                           if name.startswith(month.lower().rstrip(".")[:3]))
            try:
                return datetime.date(int(m.group("year")), month, int(m.group("day"))).isoformat()
            except ValueError:
                return None
    return None


def byline_and_date(text: str) -> tuple[str | None, str | None] | None:
    """A head line giving the author, the date or both ("By Jane Doe | May 1, 2024"); None
    when any part of it is something else."""
    author = date = None
    for part in HEAD_SEPARATOR.split(text.strip()):
        by = BYLINE.match(part)
        if by and author is None:
            author = by.group("name")
        elif date is None and date_line(part):
            date = date_line(part)
        else:
            return None
    return (author, date) if author or date else None


def split_attribution(text: str) -> tuple[str | None, str | None, str | None]:
    """'Leon Trotsky, History of the Russian Revolution, p. 12' → (author, work, locator)."""
    text = text.strip()
    locator = None
    m = LOCATOR.search(text)
    if m:
        locator, text = m.group(1).strip(), text[: m.start()]
    author, _, work = text.partition(",")
    return author.strip() or None, work.strip().strip("*_") or None, locator


def attribution_line(line: str) -> str | None:
    """The text after the dash of an attribution line, or None when the line is not one.

    A hyphen counts only when followed by a space, and the rest must look like a name (it
    starts with a capital and is short), so a list item or a dash inside prose is not taken."""
    m = ATTRIBUTION.match(line)
    if not m:
        return None
    rest = m.group("rest").strip()
    if line.lstrip().startswith("-") and not line.lstrip().startswith(("- ", "-- ")):
        return None
    if not rest[:1].isupper() or len(rest) > 160 or rest.endswith((".", "!", "?")) and "," not in rest:
        return None
    return rest


def split_credit(text: str) -> tuple[str, str] | None:
    """'Caption / Image: Credit' → (caption, 'Image: Credit'); None when no credit ends the text."""
    m = CREDIT.match(text.strip())
    if not m:
        return None
    caption, credit = m.group("caption").strip(), m.group("credit").strip()
    separated = "/" in text[len(caption):text.rfind(credit)] if caption else True
    # Without the "/" separator, only a short credit ending a line counts ("… Photo: Jane Doe").
    if not separated and (len(credit) > 60 or credit.rstrip().endswith(".")):
        return None
    return caption, credit


def is_series_line(text: str) -> bool:
    return bool(SERIES.match(text.strip()))


def introduced_quotation(text: str) -> tuple[str | None, str | None, str] | None:
    """A sentence ending with ':' that names who is quoted next, and in what work.

    Returns (author, work, how sure: "work" | "author"); None when the text is not one."""
    text = text.strip()
    if not text.endswith(":") or len(text) > 200:
        return None
    sentence = re.split(r"(?<=[.!?])\s+", text)[-1]
    for pattern in INTRODUCTION:
        m = pattern.match(sentence)
        if m:
            author = m.group("author").strip()
            work = (m.groupdict().get("work") or "").strip().strip("“”\"‘’'") or None
            if author.split()[0] in PRONOUNS:
                return None, work, "pronoun"
            return author, work, "work" if work else "author"
    return None


def has_final_punctuation(text: str) -> bool:
    return text.rstrip().endswith(tuple(FINAL_PUNCTUATION))


def comparable(text: str) -> str:
    """Text reduced for comparison: no-break spaces and runs of space as one space, no case."""
    text = re.sub(r"[*_`\\]", "", text)
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ")).strip().casefold()


def looks_like_call_to_action(lines: list[str]) -> bool:
    joined = " ".join(lines)
    return len(joined) < 300 and bool(CALL_TO_ACTION.search(joined)) and any(l.rstrip().endswith(("?", "!")) for l in lines)
