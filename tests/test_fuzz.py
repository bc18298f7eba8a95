"""Any text builds: generated manuscripts end in outputs or in clear diagnostics, never in a
traceback, and every EPUB written passes EPUBCheck; hostile ones leak nothing.

`make test-all` runs a small sample and EPUBChecks a few of its EPUBs; `make fuzz`
(HYPOTHESIS_PROFILE=fuzz) runs at least 500 cases and EPUBChecks every EPUB.
"""

from __future__ import annotations

import json
import os
import shutil
import textwrap
import zipfile

import pytest
from hypothesis import example, given, strategies as st

from anthology.commands.build import build
from anthology.errors import AnthologyError, ManuscriptError
from anthology.theme import TEMPLATES_DIR

from conftest import epubcheck_many, write_manuscript

FUZZ = os.environ.get("HYPOTHESIS_PROFILE") == "fuzz"

SAMPLES = [
    "“nested ‘quotes’ here”", "“unbalanced ‘quote", "\"straight 'mixed\" quotes'", "« guillemets » ‹ › „low“",
    "中文字符和标点，。", "日本語のテキスト「引用」", "한국어 문장", "עברית עם ניקוד שָׁלוֹם", "العربية مع تشكيل مُحَمَّد",
    "e\u0301\u0302\u0303 combining", "Z\u0351\u0367\u0311\u0313a\u0364\u0361lgo", "👩‍👩‍👧‍👦 🇫🇷 🏳️‍🌈 emoji",
    "x" * 400, "https://example.org/" + "very-long-path/" * 30, "<https://example.org/a?b=c&d=e>",
    "\ufeff", "\r\n", "\t tabs\t", "\x00", "\x0b\x0c", "\u2028\u2029", "\u200b\u200d\u00a0", "\u202e reversed \u202c",
    "*unclosed emphasis", "**bold** _under_", "`code`", "[^1]", "[^nope]", "[link](https://example.org)",
    "&amp; &#0; &#xD800; &bogus;", "<b>raw</b>", "<span dir='rtl'>x</span>", "--", "— Author, *Work*, p. 1",
    # control characters, removed (noncharacters, refused at their line, come as blocks below)
    "\x01\x07\x1b\x7f", "\x85 next line \x9f", "1\u20e3 #\u20e3 keycaps", "\ue000 private use",
    "\U000e0041 tag", "\ufff9annotated\ufffb", "\ufffd",
]
NOT_TEXT = ["\ufdd0\ufdef", "\ufffe\uffff", "\U0001fffe\U0010ffff", "&#xFFFF;", "&#1;"]
word = st.one_of(st.sampled_from(SAMPLES), st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30))
line = st.lists(word, max_size=8).map(" ".join)


@st.composite
def table(draw):
    cols = draw(st.integers(1, 14))  # past 12: refused at its line
    rows = draw(st.integers(0, 60 if FUZZ else 25))
    cell = st.text(st.sampled_from("ab 中ع😀|-:\\"), max_size=8)
    out = ["| " + " | ".join(f"H{i}" for i in range(cols)) + " |", "|" + "---|" * cols]
    out += ["| " + " | ".join(draw(cell) for _ in range(cols)) + " |" for _ in range(rows)]
    return "\n".join(out)


@st.composite
def quotation(draw):
    depth = draw(st.integers(1, 4))
    body = [">" * draw(st.integers(1, depth)) + " " + draw(line) + draw(st.sampled_from(["", "[^1]", "[^2]"]))
            for _ in range(draw(st.integers(1, 4)))]
    if draw(st.booleans()):
        body += [">", "> — " + draw(line)]
    return "\n".join(body)


@st.composite
def deep(draw):
    """Nesting up to a little past the limits: quotes, lists, brackets, HTML, divs."""
    depth = draw(st.integers(1, 40))
    return draw(st.sampled_from([
        ">" * depth + " deep", "".join("  " * i + "- item\n" for i in range(depth)),
        "[" * depth + "x" + "](https://example.org)" * depth, "<span>" * depth + "x" + "</span>" * depth,
        "::: a\n" * depth + "x\n" + ":::\n" * depth, "(" * depth + "x" + ")" * depth,
    ]))


