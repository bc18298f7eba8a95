"""Bad input never gives a traceback: each is `file:line: message` on stderr, exit 2, and
nothing written to the output folder, from every command that reads a manuscript. Input that
is legitimate but unusual (a combining keycap, a short book under KDP) just builds."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

CONFIG = """\
title: A Small Book
language: {language}
editors: [Ada Editor]
{extra}contents:
  - one.md
"""

PIECE = """\
---
title: {title}
author: Bea Author
{extra}---

{body}
"""


def manuscript(make_manuscript, *, language="en", config_extra="", title="One", piece_extra="",
               body="A first paragraph.", files=None):
    return make_manuscript({
        "anthology.yml": CONFIG.format(language=language, extra=config_extra),
        "one.md": PIECE.format(title=title, extra=piece_extra, body=body),
        **(files or {}),
    })


def anthology(*args, cwd=None, env=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "anthology", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=600)


def written(out: Path) -> list[str]:
    return sorted(p.name for p in out.rglob("*") if p.is_file()) if out.exists() else []


def assert_refused(proc: subprocess.CompletedProcess, where: str, *words: str) -> None:
    """Exit 2, the file and line with the message's words (on stderr, or on stdout beside
    check's summary), and no traceback."""
    said = proc.stdout + proc.stderr
    assert "Traceback" not in said, proc.stderr
    assert proc.returncode == 2, said
    lines = [line for line in said.splitlines() if where in line]
    assert lines, f"no '{where}' in:\n{said}"
    assert any(all(w in line for w in words) for line in lines), said


def refused_everywhere(root: Path, tmp_path: Path, where: str, *words: str, commands=("build", "check", "stats", "cover")):
    """Every command that reads the manuscript refuses it the same way and writes nothing."""
    for command in commands:
        out = tmp_path / f"out-{command}"
        args = [command, root] + (["--out", out] if command in ("build", "cover") else [])
        assert_refused(anthology(*args), where, *words)
        assert written(out) == [], command


# --- dates ------------------------------------------------------------------------------------

@pytest.mark.parametrize("date", ["2026-02-30", "2026-13", "26/11/2025", "next spring", "2026-11-25 10:00:00"])
def test_a_bad_date_in_anthology_yml_is_refused_with_its_line(make_manuscript, tmp_path, date):
    root = manuscript(make_manuscript, config_extra=f"date: {date}\n")
    assert_refused(anthology("check", root), "anthology.yml:4:", "date", "YYYY-MM-DD")


def test_an_impossible_date_is_refused_by_every_command(make_manuscript, tmp_path):
    root = manuscript(make_manuscript, config_extra="date: 2026-02-30\n")
    refused_everywhere(root, tmp_path, "anthology.yml:4:", "2026-02-30", "YYYY, YYYY-MM or YYYY-MM-DD")


@pytest.mark.parametrize("date", ["2024-02-30", "26/11/2025", "next spring"])
def test_a_bad_date_in_a_piece_is_refused_with_its_line(make_manuscript, tmp_path, date):
    root = manuscript(make_manuscript, piece_extra=f"date: {date}\n")
    assert_refused(anthology("check", root), "one.md:4:", "date", "YYYY-MM-DD")
    if date == "2024-02-30":
        out = tmp_path / "out"
        assert_refused(anthology("build", root, "--out", out), "one.md:4:", "date", "YYYY-MM-DD")
        assert written(out) == []


@pytest.mark.parametrize("date", ["2026", "2026-11", "2026-11-25", "'2026-11-25'"])
def test_dates_in_the_accepted_forms_load(make_manuscript, date):
    from anthology.readers.manuscript import load

    root = manuscript(make_manuscript, config_extra=f"date: {date}\n", piece_extra=f"date: {date}\n")
    book, diags = load(root)
    assert book.meta.date == date.strip("'") and not diags.errors


# --- what is not text ---------------------------------------------------------------------------

