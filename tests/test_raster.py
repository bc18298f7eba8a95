"""The chunked print edition and a single-pass WeasyPrint render of the same book give the same
pixels on every page (pdftoppm at 50 dpi, page by page): from a clean cache with two workers,
and from a warm one after an edit. Text equality is not enough: a face merged by name drew
the right words with another font's glyphs."""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from PIL import Image

from anthology.readers.manuscript import load
from anthology.theme import TEMPLATES_DIR
from anthology.writers.pdf import SinglePassPdf
from anthology.writers.print.edition import PdfWriter

from conftest import MINIMAL_CONFIG, SAMPLE, write_manuscript

PASSAGES = {
    "el": "Ἐν ἀρχῇ ἦν ὁ λόγος, καὶ ὁ λόγος ἦν πρὸς τὸν θεόν· ἡ δημοκρατία καὶ ἡ ἐλευθερία.",
    "ru": "Пролетарии всех стран, соединяйтесь! Рабочий класс и его партия в борьбе за хлеб и мир.",
    "ar": "يا عمال العالم اتحدوا! الطبقة العاملة تناضل من أجل الخبز والسلام والحرية.",
    "hi": "दुनिया के मज़दूरों, एक हो! मज़दूर वर्ग रोटी, शांति और आज़ादी के लिए लड़ता है।",
    "zh": "全世界无产者，联合起来！工人阶级为面包、和平与自由而斗争。",
}


def pixels(pdf: Path) -> list[tuple[tuple[int, int], bytes]]:
    """Every page rendered at 50 dpi: (size, RGB bytes)."""
    with tempfile.TemporaryDirectory() as folder:
        subprocess.run(["pdftoppm", "-r", "50", "-png", str(pdf), f"{folder}/p"], check=True)
        out = []
        for png in sorted(Path(folder).glob("p-*.png")):
            with Image.open(io.BytesIO(png.read_bytes())) as image:
                out.append((image.size, image.convert("RGB").tobytes()))
        return out


def assert_same_pixels(chunked: Path, single: Path) -> None:
    ours, theirs = pixels(chunked), pixels(single)
    assert len(ours) == len(theirs), f"{len(ours)} pages, the single pass {len(theirs)}"
    differ = [number for number, (a, b) in enumerate(zip(ours, theirs), 1) if a != b]
    assert not differ, f"pages that differ from the single pass: {differ}"


def single_pass(manuscript: Path, out: Path) -> Path:
    book, diags = load(manuscript)
    writer = SinglePassPdf(book, diags)
    writer.layout()
    return writer.write(out)


def chunked(manuscript: Path, out: Path, cache: Path) -> Path:
    book, diags = load(manuscript)
    writer = PdfWriter(book, diags, workers=2, cache=cache)
    writer.layout()
    return writer.write(out)


def check_clean_and_warm(manuscript: Path, tmp_path: Path, edit) -> None:
    """Clean cache, then an edit and the warm cache: each the single pass's pixels."""
    cache = tmp_path / "cache"
    assert_same_pixels(chunked(manuscript, tmp_path / "clean", cache), single_pass(manuscript, tmp_path / "single"))
    edit(manuscript)
    assert_same_pixels(chunked(manuscript, tmp_path / "warm", cache),
                       single_pass(manuscript, tmp_path / "single-edited"))


def add_paragraph(piece: Path, text: str = "An added paragraph, long enough to move what follows. ") -> None:
    piece.write_text(piece.read_text(encoding="utf-8") + "\n\n" + text * 30 + "\n", encoding="utf-8")