# What is refused by design (nesting past the limits, noncharacters) comes one block in eight,
# so that most generated books still build and their EPUBs are checked.
refused_by_design = st.one_of(deep(), st.builds(lambda t, bad: f"{t} {bad} {t}", line, st.sampled_from(NOT_TEXT)))
block = st.one_of(
    line, quotation(), table(), st.integers(0, 7).flatmap(lambda n: refused_by_design if n == 0 else line),
    st.builds(lambda t: f"Text[^in]\n\n[^in]: calls[^out] {t}\n\n[^out]: inner {t}", line),
    st.builds(lambda t: f"# {t}", line), st.builds(lambda t: f"## {t}", line),
    st.builds(lambda a, b: f"[^1]: {a}\n\n[^2]: > {b}", line, line),
    st.builds(lambda t: f"::: verse\n{t}\n  {t}\n:::", line), st.builds(lambda t: f"::: pullquote\n{t}", line),
    st.builds(lambda items: "\n".join(f"- {i}" for i in items), st.lists(line, max_size=5)),
    st.just("* * *"), st.just(""),
)
piece_body = st.lists(block, max_size=10).map("\n\n".join)
title = st.text(st.characters(codec="utf-8", categories=("L", "M", "N", "P", "S", "Zs")), min_size=1, max_size=40)
# through YAML escapes ("\u0001"), which the file reader's clean-up does not see: the book's title, now and then
escaped_title = st.text(st.characters(codec="utf-8", categories=("L", "Cc", "Co", "Cf", "Cn"),
                                      exclude_characters="\n\r"), min_size=1, max_size=20)
line_end = st.sampled_from(["\n", "\r\n", "\r"])


@st.composite
def manuscript(draw):
    count = draw(st.integers(1, 3))
    files = {"anthology.yml": textwrap.dedent(f"""\
        title: {json.dumps(draw(escaped_title if draw(st.integers(0, 9)) == 0 else title), ensure_ascii=False)}
        language: {draw(st.sampled_from(["en", "fr", "de", "ar", "he", "zh", "ja"]))}
        contents: [{", ".join(f"p{i}.md" for i in range(count))}]
        """)}
    for i in range(count):
        head = f"---\ntitle: {json.dumps(draw(title), ensure_ascii=False)}\nauthor: {json.dumps(draw(title), ensure_ascii=False)}\n---\n\n"
        text = (draw(st.sampled_from(["", "\ufeff"])) + head + draw(piece_body)).replace("\n", draw(line_end))
        files[f"p{i}.md"] = text.encode("utf-8")
    return files