@pytest.mark.parametrize("title, code", [(r'"a\x01b"', "U+0001"), (r'"a\x1bb"', "U+001B"), (r'"a\uffffb"', "U+FFFF"),
                                         (r'"a\ufdd0b"', "U+FDD0"), (r'"a\ud800b"', "U+D800")])
def test_control_characters_and_noncharacters_in_yaml_escapes_are_refused(make_manuscript, tmp_path, title, code):
    root = manuscript(make_manuscript, title=title)
    assert_refused(anthology("check", root), "one.md:2:", code, "not text")


def test_a_control_character_in_anthology_yml_is_refused_by_every_command(make_manuscript, tmp_path):
    root = manuscript(make_manuscript, config_extra='subtitle: "bell\\a"\n')
    refused_everywhere(root, tmp_path, "anthology.yml:4:", "U+0007", "control character")


@pytest.mark.parametrize("body, code", [("Text \uffff here.", "U+FFFF"), ("Text \ufdd0 here.", "U+FDD0"),
                                        ("Text &#xFFFF; here.", "U+FFFF"), ("Text &#1; here.", "U+0001"),
                                        ("Text &#x1FFFE; here.", "U+1FFFE")])
def test_noncharacters_in_the_body_are_refused_with_their_line(make_manuscript, tmp_path, body, code):
    root = manuscript(make_manuscript, body=f"A first paragraph.\n\n{body}")
    assert_refused(anthology("check", root), "one.md:8:", code, "noncharacter" if "F" in code else "control")


def test_a_noncharacter_in_the_body_is_refused_by_every_command(make_manuscript, tmp_path):
    root = manuscript(make_manuscript, body="A first paragraph.\n\nText \uffff and &#xFDD0; here.")
    refused_everywhere(root, tmp_path, "one.md:8:", "U+FDD0", "noncharacter")


def test_references_html_replaces_still_build(make_manuscript, tmp_path):
    """&#0;, a surrogate's reference and C1 references are made U+FFFD or a character by HTML."""
    from anthology.errors import ManuscriptError
    from anthology.readers.manuscript import load

    root = manuscript(make_manuscript, body="Fine: &#0; &#xD800; &#x85; &#9; &amp; and `&#1;`?")
    with pytest.raises(ManuscriptError) as refused:  # the code span is read as a reference too: said so
        load(root)
    assert "U+0001" in str([d.message for d in refused.value.diagnostics.errors])
    root = manuscript(make_manuscript, body="Fine: &#0; &#xD800; &#x85; &#9; &amp;")
    assert not load(root)[1].errors


def test_a_combining_keycap_builds(make_manuscript, tmp_path):
    """U+20E3 is a legitimate combining mark: the book face has no glyph for it, so WeasyPrint
    draws .notdef; the print PDF builds as the screen PDF does."""
    root = manuscript(make_manuscript, title="Keycap 1\u20e3", body="Press 1\u20e3 then #\u20e3.")
    out = tmp_path / "out"
    proc = anthology("build", root, "--out", out, "--format", "pdf")
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    assert "Press" in subprocess.run(["pdftotext", out / "a-small-book.pdf", "-"], capture_output=True,
                                     text=True).stdout


# --- fonts --------------------------------------------------------------------------------------

@pytest.mark.slow  # two whole builds and EPUBCheck: make test-all and CI
@pytest.mark.parametrize("language, title, body", [
    ("hi", "एक", "यह एक हिंदी वाक्य है। भारत की राजभाषा हिंदी है।"),
    ("ur", "ایک", "یہ ایک اردو جملہ ہے۔ پاکستان کی قومی زبان اردو ہے۔"),
])
def test_hindi_and_urdu_build_every_edition(make_manuscript, tmp_path, language, title, body):
    """Characters the book face lacks (and no installed font has) once made the print PDF's
    font subsetting fail (MissingGlyphsSubsettingError) while the screen PDF and EPUB built."""
    from conftest import assert_epub_valid

    root = manuscript(make_manuscript, language=language, title=title, body=body)
    out = tmp_path / "out"
    proc = anthology("build", root, "--out", out)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    assert {"a-small-book.pdf", "a-small-book-screen.pdf", "a-small-book.epub"} <= set(written(out))
    assert_epub_valid(out / "a-small-book.epub")