def scripts_manuscript(root: Path) -> Path:
    """Two essays with passages in five scripts (faces from collections among them: CJK),
    so the same faces are drawn in several chunks and merged."""
    def essay(title: str, order) -> str:
        body = "\n\n".join(f"Quoted in its language: [{PASSAGES[lang]}]{{lang={lang}}} — and so on." for lang in order)
        return f"---\ntitle: {title}\nauthor: Bea Author\n---\n\n{body}\n\nA closing line in English.\n"
    config = MINIMAL_CONFIG.replace("      - one.md", "      - one.md\n      - two.md")
    return write_manuscript(root, {"anthology.yml": config, "one.md": essay("One", list(PASSAGES)),
                                   "two.md": essay("Two", list(PASSAGES)[::-1])})


def own_font_manuscript(root: Path) -> Path:
    """A manuscript shipping its own cut of the installed book face, under that face's names
    ('o' and 'x' swapped), used in one essay beside the installed face."""
    from fontTools.ttLib import TTFont

    from anthology.fonts import font_files

    files = font_files()
    if "Regular" not in files:
        pytest.skip("the book face (fonts-ebgaramond) is not installed")
    font = TTFont(files["Regular"])
    strings = font["CFF "].cff.topDictIndex[0].CharStrings
    strings["o"], strings["x"] = strings["x"], strings["o"]
    cut = io.BytesIO()
    font.save(cut)
    config = MINIMAL_CONFIG.replace("      - one.md", "      - one.md\n      - two.md")
    piece = "---\ntitle: {t}\nauthor: Bea Author\n---\n\n{body}\n"
    return write_manuscript(root, {
        "anthology.yml": config,
        "one.md": piece.format(t="One", body="Plain words, then [ooo boo moo xox]{.own}, and plain words again."),
        "two.md": piece.format(t="Two", body="Only the installed face: oxen, boxes and moons."),
        "fonts/Own.otf": cut.getvalue(),
        "styles/base.css": '@font-face { font-family: "Own"; src: url(../fonts/Own.otf); }\n.own { font-family: "Own"; }\n',
    })


def test_a_small_book_gives_the_single_pass_pixels(make_manuscript, tmp_path):
    root = write_manuscript(tmp_path / "ms", {"anthology.yml": MINIMAL_CONFIG,
                                              "one.md": "---\ntitle: One\nauthor: Bea Author\n---\n\n"
                                                        + "A paragraph[^n] of the book. " * 40 + "\n\n[^n]: A note.\n"})
    assert_same_pixels(chunked(root, tmp_path / "chunked", tmp_path / "cache"), single_pass(root, tmp_path / "single"))


@pytest.mark.slow
def test_the_sample_gives_the_single_pass_pixels(tmp_path):
    root = tmp_path / "ms"
    shutil.copytree(SAMPLE, root)
    check_clean_and_warm(root, tmp_path, lambda ms: add_paragraph(sorted((ms / "essays").glob("*.md"))[0]))


@pytest.mark.slow
def test_five_scripts_give_the_single_pass_pixels(tmp_path):
    root = scripts_manuscript(tmp_path / "ms")
    check_clean_and_warm(root, tmp_path, lambda ms: add_paragraph(ms / "one.md", PASSAGES["zh"] + " "))


@pytest.mark.slow
def test_a_manuscript_font_under_an_installed_name_gives_the_single_pass_pixels(tmp_path):
    root = own_font_manuscript(tmp_path / "ms")
    check_clean_and_warm(root, tmp_path, lambda ms: add_paragraph(ms / "two.md", "Oxen and boxes. "))


@pytest.mark.slow
def test_a_copy_of_the_built_in_print_template_changes_no_pixel(tmp_path):
    """A manuscript's own print.html.j2 is cut into chunks (documents.py): a copy of the
    built-in one gives the pixels the built-in chunk template gives."""
    root = tmp_path / "ms"
    shutil.copytree(SAMPLE, root)
    built_in = chunked(root, tmp_path / "built-in", tmp_path / "cache-a")
    (root / "templates").mkdir(exist_ok=True)
    shutil.copy(TEMPLATES_DIR / "print.html.j2", root / "templates" / "print.html.j2")
    assert_same_pixels(chunked(root, tmp_path / "own", tmp_path / "cache-b"), built_in)