@pytest.mark.slow
def test_any_text_builds(tmp_path_factory):
    kept = tmp_path_factory.mktemp("epubs")
    epubs, outcomes = [], {"built": 0, "refused": 0}

    @given(manuscript())
    @example({"anthology.yml": "title: T\nlanguage: en\ncontents: [p0.md]\n",  # nh3 wrote &nbsp; in titles
              "p0.md": "---\ntitle: \"0\u00a00\"\n---\n".encode()})
    @example({"anthology.yml": "title: T\nlanguage: en\ncontents: [p0.md]\n",  # a note calling a note, and a
              # lone space before a zero-width character crashed WeasyPrint's footnote layout
              "p0.md": "---\ntitle: A\n---\n\nText [^1] [^2]\n\n[^1]: note \n\u200b\n\n[^2]: > see [^1]\n".encode()})
    @example({"anthology.yml": "title: T\nlanguage: en\ncontents: [p0.md, p1.md]\n",  # titles read as
              "p0.md": b"---\ntitle: '# Heading'\nauthor: '- item'\n---\n",  # blocks broke the nav;
              "p1.md": b"---\ntitle: x\nauthor: '\xc2\xa0'\n---\n"})  # a blank author, the OPF
    def build_one(files):
        case = kept / f"case{len(epubs) + outcomes['refused']}"
        root = write_manuscript(case / "ms", files)
        try:
            result = build(root, case / "out", ("epub",))
        except ManuscriptError as exc:
            errors = exc.diagnostics.errors
            assert errors and all(d.path and d.message for d in errors)
            outcomes["refused"] += 1
            shutil.rmtree(case)
            return
        outcomes["built"] += 1
        epubs.append(result.outputs["epub"])

    build_one()
    assert outcomes["built"] > outcomes["refused"], outcomes
    checked = epubs if FUZZ else epubs[:: max(1, len(epubs) // 3)][:3]
    counts, messages = epubcheck_many(checked)
    assert len(counts) == len(checked), messages
    failed = {str(p): n for p, n in counts.items() if n}
    assert not failed, f"{failed}\n{messages}"
    print(f"fuzz: {outcomes['built']} built, {outcomes['refused']} refused with diagnostics, {len(checked)} EPUBs checked")


HUGE = [
    lambda n: "word " * (n * 100_000) + "\n",  # one paragraph, up to 2.5 MB and past the 2 MB limit
    lambda n: " ".join(f"w[^{i}]" for i in range(n * 50)) + "\n\n" + "".join(f"[^{i}]: n\n\n" for i in range(n * 50)),
    lambda n: "".join(f"Para[^{i}].\n\n" for i in range(n * 50)) + "".join(f"[^{i}]: n\n\n" for i in range(n * 50)),
    lambda n: "| " + " | ".join("h" for _ in range(n * 10)) + " |\n|" + "---|" * (n * 10) + "\n",
    lambda n: ">" * (n * 400) + " x\n",
    lambda n: "[" * (n * 400) + "x" + "](u)" * (n * 400) + "\n",
    lambda n: "<b>" * (n * 400) + "x" + "</b>" * (n * 400) + "\n",
    lambda n: "".join("    " * i + "- x\n" for i in range(n * 10)),
]
HUGE_YAML = [
    lambda n: "x: " + "[" * (n * 4000) + "]" * (n * 4000) + "\n",
    lambda n: "x: " + "{a: " * (n * 400) + "1" + "}" * (n * 400) + "\n",
    lambda n: "".join(" " * i + "- \n" for i in range(n * 10)),
    lambda n: "description: '" + "x" * (n * 100_000) + "'\n",
]


def test_huge_and_deep_inputs_end_in_diagnostics_in_time(tmp_path_factory):
    """Huge and deep pieces and configurations are read, or refused at their file and line,
    in seconds: limits are checked before parsing (the builds above cover what loads)."""
    import time

    from anthology.readers.manuscript import load

    kept = tmp_path_factory.mktemp("huge")
    outcomes = {"loaded": 0, "refused": 0}

    @given(st.sampled_from(range(len(HUGE) + len(HUGE_YAML))), st.integers(1, 25))
    def read_one(kind, n):
        config = "title: T\nlanguage: en\ncontents: [p.md]\n"
        body = "Text.\n"
        if kind < len(HUGE):
            body = HUGE[kind](n)
        else:
            config += "x:\n" + HUGE_YAML[kind - len(HUGE)](n) if kind == len(HUGE) + 2 else HUGE_YAML[kind - len(HUGE)](n)
        case = kept / f"case{sum(outcomes.values())}"
        root = write_manuscript(case, {"anthology.yml": config, "p.md": "---\ntitle: P\n---\n\n" + body})
        started = time.monotonic()
        try:
            load(root)
            outcomes["loaded"] += 1
        except ManuscriptError as exc:
            errors = exc.diagnostics.errors
            assert errors and all(d.path and d.line > 0 and d.message for d in errors), errors
            outcomes["refused"] += 1
        assert time.monotonic() - started < 30
        shutil.rmtree(case)

    read_one()
    assert outcomes["refused"] and outcomes["loaded"], outcomes


# --- hostile manuscripts: attacks mixed with ordinary text, a secret outside the manuscript ---

SECRET_TOKEN = "FUZZ-SECRET-5c1e"
ATTACK_LINES = [  # SECRET is the absolute path of the secret file, beside the manuscript
    "![up](../secret.txt)", "![abs](SECRET)", "![url](file://SECRET)", "![web](https://example.org/x.png)",
    "![link](images/link.png)", "![svg](images/xxe.svg)", "![ext](images/external.svg)",
    "[out](../secret.txt) [abs](file://SECRET)", "<img src='file://SECRET' onerror='alert(1)'>",
    "<iframe src='file://SECRET'></iframe>", "<object data='../secret.txt'></object>",
    "<link rel='stylesheet' href='../secret.txt'>", "<style>@import url(file://SECRET);</style>",
    "<svg><image href='file://SECRET'/></svg>", "<a href='javascript:alert(1)'>js</a>",
    "{% include 'SECRET' %}", "{{ book.root.parent.joinpath('secret.txt').read_text() }}",
]
TEMPLATE_ATTACKS = [
    "{{ book.root.parent.joinpath('secret.txt').read_text() }}",
    "{{ book.config_path.parent.parent.joinpath('planted.txt').write_text('planted') }}",
    "{% include '../../secret.txt' %}", "{% include 'SECRET' %}", "{% import 'SECRET' as s %}",
    "{{ cycler.__init__.__globals__.os.popen('cat SECRET').read() }}",
    "{{ lipsum.__globals__['os'].popen('touch ../planted').read() }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}", "{{ self._TemplateReference__context }}",
    "{{ book.stylesheets[0].read_text() }}", "{% for p in book.pieces %}{{ p.source_path.read_text() }}{% endfor %}",
    "{{ '{0.root.parent}'.format(book) }}",
]
STYLE_ATTACKS = ["@import url(file://SECRET);", "@import '../../secret.txt';",
                 "p { background: url('../../secret.txt') }", "@font-face { font-family: E; src: url(SECRET) }",
                 "p { color: #222 }"]
EPUB_TEMPLATES = ["epub_content.j2", "document.xhtml.j2", "nav.xhtml.j2", "_macros.j2"]
LINKS = {"images/link.png": "secret", "styles/leak.css": "secret", "leak.md": "secret",
         "templates/nav.xhtml.j2": "secret", "images": "outside-folder"}


@st.composite
def hostile_manuscript(draw):
    """A manuscript (files, symlinks) whose pieces, styles and templates try to read the secret."""
    pieces = draw(st.integers(1, 2))
    body = lambda: "\n\n".join(draw(st.lists(st.one_of(line, st.sampled_from(ATTACK_LINES)), min_size=1, max_size=8)))
    files = {f"p{i}.md": f"---\ntitle: P{i}\nauthor: Mallory\n---\n\n{body()}\n" for i in range(pieces)}
    contents = [f"p{i}.md" for i in range(pieces)]
    links = draw(st.lists(st.sampled_from(sorted(LINKS)), unique=True, max_size=2))
    if "leak.md" in links:
        contents.append("leak.md")
    files["anthology.yml"] = f"title: Hostile\nlanguage: en\ncontents: [{', '.join(contents)}]\n"
    if draw(st.booleans()):
        files["styles/base.css"] = "\n".join(draw(st.lists(st.sampled_from(STYLE_ATTACKS), min_size=1, max_size=3)))
    if draw(st.booleans()):
        name = draw(st.sampled_from(EPUB_TEMPLATES))
        stock = (TEMPLATES_DIR / name).read_text().splitlines(keepends=True)
        at = draw(st.integers(0, len(stock)))
        files[f"templates/{name}"] = "".join(stock[:at] + [draw(st.sampled_from(TEMPLATE_ATTACKS)) + "\n"] + stock[at:])
    if "images" not in links and draw(st.booleans()):
        files["images/xxe.svg"] = ('<?xml version="1.0"?>\n<!DOCTYPE svg [<!ENTITY x SYSTEM "file://SECRET">]>\n'
                                   '<svg xmlns="http://www.w3.org/2000/svg" width="90" height="9"><text>&x;</text></svg>')
        files["images/external.svg"] = ('<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'
                                        ' width="9" height="9"><image xlink:href="file://SECRET" width="9" height="9"/></svg>')
    return files, links


def _tree(folder) -> dict[str, bytes]:
    """Every file under folder (symlinks not followed) with its bytes: what a build may not change."""
    return {str(p.relative_to(folder)): (p.read_bytes() if not p.is_symlink() else os.readlink(p).encode())
            for p in folder.rglob("*") if p.is_symlink() or p.is_file()}


@pytest.mark.slow
def test_hostile_manuscripts_leak_nothing(tmp_path_factory):
    """Attacks through pieces, styles, templates and symlinks: the secret's token reaches no output,
    no cache file and no message; nothing outside the output folder is created or changed; every
    refusal has its file and message; every EPUB built passes EPUBCheck."""
    kept = tmp_path_factory.mktemp("hostile")
    epubs, outcomes = [], {"built": 0, "refused": 0}

    @given(hostile_manuscript())
    def build_one(drawn):
        files, links = drawn
        case = kept / f"case{sum(outcomes.values())}"
        (case / "outside").mkdir(parents=True)
        secret = case / "secret.txt"
        secret.write_text(f"{SECRET_TOKEN}\n")
        (case / "outside" / "x.png").write_text(SECRET_TOKEN)
        files = {k: (v.replace("SECRET", str(secret)) if isinstance(v, str) else v) for k, v in files.items()}
        root = write_manuscript(case / "ms", files)
        for name in links:
            target = case / "outside" if LINKS[name] == "outside-folder" else secret
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            if not (root / name).exists():
                os.symlink(target, root / name)
        out = case / "out"
        before = {k: v for k, v in _tree(case).items() if not k.startswith("out/")}
        try:
            result = build(root, out, ("epub",))
        except AnthologyError as exc:
            assert exc.diagnostics.errors or str(exc), exc
            assert all(d.path and d.message for d in exc.diagnostics.errors)
            text = str(exc) + "".join(d.message for d in exc.diagnostics)
            outcomes["refused"] += 1
        else:
            text = "".join(d.message for d in result.diagnostics)
            outcomes["built"] += 1
            epubs.append(result.outputs["epub"])
        assert SECRET_TOKEN not in text
        after = {k: v for k, v in _tree(case).items() if not k.startswith("out/")}
        assert after == before, set(after) ^ set(before)
        for path in (p for p in out.rglob("*") if p.is_file() and not p.is_symlink()) if out.exists() else ():
            data = path.read_bytes()
            assert SECRET_TOKEN.encode() not in data, path
            if zipfile.is_zipfile(path):
                with zipfile.ZipFile(path) as z:
                    assert not any(SECRET_TOKEN.encode() in z.read(n) for n in z.namelist()), path

    build_one()
    assert outcomes["built"] and outcomes["refused"], outcomes
    counts, messages = epubcheck_many(epubs)
    assert len(counts) == len(epubs), messages
    failed = {str(p): n for p, n in counts.items() if n}
    assert not failed, f"{failed}\n{messages}"
    print(f"hostile fuzz: {outcomes['built']} built, {outcomes['refused']} refused, {len(epubs)} EPUBs checked")