# --- print profile limits -----------------------------------------------------------------------

@pytest.mark.slow  # a whole build: make test-all and CI
def test_a_short_book_under_kdp_is_padded_to_24_pages(make_manuscript, tmp_path):
    import pikepdf

    root = manuscript(make_manuscript, config_extra="editions:\n  print: {profile: kdp}\n")
    out = tmp_path / "out"
    proc = anthology("build", root, "--out", out, "--format", "pdf")
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stdout + proc.stderr
    assert "24 pages (multiple of 2)" in proc.stdout
    with pikepdf.open(out / "a-small-book.pdf") as pdf:
        assert len(pdf.pages) == 24
    stats = anthology("stats", root, "--format", "json")
    assert stats.returncode == 0 and '"pages": 24' in stats.stdout


def test_page_limits_of_every_profile():
    from dataclasses import replace

    from anthology.printspec import PROFILES, PrintSpec

    for profile in PROFILES.values():
        for multiple in (2, 16):
            spec = PrintSpec("print", (432.0, 648.0), 9.0, False, False, multiple, "pdf/x-4", "white", profile)
            for pages in (1, 7, 23, 24, 25, 400):
                padded = spec.padded(pages)
                assert padded >= max(pages, profile.min_pages) and padded % multiple == 0
                assert padded - max(pages, profile.min_pages) < multiple
                assert spec.over_limit(padded) is None
    kdp = PrintSpec("print", (432.0, 648.0), 9.0, False, False, 2, "pdf/x-4", "white", PROFILES["kdp"])
    assert kdp.padded(3) == 24 and kdp.padded(829) == 830
    assert "over KDP's maximum of 828 pages" in kdp.over_limit(830) and "volumes" in kdp.over_limit(830)
    assert "under KDP's minimum of 24 pages" in kdp.over_limit(8) and "add 16 blank pages" in kdp.over_limit(8)
    ingram = replace(kdp, profile=PROFILES["ingramspark"])
    assert ingram.padded(3) == 18


def test_preflight_fails_a_file_over_or_under_the_profile_limits(tmp_path):
    from dataclasses import replace

    from test_preflight import SPEC, render

    from anthology.preflight import preflight
    from anthology.printspec import PROFILES

    path = render(tmp_path, pages=4)
    under = preflight(path, replace(SPEC, profile=PROFILES["kdp"]))
    assert [f.message for f in under.errors] == ["4 pages: under KDP's minimum of 24 pages; add 20 blank pages "
                                                 "at the end (an Anthology build pads a short book itself)"]
    over = preflight(path, replace(SPEC, profile=replace(PROFILES["kdp"], min_pages=1, max_pages=2)))
    assert len(over.errors) == 1 and "over KDP's maximum of 2 pages" in over.errors[0].message


def collection(path: Path, family: str) -> Path:
    """A CFF (OpenType) font collection of the book face's regular and italic, renamed `family`."""
    from fontTools.ttLib import TTCollection, TTFont

    from anthology.fonts import font_files

    files = font_files()
    if not {"Regular", "Italic"} <= set(files):
        pytest.skip("the book face (fonts-ebgaramond) is not installed")
    faces = []
    for style in ("Regular", "Italic"):
        font = TTFont(files[style])
        ps = f"{family.replace(' ', '')}-{style}"
        for record in font["name"].names:
            if record.nameID in (1, 16):
                record.string = family
            elif record.nameID in (4,):
                record.string = f"{family} {style}"
            elif record.nameID == 6:
                record.string = ps
        font["CFF "].cff.fontNames = [ps]
        faces.append(font)
    ttc = TTCollection()
    ttc.fonts = faces
    path.parent.mkdir(parents=True, exist_ok=True)
    ttc.save(path)
    return path


