"""Assembling chunks into the book with pikepdf (writers/print/: assembly.py, fonts.py): each
chunk copied once per layout, in a fixed order, identical objects kept once, one subset per
face identified by its file's content."""

from __future__ import annotations

import subprocess
from dataclasses import replace

import pikepdf
import pytest

from anthology import theme
from anthology.writers.pdf import BOOK_FONT, font_available
from anthology.writers.print.assembly import Assembly
from anthology.writers.print.cache import Cache, ChunkLayout, Job
from anthology.writers.print.layout import lay_out

CSS = f"@page {{ size: 300pt 400pt; margin: 30pt; }} body {{ font-family: '{BOOK_FONT}'; }}"
ROOT = theme.STYLES_DIR  # a folder the sandbox may read


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return tmp_path_factory.mktemp("cache")


def layout(key: str, text: str, store) -> ChunkLayout:
    html = f"<!DOCTYPE html><html lang='en'><body><p>{text}</p><p><i>{text[::-1]}</i></p></body></html>"
    return lay_out(Job(key, html, ROOT.as_uri() + "/", (("about:test", CSS),), (str(ROOT),), key, store=str(store)))


@pytest.fixture(scope="module")
def laid_out(store):
    if not font_available(BOOK_FONT):
        pytest.skip(f"{BOOK_FONT} is not installed")
    return (layout("a", "Aardvarks amble after autumn. " * 40, store),
            layout("b", "Zebras zigzag, quizzically. " * 40, store))


@pytest.fixture
def two(laid_out):
    """Copies, each test its own."""
    return tuple(replace(chunk) for chunk in laid_out)


def test_chunks_are_copied_in_order_once_per_layout(two, store):
    a, b = two
    assembly = Assembly(["a", "b"])
    assembly.offer("b", b)
    assembly.offer("shell", a)  # not a chunk of the book: ignored
    assert not assembly.step()  # b waits for a: the order of the pages' objects is fixed
    assembly.offer("a", a)
    assert assembly.step() and assembly.step() and not assembly.step()
    pages = assembly.pages("a")
    assembly.copy_all({"a": a, "b": b})
    assert assembly.pages("a") is pages  # known: not copied again
    again = layout("a", "Aardvarks amble after autumn, again. " * 40, store)
    assembly.offer("a", again)
    assert not assembly.step()  # laid out again after its turn: the book is assembled again, in order
    assembly.copy_all({"a": again, "b": b})
    assert assembly.pages("a") is not pages and assembly.written == {"a": again, "b": b}


def test_late_chunks_wait_for_the_end(two):
    a, b = two
    assembly = Assembly(["a", "b"], late=["b"])
    assembly.offer("a", a)
    assembly.offer("b", b)
    assert assembly.step() and not assembly.step()  # b prints page numbers: copied last, once
    assembly.copy_all({"a": a, "b": b})
    assert list(assembly.written) == ["a", "b"]


def book(assembly: Assembly, layouts: dict, path) -> None:
    assembly.copy_all(layouts)
    for key in layouts:
        for page in assembly.pages(key):
            assembly.page(page)
    with pikepdf.new() as shell:
        assembly.finish(shell, [(0, 1, "First", 30, 370, False)]).save(path)


def test_the_book_has_one_subset_per_face_and_all_the_text(two, store, tmp_path):
    a, b = two
    assembly = Assembly(["a", "b"], cache=Cache(store))
    faces = {face for layout in (a, b) for face, *_ in layout.faces.values()}
    assert len(faces) == 2  # regular and italic, by file digest and face index
    assert all(len(key.split("-")[0]) == 64 for key in faces)
    book(assembly, {"a": a, "b": b}, tmp_path / "book.pdf")
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


def test_identical_objects_are_kept_once(two, store, tmp_path):
    a, _ = two
    assembly = Assembly(["a", "copy"], cache=Cache(store))
    same = replace(a, key="copy")  # the same bytes, another chunk
    book(assembly, {"a": a, "copy": same}, tmp_path / "book.pdf")
    first, second = assembly.pages("a"), assembly.pages("copy")
    assert first[0].Contents.objgen == second[0].Contents.objgen
    with pikepdf.open(tmp_path / "book.pdf") as pdf:
        assert pdf.pages[0].Contents.objgen == pdf.pages[a.pages].Contents.objgen
        fonts = [o for o in pdf.objects if isinstance(o, pikepdf.Dictionary) and o.get("/Subtype") == "/Type0"]
        assert len(fonts) == len({str(font.BaseFont) for font in fonts}) == 2  # and fonts, with all they refer to
