"""Joining chunk PDFs into the book (writers/join.py, writers/fontmerge.py): each chunk copied
once per layout, identical streams kept once, one subset per installed face."""

from __future__ import annotations

import io
import subprocess
from dataclasses import replace

import pikepdf
import pytest

from anthology import theme
from anthology.writers import chunks
from anthology.writers.fontmerge import merge_subsets
from anthology.writers.join import Joiner
from anthology.writers.pdf import BOOK_FONT, font_available

CSS = f"@page {{ size: 300pt 400pt; margin: 30pt; }} body {{ font-family: '{BOOK_FONT}'; }}"
ROOT = theme.STYLES_DIR  # a folder the sandbox may read


def layout(key: str, text: str) -> chunks.ChunkLayout:
    html = f"<!DOCTYPE html><html lang='en'><body><p>{text}</p><p><i>{text[::-1]}</i></p></body></html>"
    return chunks.lay_out(chunks.Job(key, html, ROOT.as_uri() + "/", (("about:test", CSS),), (str(ROOT),), key))


@pytest.fixture(scope="module")
def laid_out():
    if not font_available(BOOK_FONT):
        pytest.skip(f"{BOOK_FONT} is not installed")
    return layout("a", "Aardvarks amble after autumn. " * 40), layout("b", "Zebras zigzag, quizzically. " * 40)


@pytest.fixture
def two(laid_out):
    """Copies: the joiner lets go of a layout's bytes once it has copied its pages."""
    return tuple(replace(chunk) for chunk in laid_out)


def test_chunks_are_copied_in_order_once_per_layout(two):
    a, b = two
    joiner = Joiner(["a", "b"])
    joiner.offer("b", b)
    joiner.offer("shell", a)  # not a chunk of the book: ignored
    assert not joiner.step()  # b waits for a: the order of the objects in the file is fixed
    joiner.offer("a", a)
    assert joiner.step() and joiner.step() and not joiner.step()
    pages = joiner.pages("a")
    joiner.copy_all({"a": a, "b": b})
    assert joiner.pages("a") == pages  # known: not copied again
    again = layout("a", "Aardvarks amble after autumn, again. " * 40)
    joiner.offer("a", again)
    assert not joiner.step()  # laid out again after its turn: copied with the rest
    joiner.copy_all({"a": again, "b": b})
    assert joiner.pages("a") != pages


def test_the_book_has_one_subset_per_face_and_all_the_text(two, tmp_path):
    a, b = two
    pages_a, pages_b = len(pikepdf.open(io.BytesIO(a.pdf)).pages), len(pikepdf.open(io.BytesIO(b.pdf)).pages)
    joiner = Joiner(["a", "b"])
    joiner.copy_all({"a": a, "b": b})
    for key in ("a", "b"):
        for page in joiner.pages(key):
            joiner.pdf.pages.append(pikepdf.Page(page))
    fonts = joiner.fonts(["a", "b"])
    faces = {font.face for font in fonts}
    assert len(faces) == 2 and any("Italic" in face for face in faces)
    assert all("/W" not in font.font.DescendantFonts[0] for font in fonts)  # left behind until merged
    merge_subsets(joiner.pdf, chunks.Cache(tmp_path / "cache"), fonts, joiner.faces.originals)
    joiner.pdf.save(tmp_path / "book.pdf")
    with pikepdf.open(tmp_path / "book.pdf") as book:
        assert len(book.pages) == pages_a + pages_b
        programs: dict[str, set] = {}
        for font in book.objects:
            if isinstance(font, pikepdf.Dictionary) and font.get("/Subtype") == "/Type0":
                descriptor = font.DescendantFonts[0].FontDescriptor
                programs.setdefault(str(descriptor.FontName).split("+")[-1], set()).add(descriptor.FontFile3.objgen)
        assert len(programs) == 2 and all(len(found) == 1 for found in programs.values())
    text = subprocess.run(["pdftotext", str(tmp_path / "book.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "Aardvarks amble after autumn." in text and "Zebras zigzag, quizzically." in text
    assert ".nmutua retfa elbma skravdraA" in " ".join(text.split())  # the italic face's glyphs too
    fonts_out = subprocess.run(["pdffonts", str(tmp_path / "book.pdf")], capture_output=True, text=True).stdout
    assert all(line.split()[-5] == "yes" for line in fonts_out.splitlines()[2:])  # embedded


def test_identical_streams_are_kept_once(two):
    a, _ = two
    joiner = Joiner(["a", "copy"])
    same = replace(a, key="copy")  # the same bytes, another chunk
    joiner.copy_all({"a": a, "copy": same})
    first, second = joiner.pages("a"), joiner.pages("copy")
    assert first[0].Contents.objgen == second[0].Contents.objgen
