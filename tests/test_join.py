"""Joining chunks into the book (writers/print/: assembly.py, fragment.py, fonts.py): each chunk
written once per layout, in a fixed order, identical streams kept once, one subset per installed face."""

from __future__ import annotations

import subprocess
from dataclasses import replace

import pikepdf
import pytest

from anthology import theme
from anthology.writers.print.cache import Cache, ChunkLayout, Job
from anthology.writers.print.layout import lay_out
from anthology.writers.print.assembly import Joiner
from anthology.writers.pdf import BOOK_FONT, font_available

CSS = f"@page {{ size: 300pt 400pt; margin: 30pt; }} body {{ font-family: '{BOOK_FONT}'; }}"
ROOT = theme.STYLES_DIR  # a folder the sandbox may read


def layout(key: str, text: str) -> ChunkLayout:
    html = f"<!DOCTYPE html><html lang='en'><body><p>{text}</p><p><i>{text[::-1]}</i></p></body></html>"
    return lay_out(Job(key, html, ROOT.as_uri() + "/", (("about:test", CSS),), (str(ROOT),), key))


@pytest.fixture(scope="module")
def laid_out():
    if not font_available(BOOK_FONT):
        pytest.skip(f"{BOOK_FONT} is not installed")
    return layout("a", "Aardvarks amble after autumn. " * 40), layout("b", "Zebras zigzag, quizzically. " * 40)


@pytest.fixture
def two(laid_out):
    """Copies, each test its own."""
    return tuple(replace(chunk) for chunk in laid_out)


def test_chunks_are_written_in_order_once_per_layout(two):
    a, b = two
    joiner = Joiner(["a", "b"])
    joiner.offer("b", b)
    joiner.offer("shell", a)  # not a chunk of the book: ignored
    assert not joiner.step()  # b waits for a: the order of the objects in the file is fixed
    joiner.offer("a", a)
    assert joiner.step() and joiner.step() and not joiner.step()
    pages = joiner.pages("a")
    joiner.copy_all({"a": a, "b": b})
    assert joiner.pages("a") is pages  # known: not written again
    again = layout("a", "Aardvarks amble after autumn, again. " * 40)
    joiner.offer("a", again)
    assert not joiner.step()  # laid out again after its turn: the book is written again, in order
    joiner.copy_all({"a": again, "b": b})
    assert joiner.pages("a") is not pages and joiner.written == {"a": again, "b": b}


def test_late_chunks_wait_for_the_end(two):
    a, b = two
    joiner = Joiner(["a", "b"], late=["b"])
    joiner.offer("a", a)
    joiner.offer("b", b)
    assert joiner.step() and not joiner.step()  # b prints page numbers: written last, once
    joiner.copy_all({"a": a, "b": b})
    assert list(joiner.written) == ["a", "b"]


def book(joiner: Joiner, layouts: dict, path) -> None:
    joiner.copy_all(layouts)
    for key in layouts:
        for page in joiner.pages(key):
            joiner.page(page)
    joiner.finish(pikepdf.new(), [(0, 1, "First", 30, 370, False)], Cache(path.parent / "cache"))
    joiner.book.save(path)


def test_the_book_has_one_subset_per_face_and_all_the_text(two, tmp_path):
    a, b = two
    joiner = Joiner(["a", "b"])
    uses = [use for key in (a, b) for use in joiner.fragment(key).fonts]
    faces = {use.face for use in uses}  # by file digest and face index
    assert len(faces) == 2 and any("Italic" in use.path for use in uses)
    book(joiner, {"a": a, "b": b}, tmp_path / "book.pdf")
    assert subprocess.run(["qpdf", "--check", str(tmp_path / "book.pdf")], capture_output=True).returncode == 0
    with pikepdf.open(tmp_path / "book.pdf") as pdf:
        assert len(pdf.pages) == a.pages + b.pages
        programs: dict[str, set] = {}
        for font in pdf.objects:
            if isinstance(font, pikepdf.Dictionary) and font.get("/Subtype") == "/Type0":
                descriptor = font.DescendantFonts[0].FontDescriptor
                programs.setdefault(str(descriptor.FontName).split("+")[-1], set()).add(descriptor.FontFile3.objgen)
        assert len(programs) == 2 and all(len(found) == 1 for found in programs.values())
        with pdf.open_outline() as outline:
            assert [item.title for item in outline.root] == ["First"]
    text = subprocess.run(["pdftotext", str(tmp_path / "book.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "Aardvarks amble after autumn." in text and "Zebras zigzag, quizzically." in text
    assert ".nmutua retfa elbma skravdraA" in " ".join(text.split())  # the italic face's glyphs too
    fonts_out = subprocess.run(["pdffonts", str(tmp_path / "book.pdf")], capture_output=True, text=True).stdout
    assert all(line.split()[-5] == "yes" for line in fonts_out.splitlines()[2:])  # embedded


def test_identical_objects_are_kept_once(two, tmp_path):
    a, _ = two
    joiner = Joiner(["a", "copy"])
    same = replace(a, key="copy")  # the same bytes, another chunk
    book(joiner, {"a": a, "copy": same}, tmp_path / "book.pdf")
    first, second = joiner.pages("a"), joiner.pages("copy")
    assert first[0].contents == second[0].contents
    with pikepdf.open(tmp_path / "book.pdf") as pdf:
        assert pdf.pages[0].Contents.objgen == pdf.pages[a.pages].Contents.objgen
        fonts = [o for o in pdf.objects if isinstance(o, pikepdf.Dictionary) and o.get("/Subtype") == "/Type0"]
        assert len(fonts) == len({str(font.BaseFont) for font in fonts}) == 2  # and fonts, with all they refer to