@pytest.mark.slow  # a whole build: make test-all and CI
def test_an_installed_font_collection_is_subset_at_its_face(make_manuscript, tmp_path):
    """A face installed as part of a .ttc (as Noto CJK is) once raised TTLibFileIsCollectionError
    when the print PDF subset it."""
    import os

    fonts = tmp_path / "fonts"
    collection(fonts / "TestCollection.ttc", "Test Collection")
    conf = tmp_path / "fonts.conf"
    conf.write_text(f'<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>'
                    f'<include ignore_missing="yes">/etc/fonts/fonts.conf</include><dir>{fonts}</dir>'
                    f'<cachedir>{tmp_path / "fc-cache"}</cachedir></fontconfig>\n')
    env = {**os.environ, "FONTCONFIG_FILE": str(conf)}
    root = manuscript(make_manuscript, body="Some *italic* text in a collection.",
                      files={"styles/base.css": 'body, p, em { font-family: "Test Collection"; }\n'})
    out = tmp_path / "out"
    proc = anthology("build", root, "--out", out, "--format", "pdf", env=env)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stdout + proc.stderr
    fonts_used = subprocess.run(["pdffonts", out / "a-small-book.pdf"], capture_output=True, text=True).stdout
    assert "Test-Collection" in fonts_used
    text = subprocess.run(["pdftotext", out / "a-small-book.pdf", "-"], capture_output=True, text=True).stdout
    assert "italic text in a collection" in " ".join(text.split())


@pytest.mark.slow  # a whole build: make test-all and CI
def test_a_font_the_manuscript_ships_is_packaged_into_the_epub(make_manuscript, tmp_path):
    """A face named through @font-face in styles/*.css: the EPUB refers to it, so it carries it
    (EPUBCheck RSC-007 otherwise), collections included; a type no reading system reads is
    left out of the EPUB's stylesheet with a warning naming the line."""
    import shutil
    import zipfile

    from conftest import assert_epub_valid

    from anthology.fonts import font_files

    files = font_files()
    if "Italic" not in files:
        pytest.skip("the book face (fonts-ebgaramond) is not installed")
    root = manuscript(make_manuscript, body="Some *italic* and **bold** text.", files={
        "styles/base.css": '@font-face { font-family: "Own"; src: url("../fonts/Own-Italic.otf") format("opentype"); }\n'
                           '@font-face { font-family: "Coll"; src: url(fonts/Coll.ttc); }\n'
                           '@font-face { font-family: "Old"; src: url(../fonts/old.eot); }\n'
                           '@font-face { font-family: "Spaced"; src: url("../fonts/Own%20Italic.otf"); }\n'
                           'em { font-family: "Own", serif; } strong { font-family: "Coll", "Old", serif; }\n'})
    (root / "fonts").mkdir()
    shutil.copy(files["Italic"], root / "fonts" / "Own-Italic.otf")
    shutil.copy(files["Italic"], root / "fonts" / "Own Italic.otf")
    (root / "fonts" / "old.eot").write_bytes(b"not a font")
    collection(root / "styles" / "fonts" / "Coll.ttc", "Coll")
    out = tmp_path / "out"
    proc = anthology("build", root, "--out", out, "--format", "epub")
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stdout + proc.stderr
    assert "base.css:3: warning: left out of the EPUB" in proc.stderr and "old.eot" in proc.stderr
    assert "base.css:4: warning: left out of the EPUB" in proc.stderr and "rename the file" in proc.stderr
    epub = out / "a-small-book.epub"
    with zipfile.ZipFile(epub) as z:
        names = set(z.namelist())
        opf = z.read("EPUB/content.opf").decode()
        css = z.read("EPUB/styles/book.css").decode()
    assert {"EPUB/fonts/Own-Italic.otf", "EPUB/styles/fonts/Coll.ttc"} <= names
    assert "EPUB/fonts/Own Italic.otf" not in names
    assert 'media-type="font/otf"' in opf and 'media-type="font/collection"' in opf
    assert "old.eot" not in css and "Own%20Italic.otf" not in css and "Own-Italic.otf" in css
    assert_epub_valid(epub)


@pytest.mark.slow  # a whole build: make test-all and CI
def test_a_manuscript_cut_of_an_installed_face_keeps_its_own_glyphs(make_manuscript, tmp_path):
    """Faces are merged by what they draw, not by PostScript name: a manuscript's own cut of an
    installed face (here EB Garamond with 'o' and 'x' swapped, under the same name) keeps its
    glyphs in the print PDF instead of being replaced by the installed file's."""
    import io

    import pikepdf
    from fontTools.pens.recordingPen import RecordingPen
    from fontTools.ttLib import TTFont

    from anthology.fonts import font_files

    files = font_files()
    if "Regular" not in files:
        pytest.skip("the book face (fonts-ebgaramond) is not installed")
    font = TTFont(files["Regular"])
    strings = font["CFF "].cff.topDictIndex[0].CharStrings
    o, x = strings["o"], strings["x"]
    strings["o"], strings["x"] = x, o
    cut = io.BytesIO()
    font.save(cut)
    gid_o = font.getGlyphID("o")
    expected = RecordingPen()
    TTFont(files["Regular"]).getGlyphSet()["x"].draw(expected)

    root = manuscript(make_manuscript, body="Plain words, then <span class=\"own\">ooo boo moo</span>.",
                      files={"fonts/Own.otf": cut.getvalue(),
                             "styles/base.css": '@font-face { font-family: "Own"; src: url(../fonts/Own.otf); }\n'
                                                '.own { font-family: "Own"; }\n'})
    out = tmp_path / "out"
    proc = anthology("build", root, "--out", out, "--format", "pdf")
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stdout + proc.stderr
    drawn = []
    with pikepdf.open(out / "a-small-book.pdf") as pdf:
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/FontDescriptor" and "/FontFile3" in obj:
                program = TTFont(io.BytesIO(obj.FontFile3.read_bytes()))
                order = program.getGlyphOrder()
                if gid_o < len(order):
                    pen = RecordingPen()
                    program.getGlyphSet()[order[gid_o]].draw(pen)
                    drawn.append(pen.value)
    assert expected.value in drawn  # the cut's 'o' (an x) is in the book


# --- import, add, serve -------------------------------------------------------------------------

def test_import_leaves_out_what_is_not_text_and_impossible_dates(make_manuscript, tmp_path):
    root = manuscript(make_manuscript)
    page = tmp_path / "page.html"
    page.write_text('<html><head><title>T</title><meta property="article:published_time" '
                    'content="2025-02-30T10:00:00Z"></head><body><article><h1>Bad &#xFFFF; title &#1;</h1>'
                    '<p>Body &#xFDD0; text here.</p></article></body></html>', encoding="utf-8")
    proc = anthology("import", page, "--into", root)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stdout + proc.stderr
    assert "removed what is not text: U+0001, U+FDD0, U+FFFF" in proc.stdout
    assert "'2025-02-30T10:00:00Z' is not a date that exists" in proc.stdout
    [piece] = (root / "essays").iterdir()
    assert "\uffff" not in piece.read_text(encoding="utf-8") and "date:" not in piece.read_text(encoding="utf-8")
    check = anthology("check", root)
    assert check.returncode == 0, check.stdout + check.stderr


@pytest.mark.parametrize("args", [["Bad \x01 title"], ["Fine", "--part", "Part \ufdd0"]])
def test_add_refuses_what_is_not_text(make_manuscript, args):
    root = manuscript(make_manuscript)
    before = (root / "anthology.yml").read_bytes()
    proc = anthology("add", *args, "--manuscript", root)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and "not text" in proc.stderr, proc.stderr
    assert not (root / "essays").exists() and (root / "anthology.yml").read_bytes() == before


def test_serve_shows_the_errors_of_a_manuscript_it_cannot_load(make_manuscript):
    from anthology.preview import render_page

    root = manuscript(make_manuscript, title='"a\\x01b"', config_extra="date: 2026-02-30\n")
    page, diags = render_page(root, 1)
    assert {(Path(d.path).name, d.line) for d in diags.errors} == {("one.md", 2), ("anthology.yml", 4)}
    assert b"U+0001" in page and b"2026-02-30" in page
